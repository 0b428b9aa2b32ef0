/*  =========================================================================
    cr_image - the node agent's image store: references, pulls over the
    registry distribution API, layer unpacking, cache and garbage collection

    References follow distribution/reference (what docker and the kubelet
    use): [registry/]path[:tag][@sha256:<hex>]. The first path component
    is a registry when it has a '.' or ':' or is "localhost"; otherwise the
    store's default registry is used (this machine has no Docker Hub: the
    agent points it at the local registry `corral up` starts).

    A pull is a few plain GETs over the distribution API (libcurl, plain
    HTTP for loopback and "insecure" registries, HTTPS otherwise):

        GET /v2/<repo>/manifests/<tag|digest>   Accept: OCI manifest, OCI
                                                index, Docker v2 manifest
                                                and manifest list
        (index or list: pick linux/<arch>, GET that manifest by digest)
        GET /v2/<repo>/blobs/<config digest>
        GET /v2/<repo>/blobs/<layer digest>      for each layer not cached

    Every byte is verified: a manifest fetched by digest must hash to it
    (and to Docker-Content-Digest when the registry sends one), a blob
    must hash to its descriptor's digest and have its size. Verified blobs
    land in <root>/blobs/sha256/<hex>; anything in flight lives in
    <root>/tmp under a random name and is renamed into place when
    complete, so a crash never leaves a half blob or half rootfs where the
    store would trust it. Layers are applied in order into a fresh folder
    with libarchive (cr_image_unpack_layer), which is renamed to
    <root>/images/<hex>/rootfs; image.json, written last, marks the image
    complete. refs.json maps references (tags, and digests of indexes) to
    manifest digests, so IfNotPresent and Never work without the network.

    Layer safety: libarchive's write-to-disk runs with
    ARCHIVE_EXTRACT_SECURE_SYMLINKS and _SECURE_NODOTDOT on absolute paths
    made from the realpath of the rootfs (so no component of the prefix is
    a link); entry names with ".." are refused before that, and the store's
    own deletions (whiteouts, replacing an entry) first check that no
    parent component is a symbolic link, so nothing outside the rootfs is
    ever written or removed. No chdir: the process' working folder is
    shared by every thread of the agent.

    Threading: a store may be used by many threads. Pulls hold a read lock
    for their whole duration and gc a write lock, so gc never removes what
    a pull is assembling; refs.json is guarded by its own mutex. Each pull
    has its own curl handle.
    =========================================================================
*/
#include "nodes_classes.h"

#if defined (__x86_64__)
#   define S_ARCH "amd64"
#elif defined (__aarch64__)
#   define S_ARCH "arm64"
#elif defined (__i386__)
#   define S_ARCH "386"
#elif defined (__arm__)
#   define S_ARCH "arm"
#elif defined (__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#   define S_ARCH "ppc64le"
#elif defined (__s390x__)
#   define S_ARCH "s390x"
#elif defined (__riscv) && __riscv_xlen == 64
#   define S_ARCH "riscv64"
#else
#   define S_ARCH "unknown"
#endif

#define S_ACCEPT            "Accept: application/vnd.oci.image.manifest.v1+json, " \
                            "application/vnd.oci.image.index.v1+json, " \
                            "application/vnd.docker.distribution.manifest.v2+json, " \
                            "application/vnd.docker.distribution.manifest.list.v2+json"
#define S_MT_OCI_MANIFEST   "application/vnd.oci.image.manifest.v1+json"
#define S_MT_OCI_INDEX      "application/vnd.oci.image.index.v1+json"
#define S_MT_DOCKER_V2      "application/vnd.docker.distribution.manifest.v2+json"
#define S_MT_DOCKER_LIST    "application/vnd.docker.distribution.manifest.list.v2+json"

#define S_MAX_MANIFEST      (4 * 1024 * 1024)       //  Manifests and indexes
#define S_MAX_CONFIG        (8 * 1024 * 1024)       //  Image config blobs
#define S_MAX_ERROR_BODY    (64 * 1024)             //  Registry error bodies
#define S_MAX_LAYERS        256                     //  docker allows 127
#define S_MAX_NAME          255                     //  Registry + repository
#define S_MAX_DEPTH         256                     //  Folder depth for opaque whiteouts

struct _cr_image_ref_t {
    char *registry;             //  host[:port]
    char *repository;           //  Path inside the registry
    char *tag;                  //  Tag or NULL
    char *digest;               //  sha256:<hex> or NULL
    char *name;                 //  registry/repository
    char *string;               //  Canonical form
};

struct _cr_image_t {
    char *root;                 //  Realpath of the store folder
    char *default_registry;     //  For references without a registry
    char *insecure;             //  ",host1,host2," (plain HTTP), or NULL
    json_t *mirrors;            //  registry -> endpoint host[:port], or NULL
    json_t *refs;               //  Reference -> manifest digest
    pthread_mutex_t refs_lock;  //  Guards refs and refs.json
    pthread_rwlock_t gc_lock;   //  Pulls read, gc writes
};

//  One pull in progress.
typedef struct {
    cr_image_t *self;           //  The store
    const char *image;          //  The reference as the caller wrote it
    cr_image_ref_t *ref;        //  Parsed reference
    CURL *curl;                 //  This pull's handle
    char *base;                 //  "<scheme>://<host>/v2/<repository>"
    bool loopback;              //  Registry on this machine (no proxy)
    char errbuf [CURL_ERROR_SIZE];  //  libcurl's last error text
    int code;                   //  First error code
    char *error;                //  First error message
} s_pull_t;

//  One HTTP response being received.
typedef struct {
    long status;                //  Status of the last status line
    cr_buf_t body;              //  Body (memory), or an error body
    FILE *file;                 //  Body goes here on 2xx when set
    crypto_hash_sha256_state sha;   //  Hash of the 2xx body
    size_t size;                //  2xx body bytes received
    size_t limit;               //  Abort beyond this many 2xx bytes
    bool over;                  //  The limit was hit
    bool write_failed;          //  Writing the file failed
    char *content_type;         //  Content-Type without parameters
    char *docker_digest;        //  Docker-Content-Digest
} s_response_t;


//  ==========================================================================
//  Errors

const char *
cr_image_errname (int code)
{
    switch (code) {
        case 0:                             return "OK";
        case CR_IMAGE_E_INVALID_NAME:       return "INVALID_NAME";
        case CR_IMAGE_E_NEVER_PULL:         return "NEVER_PULL";
        case CR_IMAGE_E_NOT_FOUND:          return "NOT_FOUND";
        case CR_IMAGE_E_UNAUTHORIZED:       return "UNAUTHORIZED";
        case CR_IMAGE_E_UNREACHABLE:        return "UNREACHABLE";
        case CR_IMAGE_E_REGISTRY:           return "REGISTRY";
        case CR_IMAGE_E_DIGEST_MISMATCH:    return "DIGEST_MISMATCH";
        case CR_IMAGE_E_BAD_IMAGE:          return "BAD_IMAGE";
        case CR_IMAGE_E_IO:                 return "IO";
        default:                            return "UNKNOWN";
    }
}

const char *
cr_image_reason (int code)
{
    if (code == CR_IMAGE_E_INVALID_NAME)
        return "InvalidImageName";
    if (code == CR_IMAGE_E_NEVER_PULL)
        return "ErrImageNeverPull";
    return "ErrImagePull";
}


//  ==========================================================================
//  References

//  --------------------------------------------------------------------------
//  A path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*

static bool
s_valid_component (const char *s, size_t n)
{
    size_t i = 0;
    while (true) {
        size_t start = i;
        while (i < n && (islower ((unsigned char) s [i]) || isdigit ((unsigned char) s [i])))
            i++;
        if (i == start)
            return false;
        if (i == n)
            return true;
        if (s [i] == '.')
            i++;
        else
        if (s [i] == '_') {
            i++;
            if (i < n && s [i] == '_')
                i++;
        }
        else
        if (s [i] == '-') {
            while (i < n && s [i] == '-')
                i++;
        }
        else
            return false;
    }
}

//  --------------------------------------------------------------------------
//  A registry: host components [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?
//  joined by '.', or [IPv6], then an optional :port.

