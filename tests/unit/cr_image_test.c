/*  =========================================================================
    cr_image_test - the node agent's image store

    References are checked against a table (valid forms and the errors of
    invalid ones). Layers are tar archives built here with libarchive and
    unpacked into scratch folders: whiteouts, opaque folders, replacement
    across layers, ownership and modes, links, and the entries that must be
    refused. Pulls run against a small registry served from a thread of
    the test (127.0.0.1, a port the kernel picks) whose routes hold the
    exact bytes to send, so that tampered blobs, wrong Docker-Content-
    Digest headers, indexes, 404s and an unreachable registry can be
    produced at will.
    =========================================================================
*/
#include "cr_test.h"
#include <archive.h>
#include <archive_entry.h>
#include "cr_image.h"

#if defined (__aarch64__)
#   define T_ARCH   "arm64"
#   define T_OTHER  "amd64"
#else
#   define T_ARCH   "amd64"
#   define T_OTHER  "arm64"
#endif

#define T_HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

//  --------------------------------------------------------------------------
//  Scratch folders and files

static char *
s_scratch (void)
{
    char *dir = strdup ("/tmp/cr-image-test-XXXXXX");
    assert (mkdtemp (dir));
    return dir;
}

static void
s_scratch_remove (char **dir_p)
{
    char *cmd = zsys_sprintf ("rm -rf '%s'", *dir_p);
    ASSERT_EQ (system (cmd), 0);
    free (cmd);
    zstr_free (dir_p);
}

static bool
s_exists (const char *base, const char *rel)
{
    char *path = zsys_sprintf ("%s/%s", base, rel);
    struct stat st;
    bool found = lstat (path, &st) == 0;
    free (path);
    return found;
}

static struct stat
s_lstat (const char *base, const char *rel)
{
    char *path = zsys_sprintf ("%s/%s", base, rel);
    struct stat st;
    memset (&st, 0, sizeof (st));
    ASSERT_EQ (lstat (path, &st), 0);
    free (path);
    return st;
}

//  Contents of a file (caller frees) or NULL; *size when given.
static char *
s_slurp (const char *path, size_t *size)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    cr_buf_t buf = { 0 };
    char chunk [65536];
    size_t n;
    while ((n = fread (chunk, 1, sizeof (chunk), f)) > 0)
        cr_buf_addn (&buf, chunk, n);
    fclose (f);
    if (size)
        *size = buf.len;
    return cr_buf_take (&buf);
}

static char *
s_read (const char *base, const char *rel)
{
    char *path = zsys_sprintf ("%s/%s", base, rel);
    char *text = s_slurp (path, NULL);
    free (path);
    return text;
}

static void
s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    assert (f);
    fputs (text, f);
    fclose (f);
}

static size_t
s_count_entries (const char *path)
{
    DIR *dir = opendir (path);
    if (!dir)
        return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir (dir)))
        if (!streq (de->d_name, ".") && !streq (de->d_name, ".."))
            n++;
    closedir (dir);
    return n;
}

//  --------------------------------------------------------------------------
//  Layers: a table of entries written as a tar (optionally gzip) file

typedef struct {
    const char *name;
    char type;                  //  f file, d folder, l symlink, h hardlink
    int mode;
    const char *data;           //  Contents, or link target
    int uid, gid;
} s_ent_t;

static void
s_layer (const char *path, bool gzip, const s_ent_t *ents)
{
    struct archive *a = archive_write_new ();
    archive_write_set_format_pax_restricted (a);
    if (gzip)
        archive_write_add_filter_gzip (a);
    ASSERT_EQ (archive_write_open_filename (a, path), ARCHIVE_OK);
    for (const s_ent_t *e = ents; e->name; e++) {
        struct archive_entry *entry = archive_entry_new ();
        archive_entry_set_pathname (entry, e->name);
        archive_entry_set_perm (entry, (mode_t) e->mode);
        archive_entry_set_uid (entry, e->uid);
        archive_entry_set_gid (entry, e->gid);
        archive_entry_set_mtime (entry, 1700000000, 0);
        size_t size = 0;
        if (e->type == 'd')
            archive_entry_set_filetype (entry, AE_IFDIR);
        else
        if (e->type == 'l') {
            archive_entry_set_filetype (entry, AE_IFLNK);
            archive_entry_set_symlink (entry, e->data);
        }
        else
        if (e->type == 'h') {
            archive_entry_set_filetype (entry, AE_IFREG);
            archive_entry_set_hardlink (entry, e->data);
        }
        else {
            archive_entry_set_filetype (entry, AE_IFREG);
            size = e->data ? strlen (e->data) : 0;
            archive_entry_set_size (entry, (la_int64_t) size);
        }
        ASSERT_EQ (archive_write_header (a, entry), ARCHIVE_OK);
        if (size)
            ASSERT_EQ (archive_write_data (a, e->data, size), (la_ssize_t) size);
        archive_entry_free (entry);
    }
    ASSERT_EQ (archive_write_close (a), ARCHIVE_OK);
    archive_write_free (a);
}

//  Writes a layer at <dir>/<name> and unpacks it into <dir>/rootfs.
//  Returns cr_image_unpack_layer's code; *error as it gives it.
static int
s_apply (const char *dir, const char *name, bool gzip, const s_ent_t *ents, char **error)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    char *rootfs = zsys_sprintf ("%s/rootfs", dir);
    mkdir (rootfs, 0755);
    s_layer (path, gzip, ents);
    int rc = cr_image_unpack_layer (rootfs, path, error);
    free (rootfs);
    free (path);
    return rc;
}

//  --------------------------------------------------------------------------
//  A registry in a thread: exact-path routes with fixed responses

typedef struct {
    char *path;
    int status;
    char *ctype;
    char *body;
    size_t size;
    char *header;               //  One extra header line, or NULL
} s_route_t;

typedef struct {
    int fd;
    int port;
    char host [32];             //  "127.0.0.1:<port>"
    pthread_t thread;
    bool running;
    s_route_t routes [64];
    size_t nroutes;
    int requests;               //  Requests served (atomic)
} s_server_t;

