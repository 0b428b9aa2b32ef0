/*  =========================================================================
    cr_seed - the image `corral up` puts in its local registry: busybox
    from Debian's busybox-static, built and pushed without Docker
    =========================================================================
*/
#ifndef CR_SEED_H_INCLUDED
#define CR_SEED_H_INCLUDED

//  Builds a one-layer OCI image from the busybox binary (NULL:
//  /bin/busybox, which must be static) and pushes it to the plain-HTTP
//  registry at host:port as repository:tag for each tag of the
//  comma-separated tags. Blobs the registry has are not sent again.
//  Returns 0, or -1 with *error (caller frees).
int
    cr_seed_busybox (const char *registry, const char *repository, const char *tags,
                     const char *busybox, char **error);

//  True if the registry has a manifest for repository:tag.
bool
    cr_seed_present (const char *registry, const char *repository, const char *tag);

#endif