static bool
s_valid_domain (const char *s, size_t n)
{
    if (n == 0)
        return false;
    size_t host_end = n;
    if (s [0] == '[') {
        const char *close = memchr (s, ']', n);
        if (!close || close == s + 1)
            return false;
        for (const char *c = s + 1; c < close; c++)
            if (!isxdigit ((unsigned char) *c) && *c != ':' && *c != '.')
                return false;
        host_end = (size_t) (close - s) + 1;
    }
    else {
        const char *colon = memchr (s, ':', n);
        if (colon)
            host_end = (size_t) (colon - s);
        size_t i = 0;
        while (i < host_end) {
            size_t start = i;
            while (i < host_end && s [i] != '.')
                i++;
            size_t len = i - start;
            if (len == 0 || !isalnum ((unsigned char) s [start])
            ||  !isalnum ((unsigned char) s [i - 1]))
                return false;
            for (size_t j = start; j < i; j++)
                if (!isalnum ((unsigned char) s [j]) && s [j] != '-')
                    return false;
            if (i < host_end)
                i++;            //  The dot
            if (i == host_end && s [i - 1] == '.')
                return false;
        }
        if (host_end == 0)
            return false;
    }
    if (host_end < n) {
        if (s [host_end] != ':' || host_end + 1 == n || n - host_end - 1 > 5)
            return false;
        for (size_t i = host_end + 1; i < n; i++)
            if (!isdigit ((unsigned char) s [i]))
                return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  A tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}

static bool
s_valid_tag (const char *s)
{
    size_t n = strlen (s);
    if (n == 0 || n > 128 || !(isalnum ((unsigned char) s [0]) || s [0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum ((unsigned char) s [i]) && s [i] != '_' && s [i] != '.' && s [i] != '-')
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  The hex part of "sha256:<64 lower-case hex>", or NULL when digest is
//  not exactly that (so that it is safe in a file name).

static const char *
s_digest_hex (const char *digest)
{
    if (!digest || strncmp (digest, "sha256:", 7) != 0)
        return NULL;
    const char *hex = digest + 7;
    size_t n = 0;
    for (; hex [n]; n++)
        if (!isdigit ((unsigned char) hex [n]) && !(hex [n] >= 'a' && hex [n] <= 'f'))
            return NULL;
    return n == 64 ? hex : NULL;
}

//  --------------------------------------------------------------------------
//  A digest of another algorithm that the grammar allows
//  ([a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}).

static bool
s_other_digest (const char *digest)
{
    const char *colon = strchr (digest, ':');
    if (!colon || colon == digest || strlen (colon + 1) < 32)
        return false;
    for (const char *c = digest; c < colon; c++)
        if (!islower ((unsigned char) *c) && !isdigit ((unsigned char) *c) && !strchr ("+._-", *c))
            return false;
    for (const char *c = colon + 1; *c; c++)
        if (!isalnum ((unsigned char) *c) && !strchr ("=_-", *c))
            return false;
    return true;
}

static cr_image_ref_t *
s_ref_fail (const char *text, const char *detail, char **error, char *scratch)
{
    free (scratch);
    if (error)
        *error = detail
               ? zsys_sprintf ("couldn't parse image reference \"%s\": invalid reference format: %s", text, detail)
               : zsys_sprintf ("couldn't parse image reference \"%s\": invalid reference format", text);
    return NULL;
}

cr_image_ref_t *
cr_image_ref_parse (const char *text, const char *default_registry, char **error)
{
    if (error)
        *error = NULL;
    if (!text)
        text = "";
    if (!*text)
        return s_ref_fail (text, "empty reference", error, NULL);
    for (const char *c = text; *c; c++)
        if ((unsigned char) *c <= ' ' || (unsigned char) *c >= 0x7f)
            return s_ref_fail (text, NULL, error, NULL);
    if (strlen (text) > 4096)
        return s_ref_fail (text, "reference too long", error, NULL);

    char *rest = strdup (text);
    char *digest = NULL;
    char *at = strchr (rest, '@');
    if (at) {
        *at = 0;
        digest = at + 1;
        if (!s_digest_hex (digest)) {
            if (s_other_digest (digest) && strncmp (digest, "sha256:", 7) != 0)
                return s_ref_fail (text, "unsupported digest algorithm (only sha256)", error, rest);
            return s_ref_fail (text, "invalid digest", error, rest);
        }
    }
    char *tag = NULL;
    char *slash = strrchr (rest, '/');
    char *colon = strrchr (rest, ':');
    if (colon && (!slash || colon > slash)) {
        *colon = 0;
        tag = colon + 1;
        if (!s_valid_tag (tag))
            return s_ref_fail (text, NULL, error, rest);
    }
    char *name = rest;
    if (!*name)
        return s_ref_fail (text, NULL, error, rest);

    //  Registry or first path component?
    const char *domain = NULL;
    size_t domain_len = 0;
    const char *path = name;
    bool explicit_domain = false;
    char *first = strchr (name, '/');
    if (first) {
        size_t n = (size_t) (first - name);
        bool upper = false;
        for (size_t i = 0; i < n; i++)
            if (isupper ((unsigned char) name [i]))
                upper = true;
        if (memchr (name, '.', n) || memchr (name, ':', n) || upper
        ||  (n == 9 && strncmp (name, "localhost", 9) == 0)) {
            domain = name;
            domain_len = n;
            path = first + 1;
            explicit_domain = true;
        }
    }
    if (!explicit_domain) {
        domain = default_registry && *default_registry ? default_registry : "docker.io";
        domain_len = strlen (domain);
    }
    if (!s_valid_domain (domain, domain_len))
        return s_ref_fail (text, explicit_domain ? "invalid registry" : "invalid default registry",
                           error, rest);
    for (const char *c = path; *c; c++)
        if (isupper ((unsigned char) *c))
            return s_ref_fail (text, "repository name must be lowercase", error, rest);
    const char *p = path;
    while (true) {
        const char *end = strchr (p, '/');
        size_t n = end ? (size_t) (end - p) : strlen (p);
        if (!s_valid_component (p, n))
            return s_ref_fail (text, NULL, error, rest);
        if (!end)
            break;
        p = end + 1;
    }
    if (!explicit_domain && strlen (path) == 64 && !tag && !digest) {
        bool hex = true;
        for (const char *c = path; *c; c++)
            if (!isxdigit ((unsigned char) *c))
                hex = false;
        if (hex)
            return s_ref_fail (text, "cannot specify 64-byte hexadecimal strings", error, rest);
    }

    cr_image_ref_t *self = (cr_image_ref_t *) zmalloc (sizeof (cr_image_ref_t));
    self->registry = strndup (domain, domain_len);
    if (streq (self->registry, "index.docker.io") || streq (self->registry, "registry-1.docker.io")) {
        free (self->registry);
        self->registry = strdup ("docker.io");
    }
    if (streq (self->registry, "docker.io") && !strchr (path, '/'))
        self->repository = zsys_sprintf ("library/%s", path);
    else
        self->repository = strdup (path);
    self->name = zsys_sprintf ("%s/%s", self->registry, self->repository);
    if (strlen (self->name) > S_MAX_NAME) {
        cr_image_ref_destroy (&self);
        return s_ref_fail (text, "repository name must not be more than 255 characters", error, rest);
    }
    self->digest = digest ? strdup (digest) : NULL;
    self->tag = tag ? strdup (tag) : (digest ? NULL : strdup ("latest"));
    self->string = zsys_sprintf ("%s%s%s%s%s", self->name,
                                 self->tag ? ":" : "", self->tag ? self->tag : "",
                                 self->digest ? "@" : "", self->digest ? self->digest : "");
    free (rest);
    return self;
}

void
cr_image_ref_destroy (cr_image_ref_t **self_p)
{
    assert (self_p);
    cr_image_ref_t *self = *self_p;
    if (!self)
        return;
    free (self->registry);
    free (self->repository);
    free (self->tag);
    free (self->digest);
    free (self->name);
    free (self->string);
    free (self);
    *self_p = NULL;
}

const char *
cr_image_ref_registry (cr_image_ref_t *self)
{
    assert (self);
    return self->registry;
}

const char *
cr_image_ref_repository (cr_image_ref_t *self)
{
    assert (self);
    return self->repository;
}

const char *
cr_image_ref_tag (cr_image_ref_t *self)
{
    assert (self);
    return self->tag;
}

const char *
cr_image_ref_digest (cr_image_ref_t *self)
{
    assert (self);
    return self->digest;
}

const char *
cr_image_ref_name (cr_image_ref_t *self)
{
    assert (self);
    return self->name;
}

const char *
cr_image_ref_string (cr_image_ref_t *self)
{
    assert (self);
    return self->string;
}

int
cr_image_policy_parse (const char *text, const char *image)
{
    if (text && *text) {
        if (streq (text, "Always"))
            return CR_IMAGE_PULL_ALWAYS;
        if (streq (text, "IfNotPresent"))
            return CR_IMAGE_PULL_IF_NOT_PRESENT;
        if (streq (text, "Never"))
            return CR_IMAGE_PULL_NEVER;
        return -1;
    }
    //  The apiserver's default: the tag as written, "latest" when the
    //  reference has neither tag nor digest.
    cr_image_ref_t *ref = cr_image_ref_parse (image, NULL, NULL);
    int policy = ref && ref->tag && streq (ref->tag, "latest")
               ? CR_IMAGE_PULL_ALWAYS : CR_IMAGE_PULL_IF_NOT_PRESENT;
    cr_image_ref_destroy (&ref);
    return policy;
}


//  ==========================================================================
//  Files

//  --------------------------------------------------------------------------
//  Creates path and its missing parents. Returns 0 or -1 (errno).

static int
s_mkdir_p (const char *path, mode_t mode)
{
    char *copy = strdup (path);
    for (char *c = copy + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = 0;
        if (mkdir (copy, mode) != 0 && errno != EEXIST) {
            free (copy);
            return -1;
        }
        *c = '/';
    }
    int rc = mkdir (copy, mode) != 0 && errno != EEXIST ? -1 : 0;
    free (copy);
    return rc;
}

static int
s_rm_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag == FTW_DP)
        rmdir (path);
    else
        unlink (path);
    return 0;
}

//  --------------------------------------------------------------------------
//  Removes path and everything under it, never following symbolic links
//  nor crossing into another mounted file system. Returns 0 when path is
//  gone, -1 otherwise.

static int
s_rm_rf (const char *path)
{
    struct stat st;
    if (lstat (path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR (st.st_mode))
        return unlink (path) == 0 || errno == ENOENT ? 0 : -1;
    nftw (path, s_rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    return lstat (path, &st) != 0 && errno == ENOENT ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  A random name for something in flight under <root>/tmp. Caller frees.

static char *
s_tmp_path (cr_image_t *self, const char *what)
{
    unsigned char rnd [8];
    randombytes_buf (rnd, sizeof (rnd));
    char hex [sizeof (rnd) * 2 + 1];
    sodium_bin2hex (hex, sizeof (hex), rnd, sizeof (rnd));
    return zsys_sprintf ("%s/tmp/%s-%s", self->root, what, hex);
}

//  --------------------------------------------------------------------------
//  "sha256:<hex>" of a finished hash. Caller frees.

static char *
s_hash_digest (crypto_hash_sha256_state *sha)
{
    unsigned char out [crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (sha, out);
    char hex [crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex (hex, sizeof (hex), out, sizeof (out));
    return zsys_sprintf ("sha256:%s", hex);
}

char *
cr_image_digest_file (const char *path)
{
    assert (path);
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    if (sodium_init () < 0) {
        fclose (f);
        return NULL;
    }
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init (&sha);
    unsigned char buf [65536];
    size_t n;
    while ((n = fread (buf, 1, sizeof (buf), f)) > 0)
        crypto_hash_sha256_update (&sha, buf, n);
    bool failed = ferror (f) != 0;
    fclose (f);
    char *digest = s_hash_digest (&sha);
    if (failed)
        zstr_free (&digest);
    return digest;
}

//  --------------------------------------------------------------------------
//  Writes data to path through a temporary file and a rename. Returns 0
//  or -1.

static int
s_write_atomic (cr_image_t *self, const char *path, const void *data, size_t size)
{
    char *tmp = s_tmp_path (self, "write");
    FILE *f = fopen (tmp, "wb");
    int rc = -1;
    if (f) {
        bool ok = fwrite (data, 1, size, f) == size;
        ok = fclose (f) == 0 && ok;
        if (ok && rename (tmp, path) == 0)
            rc = 0;
    }
    if (rc != 0)
        unlink (tmp);
    free (tmp);
    return rc;
}

static int
s_write_json (cr_image_t *self, const char *path, json_t *doc)
{
    char *text = json_dumps (doc, JSON_INDENT (2) | JSON_SORT_KEYS);
    int rc = s_write_atomic (self, path, text, strlen (text));
    free (text);
    return rc;
}


//  ==========================================================================
//  Layers

//  --------------------------------------------------------------------------
//  Cleans an entry name from a layer: drops leading "/" and "./", empty
//  and "." components. Returns a new string (caller frees; "" for the
//  root itself), or NULL when a component is "..".

static char *
s_clean_path (const char *raw)
{
    cr_buf_t out = { 0 };
    const char *p = raw;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr (p, '/');
        size_t n = end ? (size_t) (end - p) : strlen (p);
        if (n == 2 && p [0] == '.' && p [1] == '.') {
            cr_buf_reset (&out);
            return NULL;
        }
        if (!(n == 1 && p [0] == '.')) {
            if (out.len)
                cr_buf_add (&out, "/");
            cr_buf_addn (&out, p, n);
        }
        p += n;
    }
    return cr_buf_take (&out);
}

//  --------------------------------------------------------------------------
//  Checks the folders above rel (inside base): none may be a symbolic
//  link or something other than a folder. Components that do not exist
//  yet are fine (libarchive creates them). With self_too, rel itself is
//  checked the same way. Returns 0, or -1 and *why (static text).

static int
s_check_parents (const char *base, const char *rel, bool self_too, const char **why)
{
    char *full = zsys_sprintf ("%s/%s", base, rel);
    size_t len = strlen (full);
    int rc = 0;
    for (size_t i = strlen (base) + 1; i <= len; i++) {
        if (i < len && full [i] != '/')
            continue;
        if (i == len && !self_too)
            break;
        char saved = full [i];
        full [i] = 0;
        struct stat st;
        int r = lstat (full, &st);
        int err = errno;
        full [i] = saved;
        if (r != 0) {
            if (err != ENOENT) {
                *why = "cannot be checked";
                rc = -1;
            }
            break;              //  Not there yet: nothing below it either
        }
        if (S_ISLNK (st.st_mode)) {
            *why = "goes through a symbolic link";
            rc = -1;
            break;
        }
        if (!S_ISDIR (st.st_mode)) {
            *why = "has a parent that is not a folder";
            rc = -1;
            break;
        }
    }
    free (full);
    return rc;
}

static void
s_mark_written (zhashx_t *written, const char *rel)
{
    char *copy = strdup (rel);
    zhashx_insert (written, copy, (void *) 1);
    for (char *c = copy + strlen (copy); c > copy; c--) {
        if (*c == '/') {
            *c = 0;
            zhashx_insert (written, copy, (void *) 1);
        }
    }
    free (copy);
}

//  --------------------------------------------------------------------------
//  Opaque whiteout: removes from folder rel (inside base) everything this
//  layer did not write. Returns 0, or -1.

static int
s_make_opaque (const char *base, const char *rel, zhashx_t *written, int depth)
{
    if (depth > S_MAX_DEPTH)
        return -1;
    char *full = *rel ? zsys_sprintf ("%s/%s", base, rel) : strdup (base);
    DIR *dir = opendir (full);
    if (!dir) {
        int rc = errno == ENOENT || errno == ENOTDIR ? 0 : -1;
        free (full);
        return rc;
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir (dir))) {
        if (streq (de->d_name, ".") || streq (de->d_name, ".."))
            continue;
        char *child = *rel ? zsys_sprintf ("%s/%s", rel, de->d_name) : strdup (de->d_name);
        char *child_full = zsys_sprintf ("%s/%s", full, de->d_name);
        struct stat st;
        if (!zhashx_lookup (written, child)) {
            if (s_rm_rf (child_full) != 0)
                rc = -1;
        }
        else
        if (lstat (child_full, &st) == 0 && S_ISDIR (st.st_mode)) {
            if (s_make_opaque (base, child, written, depth + 1) != 0)
                rc = -1;
        }
        free (child);
        free (child_full);
    }
    closedir (dir);
    free (full);
    return rc;
}

static int
s_layer_fail (char **error, int code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = NULL;
    if (vasprintf (&text, format, args) < 0)
        text = NULL;
    va_end (args);
    if (error)
        *error = text;
    else
        free (text);
    return code;
}

//  --------------------------------------------------------------------------
//  Applies one whiteout entry (name is its cleaned path). Returns 0 or an
//  error code with *error.

static int
s_whiteout (const char *base, const char *rel, zhashx_t *written, char **error)
{
    const char *slash = strrchr (rel, '/');
    const char *leaf = slash ? slash + 1 : rel;
    char *dir = slash ? strndup (rel, (size_t) (slash - rel)) : strdup ("");
    const char *why = NULL;
    int rc = 0;
    if (streq (leaf, ".wh..wh..opq")) {
        if (*dir && s_check_parents (base, dir, true, &why) != 0)
            rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE, "entry \"%s\" %s", rel, why);
        else
        if (s_make_opaque (base, dir, written, 0) != 0)
            rc = s_layer_fail (error, CR_IMAGE_E_IO, "cannot apply opaque whiteout \"%s\"", rel);
    }
    else
    if (strncmp (leaf, ".wh..wh.", 8) == 0)
        ;                       //  aufs bookkeeping (.wh..wh.plnk etc.): ignored
    else {
        const char *victim = leaf + 4;
        if (!*victim || streq (victim, ".") || streq (victim, ".."))
            rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE, "invalid whiteout \"%s\"", rel);
        else {
            char *target = *dir ? zsys_sprintf ("%s/%s", dir, victim) : strdup (victim);
            if (s_check_parents (base, target, false, &why) != 0)
                rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE, "entry \"%s\" %s", rel, why);
            else {
                char *full = zsys_sprintf ("%s/%s", base, target);
                if (s_rm_rf (full) != 0)
                    rc = s_layer_fail (error, CR_IMAGE_E_IO, "cannot apply whiteout \"%s\"", rel);
                free (full);
            }
            free (target);
        }
    }
    free (dir);
    return rc;
}

int
cr_image_unpack_layer (const char *rootfs, const char *layer, char **error)
{
    assert (rootfs && layer);
    if (error)
        *error = NULL;
    char *base = realpath (rootfs, NULL);
    struct stat st;
    if (!base || stat (base, &st) != 0 || !S_ISDIR (st.st_mode)) {
        free (base);
        return s_layer_fail (error, CR_IMAGE_E_IO, "rootfs %s is not a folder", rootfs);
    }
    struct archive *in = archive_read_new ();
    archive_read_support_filter_all (in);
    archive_read_support_format_tar (in);
    archive_read_support_format_empty (in);
    if (archive_read_open_filename (in, layer, 65536) != ARCHIVE_OK) {
        int rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE, "cannot open layer: %s",
                               archive_error_string (in));
        archive_read_free (in);
        free (base);
        return rc;
    }
    int flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
              | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR
              | ARCHIVE_EXTRACT_ACL;
    if (geteuid () == 0)
        flags |= ARCHIVE_EXTRACT_OWNER;
    struct archive *out = archive_write_disk_new ();
    archive_write_disk_set_options (out, flags);
    //  No archive_write_disk_set_standard_lookup: ownership stays numeric,
    //  the host's user names mean nothing to the image.

    zhashx_t *written = zhashx_new ();
    int rc = 0;
    while (rc == 0) {
        struct archive_entry *entry;
        int r = archive_read_next_header (in, &entry);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE, "layer is not a valid tar archive: %s",
                               archive_error_string (in));
            break;
        }
        const char *raw = archive_entry_pathname (entry);
        if (!raw)
            raw = archive_entry_pathname_utf8 (entry);
        if (!raw) {
            rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE, "layer entry without a name");
            break;
        }
        char *rel = s_clean_path (raw);
        if (!rel) {
            rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE,
                               "entry \"%s\" escapes the rootfs (\"..\")", raw);
            break;
        }
        if (strlen (base) + strlen (rel) + 2 > PATH_MAX) {
            rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE, "entry \"%.200s...\" name too long", rel);
            free (rel);
            break;
        }
        const char *slash = strrchr (rel, '/');
        const char *leaf = slash ? slash + 1 : rel;
        if (!*rel) {
            ;                   //  The root itself: keep the store's folder as it is
        }
        else
        if (strncmp (leaf, ".wh.", 4) == 0)
            rc = s_whiteout (base, rel, written, error);
        else {
            const char *why = NULL;
            bool is_dir = archive_entry_filetype (entry) == AE_IFDIR
                       && !archive_entry_hardlink (entry);
            char *full = zsys_sprintf ("%s/%s", base, rel);
            char *link_full = NULL;
            const char *hardlink = archive_entry_hardlink (entry);
            if (!hardlink)
                hardlink = archive_entry_hardlink_utf8 (entry);
            if (s_check_parents (base, rel, false, &why) != 0)
                rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE, "entry \"%s\" %s", rel, why);
            else
            if (hardlink) {
                char *target = s_clean_path (hardlink);
                if (!target || !*target)
                    rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE,
                                       "hardlink \"%s\" to \"%s\" escapes the rootfs", rel, hardlink);
                else
                if (s_check_parents (base, target, false, &why) != 0)
                    rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE,
                                       "hardlink target \"%s\" %s", target, why);
                else
                    link_full = zsys_sprintf ("%s/%s", base, target);
                free (target);
            }
            //  An entry replaces what the layers below had at its path;
            //  only two folders merge.
            if (rc == 0 && lstat (full, &st) == 0 && !(is_dir && S_ISDIR (st.st_mode))
            &&  !(link_full && streq (link_full, full))) {
                if (s_rm_rf (full) != 0)
                    rc = s_layer_fail (error, CR_IMAGE_E_IO, "cannot replace \"%s\"", rel);
            }
            if (rc == 0) {
                archive_entry_copy_pathname (entry, full);
                if (link_full)
                    archive_entry_copy_hardlink (entry, link_full);
                r = archive_write_header (out, entry);
                if (r < ARCHIVE_WARN)
                    rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE, "entry \"%s\": %s", rel,
                                       archive_error_string (out));
            }
            //  Data of regular files (and of hardlinks that carry some)
            while (rc == 0 && archive_entry_size (entry) > 0) {
                const void *buf;
                size_t size;
                la_int64_t offset;
                r = archive_read_data_block (in, &buf, &size, &offset);
                if (r == ARCHIVE_EOF)
                    break;
                if (r < ARCHIVE_WARN)
                    rc = s_layer_fail (error, CR_IMAGE_E_BAD_IMAGE, "entry \"%s\": %s", rel,
                                       archive_error_string (in));
                else
                if (archive_write_data_block (out, buf, size, offset) < ARCHIVE_WARN)
                    rc = s_layer_fail (error, CR_IMAGE_E_IO, "entry \"%s\": %s", rel,
                                       archive_error_string (out));
            }
            if (rc == 0 && archive_write_finish_entry (out) < ARCHIVE_WARN)
                rc = s_layer_fail (error, CR_IMAGE_E_IO, "entry \"%s\": %s", rel,
                                   archive_error_string (out));
            if (rc == 0)
                s_mark_written (written, rel);
            free (full);
            free (link_full);
        }
        free (rel);
    }
    //  Closing applies the deferred permissions and times of folders.
    if (archive_write_close (out) < ARCHIVE_WARN && rc == 0)
        rc = s_layer_fail (error, CR_IMAGE_E_IO, "%s", archive_error_string (out));
    archive_write_free (out);
    archive_read_free (in);
    zhashx_destroy (&written);
    free (base);
    return rc;
}


