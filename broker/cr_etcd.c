/*  =========================================================================
    cr_etcd - a client of etcd's v3 JSON API (libcurl)

    etcd 3.4 serves its gRPC API as JSON under /v3/ (grpc-gateway): every
    call is a POST, keys and values are standard base64, int64 fields are
    JSON strings and proto3 default values are omitted, so readers use
    cr_etcd_int which treats absence as 0.

    A client holds one libcurl easy handle (keep-alive) and is used by one
    thread. With several members, a call that cannot connect moves on to
    the next member; the member that answered last is tried first.

    Watches stream newline-delimited JSON objects {"result": {...}} over a
    chunked response; the write callback splits lines and hands each
    result to the caller's function.
    =========================================================================
*/
#include "broker_classes.h"

struct _cr_etcd_t {
    CURL *curl;                 //  Handle for unary calls (keep-alive)
    CURL *watch_curl;           //  Handle for the streaming watch
    char **members;             //  Member URLs without trailing slash
    size_t nmembers;            //  Number of members
    size_t current;             //  Member to try first
    volatile int cancel;        //  Set to stop a running watch
};

typedef struct {
    char *data;
    size_t size;
    size_t cap;
} s_buf_t;

static size_t
s_buf_write (char *ptr, size_t size, size_t nmemb, void *userdata)
{
    s_buf_t *buf = (s_buf_t *) userdata;
    size_t n = size * nmemb;
    if (buf->size + n + 1 > buf->cap) {
        buf->cap = (buf->size + n + 1) * 2;
        buf->data = (char *) realloc (buf->data, buf->cap);
        assert (buf->data);
    }
    memcpy (buf->data + buf->size, ptr, n);
    buf->size += n;
    buf->data [buf->size] = 0;
    return n;
}

cr_etcd_t *
cr_etcd_new (const char *endpoints)
{
    assert (endpoints);
    cr_etcd_t *self = (cr_etcd_t *) zmalloc (sizeof (cr_etcd_t));
    char *copy = strdup (endpoints);
    char *save = NULL;
    for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        self->members = (char **) realloc (self->members, sizeof (char *) * (self->nmembers + 1));
        char *url = strncmp (tok, "http", 4) == 0 ? strdup (tok) : zsys_sprintf ("http://%s", tok);
        size_t len = strlen (url);
        while (len > 0 && url [len - 1] == '/')
            url [--len] = 0;
        self->members [self->nmembers++] = url;
    }
    free (copy);
    if (self->nmembers == 0) {
        free (self);
        return NULL;
    }
    self->curl = curl_easy_init ();
    self->watch_curl = curl_easy_init ();
    assert (self->curl && self->watch_curl);
    return self;
}

void
cr_etcd_destroy (cr_etcd_t **self_p)
{
    assert (self_p);
    cr_etcd_t *self = *self_p;
    if (!self)
        return;
    curl_easy_cleanup (self->curl);
    curl_easy_cleanup (self->watch_curl);
    for (size_t i = 0; i < self->nmembers; i++)
        free (self->members [i]);
    free (self->members);
    free (self);
    *self_p = NULL;
}

static void
s_setup (CURL *curl, const char *url, const char *body, struct curl_slist *headers)
{
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_POST, 1L);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) strlen (body));
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    curl_easy_setopt (curl, CURLOPT_TCP_NODELAY, 1L);
}

int
cr_etcd_call (cr_etcd_t *self, const char *path, json_t *body, json_t **reply)
{
    assert (self && path && body && reply);
    *reply = NULL;
    char *text = json_dumps (body, JSON_COMPACT);
    struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
    int rc = CR_E_UNAVAILABLE;
    for (size_t attempt = 0; attempt < self->nmembers; attempt++) {
        size_t m = (self->current + attempt) % self->nmembers;
        char *url = zsys_sprintf ("%s%s", self->members [m], path);
        s_buf_t buf = { NULL, 0, 0 };
        s_setup (self->curl, url, text, headers);
        curl_easy_setopt (self->curl, CURLOPT_TIMEOUT_MS, 10000L);
        curl_easy_setopt (self->curl, CURLOPT_WRITEFUNCTION, s_buf_write);
        curl_easy_setopt (self->curl, CURLOPT_WRITEDATA, &buf);
        CURLcode cc = curl_easy_perform (self->curl);
        zstr_free (&url);
        if (cc == CURLE_OPERATION_TIMEDOUT) {
            //  The request went out and no answer came: it may have been
            //  applied, so it must not be retried on another member.
            free (buf.data);
            rc = CR_E_TIMEOUT;
            break;
        }
        if (cc != CURLE_OK) {
            free (buf.data);
            continue;
        }
        self->current = m;
        long status = 0;
        curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &status);
        json_t *doc = buf.data ? json_loads (buf.data, 0, NULL) : NULL;
        free (buf.data);
        if (status == 200 && doc) {
            *reply = doc;
            rc = 0;
        }
        else {
            //  gRPC code 11 is OutOfRange: a compacted revision.
            int code = (int) json_integer_value (json_object_get (doc, "code"));
            const char *msg = json_string_value (json_object_get (doc, "message"));
            if (code == 14 || (msg && strstr (msg, "leader")))
                rc = CR_E_UNAVAILABLE;
            else
                rc = code == 11 ? CR_E_GONE : CR_E_BAD_REQUEST;
            *reply = doc;
        }
        break;
    }
    curl_slist_free_all (headers);
    free (text);
    return rc;
}

