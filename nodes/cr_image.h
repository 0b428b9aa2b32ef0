/*  =========================================================================
    cr_image - the node agent's image store: references, pulls over the
    registry distribution API, layer unpacking, cache and garbage collection

    A store lives in one folder (the agent's --root-dir/images, say):

        <root>/blobs/sha256/<hex>           verified blobs (manifests,
                                            indexes, configs, layers)
        <root>/images/<hex>/rootfs          unpacked root file system of
                                            the image manifest sha256:<hex>
        <root>/images/<hex>/image.json      what the store knows about it
        <root>/refs.json                    reference -> manifest digest
        <root>/tmp/                         downloads and unpacks in flight

    The image folder is named by the hex digits only, so that the rootfs
    path has no ':' and can serve as an overlayfs lowerdir.
    =========================================================================
*/
#ifndef CR_IMAGE_H_INCLUDED
#define CR_IMAGE_H_INCLUDED

typedef struct _cr_image_t cr_image_t;
typedef struct _cr_image_ref_t cr_image_ref_t;

//  imagePullPolicy.
typedef enum {
    CR_IMAGE_PULL_ALWAYS = 0,           //  Always resolve the manifest
    CR_IMAGE_PULL_IF_NOT_PRESENT = 1,   //  Use the cache when it has it
    CR_IMAGE_PULL_NEVER = 2             //  Never touch the network
} cr_image_policy_t;

//  Errors of this class (negative; 0 is success). Each maps to the
//  Kubernetes container waiting reason the agent reports
//  (cr_image_reason): bad names are InvalidImageName, a missing image
//  under Never is ErrImageNeverPull, everything else is ErrImagePull.
typedef enum {
    CR_IMAGE_E_INVALID_NAME = -1,       //  Reference does not parse
    CR_IMAGE_E_NEVER_PULL = -2,         //  Never, and not in the store
    CR_IMAGE_E_NOT_FOUND = -3,          //  Manifest or repository unknown
    CR_IMAGE_E_UNAUTHORIZED = -4,       //  401/403 (no credentials support)
    CR_IMAGE_E_UNREACHABLE = -5,        //  Cannot connect, timeout, TLS
    CR_IMAGE_E_REGISTRY = -6,           //  Other HTTP error from the registry
    CR_IMAGE_E_DIGEST_MISMATCH = -7,    //  Content does not match its digest/size
    CR_IMAGE_E_BAD_IMAGE = -8,          //  Malformed/unsupported manifest,
                                        //  config or layer; unsafe layer entry
    CR_IMAGE_E_IO = -9                  //  Local file system error
} cr_image_error_t;

//  --------------------------------------------------------------------------
//  References

//  Parses an image reference the way Kubernetes and docker do:
//  "127.0.0.1:5000/busybox:1.35", "busybox" (default registry, tag
//  latest), "name:tag", "name@sha256:<64 hex>", "reg/ns/name:tag@sha256:..".
//  The first path component is a registry when it contains '.' or ':' or
//  is "localhost"; otherwise default_registry is used (NULL means
//  "docker.io", where one-component names get the "library/" prefix).
//  Returns a new reference (caller destroys), or NULL and *error (caller
//  frees; "couldn't parse image reference \"X\": invalid reference
//  format: ...") when the text is not a valid reference.
cr_image_ref_t *
    cr_image_ref_parse (const char *text, const char *default_registry, char **error);

//  Destroys a reference; NULL-safe.
void
    cr_image_ref_destroy (cr_image_ref_t **self_p);

//  Registry host[:port] ("127.0.0.1:5000", "docker.io"). Borrowed.
const char *
    cr_image_ref_registry (cr_image_ref_t *self);

//  Repository path inside the registry ("busybox", "library/busybox").
//  Borrowed.
const char *
    cr_image_ref_repository (cr_image_ref_t *self);

//  Tag, or NULL when the reference has only a digest. Borrowed.
const char *
    cr_image_ref_tag (cr_image_ref_t *self);

//  Digest ("sha256:<64 hex>"), or NULL. Borrowed.
const char *
    cr_image_ref_digest (cr_image_ref_t *self);

//  Registry and repository ("127.0.0.1:5000/busybox"). Borrowed.
const char *
    cr_image_ref_name (cr_image_ref_t *self);

//  The canonical reference: name, then ":tag" when there is a tag, then
//  "@digest" when there is a digest ("127.0.0.1:5000/busybox:latest").
//  Borrowed.
const char *
    cr_image_ref_string (cr_image_ref_t *self);

