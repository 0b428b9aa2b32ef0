/*  =========================================================================
    cr_auth - CurveZMQ client authentication shared by Corral's servers

    A thin layer over czmq's zauth: zauth with a CURVE folder keeps a
    zcertstore of the folder (reloaded when the folder changes) and, on
    each handshake, answers the ZAP request with the certificate's
    metadata, which libzmq then attaches to every message of that
    connection (zframe_meta). The checks before starting zauth give a
    clear error instead of a server that silently admits nobody.
    =========================================================================
*/
#include "libcorral.h"

zactor_t *
cr_auth_new (const char *keys_dir, bool verbose, char *err, size_t errlen)
{
    struct stat st;
    if (!keys_dir || !*keys_dir) {
        snprintf (err, errlen, "no authorized-keys folder given");
        return NULL;
    }
    if (stat (keys_dir, &st) != 0 || !S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "%s is not a directory", keys_dir);
        return NULL;
    }
    if (access (keys_dir, R_OK | X_OK) != 0) {
        snprintf (err, errlen, "cannot read %s: %s", keys_dir, strerror (errno));
        return NULL;
    }
    zactor_t *auth = zactor_new (zauth, NULL);
    if (!auth) {
        snprintf (err, errlen, "cannot start the ZAP handler");
        return NULL;
    }
    if (verbose) {
        zstr_send (auth, "VERBOSE");
        zsock_wait (auth);
    }
    zstr_sendx (auth, "CURVE", keys_dir, NULL);
    zsock_wait (auth);
    return auth;
}

const char *
cr_auth_role (zframe_t *frame)
{
    assert (frame);
    const char *role = zframe_meta (frame, "role");
    return role && *role ? role : NULL;
}

const char *
cr_auth_name (zframe_t *frame)
{
    assert (frame);
    const char *name = zframe_meta (frame, "name");
    return name && *name ? name : NULL;
}