//  ==========================================================================
//  The store

cr_image_t *
cr_image_new (const char *root, const char *default_registry)
{
    assert (root);
    if (sodium_init () < 0)
        return NULL;
    if (s_mkdir_p (root, 0755) != 0)
        return NULL;
    char *real = realpath (root, NULL);
    if (!real)
        return NULL;
    const char *subs [] = { "blobs/sha256", "images", "tmp" };
    for (size_t i = 0; i < sizeof (subs) / sizeof (subs [0]); i++) {
        char *path = zsys_sprintf ("%s/%s", real, subs [i]);
        int rc = s_mkdir_p (path, 0755);
        free (path);
        if (rc != 0) {
            free (real);
            return NULL;
        }
    }
    cr_image_t *self = (cr_image_t *) zmalloc (sizeof (cr_image_t));
    self->root = real;
    self->default_registry = strdup (default_registry && *default_registry
                                     ? default_registry : "docker.io");
    pthread_mutex_init (&self->refs_lock, NULL);
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init (&attr);
    pthread_rwlockattr_setkind_np (&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init (&self->gc_lock, &attr);
    pthread_rwlockattr_destroy (&attr);
    curl_global_init (CURL_GLOBAL_DEFAULT);

    //  Leftovers of a pull that was interrupted: nothing trusts them.
    char *tmp = zsys_sprintf ("%s/tmp", self->root);
    DIR *dir = opendir (tmp);
    struct dirent *de;
    while (dir && (de = readdir (dir))) {
        if (streq (de->d_name, ".") || streq (de->d_name, ".."))
            continue;
        char *path = zsys_sprintf ("%s/%s", tmp, de->d_name);
        s_rm_rf (path);
        free (path);
    }
    if (dir)
        closedir (dir);
    free (tmp);

    //  A write test, so that a read-only root fails here and not in a pull
    char *probe = zsys_sprintf ("%s/refs.json", self->root);
    self->refs = json_load_file (probe, 0, NULL);
    if (!json_is_object (self->refs)) {
        if (self->refs)
            zsys_warning ("cr_image: %s is not a JSON object, starting afresh", probe);
        json_decref (self->refs);
        self->refs = json_object ();
    }
    int rc = s_write_json (self, probe, self->refs);
    free (probe);
    if (rc != 0) {
        cr_image_destroy (&self);
        return NULL;
    }
    return self;
}

void
cr_image_destroy (cr_image_t **self_p)
{
    assert (self_p);
    cr_image_t *self = *self_p;
    if (!self)
        return;
    json_decref (self->refs);
    pthread_mutex_destroy (&self->refs_lock);
    pthread_rwlock_destroy (&self->gc_lock);
    curl_global_cleanup ();
    free (self->root);
    free (self->default_registry);
    free (self->insecure);
    json_decref (self->mirrors);
    free (self);
    *self_p = NULL;
}

void
cr_image_set_insecure (cr_image_t *self, const char *registries)
{
    assert (self);
    free (self->insecure);
    self->insecure = NULL;
    if (!registries || !*registries)
        return;
    cr_buf_t buf = { 0 };
    cr_buf_add (&buf, ",");
    for (const char *c = registries; *c; c++)
        if (*c != ' ')
            cr_buf_addn (&buf, c, 1);
    cr_buf_add (&buf, ",");
    self->insecure = cr_buf_take (&buf);
}

int
cr_image_set_mirrors (cr_image_t *self, const char *mirrors, char **error)
{
    assert (self);
    json_t *map = json_object ();
    char *copy = strdup (mirrors ? mirrors : "");
    char *save = NULL;
    int rc = 0;
    for (char *item = strtok_r (copy, ", ", &save); item; item = strtok_r (NULL, ", ", &save)) {
        char *eq = strchr (item, '=');
        if (!eq || eq == item || !eq [1] || strchr (item, '/')) {
            if (error)
                *error = zsys_sprintf ("\"%s\" is not REGISTRY=HOST[:PORT]", item);
            rc = -1;
            break;
        }
        *eq = 0;
        json_object_set_new (map, item, json_string (eq + 1));
    }
    free (copy);
    if (rc == 0) {
        json_decref (self->mirrors);
        self->mirrors = json_object_size (map) ? json_incref (map) : NULL;
    }
    json_decref (map);
    return rc;
}

//  --------------------------------------------------------------------------
//  Registry host on this machine?

static bool
s_is_loopback (const char *registry)
{
    const char *host_end = registry [0] == '[' ? strchr (registry, ']') : strchr (registry, ':');
    size_t n = host_end ? (size_t) (host_end - registry) + (registry [0] == '[') : strlen (registry);
    if (n == 9 && strncmp (registry, "localhost", 9) == 0)
        return true;
    if (n == 5 && strncmp (registry, "[::1]", 5) == 0)
        return true;
    return strncmp (registry, "127.", 4) == 0;
}

static bool
s_is_insecure (cr_image_t *self, const char *registry)
{
    if (s_is_loopback (registry))
        return true;
    if (!self->insecure)
        return false;
    char *needle = zsys_sprintf (",%s,", registry);
    bool found = strstr (self->insecure, needle) != NULL;
    free (needle);
    return found;
}

//  --------------------------------------------------------------------------
//  The stored document of image <hex> when the image is complete (its
//  image.json and rootfs exist), else NULL. Caller owns.

static json_t *
s_image_doc (cr_image_t *self, const char *hex)
{
    char *path = zsys_sprintf ("%s/images/%s/image.json", self->root, hex);
    json_t *doc = json_load_file (path, 0, NULL);
    free (path);
    path = zsys_sprintf ("%s/images/%s/rootfs", self->root, hex);
    struct stat st;
    if (!json_is_object (doc) || stat (path, &st) != 0 || !S_ISDIR (st.st_mode)) {
        json_decref (doc);
        doc = NULL;
    }
    free (path);
    return doc;
}

//  --------------------------------------------------------------------------
//  The key of a reference in refs.json: "name@digest" when it has a
//  digest (the tag then means nothing), else "name:tag". Caller frees.

static char *
s_ref_key (cr_image_ref_t *ref)
{
    if (ref->digest)
        return zsys_sprintf ("%s@%s", ref->name, ref->digest);
    return zsys_sprintf ("%s:%s", ref->name, ref->tag);
}

//  --------------------------------------------------------------------------
//  The manifest digest a reference names in the store when that image is
//  complete, with its document. Returns the digest (caller frees) or NULL.

static char *
s_lookup (cr_image_t *self, cr_image_ref_t *ref, json_t **doc)
{
    *doc = NULL;
    char *key = s_ref_key (ref);
    pthread_mutex_lock (&self->refs_lock);
    const char *value = json_string_value (json_object_get (self->refs, key));
    char *digest = value ? strdup (value) : NULL;
    pthread_mutex_unlock (&self->refs_lock);
    free (key);
    if (!digest && ref->digest)
        digest = strdup (ref->digest);
    const char *hex = s_digest_hex (digest);
    if (hex)
        *doc = s_image_doc (self, hex);
    if (!*doc)
        zstr_free (&digest);
    return digest;
}

static void
s_refs_add (cr_image_t *self, const char *key, const char *digest)
{
    pthread_mutex_lock (&self->refs_lock);
    const char *old = json_string_value (json_object_get (self->refs, key));
    if (!old || !streq (old, digest)) {
        json_object_set_new (self->refs, key, json_string (digest));
        char *path = zsys_sprintf ("%s/refs.json", self->root);
        if (s_write_json (self, path, self->refs) != 0)
            zsys_warning ("cr_image: cannot write %s: %s", path, strerror (errno));
        free (path);
    }
    pthread_mutex_unlock (&self->refs_lock);
}

//  --------------------------------------------------------------------------
//  The result document of a pull. Caller owns.

static json_t *
s_result (cr_image_t *self, cr_image_ref_t *ref, const char *digest, json_t *doc, bool pulled)
{
    json_t *result = json_object ();
    json_t *config = json_object_get (doc, "config");
    json_object_set_new (result, "image", json_string (ref->string));
    json_object_set_new (result, "imageID", json_sprintf ("%s@%s", ref->name, digest));
    json_object_set_new (result, "digest", json_string (digest));
    json_object_set (result, "configDigest", json_object_get (doc, "configDigest"));
    json_object_set_new (result, "rootfs", json_sprintf ("%s/images/%s/rootfs", self->root,
                                                         s_digest_hex (digest)));
    json_object_set_new (result, "config", config ? json_incref (config) : json_object ());
    json_object_set_new (result, "size",
                         json_integer (json_integer_value (json_object_get (doc, "size"))));
    json_object_set_new (result, "pulled", json_boolean (pulled));
    return result;
}


//  ==========================================================================
//  HTTP

static void
s_fail (s_pull_t *p, int code, const char *format, ...) __attribute__ ((format (printf, 3, 4)));

//  --------------------------------------------------------------------------
//  Records the pull's first error as 'failed to pull image "X": ...'.

static void
s_fail (s_pull_t *p, int code, const char *format, ...)
{
    if (p->code)
        return;
    va_list args;
    va_start (args, format);
    char *detail = NULL;
    if (vasprintf (&detail, format, args) < 0)
        detail = NULL;
    va_end (args);
    p->code = code;
    p->error = zsys_sprintf ("failed to pull image \"%s\": %s", p->image, detail ? detail : "");
    free (detail);
}

static size_t
s_on_header (char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_response_t *r = (s_response_t *) arg;
    size_t n = size * nmemb;
    char *line = strndup (ptr, n);
    size_t len = strlen (line);
    while (len && (line [len - 1] == '\r' || line [len - 1] == '\n' || line [len - 1] == ' '))
        line [--len] = 0;
    if (strncmp (line, "HTTP/", 5) == 0) {
        const char *sp = strchr (line, ' ');
        r->status = sp ? atol (sp + 1) : 0;
        zstr_free (&r->content_type);
        zstr_free (&r->docker_digest);
    }
    else {
        char *colon = strchr (line, ':');
        if (colon) {
            *colon = 0;
            char *value = colon + 1;
            while (*value == ' ' || *value == '\t')
                value++;
            if (strcasecmp (line, "Content-Type") == 0) {
                zstr_free (&r->content_type);
                r->content_type = strndup (value, strcspn (value, "; "));
            }
            else
            if (strcasecmp (line, "Docker-Content-Digest") == 0) {
                zstr_free (&r->docker_digest);
                r->docker_digest = strdup (value);
            }
        }
    }
    free (line);
    return n;
}

static size_t
s_on_body (char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_response_t *r = (s_response_t *) arg;
    size_t n = size * nmemb;
    if (r->status < 200 || r->status >= 300) {
        //  An error document: keep its start for the message.
        if (r->body.len < S_MAX_ERROR_BODY)
            cr_buf_addn (&r->body, ptr, n < S_MAX_ERROR_BODY ? n : S_MAX_ERROR_BODY);
        return n;
    }
    if (r->size + n > r->limit || r->size + n < r->size) {
        r->over = true;
        return 0;               //  Aborts the transfer
    }
    r->size += n;
    crypto_hash_sha256_update (&r->sha, (const unsigned char *) ptr, n);
    if (r->file) {
        if (fwrite (ptr, 1, n, r->file) != n) {
            r->write_failed = true;
            return 0;
        }
    }
    else
        cr_buf_addn (&r->body, ptr, n);
    return n;
}

static void
s_response_init (s_response_t *r, FILE *file, size_t limit)
{
    memset (r, 0, sizeof (*r));
    r->file = file;
    r->limit = limit;
    crypto_hash_sha256_init (&r->sha);
}

static void
s_response_reset (s_response_t *r)
{
    cr_buf_reset (&r->body);
    zstr_free (&r->content_type);
    zstr_free (&r->docker_digest);
}

//  --------------------------------------------------------------------------
//  GETs url into r. Returns 0 when a response arrived (whatever its
//  status; over / write_failed tell of a body cut short), or records an
//  unreachable-registry error and returns -1.

static int
s_get (s_pull_t *p, const char *url, const char *accept, s_response_t *r)
{
    CURL *curl = p->curl;
    curl_easy_reset (curl);
    struct curl_slist *headers = NULL;
    if (accept)
        headers = curl_slist_append (headers, accept);
    headers = curl_slist_append (headers, "Docker-Distribution-Api-Version: registry/2.0");
    p->errbuf [0] = 0;
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (curl, CURLOPT_USERAGENT, "corral-node/" CR_VERSION);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt (curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    //  A transfer that stalls for 30 s is given up (no overall limit:
    //  layers can be large).
    curl_easy_setopt (curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt (curl, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, p->errbuf);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, r);
    if (p->loopback)
        curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
    CURLcode cc = curl_easy_perform (curl);
    curl_slist_free_all (headers);
    if (cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && (r->over || r->write_failed)))
        return 0;
    s_fail (p, CR_IMAGE_E_UNREACHABLE, "registry %s unreachable: %s", p->ref->registry,
            p->errbuf [0] ? p->errbuf : curl_easy_strerror (cc));
    return -1;
}

//  --------------------------------------------------------------------------
//  Records the error of a non-2xx response about what ("manifest X",
//  "blob sha256:.."), with the registry's own error code and message.

static void
s_http_fail (s_pull_t *p, s_response_t *r, const char *what)
{
    char *detail = NULL;
    json_t *doc = r->body.len ? json_loads (r->body.data, 0, NULL) : NULL;
    json_t *first = json_array_get (json_object_get (doc, "errors"), 0);
    const char *code = json_string_value (json_object_get (first, "code"));
    const char *message = json_string_value (json_object_get (first, "message"));
    if (code || message)
        detail = zsys_sprintf (" (%s%s%s)", code ? code : "", code && message ? ": " : "",
                               message ? message : "");
    else
        detail = strdup ("");
    if (r->status == 404)
        s_fail (p, CR_IMAGE_E_NOT_FOUND, "%s: %s not found%s",
                strstr (what, "manifest") ? "manifest unknown" : "blob unknown", what, detail);
    else
    if (r->status == 401 || r->status == 403)
        s_fail (p, CR_IMAGE_E_UNAUTHORIZED,
                "unauthorized: %s: HTTP %ld%s (pull access denied: registry credentials are not supported)",
                what, r->status, detail);
    else
    if (r->status == 429 || r->status >= 500)
        s_fail (p, CR_IMAGE_E_REGISTRY, "registry %s failed: %s: HTTP %ld%s",
                p->ref->registry, what, r->status, detail);
    else
        s_fail (p, CR_IMAGE_E_REGISTRY, "%s: unexpected HTTP %ld%s", what, r->status, detail);
    free (detail);
    json_decref (doc);
}


//  ==========================================================================
//  Pull

//  --------------------------------------------------------------------------
//  Stores bytes known to hash to digest in the blob cache (for manifests
//  and indexes, so that gc and later inspection find them).

static void
s_cache_bytes (s_pull_t *p, const char *digest, const char *data, size_t size)
{
    char *path = zsys_sprintf ("%s/blobs/sha256/%s", p->self->root, s_digest_hex (digest));
    struct stat st;
    if (stat (path, &st) != 0 && s_write_atomic (p->self, path, data, size) != 0)
        zsys_warning ("cr_image: cannot write %s: %s", path, strerror (errno));
    free (path);
}

//  --------------------------------------------------------------------------
//  GETs manifest reference (a tag or a digest) and checks it. With
//  expect, the content must hash to that digest. Returns the document
//  (caller owns) with *digest (caller frees) and *media (caller frees),
//  or NULL with the error recorded.

static json_t *
s_fetch_manifest (s_pull_t *p, const char *reference, const char *expect, char **digest, char **media)
{
    *digest = NULL;
    *media = NULL;
    char *url = zsys_sprintf ("%s/manifests/%s", p->base, reference);
    s_response_t r;
    s_response_init (&r, NULL, S_MAX_MANIFEST);
    json_t *doc = NULL;
    char *what = zsys_sprintf ("manifest %s%s%s", p->ref->name,
                               strchr (reference, ':') ? "@" : ":", reference);
    if (s_get (p, url, S_ACCEPT, &r) != 0)
        goto done;
    if (r.over) {
        s_fail (p, CR_IMAGE_E_BAD_IMAGE, "%s is larger than %d bytes", what, S_MAX_MANIFEST);
        goto done;
    }
    if (r.status != 200) {
        s_http_fail (p, &r, what);
        goto done;
    }
    char *computed = s_hash_digest (&r.sha);
    if (expect && !streq (expect, computed)) {
        s_fail (p, CR_IMAGE_E_DIGEST_MISMATCH, "digest mismatch for %s: content is %s", what, computed);
        free (computed);
        goto done;
    }
    if (r.docker_digest && strncmp (r.docker_digest, "sha256:", 7) == 0
    &&  !streq (r.docker_digest, computed)) {
        s_fail (p, CR_IMAGE_E_DIGEST_MISMATCH,
                "digest mismatch for %s: registry says %s, content is %s", what, r.docker_digest, computed);
        free (computed);
        goto done;
    }
    doc = r.body.data ? json_loadb (r.body.data, r.body.len, 0, NULL) : NULL;
    if (!json_is_object (doc)) {
        s_fail (p, CR_IMAGE_E_BAD_IMAGE, "%s is not a JSON object", what);
        json_decref (doc);
        doc = NULL;
        free (computed);
        goto done;
    }
    const char *mt = json_string_value (json_object_get (doc, "mediaType"));
    if (!mt && r.content_type && !streq (r.content_type, "application/json")
    &&  !streq (r.content_type, "application/octet-stream") && !streq (r.content_type, "text/plain"))
        mt = r.content_type;
    *media = mt ? strdup (mt) : NULL;
    *digest = computed;
    s_cache_bytes (p, computed, r.body.data, r.body.len);
  done:
    s_response_reset (&r);
    free (what);
    free (url);
    return doc;
}

//  --------------------------------------------------------------------------
//  Makes sure blob digest (of size bytes, or < 0 when unknown, at most
//  limit) is in the cache, downloading and verifying it. Returns its path
//  (caller frees) or NULL with the error recorded.

static char *
s_fetch_blob (s_pull_t *p, const char *digest, json_int_t size, size_t limit)
{
    const char *hex = s_digest_hex (digest);
    assert (hex);
    char *path = zsys_sprintf ("%s/blobs/sha256/%s", p->self->root, hex);
    struct stat st;
    if (stat (path, &st) == 0 && S_ISREG (st.st_mode) && (size < 0 || st.st_size == size))
        return path;
    char *tmp = s_tmp_path (p->self, "blob");
    FILE *f = fopen (tmp, "wb");
    if (!f) {
        s_fail (p, CR_IMAGE_E_IO, "cannot write %s: %s", tmp, strerror (errno));
        free (tmp);
        free (path);
        return NULL;
    }
    char *url = zsys_sprintf ("%s/blobs/%s", p->base, digest);
    s_response_t r;
    s_response_init (&r, f, size >= 0 ? (size_t) size : limit);
    int rc = s_get (p, url, NULL, &r);
    bool closed = fclose (f) == 0;
    char *what = zsys_sprintf ("blob %s", digest);
    if (rc != 0)
        ;
    else
    if (r.status != 200)
        s_http_fail (p, &r, what);
    else
    if (r.write_failed || !closed)
        s_fail (p, CR_IMAGE_E_IO, "cannot write %s: %s", tmp, strerror (errno));
    else
    if (r.over)
        s_fail (p, CR_IMAGE_E_DIGEST_MISMATCH, "blob %s is larger than %zu bytes", digest, r.limit);
    else
    if (size >= 0 && r.size != (size_t) size)
        s_fail (p, CR_IMAGE_E_DIGEST_MISMATCH, "size mismatch for blob %s: expected %" PRId64 " bytes, got %zu",
                digest, (int64_t) size, r.size);
    else {
        char *computed = s_hash_digest (&r.sha);
        if (!streq (computed, digest))
            s_fail (p, CR_IMAGE_E_DIGEST_MISMATCH, "digest mismatch for blob %s: content is %s",
                    digest, computed);
        else
        if (rename (tmp, path) != 0)
            s_fail (p, CR_IMAGE_E_IO, "cannot write %s: %s", path, strerror (errno));
        free (computed);
    }
    free (what);
    s_response_reset (&r);
    unlink (tmp);
    free (tmp);
    free (url);
    if (p->code)
        zstr_free (&path);
    return path;
}

static bool
s_is_index (const char *media, json_t *doc)
{
    if (media)
        return streq (media, S_MT_OCI_INDEX) || streq (media, S_MT_DOCKER_LIST);
    return json_is_array (json_object_get (doc, "manifests")) && !json_object_get (doc, "layers");
}

//  --------------------------------------------------------------------------
//  Picks linux/<this architecture> from an index (an entry without a
//  platform is the fallback). Returns the chosen digest (borrowed from
//  index) or NULL with the error recorded.

static const char *
s_pick_platform (s_pull_t *p, json_t *index)
{
    json_t *list = json_object_get (index, "manifests");
    const char *fallback = NULL;
    size_t i;
    json_t *entry;
    json_array_foreach (list, i, entry) {
        const char *digest = json_string_value (json_object_get (entry, "digest"));
        if (!s_digest_hex (digest))
            continue;
        json_t *platform = json_object_get (entry, "platform");
        if (!platform) {
            if (!fallback)
                fallback = digest;
            continue;
        }
        const char *os = json_string_value (json_object_get (platform, "os"));
        const char *arch = json_string_value (json_object_get (platform, "architecture"));
        if (os && arch && streq (os, "linux") && streq (arch, S_ARCH))
            return digest;
    }
    if (fallback)
        return fallback;
    s_fail (p, CR_IMAGE_E_BAD_IMAGE, "no matching manifest for linux/%s in the manifest list entries", S_ARCH);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Checks an image manifest: schema 2, a sha256 config and at most
//  S_MAX_LAYERS sha256 layers of a media type we can unpack. Returns 0
//  or -1 with the error recorded.

static int
s_check_manifest (s_pull_t *p, const char *media, json_t *doc)
{
    if ((media && strncmp (media, "application/vnd.docker.distribution.manifest.v1+", 48) == 0)
    ||  json_integer_value (json_object_get (doc, "schemaVersion")) == 1) {
        s_fail (p, CR_IMAGE_E_BAD_IMAGE, "Docker schema 1 manifests are not supported");
        return -1;
    }
    if (media && !streq (media, S_MT_OCI_MANIFEST) && !streq (media, S_MT_DOCKER_V2)) {
        s_fail (p, CR_IMAGE_E_BAD_IMAGE, "unsupported manifest media type %s", media);
        return -1;
    }
    json_t *config = json_object_get (doc, "config");
    json_t *layers = json_object_get (doc, "layers");
    if (!s_digest_hex (json_string_value (json_object_get (config, "digest")))) {
        s_fail (p, CR_IMAGE_E_BAD_IMAGE, "manifest has no valid config descriptor (sha256 digests only)");
        return -1;
    }
    if (!json_is_array (layers) || json_array_size (layers) > S_MAX_LAYERS) {
        s_fail (p, CR_IMAGE_E_BAD_IMAGE, "manifest has no layer list or more than %d layers", S_MAX_LAYERS);
        return -1;
    }
    size_t i;
    json_t *layer;
    json_array_foreach (layers, i, layer) {
        const char *mt = json_string_value (json_object_get (layer, "mediaType"));
        if (!s_digest_hex (json_string_value (json_object_get (layer, "digest")))) {
            s_fail (p, CR_IMAGE_E_BAD_IMAGE, "layer %zu has no valid digest (sha256 digests only)", i);
            return -1;
        }
        if (mt && !strstr (mt, ".tar") && !strstr (mt, "rootfs.diff.tar")
        &&  !strstr (mt, "rootfs.foreign.diff.tar")) {
            s_fail (p, CR_IMAGE_E_BAD_IMAGE, "layer %zu has unsupported media type %s", i, mt);
            return -1;
        }
    }
    return 0;
}

static json_int_t
s_desc_size (json_t *desc)
{
    json_t *size = json_object_get (desc, "size");
    return json_is_integer (size) && json_integer_value (size) >= 0 ? json_integer_value (size) : -1;
}

//  --------------------------------------------------------------------------
//  Fetches config and layers of manifest doc and assembles image <hex>.
//  Returns the image document (caller owns) or NULL with the error
//  recorded.

static json_t *
s_assemble (s_pull_t *p, const char *digest, json_t *manifest)
{
    cr_image_t *self = p->self;
    const char *hex = s_digest_hex (digest);
    json_t *config_desc = json_object_get (manifest, "config");
    const char *config_digest = json_string_value (json_object_get (config_desc, "digest"));
    json_int_t total = s_desc_size (config_desc) > 0 ? s_desc_size (config_desc) : 0;
    char *config_path = s_fetch_blob (p, config_digest, s_desc_size (config_desc), S_MAX_CONFIG);
    if (!config_path)
        return NULL;
    json_error_t jerr;
    json_t *config = json_load_file (config_path, 0, &jerr);
    free (config_path);
    if (!json_is_object (config)) {
        s_fail (p, CR_IMAGE_E_BAD_IMAGE, "image config %s is not a JSON object", config_digest);
        json_decref (config);
        return NULL;
    }
    json_t *keep = json_object ();
    const char *fields [] = { "Env", "Entrypoint", "Cmd", "WorkingDir", "User" };
    json_t *runtime = json_object_get (config, "config");
    for (size_t i = 0; i < sizeof (fields) / sizeof (fields [0]); i++) {
        json_t *value = json_object_get (runtime, fields [i]);
        if (value && !json_is_null (value))
            json_object_set (keep, fields [i], value);
    }
    json_t *doc = json_pack ("{s:s, s:s, s:o, s:[], s:O?, s:O?}",
                             "digest", digest, "configDigest", config_digest, "config", keep,
                             "layers", "architecture", json_object_get (config, "architecture"),
                             "os", json_object_get (config, "os"));
    json_decref (config);

    char *rootfs = s_tmp_path (self, "rootfs");
    if (mkdir (rootfs, 0755) != 0) {
        s_fail (p, CR_IMAGE_E_IO, "cannot create %s: %s", rootfs, strerror (errno));
        goto fail;
    }
    size_t i;
    json_t *layer;
    json_array_foreach (json_object_get (manifest, "layers"), i, layer) {
        const char *layer_digest = json_string_value (json_object_get (layer, "digest"));
        json_int_t size = s_desc_size (layer);
        char *blob = s_fetch_blob (p, layer_digest, size, SIZE_MAX);
        if (!blob)
            goto fail;
        char *err = NULL;
        int rc = cr_image_unpack_layer (rootfs, blob, &err);
        free (blob);
        if (rc != 0) {
            s_fail (p, rc, "layer %s: %s", layer_digest, err ? err : "cannot unpack");
            free (err);
            goto fail;
        }
        json_array_append_new (json_object_get (doc, "layers"), json_string (layer_digest));
        if (size > 0)
            total += size;
    }
    json_object_set_new (doc, "size", json_integer (total));

    char *dir = zsys_sprintf ("%s/images/%s", self->root, hex);
    char *final = zsys_sprintf ("%s/rootfs", dir);
    char *doc_path = zsys_sprintf ("%s/image.json", dir);
    if (mkdir (dir, 0755) != 0 && errno != EEXIST)
        s_fail (p, CR_IMAGE_E_IO, "cannot create %s: %s", dir, strerror (errno));
    else
    if (rename (rootfs, final) != 0) {
        //  Another pull of the same image finished first: use its rootfs.
        struct stat st;
        if ((errno != EEXIST && errno != ENOTEMPTY) || stat (final, &st) != 0)
            s_fail (p, CR_IMAGE_E_IO, "cannot create %s: %s", final, strerror (errno));
    }
    if (!p->code && s_write_json (self, doc_path, doc) != 0)
        s_fail (p, CR_IMAGE_E_IO, "cannot write %s: %s", doc_path, strerror (errno));
    free (doc_path);
    free (final);
    free (dir);
    if (p->code)
        goto fail;
    s_rm_rf (rootfs);
    free (rootfs);
    return doc;

  fail:
    s_rm_rf (rootfs);
    free (rootfs);
    json_decref (doc);
    return NULL;
}

int
cr_image_pull (cr_image_t *self, const char *image, cr_image_policy_t policy,
               json_t **result, char **error)
{
    assert (self && result && error);
    *result = NULL;
    *error = NULL;
    cr_image_ref_t *ref = cr_image_ref_parse (image, self->default_registry, error);
    if (!ref)
        return CR_IMAGE_E_INVALID_NAME;
    pthread_rwlock_rdlock (&self->gc_lock);
    json_t *doc = NULL;
    char *digest = NULL;
    if (policy != CR_IMAGE_PULL_ALWAYS) {
        digest = s_lookup (self, ref, &doc);
        if (digest) {
            *result = s_result (self, ref, digest, doc, false);
            json_decref (doc);
            free (digest);
            pthread_rwlock_unlock (&self->gc_lock);
            cr_image_ref_destroy (&ref);
            return 0;
        }
        if (policy == CR_IMAGE_PULL_NEVER) {
            pthread_rwlock_unlock (&self->gc_lock);
            *error = zsys_sprintf ("Container image \"%s\" is not present with pull policy of Never", image);
            cr_image_ref_destroy (&ref);
            return CR_IMAGE_E_NEVER_PULL;
        }
    }
    s_pull_t p = { 0 };
    p.self = self;
    p.image = image;
    p.ref = ref;
    p.curl = curl_easy_init ();
    assert (p.curl);
    //  A mirror serves the registry's repositories under the same names
    //  (containerd's hosts.toml "mirrors"); its own address decides the
    //  scheme.
    const char *mirror = self->mirrors ? json_string_value (json_object_get (self->mirrors, ref->registry)) : NULL;
    const char *host = mirror ? mirror
                     : streq (ref->registry, "docker.io") ? "registry-1.docker.io" : ref->registry;
    p.loopback = s_is_loopback (host);
    p.base = zsys_sprintf ("%s://%s/v2/%s", s_is_insecure (self, host) ? "http" : "https",
                           host, ref->repository);

    char *media = NULL;
    char *index_digest = NULL;
    json_t *manifest = s_fetch_manifest (&p, ref->digest ? ref->digest : ref->tag, ref->digest,
                                         &digest, &media);
    if (manifest && s_is_index (media, manifest)) {
        index_digest = digest;
        digest = NULL;
        const char *chosen = s_pick_platform (&p, manifest);
        json_t *index = manifest;
        manifest = NULL;
        if (chosen) {
            free (media);
            media = NULL;
            manifest = s_fetch_manifest (&p, chosen, chosen, &digest, &media);
            if (manifest && s_is_index (media, manifest)) {
                s_fail (&p, CR_IMAGE_E_BAD_IMAGE, "nested image indexes are not supported");
                json_decref (manifest);
                manifest = NULL;
            }
        }
        json_decref (index);
    }
    if (manifest && s_check_manifest (&p, media, manifest) == 0) {
        doc = s_image_doc (self, s_digest_hex (digest));
        if (!doc)
            doc = s_assemble (&p, digest, manifest);
    }
    if (doc) {
        char *key = s_ref_key (ref);
        s_refs_add (self, key, digest);
        free (key);
        key = zsys_sprintf ("%s@%s", ref->name, digest);
        s_refs_add (self, key, digest);
        free (key);
        if (index_digest) {
            key = zsys_sprintf ("%s@%s", ref->name, index_digest);
            s_refs_add (self, key, digest);
            free (key);
        }
        *result = s_result (self, ref, digest, doc, true);
        json_decref (doc);
    }
    pthread_rwlock_unlock (&self->gc_lock);
    int rc = p.code;
    if (!*result && !rc)
        s_fail (&p, rc = CR_IMAGE_E_BAD_IMAGE, "unknown error");
    *error = p.error;
    json_decref (manifest);
    free (media);
    free (digest);
    free (index_digest);
    free (p.base);
    curl_easy_cleanup (p.curl);
    cr_image_ref_destroy (&ref);
    return *result ? 0 : rc;
}


//  ==========================================================================
//  Listing and garbage collection

//  --------------------------------------------------------------------------
//  The hex names of the folders under images/ (complete or not). Caller
//  destroys.

static int
s_compare (void *item1, void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
}

static zlist_t *
s_image_dirs (cr_image_t *self)
{
    zlist_t *list = zlist_new ();
    zlist_autofree (list);
    char *path = zsys_sprintf ("%s/images", self->root);
    DIR *dir = opendir (path);
    struct dirent *de;
    while (dir && (de = readdir (dir))) {
        char *digest = zsys_sprintf ("sha256:%s", de->d_name);
        if (s_digest_hex (digest))
            zlist_append (list, de->d_name);
        free (digest);
    }
    if (dir)
        closedir (dir);
    free (path);
    zlist_sort (list, s_compare);
    return list;
}

json_t *
cr_image_list (cr_image_t *self)
{
    assert (self);
    json_t *list = json_array ();
    pthread_rwlock_rdlock (&self->gc_lock);
    zlist_t *dirs = s_image_dirs (self);
    pthread_mutex_lock (&self->refs_lock);
    for (const char *hex = (const char *) zlist_first (dirs); hex; hex = (const char *) zlist_next (dirs)) {
        json_t *doc = s_image_doc (self, hex);
        if (!doc)
            continue;
        const char *digest = json_string_value (json_object_get (doc, "digest"));
        json_t *names = json_array ();
        const char *key;
        json_t *value;
        json_object_foreach (self->refs, key, value) {
            if (digest && json_is_string (value) && streq (json_string_value (value), digest))
                json_array_append_new (names, json_string (key));
        }
        json_t *image = json_object ();
        json_object_set_new (image, "names", names);
        json_object_set_new (image, "sizeBytes",
                             json_integer (json_integer_value (json_object_get (doc, "size"))));
        json_array_append_new (list, image);
        json_decref (doc);
    }
    pthread_mutex_unlock (&self->refs_lock);
    pthread_rwlock_unlock (&self->gc_lock);
    zlist_destroy (&dirs);
    return list;
}

int
cr_image_gc (cr_image_t *self, const char *const *in_use)
{
    assert (self);
    pthread_rwlock_wrlock (&self->gc_lock);
    pthread_mutex_lock (&self->refs_lock);
    //  What the caller still uses, as manifest hex digests
    zhashx_t *keep = zhashx_new ();
    for (size_t i = 0; in_use && in_use [i]; i++) {
        const char *hex = s_digest_hex (in_use [i]);
        if (hex) {
            zhashx_insert (keep, hex, (void *) 1);
            continue;
        }
        cr_image_ref_t *ref = cr_image_ref_parse (in_use [i], self->default_registry, NULL);
        if (!ref)
            continue;
        char *key = s_ref_key (ref);
        const char *value = json_string_value (json_object_get (self->refs, key));
        if (!value && ref->digest)
            value = ref->digest;
        if (s_digest_hex (value))
            zhashx_insert (keep, s_digest_hex (value), (void *) 1);
        free (key);
        cr_image_ref_destroy (&ref);
    }
    //  Images
    int removed = 0;
    int rc = 0;
    zhashx_t *kept = zhashx_new ();      //  Images that stay
    zhashx_t *blobs = zhashx_new ();     //  Blobs they use
    zlist_t *dirs = s_image_dirs (self);
    for (const char *hex = (const char *) zlist_first (dirs); hex; hex = (const char *) zlist_next (dirs)) {
        json_t *doc = s_image_doc (self, hex);
        if (doc && zhashx_lookup (keep, hex)) {
            zhashx_insert (kept, hex, (void *) 1);
            zhashx_insert (blobs, hex, (void *) 1);
            const char *config = s_digest_hex (json_string_value (json_object_get (doc, "configDigest")));
            if (config)
                zhashx_insert (blobs, config, (void *) 1);
            size_t i;
            json_t *layer;
            json_array_foreach (json_object_get (doc, "layers"), i, layer) {
                if (s_digest_hex (json_string_value (layer)))
                    zhashx_insert (blobs, s_digest_hex (json_string_value (layer)), (void *) 1);
            }
        }
        else {
            char *path = zsys_sprintf ("%s/images/%s", self->root, hex);
            if (s_rm_rf (path) == 0) {
                if (doc)
                    removed++;
            }
            else {
                zsys_warning ("cr_image: cannot remove %s", path);
                rc = CR_IMAGE_E_IO;
            }
            free (path);
        }
        json_decref (doc);
    }
    zlist_destroy (&dirs);
    //  References to what is gone; index blobs of what stays
    void *iter = json_object_iter (self->refs);
    while (iter) {
        const char *key = json_object_iter_key (iter);
        const char *hex = s_digest_hex (json_string_value (json_object_iter_value (iter)));
        void *next = json_object_iter_next (self->refs, iter);
        if (!hex || !zhashx_lookup (kept, hex))
            json_object_del (self->refs, key);
        else {
            const char *at = strrchr (key, '@');
            if (at && s_digest_hex (at + 1))
                zhashx_insert (blobs, s_digest_hex (at + 1), (void *) 1);
        }
        iter = next;
    }
    char *path = zsys_sprintf ("%s/refs.json", self->root);
    if (s_write_json (self, path, self->refs) != 0)
        rc = CR_IMAGE_E_IO;
    free (path);
    //  Blobs
    path = zsys_sprintf ("%s/blobs/sha256", self->root);
    DIR *dir = opendir (path);
    struct dirent *de;
    while (dir && (de = readdir (dir))) {
        if (streq (de->d_name, ".") || streq (de->d_name, "..") || zhashx_lookup (blobs, de->d_name))
            continue;
        char *blob = zsys_sprintf ("%s/%s", path, de->d_name);
        if (s_rm_rf (blob) != 0)
            rc = CR_IMAGE_E_IO;
        free (blob);
    }
    if (dir)
        closedir (dir);
    free (path);
    zhashx_destroy (&blobs);
    zhashx_destroy (&kept);
    zhashx_destroy (&keep);
    pthread_mutex_unlock (&self->refs_lock);
    pthread_rwlock_unlock (&self->gc_lock);
    return rc ? rc : removed;
}