//  Parses an imagePullPolicy. NULL or "" gives the Kubernetes default for
//  image: Always when its tag is "latest" (or it has neither tag nor
//  digest), IfNotPresent otherwise. Returns the policy, or -1 when text
//  is not one of Always, IfNotPresent, Never.
int
    cr_image_policy_parse (const char *text, const char *image);

//  --------------------------------------------------------------------------
//  The store

//  Opens (creating the folders if needed) the store at root. Unqualified
//  references resolve to default_registry (NULL means "docker.io").
//  Leftovers of interrupted pulls under <root>/tmp are removed. Returns
//  NULL when root cannot be created or written. One store per root folder
//  and process.
cr_image_t *
    cr_image_new (const char *root, const char *default_registry);

//  Destroys the store object (not the files); NULL-safe.
void
    cr_image_destroy (cr_image_t **self_p);

//  Registries (comma-separated "host[:port]") reached over plain HTTP.
//  127.0.0.0/8, localhost and [::1] always are; any other is HTTPS.
//  Replaces the previous list; call it before pulls start.
void
    cr_image_set_insecure (cr_image_t *self, const char *registries);

//  Registry mirrors, "registry=host[:port],...": pulls of images named
//  after registry go to host[:port] instead (same repository paths), as
//  containerd's mirrors do; a node in its own network namespace reaches
//  "127.0.0.1:5000" on the master this way. Whether the mirror is plain
//  HTTP follows the mirror's address (loopback or set_insecure). Replaces
//  the previous map. Returns 0, or -1 with *error (caller frees) when an
//  item is not REGISTRY=HOST[:PORT]. Call it before pulls start.
int
    cr_image_set_mirrors (cr_image_t *self, const char *mirrors, char **error);

//  Pulls image according to policy and unpacks it, blocking (call it from
//  a worker thread; pulls of different images may run in parallel, and
//  pulls of one image are safe but do the work twice). On success returns
//  0 and *result (caller owns):
//      {"image":        canonical reference,
//       "imageID":      "<registry>/<repository>@sha256:<manifest hex>",
//       "digest":       manifest digest,
//       "configDigest": config blob digest,
//       "rootfs":       absolute path of the unpacked root file system,
//       "config":       {Env, Entrypoint, Cmd, WorkingDir, User} (those
//                       present in the image config),
//       "size":         bytes of config and layer blobs,
//       "pulled":       false when served from the store without the
//                       network (the kubelet's "already present on
//                       machine")}
//  On failure returns a cr_image_error_t and *error (caller frees), e.g.
//  'failed to pull image "X": manifest unknown: ...' or 'Container image
//  "X" is not present with pull policy of Never'.
int
    cr_image_pull (cr_image_t *self, const char *image, cr_image_policy_t policy,
                   json_t **result, char **error);

//  The images in the store, as Node.status.images: a new array (caller
//  owns) of {"names": [references and repo digests], "sizeBytes": N}.
json_t *
    cr_image_list (cr_image_t *self);

//  Removes every image that in_use (a NULL-terminated array of references
//  or manifest digests; NULL means none) does not name, the references
//  that pointed to them, and every blob no remaining image uses. Waits
//  for pulls in flight. Returns the number of images removed, or
//  CR_IMAGE_E_IO.
int
    cr_image_gc (cr_image_t *self, const char *const *in_use);

//  --------------------------------------------------------------------------
//  Building blocks (used by the store, public for tests and tools)

//  Applies one layer (a tar archive, uncompressed or gzip/zstd
//  compressed) to the root file system at rootfs: whiteouts ".wh.<name>"
//  delete name from the layers below, ".wh..wh..opq" empties its folder
//  of what the layers below put there; an entry replaces whatever was at
//  its path (folders merge); permissions, numeric ownership (as root),
//  times, symlinks and hardlinks are kept. Entries with ".." or that
//  would be written through a symbolic link are refused. Returns 0, or
//  CR_IMAGE_E_BAD_IMAGE / CR_IMAGE_E_IO and *error (caller frees).
int
    cr_image_unpack_layer (const char *rootfs, const char *layer, char **error);

//  The digest ("sha256:<64 hex>") of a file's contents, or NULL when it
//  cannot be read. Caller frees.
char *
    cr_image_digest_file (const char *path);

//  The Kubernetes waiting reason of an error code: "InvalidImageName",
//  "ErrImageNeverPull" or "ErrImagePull".
const char *
    cr_image_reason (int code);

//  The name of an error code ("NOT_FOUND", "DIGEST_MISMATCH"), "OK" for 0.
const char *
    cr_image_errname (int code);

#endif