static void
s_send_all (int fd, const char *data, size_t size)
{
    while (size) {
        ssize_t n = send (fd, data, size, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        size -= (size_t) n;
    }
}

static void *
s_server_run (void *arg)
{
    s_server_t *srv = (s_server_t *) arg;
    while (true) {
        int fd = accept (srv->fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        char req [8192];
        size_t n = 0;
        while (n < sizeof (req) - 1) {
            ssize_t r = recv (fd, req + n, sizeof (req) - 1 - n, 0);
            if (r <= 0)
                break;
            n += (size_t) r;
            req [n] = 0;
            if (strstr (req, "\r\n\r\n"))
                break;
        }
        req [n] = 0;
        char method [16], path [2048];
        if (sscanf (req, "%15s %2047s", method, path) == 2) {
            __atomic_fetch_add (&srv->requests, 1, __ATOMIC_SEQ_CST);
            s_route_t *route = NULL;
            for (size_t i = 0; i < srv->nroutes; i++)
                if (streq (srv->routes [i].path, path))
                    route = &srv->routes [i];
            s_route_t missing = { NULL, 404, (char *) "application/json",
                                  strstr (path, "/manifests/")
                                  ? (char *) "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}"
                                  : (char *) "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown to registry\"}]}",
                                  0, NULL };
            missing.size = strlen (missing.body);
            if (!route)
                route = &missing;
            char *head = zsys_sprintf ("HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                                       "Connection: close\r\n%s%s\r\n",
                                       route->status, route->ctype, route->size,
                                       route->header ? route->header : "", route->header ? "\r\n" : "");
            s_send_all (fd, head, strlen (head));
            if (!streq (method, "HEAD"))
                s_send_all (fd, route->body, route->size);
            free (head);
        }
        close (fd);
    }
    return NULL;
}

static s_server_t *
s_server_new (void)
{
    s_server_t *srv = (s_server_t *) zmalloc (sizeof (s_server_t));
    srv->fd = socket (AF_INET, SOCK_STREAM, 0);
    assert (srv->fd >= 0);
    struct sockaddr_in addr = { 0 };
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    ASSERT_EQ (bind (srv->fd, (struct sockaddr *) &addr, sizeof (addr)), 0);
    ASSERT_EQ (listen (srv->fd, 16), 0);
    socklen_t len = sizeof (addr);
    ASSERT_EQ (getsockname (srv->fd, (struct sockaddr *) &addr, &len), 0);
    srv->port = ntohs (addr.sin_port);
    snprintf (srv->host, sizeof (srv->host), "127.0.0.1:%d", srv->port);
    return srv;
}

static void
s_server_start (s_server_t *srv)
{
    ASSERT_EQ (pthread_create (&srv->thread, NULL, s_server_run, srv), 0);
    srv->running = true;
}

//  Stops serving: the port refuses connections afterwards.
static void
s_server_stop (s_server_t *srv)
{
    if (!srv->running)
        return;
    shutdown (srv->fd, SHUT_RDWR);
    pthread_join (srv->thread, NULL);
    close (srv->fd);
    srv->fd = -1;
    srv->running = false;
}

static void
s_server_destroy (s_server_t **srv_p)
{
    s_server_t *srv = *srv_p;
    s_server_stop (srv);
    if (srv->fd >= 0)
        close (srv->fd);        //  Never started
    for (size_t i = 0; i < srv->nroutes; i++) {
        free (srv->routes [i].path);
        free (srv->routes [i].ctype);
        free (srv->routes [i].body);
        free (srv->routes [i].header);
    }
    free (srv);
    *srv_p = NULL;
}

static void
s_route (s_server_t *srv, const char *path, int status, const char *ctype,
         const void *body, size_t size, const char *header)
{
    assert (srv->nroutes < 64);
    s_route_t *r = &srv->routes [srv->nroutes++];
    r->path = strdup (path);
    r->status = status;
    r->ctype = strdup (ctype);
    r->body = (char *) malloc (size + 1);
    memcpy (r->body, body, size);
    r->size = size;
    r->header = header ? strdup (header) : NULL;
}

static char *
s_sha256 (const void *data, size_t size)
{
    unsigned char out [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (out, (const unsigned char *) data, size);
    char hex [crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex (hex, sizeof (hex), out, sizeof (out));
    return zsys_sprintf ("sha256:%s", hex);
}

//  Serves a blob of repo; returns its digest (caller frees).
static char *
s_blob (s_server_t *srv, const char *repo, const void *data, size_t size)
{
    char *digest = s_sha256 (data, size);
    char *path = zsys_sprintf ("/v2/%s/blobs/%s", repo, digest);
    s_route (srv, path, 200, "application/octet-stream", data, size, NULL);
    free (path);
    return digest;
}

//  Serves a manifest or index of repo by digest, and by tag when given;
//  returns its digest (caller frees) and *size.
static char *
s_manifest (s_server_t *srv, const char *repo, const char *tag, json_t *doc, const char *media, size_t *size)
{
    char *text = json_dumps (doc, JSON_COMPACT);
    size_t n = strlen (text);
    char *digest = s_sha256 (text, n);
    char *header = zsys_sprintf ("Docker-Content-Digest: %s", digest);
    char *path = zsys_sprintf ("/v2/%s/manifests/%s", repo, digest);
    s_route (srv, path, 200, media, text, n, header);
    free (path);
    if (tag) {
        path = zsys_sprintf ("/v2/%s/manifests/%s", repo, tag);
        s_route (srv, path, 200, media, text, n, header);
        free (path);
    }
    free (header);
    free (text);
    if (size)
        *size = n;
    return digest;
}

//  Serves an OCI image of repo (under tag when given) made of the layer
//  files (NULL-terminated); returns the manifest digest (caller frees).
static char *
s_image (s_server_t *srv, const char *repo, const char *tag, const char *const *layers, const char *cmd)
{
    json_t *manifest = json_pack ("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
                                  "application/vnd.oci.image.manifest.v1+json", "layers");
    for (size_t i = 0; layers [i]; i++) {
        size_t size;
        char *data = s_slurp (layers [i], &size);
        assert (data);
        char *digest = s_blob (srv, repo, data, size);
        json_array_append_new (json_object_get (manifest, "layers"),
                               json_pack ("{s:s, s:s, s:I}", "mediaType",
                                          "application/vnd.oci.image.layer.v1.tar+gzip",
                                          "digest", digest, "size", (json_int_t) size));
        free (digest);
        free (data);
    }
    json_t *config = json_pack ("{s:s, s:s, s:{s:[s], s:[s], s:s, s:s}, s:{s:s, s:[]}}",
                                "architecture", T_ARCH, "os", "linux",
                                "config", "Cmd", cmd, "Env", "PATH=/bin", "WorkingDir", "/w", "User", "1000",
                                "rootfs", "type", "layers", "diff_ids");
    char *text = json_dumps (config, JSON_COMPACT);
    char *config_digest = s_blob (srv, repo, text, strlen (text));
    json_object_set_new (manifest, "config",
                         json_pack ("{s:s, s:s, s:I}", "mediaType", "application/vnd.oci.image.config.v1+json",
                                    "digest", config_digest, "size", (json_int_t) strlen (text)));
    char *digest = s_manifest (srv, repo, tag, manifest, "application/vnd.oci.image.manifest.v1+json", NULL);
    free (config_digest);
    free (text);
    json_decref (config);
    json_decref (manifest);
    return digest;
}

//  A one-file layer at <dir>/<name>.tar.gz: /<name> containing text.
static char *
s_simple_layer (const char *dir, const char *name, const char *text)
{
    char *path = zsys_sprintf ("%s/%s.tar.gz", dir, name);
    s_ent_t ents [] = {
        { "etc", 'd', 0755, NULL, 0, 0 },
        { "etc/base", 'f', 0644, "base layer\n", 0, 0 },
        { name, 'f', 0644, text, 0, 0 },
        { NULL, 0, 0, NULL, 0, 0 }
    };
    s_layer (path, true, ents);
    return path;
}


//  ==========================================================================
//  References

typedef struct {
    const char *text;
    const char *dflt;
    const char *registry;
    const char *repository;
    const char *tag;
    const char *digest;
    const char *string;
} s_ref_case_t;

CR_TEST (image_ref_parse_table)
{
    const s_ref_case_t cases [] = {
        { "127.0.0.1:5000/busybox:1.35", NULL, "127.0.0.1:5000", "busybox", "1.35", NULL,
          "127.0.0.1:5000/busybox:1.35" },
        { "busybox", "127.0.0.1:5000", "127.0.0.1:5000", "busybox", "latest", NULL,
          "127.0.0.1:5000/busybox:latest" },
        { "busybox", NULL, "docker.io", "library/busybox", "latest", NULL,
          "docker.io/library/busybox:latest" },
        { "busybox:1.35", "reg.local:5000", "reg.local:5000", "busybox", "1.35", NULL,
          "reg.local:5000/busybox:1.35" },
        { "myorg/app:v2", "127.0.0.1:5000", "127.0.0.1:5000", "myorg/app", "v2", NULL,
          "127.0.0.1:5000/myorg/app:v2" },
        { "library/busybox", NULL, "docker.io", "library/busybox", "latest", NULL,
          "docker.io/library/busybox:latest" },
        { "index.docker.io/busybox", NULL, "docker.io", "library/busybox", "latest", NULL,
          "docker.io/library/busybox:latest" },
        { "name@sha256:" T_HEX64, "127.0.0.1:5000", "127.0.0.1:5000", "name", NULL, "sha256:" T_HEX64,
          "127.0.0.1:5000/name@sha256:" T_HEX64 },
        { "reg.example.com/ns/name:tag@sha256:" T_HEX64, NULL, "reg.example.com", "ns/name", "tag",
          "sha256:" T_HEX64, "reg.example.com/ns/name:tag@sha256:" T_HEX64 },
        { "localhost/foo", NULL, "localhost", "foo", "latest", NULL, "localhost/foo:latest" },
        { "localhost:5000/a/b/c:v1.0_x-y", NULL, "localhost:5000", "a/b/c", "v1.0_x-y", NULL,
          "localhost:5000/a/b/c:v1.0_x-y" },
        { "[::1]:5000/busybox:1", NULL, "[::1]:5000", "busybox", "1", NULL, "[::1]:5000/busybox:1" },
        { "Registry.Example.COM/busybox", NULL, "Registry.Example.COM", "busybox", "latest", NULL,
          "Registry.Example.COM/busybox:latest" },
        { "a_b__c-d---e/x.y", "r:1", "r:1", "a_b__c-d---e/x.y", "latest", NULL, "r:1/a_b__c-d---e/x.y:latest" },
        { "busybox:Tag_1.0-X", "r:1", "r:1", "busybox", "Tag_1.0-X", NULL, "r:1/busybox:Tag_1.0-X" },
        { "localhost:5000", NULL, "docker.io", "library/localhost", "5000", NULL,
          "docker.io/library/localhost:5000" },
        { NULL, NULL, NULL, NULL, NULL, NULL, NULL }
    };
    for (const s_ref_case_t *c = cases; c->text; c++) {
        char *error = NULL;
        cr_image_ref_t *ref = cr_image_ref_parse (c->text, c->dflt, &error);
        if (!ref)
            CRT_FAIL ("%s: %s", c->text, error);
        ASSERT_NULL (error);
        ASSERT_STR_EQ (cr_image_ref_registry (ref), c->registry);
        ASSERT_STR_EQ (cr_image_ref_repository (ref), c->repository);
        if (c->tag)
            ASSERT_STR_EQ (cr_image_ref_tag (ref), c->tag);
        else
            ASSERT_NULL (cr_image_ref_tag (ref));
        if (c->digest)
            ASSERT_STR_EQ (cr_image_ref_digest (ref), c->digest);
        else
            ASSERT_NULL (cr_image_ref_digest (ref));
        ASSERT_STR_EQ (cr_image_ref_string (ref), c->string);
        cr_image_ref_destroy (&ref);
        ASSERT_NULL (ref);
    }
    cr_image_ref_t *ref = cr_image_ref_parse ("127.0.0.1:5000/ns/busybox:1", NULL, NULL);
    ASSERT_STR_EQ (cr_image_ref_name (ref), "127.0.0.1:5000/ns/busybox");
    cr_image_ref_destroy (&ref);
    cr_image_ref_destroy (&ref);        //  NULL-safe
}

CR_TEST (image_ref_parse_errors)
{
    char long_tag [200];
    memset (long_tag, 'a', sizeof (long_tag));
    memcpy (long_tag, "busybox:", 8);
    long_tag [8 + 129] = 0;
    char long_name [300];
    memset (long_name, 'a', sizeof (long_name));
    long_name [299] = 0;
    const struct { const char *text; const char *detail; } cases [] = {
        { "", ": empty reference" },
        { "BusyBox", ": repository name must be lowercase" },
        { "127.0.0.1:5000/BusyBox:1", ": repository name must be lowercase" },
        { "busybox:", "" },
        { "busybox:-bad", "" },
        { "busybox:1.35:extra", "" },
        { "busybox@sha256:abc", ": invalid digest" },
        { "busybox@sha512:" T_HEX64 T_HEX64, ": unsupported digest algorithm (only sha256)" },
        { "busybox@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", ": invalid digest" },
        { "busy box", "" },
        { "busybox\n", "" },
        { "busybox//x", "" },
        { "/busybox", "" },
        { "busybox/", "" },
        { "a..b", "" },
        { "-busybox", "" },
        { "busybox-", "" },
        { "reg.example.com:abc/busybox", ": invalid registry" },
        { "reg_x.example.com/busybox", ": invalid registry" },
        { "http://reg/busybox", ": invalid registry" },
        { T_HEX64, ": cannot specify 64-byte hexadecimal strings" },
        { long_tag, "" },
        { long_name, ": repository name must not be more than 255 characters" },
        { NULL, NULL }
    };
    for (size_t i = 0; cases [i].text; i++) {
        char *error = NULL;
        cr_image_ref_t *ref = cr_image_ref_parse (cases [i].text, "127.0.0.1:5000", &error);
        if (ref)
            CRT_FAIL ("\"%s\" parsed as %s", cases [i].text, cr_image_ref_string (ref));
        char *want = zsys_sprintf ("couldn't parse image reference \"%s\": invalid reference format%s",
                                   cases [i].text, cases [i].detail);
        ASSERT_STR_EQ (error, want);
        free (want);
        free (error);
    }
    //  A bad default registry is an error too; NULL text and error are fine.
    char *error = NULL;
    ASSERT_NULL (cr_image_ref_parse ("busybox", "bad_host!", &error));
    ASSERT_STR_EQ (error, "couldn't parse image reference \"busybox\": invalid reference format: "
                          "invalid default registry");
    free (error);
    ASSERT_NULL (cr_image_ref_parse (NULL, NULL, NULL));
}

CR_TEST (image_policy_parse)
{
    ASSERT_EQ (cr_image_policy_parse (NULL, "busybox"), CR_IMAGE_PULL_ALWAYS);
    ASSERT_EQ (cr_image_policy_parse ("", "busybox:latest"), CR_IMAGE_PULL_ALWAYS);
    ASSERT_EQ (cr_image_policy_parse (NULL, "127.0.0.1:5000/busybox:1.35"), CR_IMAGE_PULL_IF_NOT_PRESENT);
    ASSERT_EQ (cr_image_policy_parse (NULL, "busybox@sha256:" T_HEX64), CR_IMAGE_PULL_IF_NOT_PRESENT);
    ASSERT_EQ (cr_image_policy_parse (NULL, "Bad Name"), CR_IMAGE_PULL_IF_NOT_PRESENT);
    ASSERT_EQ (cr_image_policy_parse ("Always", "busybox:1"), CR_IMAGE_PULL_ALWAYS);
    ASSERT_EQ (cr_image_policy_parse ("IfNotPresent", "busybox"), CR_IMAGE_PULL_IF_NOT_PRESENT);
    ASSERT_EQ (cr_image_policy_parse ("Never", "busybox"), CR_IMAGE_PULL_NEVER);
    ASSERT_EQ (cr_image_policy_parse ("always", "busybox"), -1);
    ASSERT_EQ (cr_image_policy_parse ("Sometimes", "busybox"), -1);
    ASSERT_STR_EQ (cr_image_reason (CR_IMAGE_E_INVALID_NAME), "InvalidImageName");
    ASSERT_STR_EQ (cr_image_reason (CR_IMAGE_E_NEVER_PULL), "ErrImageNeverPull");
    ASSERT_STR_EQ (cr_image_reason (CR_IMAGE_E_NOT_FOUND), "ErrImagePull");
    ASSERT_STR_EQ (cr_image_reason (CR_IMAGE_E_DIGEST_MISMATCH), "ErrImagePull");
    ASSERT_STR_EQ (cr_image_errname (CR_IMAGE_E_DIGEST_MISMATCH), "DIGEST_MISMATCH");
    ASSERT_STR_EQ (cr_image_errname (0), "OK");
}


//  ==========================================================================
//  Layers

CR_TEST (image_unpack_whiteouts)
{
    char *dir = s_scratch ();
    char *error = NULL;
    s_ent_t lower [] = {
        { "a", 'f', 0644, "a\n", 0, 0 },
        { "keep", 'f', 0644, "keep\n", 0, 0 },
        { "d", 'd', 0755, NULL, 0, 0 },
        { "d/x", 'f', 0644, "x\n", 0, 0 },
        { "d/y", 'f', 0644, "y\n", 0, 0 },
        { "gone", 'd', 0755, NULL, 0, 0 },
        { "gone/deep", 'd', 0755, NULL, 0, 0 },
        { "gone/deep/file", 'f', 0644, "f\n", 0, 0 },
        { "o", 'd', 0755, NULL, 0, 0 },
        { "o/1", 'f', 0644, "1\n", 0, 0 },
        { "o/sub", 'd', 0755, NULL, 0, 0 },
        { "o/sub/2", 'f', 0644, "2\n", 0, 0 },
        { "o/kept", 'd', 0755, NULL, 0, 0 },
        { "o/kept/old", 'f', 0644, "old\n", 0, 0 },
        { "lnk", 'l', 0777, "/etc/passwd", 0, 0 },
        { NULL, 0, 0, NULL, 0, 0 }
    };
    ASSERT_EQ (s_apply (dir, "l1.tar.gz", true, lower, &error), 0);
    ASSERT_NULL (error);
    //  The upper layer: plain whiteouts (a file, a symlink, a whole tree,
    //  a file in a folder), an opaque folder with entries of its own on
    //  both sides of the marker, and aufs bookkeeping that is ignored.
    s_ent_t upper [] = {
        { ".wh.a", 'f', 0, "", 0, 0 },
        { "./.wh.lnk", 'f', 0, "", 0, 0 },
        { "/.wh.gone", 'f', 0, "", 0, 0 },
        { "d/.wh.x", 'f', 0, "", 0, 0 },
        { "o", 'd', 0750, NULL, 0, 0 },
        { "o/kept", 'd', 0755, NULL, 0, 0 },
        { "o/kept/new-before", 'f', 0644, "nb\n", 0, 0 },
        { "o/.wh..wh..opq", 'f', 0, "", 0, 0 },
        { "o/new", 'f', 0644, "new\n", 0, 0 },
        { ".wh..wh.plnk", 'd', 0700, NULL, 0, 0 },
        { ".wh.never-existed", 'f', 0, "", 0, 0 },
        { NULL, 0, 0, NULL, 0, 0 }
    };
    ASSERT_EQ (s_apply (dir, "l2.tar.gz", true, upper, &error), 0);
    ASSERT_NULL (error);
    char *rootfs = zsys_sprintf ("%s/rootfs", dir);
    ASSERT_FALSE (s_exists (rootfs, "a"));
    ASSERT_FALSE (s_exists (rootfs, "lnk"));
    ASSERT_FALSE (s_exists (rootfs, "gone"));
    ASSERT_FALSE (s_exists (rootfs, "d/x"));
    ASSERT_FALSE (s_exists (rootfs, ".wh.a"));
    ASSERT_FALSE (s_exists (rootfs, "d/.wh.x"));
    ASSERT_FALSE (s_exists (rootfs, ".wh..wh.plnk"));
    ASSERT_FALSE (s_exists (rootfs, "o/.wh..wh..opq"));
    char *text = s_read (rootfs, "d/y");
    ASSERT_STR_EQ (text, "y\n");
    free (text);
    text = s_read (rootfs, "keep");
    ASSERT_STR_EQ (text, "keep\n");
    free (text);
    //  Opaque: nothing of the lower layer under o/, all of this layer's
    ASSERT_FALSE (s_exists (rootfs, "o/1"));
    ASSERT_FALSE (s_exists (rootfs, "o/sub"));
    ASSERT_FALSE (s_exists (rootfs, "o/kept/old"));
    ASSERT_TRUE (s_exists (rootfs, "o/kept/new-before"));
    text = s_read (rootfs, "o/new");
    ASSERT_STR_EQ (text, "new\n");
    free (text);
    ASSERT_EQ (s_lstat (rootfs, "o").st_mode & 07777, 0750);
    ASSERT_EQ (s_count_entries (rootfs), 3);             //  keep, d, o
    char *o = zsys_sprintf ("%s/o", rootfs);
    ASSERT_EQ (s_count_entries (o), 2);                 //  kept, new
    free (o);
    free (rootfs);
    s_scratch_remove (&dir);
}

CR_TEST (image_unpack_opaque_root_and_replacements)
{
    char *dir = s_scratch ();
    char *error = NULL;
    s_ent_t l1 [] = {
        { "f2d", 'f', 0644, "file\n", 0, 0 },
        { "d2f", 'd', 0755, NULL, 0, 0 },
        { "d2f/inner", 'f', 0644, "inner\n", 0, 0 },
        { "l2f", 'l', 0777, "f2d", 0, 0 },
        { "shared", 'f', 0644, "shared\n", 0, 0 },
        { "twin", 'h', 0, "shared", 0, 0 },
        { NULL, 0, 0, NULL, 0, 0 }
    };
    ASSERT_EQ (s_apply (dir, "l1.tar", false, l1, &error), 0);
    char *rootfs = zsys_sprintf ("%s/rootfs", dir);
    ASSERT_EQ (s_lstat (rootfs, "twin").st_ino, s_lstat (rootfs, "shared").st_ino);
    //  Each entry replaces what was there; rewriting one name of a
    //  hardlinked pair leaves the other name's contents alone.
    s_ent_t l2 [] = {
        { "f2d", 'd', 0711, NULL, 0, 0 },
        { "f2d/now-a-folder", 'f', 0644, "x\n", 0, 0 },
        { "d2f", 'f', 0600, "now a file\n", 0, 0 },
        { "l2f", 'f', 0644, "no longer a link\n", 0, 0 },
        { "shared", 'f', 0644, "rewritten\n", 0, 0 },
        { NULL, 0, 0, NULL, 0, 0 }
    };
    ASSERT_EQ (s_apply (dir, "l2.tar", false, l2, &error), 0);
    ASSERT_NULL (error);
    ASSERT_TRUE (S_ISDIR (s_lstat (rootfs, "f2d").st_mode));
    ASSERT_EQ (s_lstat (rootfs, "f2d").st_mode & 07777, 0711);
    ASSERT_TRUE (S_ISREG (s_lstat (rootfs, "d2f").st_mode));
    ASSERT_EQ (s_lstat (rootfs, "d2f").st_mode & 07777, 0600);
    ASSERT_TRUE (S_ISREG (s_lstat (rootfs, "l2f").st_mode));
    char *text = s_read (rootfs, "twin");
    ASSERT_STR_EQ (text, "shared\n");
    free (text);
    text = s_read (rootfs, "shared");
    ASSERT_STR_EQ (text, "rewritten\n");
    free (text);
    //  An opaque marker at the root hides every lower entry.
    s_ent_t l3 [] = {
        { ".wh..wh..opq", 'f', 0, "", 0, 0 },
        { "only", 'f', 0644, "only\n", 0, 0 },
        { NULL, 0, 0, NULL, 0, 0 }
    };
    ASSERT_EQ (s_apply (dir, "l3.tar", false, l3, &error), 0);
    ASSERT_EQ (s_count_entries (rootfs), 1);
    ASSERT_TRUE (s_exists (rootfs, "only"));
    free (rootfs);
    s_scratch_remove (&dir);
}

CR_TEST (image_unpack_preserves_metadata)
{
    char *dir = s_scratch ();
    char *error = NULL;
    s_ent_t ents [] = {
        { "./", 'd', 0700, NULL, 0, 0 },
        { "./bin/", 'd', 0750, NULL, 1234, 5678 },
        { "./bin/tool", 'f', 04755, "#!/bin/sh\n", 1234, 5678 },
        { "./bin/sh", 'l', 0777, "../bin/tool", 0, 0 },
        { "./bin/abs", 'l', 0777, "/etc/shadow", 0, 0 },
        { "./bin/tool2", 'h', 0, "bin/tool", 0, 0 },
        { "./data//nested/./file", 'f', 0640, "deep\n", 42, 43 },
        { NULL, 0, 0, NULL, 0, 0 }
    };
    ASSERT_EQ (s_apply (dir, "layer.tar.gz", true, ents, &error), 0);
    ASSERT_NULL (error);
    char *rootfs = zsys_sprintf ("%s/rootfs", dir);
    struct stat st = s_lstat (rootfs, "bin");
    ASSERT_EQ (st.st_mode & 07777, 0750);
    if (geteuid () == 0) {
        ASSERT_EQ (st.st_uid, 1234);
        ASSERT_EQ (st.st_gid, 5678);
    }
    st = s_lstat (rootfs, "bin/tool");
    ASSERT_TRUE (S_ISREG (st.st_mode));
    if (geteuid () == 0) {
        ASSERT_EQ (st.st_mode & 07777, 04755);
        ASSERT_EQ (st.st_uid, 1234);
    }
    ASSERT_EQ (st.st_mtime, 1700000000);
    ASSERT_EQ (st.st_nlink, 2);
    ASSERT_EQ (s_lstat (rootfs, "bin/tool2").st_ino, st.st_ino);
    char target [256];
    char *path = zsys_sprintf ("%s/bin/sh", rootfs);
    ssize_t n = readlink (path, target, sizeof (target) - 1);
    ASSERT_TRUE (n > 0);
    target [n] = 0;
    ASSERT_STR_EQ (target, "../bin/tool");
    free (path);
    path = zsys_sprintf ("%s/bin/abs", rootfs);
    n = readlink (path, target, sizeof (target) - 1);
    ASSERT_TRUE (n > 0);
    target [n] = 0;
    ASSERT_STR_EQ (target, "/etc/shadow");
    free (path);
    st = s_lstat (rootfs, "data/nested/file");
    ASSERT_EQ (st.st_mode & 07777, 0640);
    if (geteuid () == 0)
        ASSERT_EQ (st.st_gid, 43);
    //  The root entry does not change the rootfs folder itself.
    ASSERT_EQ (s_lstat (dir, "rootfs").st_mode & 07777, 0755);
    free (rootfs);
    s_scratch_remove (&dir);
}

CR_TEST (image_unpack_refuses_escapes)
{
    char *dir = s_scratch ();
    char *outside = zsys_sprintf ("%s/outside", dir);
    ASSERT_EQ (mkdir (outside, 0755), 0);
    char *victim = zsys_sprintf ("%s/victim", outside);
    s_write (victim, "precious\n");
    char *error = NULL;

    //  A symlink to a folder outside is fine as a link...
    char *link_target = zsys_sprintf ("%s", outside);
    s_ent_t base [] = {
        { "lnk", 'l', 0777, link_target, 0, 0 },
        { "rel", 'l', 0777, "../outside", 0, 0 },
        { NULL, 0, 0, NULL, 0, 0 }
    };
    ASSERT_EQ (s_apply (dir, "base.tar", false, base, &error), 0);
    //  ...but nothing is written, linked or removed through it.
    const struct { s_ent_t ent; const char *fragment; } bad [] = {
        { { "../escape", 'f', 0644, "x", 0, 0 }, "escapes the rootfs" },
        { { "a/../../escape", 'f', 0644, "x", 0, 0 }, "escapes the rootfs" },
        { { "lnk/evil", 'f', 0644, "x", 0, 0 }, "goes through a symbolic link" },
        { { "rel/evil", 'f', 0644, "x", 0, 0 }, "goes through a symbolic link" },
        { { "lnk/victim", 'f', 0644, "overwritten", 0, 0 }, "goes through a symbolic link" },
        { { "lnk/.wh.victim", 'f', 0, "", 0, 0 }, "goes through a symbolic link" },
        { { "lnk/.wh..wh..opq", 'f', 0, "", 0, 0 }, "goes through a symbolic link" },
        { { "hl", 'h', 0, "lnk/victim", 0, 0 }, "goes through a symbolic link" },
        { { "hl", 'h', 0, "../outside/victim", 0, 0 }, "escapes the rootfs" },
        { { ".wh...", 'f', 0, "", 0, 0 }, "invalid whiteout" },
        { { NULL, 0, 0, NULL, 0, 0 }, NULL }
    };
    for (size_t i = 0; bad [i].ent.name; i++) {
        s_ent_t ents [] = { bad [i].ent, { NULL, 0, 0, NULL, 0, 0 } };
        int rc = s_apply (dir, "bad.tar", false, ents, &error);
        if (rc != CR_IMAGE_E_BAD_IMAGE || !error || !strstr (error, bad [i].fragment))
            CRT_FAIL ("%s: rc %d error %s", bad [i].ent.name, rc, error ? error : "(null)");
        free (error);
        error = NULL;
        char *text = s_slurp (victim, NULL);
        ASSERT_STR_EQ (text, "precious\n");
        free (text);
        ASSERT_EQ (s_count_entries (outside), 1);
        ASSERT_FALSE (s_exists (dir, "escape"));
    }
    //  Not a tar at all, and a missing file
    char *garbage = zsys_sprintf ("%s/garbage", dir);
    s_write (garbage, "this is not a tar archive, not even close; it is long enough to be sniffed\n");
    char *rootfs = zsys_sprintf ("%s/rootfs", dir);
    ASSERT_EQ (cr_image_unpack_layer (rootfs, garbage, &error), CR_IMAGE_E_BAD_IMAGE);
    ASSERT_NOT_NULL (error);
    free (error);
    char *missing = zsys_sprintf ("%s/missing", dir);
    ASSERT_EQ (cr_image_unpack_layer (rootfs, missing, &error), CR_IMAGE_E_BAD_IMAGE);
    ASSERT_TRUE (strstr (error, "cannot open layer") != NULL);
    free (error);
    ASSERT_EQ (cr_image_unpack_layer (missing, garbage, &error), CR_IMAGE_E_IO);
    ASSERT_TRUE (strstr (error, "is not a folder") != NULL);
    free (error);
    //  An empty file is an empty layer.
    char *empty = zsys_sprintf ("%s/empty", dir);
    s_write (empty, "");
    ASSERT_EQ (cr_image_unpack_layer (rootfs, empty, &error), 0);
    free (empty);
    free (missing);
    free (rootfs);
    free (garbage);
    free (link_target);
    free (victim);
    free (outside);
    s_scratch_remove (&dir);
}

CR_TEST (image_digest_file)
{
    char *dir = s_scratch ();
    char *path = zsys_sprintf ("%s/abc", dir);
    s_write (path, "abc");
    char *digest = cr_image_digest_file (path);
    ASSERT_STR_EQ (digest, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    free (digest);
    free (path);
    path = zsys_sprintf ("%s/none", dir);
    ASSERT_NULL (cr_image_digest_file (path));
    free (path);
    s_scratch_remove (&dir);
}


//  ==========================================================================
//  Pulls

CR_TEST (image_pull_tag_cache_and_policies)
{
    char *dir = s_scratch ();
    s_server_t *srv = s_server_new ();
    char *l1 = s_simple_layer (dir, "one", "1\n");
    char *path = zsys_sprintf ("%s/l2.tar.gz", dir);
    s_ent_t wh [] = { { "etc/.wh.base", 'f', 0, "", 0, 0 }, { "two", 'f', 0644, "2\n", 0, 0 },
                      { NULL, 0, 0, NULL, 0, 0 } };
    s_layer (path, true, wh);
    const char *layers [] = { l1, path, NULL };
    char *digest = s_image (srv, "app", "v1", layers, "/two");
    s_server_start (srv);

    char *root = zsys_sprintf ("%s/store", dir);
    cr_image_t *store = cr_image_new (root, srv->host);
    ASSERT_NOT_NULL (store);
    json_t *result = NULL;
    char *error = NULL;
    //  Never with an empty store
    ASSERT_EQ (cr_image_pull (store, "app:v1", CR_IMAGE_PULL_NEVER, &result, &error), CR_IMAGE_E_NEVER_PULL);
    ASSERT_STR_EQ (error, "Container image \"app:v1\" is not present with pull policy of Never");
    ASSERT_NULL (result);
    ASSERT_EQ (srv->requests, 0);
    free (error);

    ASSERT_EQ (cr_image_pull (store, "app:v1", CR_IMAGE_PULL_IF_NOT_PRESENT, &result, &error), 0);
    ASSERT_NULL (error);
    ASSERT_STR_EQ (json_string_value (json_object_get (result, "digest")), digest);
    char *want = zsys_sprintf ("%s/app:v1", srv->host);
    ASSERT_STR_EQ (json_string_value (json_object_get (result, "image")), want);
    free (want);
    want = zsys_sprintf ("%s/app@%s", srv->host, digest);
    ASSERT_STR_EQ (json_string_value (json_object_get (result, "imageID")), want);
    free (want);
    char *real = realpath (root, NULL);
    char *rootfs = zsys_sprintf ("%s/images/%s/rootfs", real, digest + 7);
    ASSERT_STR_EQ (json_string_value (json_object_get (result, "rootfs")), rootfs);
    ASSERT_JSON_EQ (json_object_get (result, "config"),
                    "{\"Cmd\": [\"/two\"], \"Env\": [\"PATH=/bin\"], \"WorkingDir\": \"/w\", \"User\": \"1000\"}");
    ASSERT_TRUE (json_is_true (json_object_get (result, "pulled")));
    ASSERT_TRUE (json_integer_value (json_object_get (result, "size")) > 0);
    //  The layers were applied in order, with the whiteout.
    ASSERT_TRUE (s_exists (rootfs, "one"));
    ASSERT_TRUE (s_exists (rootfs, "two"));
    ASSERT_TRUE (s_exists (rootfs, "etc"));
    ASSERT_FALSE (s_exists (rootfs, "etc/base"));
    ASSERT_FALSE (s_exists (rootfs, "etc/.wh.base"));
    json_decref (result);
    int served = srv->requests;
    ASSERT_EQ (served, 4);              //  manifest, config, two layers and nothing else
    //  Nothing is left in flight.
    char *tmp = zsys_sprintf ("%s/tmp", root);
    ASSERT_EQ (s_count_entries (tmp), 0);

    //  IfNotPresent and Never use the store without the network...
    ASSERT_EQ (cr_image_pull (store, "app:v1", CR_IMAGE_PULL_IF_NOT_PRESENT, &result, &error), 0);
    ASSERT_TRUE (json_is_false (json_object_get (result, "pulled")));
    json_decref (result);
    char *by_digest = zsys_sprintf ("app@%s", digest);
    ASSERT_EQ (cr_image_pull (store, by_digest, CR_IMAGE_PULL_NEVER, &result, &error), 0);
    ASSERT_STR_EQ (json_string_value (json_object_get (result, "digest")), digest);
    json_decref (result);
    ASSERT_EQ (srv->requests, served);
    //  ...Always resolves the manifest again but reuses everything else.
    ASSERT_EQ (cr_image_pull (store, "app:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), 0);
    ASSERT_TRUE (json_is_true (json_object_get (result, "pulled")));
    json_decref (result);
    ASSERT_EQ (srv->requests, served + 1);

    //  Registry gone: the store still answers IfNotPresent, a reopened
    //  store too (refs.json), but Always fails with a clear message.
    s_server_stop (srv);
    cr_image_destroy (&store);
    store = cr_image_new (root, srv->host);
    ASSERT_EQ (cr_image_pull (store, "app:v1", CR_IMAGE_PULL_IF_NOT_PRESENT, &result, &error), 0);
    json_decref (result);
    ASSERT_EQ (cr_image_pull (store, "app:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_UNREACHABLE);
    ASSERT_NULL (result);
    want = zsys_sprintf ("failed to pull image \"app:v1\": registry %s unreachable: ", srv->host);
    ASSERT_TRUE (strncmp (error, want, strlen (want)) == 0);
    free (want);
    free (error);
    ASSERT_EQ (cr_image_pull (store, "app:v2", CR_IMAGE_PULL_IF_NOT_PRESENT, &result, &error),
               CR_IMAGE_E_UNREACHABLE);
    free (error);
    //  Bad names never reach the network.
    ASSERT_EQ (cr_image_pull (store, "App:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_INVALID_NAME);
    ASSERT_STR_EQ (error, "couldn't parse image reference \"App:v1\": invalid reference format: "
                          "repository name must be lowercase");
    free (error);

    json_t *list = cr_image_list (store);
    char *name1 = zsys_sprintf ("%s/app:v1", srv->host);
    char *name2 = zsys_sprintf ("%s/app@%s", srv->host, digest);
    ASSERT_EQ (json_array_size (list), 1);
    json_t *names = json_object_get (json_array_get (list, 0), "names");
    ASSERT_EQ (json_array_size (names), 2);
    ASSERT_STR_EQ (json_string_value (json_array_get (names, 0)), name1);
    ASSERT_STR_EQ (json_string_value (json_array_get (names, 1)), name2);
    ASSERT_TRUE (json_integer_value (json_object_get (json_array_get (list, 0), "sizeBytes")) > 0);
    json_decref (list);
    free (name1);
    free (name2);
    cr_image_destroy (&store);
    cr_image_destroy (&store);
    free (by_digest);
    free (tmp);
    free (rootfs);
    free (real);
    free (root);
    free (digest);
    free (path);
    free (l1);
    s_server_destroy (&srv);
    s_scratch_remove (&dir);
}

CR_TEST (image_pull_index_picks_platform)
{
    char *dir = s_scratch ();
    s_server_t *srv = s_server_new ();
    char *l_this = s_simple_layer (dir, "this-arch", "yes\n");
    char *l_other = s_simple_layer (dir, "other-arch", "no\n");
    const char *this_layers [] = { l_this, NULL };
    const char *other_layers [] = { l_other, NULL };
    char *this_digest = s_image (srv, "multi", NULL, this_layers, "/this");
    char *other_digest = s_image (srv, "multi", NULL, other_layers, "/other");
    //  An OCI index (with an attestation-like entry) and a Docker
    //  manifest list, both listing the other architecture first.
    json_t *index = json_pack ("{s:i, s:s, s:[{s:s, s:s, s:i, s:{s:s, s:s}},"
                                          " {s:s, s:s, s:i, s:{s:s, s:s}},"
                                          " {s:s, s:s, s:i, s:{s:s, s:s}}]}",
                               "schemaVersion", 2, "mediaType", "application/vnd.oci.image.index.v1+json",
                               "manifests",
                               "mediaType", "application/vnd.oci.image.manifest.v1+json",
                               "digest", other_digest, "size", 1,
                               "platform", "architecture", T_OTHER, "os", "linux",
                               "mediaType", "application/vnd.oci.image.manifest.v1+json",
                               "digest", other_digest, "size", 1,
                               "platform", "architecture", "unknown", "os", "unknown",
                               "mediaType", "application/vnd.oci.image.manifest.v1+json",
                               "digest", this_digest, "size", 1,
                               "platform", "architecture", T_ARCH, "os", "linux");
    char *index_digest = s_manifest (srv, "multi", "oci", index, "application/vnd.oci.image.index.v1+json", NULL);
    json_object_set_new (index, "mediaType",
                         json_string ("application/vnd.docker.distribution.manifest.list.v2+json"));
    char *list_digest = s_manifest (srv, "multi", "docker", index,
                                    "application/vnd.docker.distribution.manifest.list.v2+json", NULL);
    json_t *none = json_pack ("{s:i, s:s, s:[{s:s, s:s, s:i, s:{s:s, s:s}}]}",
                              "schemaVersion", 2, "mediaType", "application/vnd.oci.image.index.v1+json",
                              "manifests", "mediaType", "application/vnd.oci.image.manifest.v1+json",
                              "digest", other_digest, "size", 1,
                              "platform", "architecture", T_OTHER, "os", "linux");
    char *none_digest = s_manifest (srv, "multi", "none", none, "application/vnd.oci.image.index.v1+json", NULL);
    s_server_start (srv);

    char *root = zsys_sprintf ("%s/store", dir);
    cr_image_t *store = cr_image_new (root, srv->host);
    json_t *result = NULL;
    char *error = NULL;
    ASSERT_EQ (cr_image_pull (store, "multi:oci", CR_IMAGE_PULL_IF_NOT_PRESENT, &result, &error), 0);
    ASSERT_STR_EQ (json_string_value (json_object_get (result, "digest")), this_digest);
    ASSERT_JSON_EQ (json_object_get (json_object_get (result, "config"), "Cmd"), "[\"/this\"]");
    ASSERT_TRUE (s_exists (json_string_value (json_object_get (result, "rootfs")), "this-arch"));
    json_decref (result);
    ASSERT_EQ (cr_image_pull (store, "multi:docker", CR_IMAGE_PULL_ALWAYS, &result, &error), 0);
    ASSERT_STR_EQ (json_string_value (json_object_get (result, "digest")), this_digest);
    json_decref (result);
    //  The index digest is remembered for offline use.
    char *by_index = zsys_sprintf ("multi@%s", index_digest);
    ASSERT_EQ (cr_image_pull (store, by_index, CR_IMAGE_PULL_ALWAYS, &result, &error), 0);
    json_decref (result);
    s_server_stop (srv);
    ASSERT_EQ (cr_image_pull (store, by_index, CR_IMAGE_PULL_NEVER, &result, &error), 0);
    ASSERT_STR_EQ (json_string_value (json_object_get (result, "digest")), this_digest);
    json_decref (result);
    s_server_destroy (&srv);

    //  No entry for this platform
    srv = s_server_new ();
    char *d = s_manifest (srv, "multi", "none", none, "application/vnd.oci.image.index.v1+json", NULL);
    s_server_start (srv);
    cr_image_destroy (&store);
    store = cr_image_new (root, srv->host);
    ASSERT_EQ (cr_image_pull (store, "multi:none", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_BAD_IMAGE);
    ASSERT_STR_EQ (error, "failed to pull image \"multi:none\": no matching manifest for linux/" T_ARCH
                          " in the manifest list entries");
    free (error);
    cr_image_destroy (&store);
    free (d);
    free (by_index);
    free (root);
    json_decref (index);
    json_decref (none);
    free (none_digest);
    free (list_digest);
    free (index_digest);
    free (this_digest);
    free (other_digest);
    free (l_this);
    free (l_other);
    s_server_destroy (&srv);
    s_scratch_remove (&dir);
}

CR_TEST (image_pull_digest_mismatch)
{
    char *dir = s_scratch ();
    s_server_t *srv = s_server_new ();
    char *layer = s_simple_layer (dir, "one", "1\n");
    const char *layers [] = { layer, NULL };
    char *digest = s_image (srv, "app", "v1", layers, "/one");
    //  The layer route now serves other bytes of the same size.
    s_route_t *blob = NULL;
    for (size_t i = 0; i < srv->nroutes; i++)
        if (strstr (srv->routes [i].path, "/blobs/") && srv->routes [i].size > 100)
            blob = &srv->routes [i];
    ASSERT_NOT_NULL (blob);
    char *layer_digest = strdup (strstr (blob->path, "sha256:"));
    blob->body [blob->size / 2] ^= 0x55;
    //  A manifest whose Docker-Content-Digest header lies, and one asked
    //  for by a digest its content does not have.
    json_t *doc = json_pack ("{s:i, s:s, s:{s:s, s:s, s:i}, s:[]}", "schemaVersion", 2,
                             "mediaType", "application/vnd.oci.image.manifest.v1+json",
                             "config", "mediaType", "application/vnd.oci.image.config.v1+json",
                             "digest", "sha256:" T_HEX64, "size", 2, "layers");
    char *text = json_dumps (doc, JSON_COMPACT);
    s_route (srv, "/v2/app/manifests/liar", 200, "application/vnd.oci.image.manifest.v1+json",
             text, strlen (text), "Docker-Content-Digest: sha256:" T_HEX64);
    s_route (srv, "/v2/app/manifests/sha256:" T_HEX64, 200, "application/vnd.oci.image.manifest.v1+json",
             text, strlen (text), NULL);
    //  A config blob longer than its descriptor says
    s_route (srv, "/v2/app/manifests/long", 200, "application/vnd.oci.image.manifest.v1+json",
             text, strlen (text), NULL);
    s_route (srv, "/v2/app/blobs/sha256:" T_HEX64, 200, "application/octet-stream", "{} and more", 11, NULL);
    s_server_start (srv);

    char *root = zsys_sprintf ("%s/store", dir);
    cr_image_t *store = cr_image_new (root, srv->host);
    json_t *result = NULL;
    char *error = NULL;
    ASSERT_EQ (cr_image_pull (store, "app:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_DIGEST_MISMATCH);
    ASSERT_NULL (result);
    char *want = zsys_sprintf ("failed to pull image \"app:v1\": digest mismatch for blob %s: content is sha256:",
                               layer_digest);
    ASSERT_TRUE (strncmp (error, want, strlen (want)) == 0);
    free (want);
    free (error);
    //  Nothing of it is kept: no image, no tampered blob, nothing in tmp.
    char *path = zsys_sprintf ("%s/images", root);
    ASSERT_EQ (s_count_entries (path), 0);
    free (path);
    path = zsys_sprintf ("%s/blobs/sha256/%s", root, layer_digest + 7);
    ASSERT_FALSE (s_exists (path, ""));
    free (path);
    path = zsys_sprintf ("%s/tmp", root);
    ASSERT_EQ (s_count_entries (path), 0);
    free (path);
    ASSERT_EQ (cr_image_pull (store, "app:v1", CR_IMAGE_PULL_NEVER, &result, &error), CR_IMAGE_E_NEVER_PULL);
    free (error);

    ASSERT_EQ (cr_image_pull (store, "app:liar", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_DIGEST_MISMATCH);
    ASSERT_TRUE (strstr (error, "digest mismatch for manifest ") && strstr (error, "registry says sha256:" T_HEX64));
    free (error);
    ASSERT_EQ (cr_image_pull (store, "app@sha256:" T_HEX64, CR_IMAGE_PULL_ALWAYS, &result, &error),
               CR_IMAGE_E_DIGEST_MISMATCH);
    want = zsys_sprintf ("failed to pull image \"app@sha256:%s\": digest mismatch for manifest %s/app@sha256:%s: "
                         "content is sha256:", T_HEX64, srv->host, T_HEX64);
    ASSERT_TRUE (strncmp (error, want, strlen (want)) == 0);
    free (want);
    free (error);
    ASSERT_EQ (cr_image_pull (store, "app:long", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_DIGEST_MISMATCH);
    ASSERT_STR_EQ (error, "failed to pull image \"app:long\": blob sha256:" T_HEX64 " is larger than 2 bytes");
    free (error);
    cr_image_destroy (&store);
    free (text);
    json_decref (doc);
    free (layer_digest);
    free (root);
    free (digest);
    free (layer);
    s_server_destroy (&srv);
    s_scratch_remove (&dir);
}

CR_TEST (image_pull_registry_errors)
{
    char *dir = s_scratch ();
    s_server_t *srv = s_server_new ();
    const char *denied = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}";
    s_route (srv, "/v2/private/manifests/v1", 401, "application/json", denied, strlen (denied),
             "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:1/token\"");
    s_route (srv, "/v2/broken/manifests/v1", 500, "text/plain", "oops", 4, NULL);
    s_route (srv, "/v2/notjson/manifests/v1", 200, "application/vnd.oci.image.manifest.v1+json", "{nope", 5, NULL);
    const char *v1 = "{\"schemaVersion\":1,\"name\":\"old\",\"tag\":\"v1\",\"fsLayers\":[]}";
    s_route (srv, "/v2/old/manifests/v1", 200, "application/vnd.docker.distribution.manifest.v1+prettyjws",
             v1, strlen (v1), NULL);
    const char *nolayers = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                           "\"config\":{\"digest\":\"sha256:" T_HEX64 "\",\"size\":2}}";
    s_route (srv, "/v2/nolayers/manifests/v1", 200, "application/vnd.oci.image.manifest.v1+json",
             nolayers, strlen (nolayers), NULL);
    const char *badpath = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                          "\"config\":{\"digest\":\"sha256:../../../etc/passwd\",\"size\":2},\"layers\":[]}";
    s_route (srv, "/v2/badpath/manifests/v1", 200, "application/vnd.oci.image.manifest.v1+json",
             badpath, strlen (badpath), NULL);
    //  A blob served through a redirect, as S3-backed registries do
    char *layer = s_simple_layer (dir, "one", "1\n");
    const char *layers [] = { layer, NULL };
    char *digest = s_image (srv, "redirected", "v1", layers, "/one");
    for (size_t i = 0; i < srv->nroutes; i++) {
        s_route_t *r = &srv->routes [i];
        if (strstr (r->path, "/v2/redirected/blobs/") && r->size > 100) {
            char *moved = zsys_sprintf ("/storage/%s", strstr (r->path, "sha256:"));
            s_route (srv, moved, 200, "application/octet-stream", r->body, r->size, NULL);
            free (r->header);
            r->header = zsys_sprintf ("Location: http://%s%s", srv->host, moved);
            r->status = 307;
            free (moved);
            break;
        }
    }
    s_server_start (srv);

    char *root = zsys_sprintf ("%s/store", dir);
    cr_image_t *store = cr_image_new (root, srv->host);
    json_t *result = NULL;
    char *error = NULL;
    ASSERT_EQ (cr_image_pull (store, "nothere:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_NOT_FOUND);
    char *want = zsys_sprintf ("failed to pull image \"nothere:v1\": manifest unknown: manifest %s/nothere:v1 "
                               "not found (MANIFEST_UNKNOWN: manifest unknown)", srv->host);
    ASSERT_STR_EQ (error, want);
    ASSERT_STR_EQ (cr_image_reason (CR_IMAGE_E_NOT_FOUND), "ErrImagePull");
    free (want);
    free (error);
    ASSERT_EQ (cr_image_pull (store, "private:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_UNAUTHORIZED);
    ASSERT_TRUE (strstr (error, "unauthorized: manifest ") && strstr (error, "HTTP 401 (UNAUTHORIZED: authentication required)"));
    free (error);
    ASSERT_EQ (cr_image_pull (store, "broken:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_REGISTRY);
    ASSERT_TRUE (strstr (error, "HTTP 500") != NULL);
    free (error);
    ASSERT_EQ (cr_image_pull (store, "notjson:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_BAD_IMAGE);
    ASSERT_TRUE (strstr (error, "is not a JSON object") != NULL);
    free (error);
    ASSERT_EQ (cr_image_pull (store, "old:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_BAD_IMAGE);
    ASSERT_TRUE (strstr (error, "Docker schema 1 manifests are not supported") != NULL);
    free (error);
    ASSERT_EQ (cr_image_pull (store, "nolayers:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_BAD_IMAGE);
    ASSERT_TRUE (strstr (error, "no layer list") != NULL);
    free (error);
    ASSERT_EQ (cr_image_pull (store, "badpath:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_BAD_IMAGE);
    ASSERT_TRUE (strstr (error, "no valid config descriptor") != NULL);
    free (error);
    ASSERT_EQ (cr_image_pull (store, "redirected:v1", CR_IMAGE_PULL_ALWAYS, &result, &error), 0);
    ASSERT_STR_EQ (json_string_value (json_object_get (result, "digest")), digest);
    ASSERT_TRUE (s_exists (json_string_value (json_object_get (result, "rootfs")), "one"));
    json_decref (result);
    //  0.0.0.0 reaches this machine but is not a loopback name, so the
    //  store speaks TLS to it, which our plain server cannot answer:
    //  an unreachable registry. Listed as insecure, it is plain HTTP.
    char *other = zsys_sprintf ("0.0.0.0:%d/nothere:v1", srv->port);
    ASSERT_EQ (cr_image_pull (store, other, CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_UNREACHABLE);
    want = zsys_sprintf ("failed to pull image \"%s\": registry 0.0.0.0:%d unreachable: ", other, srv->port);
    ASSERT_TRUE (strncmp (error, want, strlen (want)) == 0);
    free (want);
    free (error);
    char *insecure = zsys_sprintf ("reg.example.com, 0.0.0.0:%d", srv->port);
    cr_image_set_insecure (store, insecure);
    ASSERT_EQ (cr_image_pull (store, other, CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_NOT_FOUND);
    free (error);
    cr_image_set_insecure (store, NULL);
    ASSERT_EQ (cr_image_pull (store, other, CR_IMAGE_PULL_ALWAYS, &result, &error), CR_IMAGE_E_UNREACHABLE);
    free (error);
    free (insecure);
    free (other);
    cr_image_destroy (&store);
    free (root);
    free (digest);
    free (layer);
    s_server_destroy (&srv);
    s_scratch_remove (&dir);
}

typedef struct {
    cr_image_t *store;
    const char *image;
    int rc;
    char *digest;
} s_puller_t;

static void *
s_puller (void *arg)
{
    s_puller_t *p = (s_puller_t *) arg;
    json_t *result = NULL;
    char *error = NULL;
    p->rc = cr_image_pull (p->store, p->image, CR_IMAGE_PULL_ALWAYS, &result, &error);
    if (result)
        p->digest = strdup (json_string_value (json_object_get (result, "digest")));
    json_decref (result);
    free (error);
    return NULL;
}

CR_TEST (image_pull_concurrent_and_gc)
{
    char *dir = s_scratch ();
    s_server_t *srv = s_server_new ();
    char *shared = s_simple_layer (dir, "shared", "s\n");
    char *only_a = s_simple_layer (dir, "only-a", "a\n");
    char *only_b = s_simple_layer (dir, "only-b", "b\n");
    const char *la [] = { shared, only_a, NULL };
    const char *lb [] = { shared, only_b, NULL };
    char *da = s_image (srv, "app", "a", la, "/a");
    char *db = s_image (srv, "app", "b", lb, "/b");
    s_server_start (srv);
    char *root = zsys_sprintf ("%s/store", dir);
    cr_image_t *store = cr_image_new (root, srv->host);

    //  Four threads, two images, each image pulled twice at once
    s_puller_t pullers [4] = {
        { store, "app:a", -100, NULL }, { store, "app:b", -100, NULL },
        { store, "app:a", -100, NULL }, { store, "app:b", -100, NULL }
    };
    pthread_t threads [4];
    for (int i = 0; i < 4; i++)
        ASSERT_EQ (pthread_create (&threads [i], NULL, s_puller, &pullers [i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join (threads [i], NULL);
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ (pullers [i].rc, 0);
        ASSERT_STR_EQ (pullers [i].digest, i % 2 ? db : da);
        free (pullers [i].digest);
    }
    char *images = zsys_sprintf ("%s/images", root);
    char *blobs = zsys_sprintf ("%s/blobs/sha256", root);
    char *tmp = zsys_sprintf ("%s/tmp", root);
    ASSERT_EQ (s_count_entries (images), 2);
    ASSERT_EQ (s_count_entries (blobs), 7);     //  2 manifests, 2 configs, 3 layers
    ASSERT_EQ (s_count_entries (tmp), 0);
    json_t *list = cr_image_list (store);
    ASSERT_EQ (json_array_size (list), 2);
    json_decref (list);

    //  Keep a (named by reference); b, its config, manifest and own layer go.
    const char *keep [] = { "app:a", "sha256:" T_HEX64, "Not A Ref", NULL };
    ASSERT_EQ (cr_image_gc (store, keep), 1);
    ASSERT_EQ (s_count_entries (images), 1);
    ASSERT_EQ (s_count_entries (blobs), 4);
    ASSERT_TRUE (s_exists (images, da + 7));
    json_t *result = NULL;
    char *error = NULL;
    s_server_stop (srv);
    ASSERT_EQ (cr_image_pull (store, "app:a", CR_IMAGE_PULL_NEVER, &result, &error), 0);
    json_decref (result);
    ASSERT_EQ (cr_image_pull (store, "app:b", CR_IMAGE_PULL_NEVER, &result, &error), CR_IMAGE_E_NEVER_PULL);
    free (error);
    //  Keeping by digest works the same; keeping nothing empties the store.
    const char *keep_digest [] = { da, NULL };
    ASSERT_EQ (cr_image_gc (store, keep_digest), 0);
    ASSERT_EQ (s_count_entries (images), 1);
    ASSERT_EQ (cr_image_gc (store, NULL), 1);
    ASSERT_EQ (s_count_entries (images), 0);
    ASSERT_EQ (s_count_entries (blobs), 0);
    char *refs_path = zsys_sprintf ("%s/refs.json", root);
    char *refs = s_slurp (refs_path, NULL);
    ASSERT_STR_EQ (refs, "{}");
    free (refs);
    free (refs_path);
    cr_image_destroy (&store);
    free (images);
    free (blobs);
    free (tmp);
    free (root);
    free (da);
    free (db);
    free (shared);
    free (only_a);
    free (only_b);
    s_server_destroy (&srv);
    s_scratch_remove (&dir);
}

CR_TEST (image_store_open_errors)
{
    char *dir = s_scratch ();
    char *file = zsys_sprintf ("%s/file", dir);
    s_write (file, "x");
    char *under_file = zsys_sprintf ("%s/file/store", dir);
    ASSERT_NULL (cr_image_new (under_file, NULL));
    //  A corrupt refs.json starts afresh; leftovers in tmp are removed.
    char *root = zsys_sprintf ("%s/store", dir);
    cr_image_t *store = cr_image_new (root, NULL);
    ASSERT_NOT_NULL (store);
    cr_image_destroy (&store);
    char *refs = zsys_sprintf ("%s/refs.json", root);
    s_write (refs, "[not an object");
    char *leftover = zsys_sprintf ("%s/tmp/rootfs-dead", root);
    ASSERT_EQ (mkdir (leftover, 0755), 0);
    store = cr_image_new (root, NULL);
    ASSERT_NOT_NULL (store);
    ASSERT_FALSE (s_exists (leftover, ""));
    json_t *list = cr_image_list (store);
    ASSERT_JSON_EQ (list, "[]");
    json_decref (list);
    cr_image_destroy (&store);
    free (leftover);
    free (refs);
    free (root);
    free (under_file);
    free (file);
    s_scratch_remove (&dir);
}


//  A mirror serves a registry's images: the reference keeps its name,
//  the bytes come from the mirror.
CR_TEST (image_pull_through_mirror)
{
    char *dir = s_scratch ();
    s_server_t *srv = s_server_new ();
    char *l1 = s_simple_layer (dir, "one", "1\n");
    const char *layers [] = { l1, NULL };
    char *digest = s_image (srv, "app", "v1", layers, "/one");
    s_server_start (srv);
    char *root = zsys_sprintf ("%s/store", dir);
    cr_image_t *store = cr_image_new (root, "docker.io");
    ASSERT_NOT_NULL (store);
    char *error = NULL;
    //  Malformed maps are refused with the item named; the map stays.
    ASSERT_EQ (cr_image_set_mirrors (store, "127.0.0.1:5000", &error), -1);
    ASSERT_STR_EQ (error, "\"127.0.0.1:5000\" is not REGISTRY=HOST[:PORT]");
    free (error);
    error = NULL;
    ASSERT_EQ (cr_image_set_mirrors (store, "a/b=c:1", &error), -1);
    free (error);
    error = NULL;
    ASSERT_EQ (cr_image_set_mirrors (store, "=c:1", &error), -1);
    free (error);
    error = NULL;
    char *map = zsys_sprintf ("127.0.0.1:5999=%s, registry.example:443=%s", srv->host, srv->host);
    ASSERT_EQ (cr_image_set_mirrors (store, map, &error), 0);
    ASSERT_NULL (error);
    json_t *result = NULL;
    ASSERT_EQ (cr_image_pull (store, "127.0.0.1:5999/app:v1", CR_IMAGE_PULL_IF_NOT_PRESENT, &result, &error), 0);
    ASSERT_STR_EQ (json_string_value (json_object_get (result, "image")), "127.0.0.1:5999/app:v1");
    ASSERT_STR_EQ (json_string_value (json_object_get (result, "digest")), digest);
    ASSERT_TRUE (srv->requests > 0);
    json_decref (result);
    //  An empty map removes the mirrors: 127.0.0.1:5999 itself is not there.
    ASSERT_EQ (cr_image_set_mirrors (store, "", &error), 0);
    ASSERT_EQ (cr_image_pull (store, "127.0.0.1:5999/app:v1", CR_IMAGE_PULL_ALWAYS, &result, &error),
               CR_IMAGE_E_UNREACHABLE);
    ASSERT_NULL (result);
    free (error);
    cr_image_destroy (&store);
    s_server_stop (srv);
    s_server_destroy (&srv);
    free (map);
    free (root);
    free (digest);
    free (l1);
    s_scratch_remove (&dir);
}
