/*  =========================================================================
    cr_seed - the image `corral up` puts in its local registry: busybox
    from Debian's busybox-static, built and pushed without Docker

    A new cluster needs one image a user can run at once, offline. This
    builds it from the host's /bin/busybox (statically linked: nothing
    else is needed inside) the way ENVIRONMENT.md's umoci recipe does,
    but in-process:

        layer   an uncompressed tar (application/vnd.oci.image.layer.v1.tar,
                so its digest is also its diff_id) written with libarchive:
                bin/busybox, one relative symlink per applet at the path
                `busybox --list-full` gives, etc/passwd, etc/group, and
                empty proc sys dev tmp root var/www
        config  OCI image config: architecture from uname, Env PATH,
                Cmd ["sh"], rootfs.diff_ids, history
        push    the distribution API (POST an upload, PUT ?digest= for
                each blob unless HEAD finds it, PUT the manifest under
                each tag), with libcurl

    Why not umoci + skopeo (the tests use them)? `corral up` must work
    with nothing but its own binaries and the registry; and the work is
    small: a tar, two JSON documents and four HTTP requests.
    =========================================================================
*/
#include "cli_classes.h"

//  sha256:<hex> of data. Caller frees.
static char *
s_digest (const void *data, size_t size)
{
    unsigned char hash [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (hash, (const unsigned char *) data, size);
    char hex [crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex (hex, sizeof (hex), hash, sizeof (hash));
    return zsys_sprintf ("sha256:%s", hex);
}

//  libarchive's write callback: appends to a cr_buf_t.
static la_ssize_t
s_tar_write (struct archive *a, void *arg, const void *data, size_t size)
{
    cr_buf_addn ((cr_buf_t *) arg, (const char *) data, size);
    return (la_ssize_t) size;
}

static int
s_tar_close (struct archive *a, void *arg)
{
    return ARCHIVE_OK;
}

//  Adds one entry (a folder, a symlink to target, or a file with data).
static int
s_tar_entry (struct archive *a, const char *path, mode_t type, int mode, const char *target,
             const void *data, size_t size)
{
    struct archive_entry *e = archive_entry_new ();
    archive_entry_set_pathname (e, path);
    archive_entry_set_filetype (e, type);
    archive_entry_set_perm (e, mode);
    archive_entry_set_uid (e, 0);
    archive_entry_set_gid (e, 0);
    archive_entry_set_mtime (e, 0, 0);
    if (target)
        archive_entry_set_symlink (e, target);
    archive_entry_set_size (e, type == AE_IFREG ? (la_int64_t) size : 0);
    int rc = archive_write_header (a, e) == ARCHIVE_OK ? 0 : -1;
    if (rc == 0 && type == AE_IFREG && size
    &&  archive_write_data (a, data, size) != (la_ssize_t) size)
        rc = -1;
    archive_entry_free (e);
    return rc;
}

//  The applets of a busybox binary ("bin/sh", "usr/sbin/httpd", ...), as
//  a new array, or NULL.
static json_t *
s_applets (const char *busybox)
{
    char *cmd = zsys_sprintf ("'%s' --list-full 2>/dev/null", busybox);
    FILE *p = popen (cmd, "r");
    free (cmd);
    if (!p)
        return NULL;
    json_t *list = json_array ();
    char line [512];
    while (fgets (line, sizeof (line), p)) {
        line [strcspn (line, "\r\n")] = 0;
        //  Only plain relative paths; bin/busybox is the file itself.
        if (*line && *line != '/' && !strstr (line, "..") && !streq (line, "bin/busybox"))
            json_array_append_new (list, json_string (line));
    }
    int status = pclose (p);
    if (status != 0 || json_array_size (list) == 0) {
        json_decref (list);
        return NULL;
    }
    return list;
}

//  The layer tar into *out. Returns 0, or -1 with *error.
static int
s_layer (const char *busybox, cr_buf_t *out, char **error)
{
    size_t size = 0;
    char *binary = cr_file_read (busybox, &size);
    json_t *applets = binary ? s_applets (busybox) : NULL;
    if (!applets) {
        *error = zsys_sprintf ("%s is not a working busybox (install busybox-static)", busybox);
        free (binary);
        return -1;
    }
    struct archive *a = archive_write_new ();
    archive_write_set_format_pax_restricted (a);
    archive_write_set_bytes_in_last_block (a, 1);
    archive_write_open (a, out, NULL, s_tar_write, s_tar_close);
    static const char *dirs [] = {
        "bin", "dev", "etc", "proc", "root", "sbin", "sys", "tmp", "usr", "usr/bin", "usr/sbin",
        "var", "var/www", NULL
    };
    int rc = 0;
    for (int i = 0; dirs [i] && rc == 0; i++)
        rc = s_tar_entry (a, dirs [i], AE_IFDIR, streq (dirs [i], "tmp") ? 01777 : 0755, NULL, NULL, 0);
    if (rc == 0)
        rc = s_tar_entry (a, "bin/busybox", AE_IFREG, 0755, NULL, binary, size);
    size_t i;
    json_t *item;
    json_array_foreach (applets, i, item) {
        const char *path = json_string_value (item);
        //  A relative link: "../" per folder level, then bin/busybox.
        cr_buf_t target = { 0 };
        for (const char *c = path; *c; c++)
            if (*c == '/')
                cr_buf_add (&target, "../");
        cr_buf_add (&target, "bin/busybox");
        if (rc == 0)
            rc = s_tar_entry (a, path, AE_IFLNK, 0777, target.data, NULL, 0);
        free (target.data);
    }
    static const char passwd [] = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n";
    static const char group [] = "root:x:0:\nnogroup:x:65534:\n";
    if (rc == 0)
        rc = s_tar_entry (a, "etc/passwd", AE_IFREG, 0644, NULL, passwd, strlen (passwd));
    if (rc == 0)
        rc = s_tar_entry (a, "etc/group", AE_IFREG, 0644, NULL, group, strlen (group));
    if (archive_write_close (a) != ARCHIVE_OK)
        rc = -1;
    if (rc != 0)
        *error = zsys_sprintf ("cannot write the image layer: %s", cr_str_or (archive_error_string (a), "?"));
    archive_write_free (a);
    json_decref (applets);
    free (binary);
    return rc;
}

//  ----  The registry  ------------------------------------------------------

typedef struct {
    char *location;             //  Location header of the last reply
} s_headers_t;

static size_t
s_header (char *data, size_t size, size_t n, void *arg)
{
    s_headers_t *h = (s_headers_t *) arg;
    size_t len = size * n;
    if (len > 9 && strncasecmp (data, "location:", 9) == 0) {
        const char *v = data + 9;
        while (*v == ' ' && v < data + len)
            v++;
        size_t vlen = (size_t) (data + len - v);
        while (vlen && (v [vlen - 1] == '\r' || v [vlen - 1] == '\n'))
            vlen--;
        free (h->location);
        h->location = strndup (v, vlen);
    }
    return len;
}

static size_t
s_body (char *data, size_t size, size_t n, void *arg)
{
    cr_buf_addn ((cr_buf_t *) arg, data, size * n);
    return size * n;
}

//  One request: method on url with an optional body. Returns the HTTP
//  status (0 when the registry could not be reached); the reply's body
//  in *reply when not NULL (caller frees) and its Location in *location.
static long
s_http (const char *method, const char *url, const char *type, const void *body, size_t size,
        char **location, char **reply)
{
    CURL *curl = curl_easy_init ();
    s_headers_t h = { NULL };
    cr_buf_t out = { 0 };
    struct curl_slist *headers = NULL;
    if (type) {
        char *line = zsys_sprintf ("Content-Type: %s", type);
        headers = curl_slist_append (headers, line);
        free (line);
    }
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt (curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &out);
    if (streq (method, "HEAD"))
        curl_easy_setopt (curl, CURLOPT_NOBODY, 1L);
    if (body || streq (method, "PUT") || streq (method, "POST")) {
        curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
    }
    if (headers)
        curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    long code = 0;
    if (curl_easy_perform (curl) == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all (headers);
    curl_easy_cleanup (curl);
    if (location)
        *location = h.location;
    else
        free (h.location);
    if (reply)
        *reply = cr_buf_take (&out);
    else
        free (out.data);
    return code;
}

//  Uploads a blob unless the registry has it. Returns 0 or -1 (*error).
static int
s_push_blob (const char *base, const char *repo, const char *digest, const void *data, size_t size,
             char **error)
{
    char *url = zsys_sprintf ("%s/v2/%s/blobs/%s", base, repo, digest);
    long code = s_http ("HEAD", url, NULL, NULL, 0, NULL, NULL);
    free (url);
    if (code == 200)
        return 0;
    url = zsys_sprintf ("%s/v2/%s/blobs/uploads/", base, repo);
    char *location = NULL;
    code = s_http ("POST", url, NULL, NULL, 0, &location, NULL);
    free (url);
    if (code != 202 || !location) {
        *error = zsys_sprintf ("registry %s refused an upload (HTTP %ld)", base, code);
        free (location);
        return -1;
    }
    //  The Location may be relative, and may carry a query already.
    char *put = zsys_sprintf ("%s%s%sdigest=%s", location [0] == '/' ? base : "", location,
                              strchr (location, '?') ? "&" : "?", digest);
    free (location);
    char *reply = NULL;
    code = s_http ("PUT", put, "application/octet-stream", data, size, NULL, &reply);
    free (put);
    int rc = code == 201 ? 0 : -1;
    if (rc != 0)
        *error = zsys_sprintf ("registry %s refused blob %s (HTTP %ld): %s", base, digest, code,
                               cr_str_or (reply, ""));
    free (reply);
    return rc;
}

int
cr_seed_busybox (const char *registry, const char *repository, const char *tags, const char *busybox,
                 char **error)
{
    assert (registry && repository && tags && error);
    *error = NULL;
    char *base = zsys_sprintf ("http://%s", registry);
    char *url = zsys_sprintf ("%s/v2/", base);
    long code = s_http ("GET", url, NULL, NULL, 0, NULL, NULL);
    free (url);
    if (code != 200) {
        *error = code ? zsys_sprintf ("%s does not speak the registry API (HTTP %ld on /v2/)", registry, code)
                      : zsys_sprintf ("cannot reach the registry at %s", registry);
        free (base);
        return -1;
    }
    cr_buf_t layer = { 0 };
    int rc = s_layer (busybox ? busybox : "/bin/busybox", &layer, error);
    char *layer_digest = rc == 0 ? s_digest (layer.data, layer.len) : NULL;
    char *config_text = NULL, *config_digest = NULL, *manifest_text = NULL;
    if (rc == 0) {
        struct utsname u;
        uname (&u);
        const char *arch = streq (u.machine, "x86_64") ? "amd64" : streq (u.machine, "aarch64") ? "arm64"
                         : u.machine;
        json_t *config = json_pack ("{s:s, s:s, s:{s:[s], s:[s], s:s}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}",
            "architecture", arch, "os", "linux",
            "config", "Env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "Cmd", "sh", "WorkingDir", "/",
            "rootfs", "type", "layers", "diff_ids", layer_digest,
            "history", "created", "1970-01-01T00:00:00Z", "created_by", "corral up: Debian busybox-static");
        config_text = json_dumps (config, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref (config);
        config_digest = s_digest (config_text, strlen (config_text));
        rc = s_push_blob (base, repository, layer_digest, layer.data, layer.len, error);
    }
    if (rc == 0)
        rc = s_push_blob (base, repository, config_digest, config_text, strlen (config_text), error);
    if (rc == 0) {
        json_t *manifest = json_pack ("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}",
            "schemaVersion", 2, "mediaType", "application/vnd.oci.image.manifest.v1+json",
            "config", "mediaType", "application/vnd.oci.image.config.v1+json", "digest", config_digest,
            "size", (json_int_t) strlen (config_text),
            "layers", "mediaType", "application/vnd.oci.image.layer.v1.tar", "digest", layer_digest,
            "size", (json_int_t) layer.len);
        manifest_text = json_dumps (manifest, JSON_COMPACT);
        json_decref (manifest);
        char *list = strdup (tags);
        char *save = NULL;
        for (char *tag = strtok_r (list, ",", &save); tag && rc == 0; tag = strtok_r (NULL, ",", &save)) {
            url = zsys_sprintf ("%s/v2/%s/manifests/%s", base, repository, tag);
            char *reply = NULL;
            code = s_http ("PUT", url, "application/vnd.oci.image.manifest.v1+json", manifest_text,
                           strlen (manifest_text), NULL, &reply);
            free (url);
            if (code != 201) {
                *error = zsys_sprintf ("registry %s refused the manifest of %s:%s (HTTP %ld): %s", registry,
                                       repository, tag, code, cr_str_or (reply, ""));
                rc = -1;
            }
            free (reply);
        }
        free (list);
    }
    free (manifest_text);
    free (config_text);
    free (config_digest);
    free (layer_digest);
    free (layer.data);
    free (base);
    return rc;
}

bool
cr_seed_present (const char *registry, const char *repository, const char *tag)
{
    char *url = zsys_sprintf ("http://%s/v2/%s/manifests/%s", registry, repository, tag);
    CURL *curl = curl_easy_init ();
    struct curl_slist *headers = curl_slist_append (NULL,
        "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json");
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt (curl, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    long code = 0;
    if (curl_easy_perform (curl) == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all (headers);
    curl_easy_cleanup (curl);
    free (url);
    return code == 200;
}
