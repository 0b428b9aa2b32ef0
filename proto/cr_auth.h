/*  =========================================================================
    cr_auth - CurveZMQ client authentication shared by Corral's servers

    The broker and the node agent's own endpoint admit a client by its
    CurveZMQ public key: the key must be that of a certificate in an
    "authorized keys" folder (`corral up` writes DATA/authorized/, one
    public certificate per client, `corral add-client` adds one). The
    certificates carry metadata that the ZAP handler (czmq's zauth) hands
    to the server with every message: "name" (the client's name) and
    "role" ("admin", or "node" for a node agent, whose "name" is then its
    Node's name).
    =========================================================================
*/
#ifndef CR_AUTH_H_INCLUDED
#define CR_AUTH_H_INCLUDED

//  Starts this process's ZAP handler (zauth) admitting the CurveZMQ keys of
//  the certificates in keys_dir. The folder is read again when it changes,
//  so clients added later are admitted without a restart. There is one ZAP
//  handler per process: call this once. Returns the zauth actor (caller
//  destroys it after the sockets it guards), or NULL with err when
//  keys_dir is not a readable folder.
zactor_t *
    cr_auth_new (const char *keys_dir, bool verbose, char *err, size_t errlen);

//  The role in the certificate of the client that sent frame (a frame
//  received on a CurveZMQ server socket guarded by cr_auth_new): "admin",
//  "node", ..., or NULL when the certificate says none. Borrowed.
const char *
    cr_auth_role (zframe_t *frame);

//  The name in the certificate of the client that sent frame, or NULL.
//  Borrowed.
const char *
    cr_auth_name (zframe_t *frame);

#endif