typedef struct {
    cr_etcd_t *self;
    cr_etcd_watch_fn *fn;
    void *arg;
    s_buf_t line;
    bool ended;
} s_watch_t;

static size_t
s_watch_write (char *ptr, size_t size, size_t nmemb, void *userdata)
{
    s_watch_t *w = (s_watch_t *) userdata;
    size_t n = size * nmemb;
    if (w->self->cancel)
        return 0;
    s_buf_write (ptr, 1, n, &w->line);
    char *start = w->line.data;
    char *nl;
    while ((nl = memchr (start, '\n', w->line.size - (size_t) (start - w->line.data)))) {
        *nl = 0;
        json_t *doc = json_loads (start, 0, NULL);
        start = nl + 1;
        if (!doc)
            continue;
        json_t *result = json_object_get (doc, "result");
        int rc = w->fn (result ? result : doc, w->arg);
        json_decref (doc);
        if (rc != 0) {
            w->ended = true;
            return 0;           //  Aborts the transfer
        }
    }
    size_t rest = w->line.size - (size_t) (start - w->line.data);
    memmove (w->line.data, start, rest);
    w->line.size = rest;
    w->line.data [rest] = 0;
    return n;
}

static int
s_watch_progress (void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    s_watch_t *w = (s_watch_t *) clientp;
    return w->self->cancel ? 1 : 0;
}

int
cr_etcd_watch (cr_etcd_t *self, const char *prefix, int64_t start_revision,
               cr_etcd_watch_fn *fn, void *arg)
{
    assert (self && prefix && fn);
    self->cancel = 0;
    char *key = cr_etcd_b64 (prefix, strlen (prefix));
    char *end = cr_etcd_prefix_end (prefix);
    json_t *body = json_pack ("{s:{s:s, s:s, s:s, s:b}}", "create_request",
                              "key", key, "range_end", end,
                              "start_revision", "0", "progress_notify", 1);
    char rev [32];
    snprintf (rev, sizeof (rev), "%" PRId64, start_revision);
    json_object_set_new (json_object_get (body, "create_request"), "start_revision", json_string (rev));
    char *text = json_dumps (body, JSON_COMPACT);
    json_decref (body);
    free (key);
    free (end);
    struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
    s_watch_t w = { self, fn, arg, { NULL, 0, 0 }, false };
    char *url = zsys_sprintf ("%s/v3/watch", self->members [self->current]);
    s_setup (self->watch_curl, url, text, headers);
    curl_easy_setopt (self->watch_curl, CURLOPT_TIMEOUT_MS, 0L);
    curl_easy_setopt (self->watch_curl, CURLOPT_WRITEFUNCTION, s_watch_write);
    curl_easy_setopt (self->watch_curl, CURLOPT_WRITEDATA, &w);
    curl_easy_setopt (self->watch_curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt (self->watch_curl, CURLOPT_XFERINFOFUNCTION, s_watch_progress);
    curl_easy_setopt (self->watch_curl, CURLOPT_XFERINFODATA, &w);
    curl_easy_setopt (self->watch_curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt (self->watch_curl, CURLOPT_TCP_KEEPIDLE, 5L);
    curl_easy_setopt (self->watch_curl, CURLOPT_TCP_KEEPINTVL, 2L);
    CURLcode cc = curl_easy_perform (self->watch_curl);
    if (cc == CURLE_COULDNT_CONNECT)
        self->current = (self->current + 1) % self->nmembers;
    zstr_free (&url);
    free (w.line.data);
    curl_slist_free_all (headers);
    free (text);
    return w.ended ? 0 : CR_E_UNAVAILABLE;
}

void
cr_etcd_watch_cancel (cr_etcd_t *self)
{
    assert (self);
    self->cancel = 1;
}

char *
cr_etcd_b64 (const void *data, size_t size)
{
    size_t cap = sodium_base64_ENCODED_LEN (size, sodium_base64_VARIANT_ORIGINAL);
    char *out = (char *) zmalloc (cap);
    sodium_bin2base64 (out, cap, (const unsigned char *) data, size, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

void *
cr_etcd_unb64 (const char *text, size_t *size)
{
    if (!text)
        return NULL;
    size_t len = strlen (text);
    unsigned char *out = (unsigned char *) zmalloc (len / 4 * 3 + 4);
    size_t n = 0;
    if (sodium_base642bin (out, len / 4 * 3 + 4, text, len, NULL, &n, NULL,
                           sodium_base64_VARIANT_ORIGINAL) != 0) {
        free (out);
        return NULL;
    }
    *size = n;
    return out;
}

int64_t
cr_etcd_int (const json_t *obj, const char *field)
{
    json_t *v = json_object_get (obj, field);
    if (json_is_integer (v))
        return json_integer_value (v);
    if (json_is_string (v))
        return strtoll (json_string_value (v), NULL, 10);
    return 0;
}

char *
cr_etcd_prefix_end (const char *prefix)
{
    size_t len = strlen (prefix);
    char *end = strdup (prefix);
    end [len - 1]++;
    char *b = cr_etcd_b64 (end, len);
    free (end);
    return b;
}
