/*  =========================================================================
    cr_gwws - WebSocket (RFC 6455) for the gateway's exec streams

    kubectl 1.32 opens `kubectl exec` as a WebSocket (GET with Upgrade:
    websocket, subprotocol v5.channel.k8s.io; client libraries such as
    python-kubernetes offer v4.channel.k8s.io). The HTTP part of the
    handshake is libmicrohttpd's (an upgrade response); this file holds
    what is WebSocket's own, as pure functions the unit tests check:

    - Handshake: Sec-WebSocket-Accept = base64 (SHA-1 (key + GUID)).
      SHA-1 is CZMQ's zdigest (the library is linked anyway), base64 is
      libsodium's; no other crypto library is needed. The subprotocol is
      picked from what the client offers: v5, else v4.

    - Frames written (server to client) are final and unmasked; a
      message of a channel is one binary frame whose first byte is the
      channel. Control frames carry at most 125 bytes.

    - Frames read (client to server) go through an incremental reader:
      bytes in as the socket gives them, whole messages out. It unmasks
      in place, joins fragments (control frames may come between them),
      and refuses what a server must refuse, with the close code to
      answer: unmasked frames, reserved bits or opcodes, fragmented or
      oversized control frames, a continuation without a message or a
      new message inside one (1002); invalid UTF-8 in a text message or
      close reason (1007); a message over the limit (1009), refused from
      its header, before its payload is buffered. Once failed, a reader
      stays failed.

    The buffer keeps unread bytes from `pos`; it is compacted when fed,
    so the pointers next() returns stay valid until the next feed or
    next call.
    =========================================================================
*/
#include "gateway_classes.h"

struct _cr_gwws_reader_t {
    size_t max;                 //  Largest message accepted
    byte *in;                   //  Bytes fed
    size_t pos, len, cap;       //  Unread from pos to len
    byte *msg;                  //  A fragmented message being joined
    size_t msg_len, msg_cap;
    int msg_opcode;             //  Its opcode; 0 when none is open
    bool failed;
    int fail_code;
    const char *fail_reason;
};

//  --------------------------------------------------------------------------
//  Handshake

int
cr_gwws_accept_key (const char *key, char *out, size_t outlen)
{
    assert (out);
    if (!key || outlen < 29)
        return -1;
    while (*key == ' ' || *key == '\t')
        key++;
    size_t n = strlen (key);
    while (n > 0 && (key [n - 1] == ' ' || key [n - 1] == '\t'))
        n--;
    if (n != 24)
        return -1;
    byte raw [18];
    size_t raw_len = 0;
    if (sodium_base642bin (raw, sizeof (raw), key, n, NULL, &raw_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0
    ||  raw_len != 16)
        return -1;
    zdigest_t *digest = zdigest_new ();
    zdigest_update (digest, (const byte *) key, n);
    zdigest_update (digest, (const byte *) CR_GWWS_GUID, strlen (CR_GWWS_GUID));
    const byte *sha1 = zdigest_data (digest);
    int rc = -1;
    if (sha1 && zdigest_size (digest) == 20) {
        sodium_bin2base64 (out, outlen, sha1, 20, sodium_base64_VARIANT_ORIGINAL);
        rc = 0;
    }
    zdigest_destroy (&digest);
    return rc;
}

bool
cr_gwws_has_token (const char *header, const char *token)
{
    if (!header || !token)
        return false;
    size_t want = strlen (token);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end [-1] == ' ' || end [-1] == '\t'))
            end--;
        if ((size_t) (end - start) == want && strncasecmp (start, token, want) == 0)
            return true;
    }
    return false;
}

const char *
cr_gwws_protocol (const char *offered)
{
    //  Subprotocol names are case-sensitive tokens; compare exactly.
    bool v5 = false, v4 = false;
    const char *p = offered ? offered : "";
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end [-1] == ' ' || end [-1] == '\t'))
            end--;
        size_t n = (size_t) (end - start);
        if (n == strlen (CR_GWWS_V5) && strncmp (start, CR_GWWS_V5, n) == 0)
            v5 = true;
        if (n == strlen (CR_GWWS_V4) && strncmp (start, CR_GWWS_V4, n) == 0)
            v4 = true;
    }
    return v5 ? CR_GWWS_V5 : v4 ? CR_GWWS_V4 : NULL;
}

//  --------------------------------------------------------------------------
//  Writing

void
cr_gwws_frame (cr_buf_t *out, int opcode, const void *data, size_t size, const byte *mask)
{
    assert (out);
    byte head [14];
    size_t n = 0;
    head [n++] = (byte) (0x80 | (opcode & 0x0F));
    byte masked = mask ? 0x80 : 0;
    if (size < 126)
        head [n++] = (byte) (masked | size);
    else
    if (size <= 0xFFFF) {
        head [n++] = masked | 126;
        head [n++] = (byte) (size >> 8);
        head [n++] = (byte) size;
    }
    else {
        head [n++] = masked | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            head [n++] = (byte) ((uint64_t) size >> shift);
    }
    if (mask)
        for (int i = 0; i < 4; i++)
            head [n++] = mask [i];
    cr_buf_addn (out, (const char *) head, n);
    size_t at = out->len;
    cr_buf_addn (out, (const char *) data, size);
    if (mask)
        for (size_t i = 0; i < size; i++)
            out->data [at + i] ^= (char) mask [i % 4];
}

void
cr_gwws_channel (cr_buf_t *out, int channel, const void *data, size_t size)
{
    assert (out);
    byte *message = (byte *) zmalloc (size + 1);
    message [0] = (byte) channel;
    if (size)
        memcpy (message + 1, data, size);
    cr_gwws_frame (out, CR_GWWS_OP_BINARY, message, size + 1, NULL);
    free (message);
}

bool
cr_gwws_utf8_ok (const byte *s, size_t size)
{
    size_t i = 0;
    while (i < size) {
        byte c = s [i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t extra;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            cp = c & 0x1F;
        }
        else
        if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            cp = c & 0x0F;
        }
        else
        if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            cp = c & 0x07;
        }
        else
            return false;
        if (i + extra >= size)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s [i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s [i + k] & 0x3F);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10FFFF
        ||  (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += extra + 1;
    }
    return true;
}

void
cr_gwws_close (cr_buf_t *out, int code, const char *reason)
{
    assert (out);
    byte payload [125];
    size_t n = 0;
    if (code > 0) {
        payload [n++] = (byte) (code >> 8);
        payload [n++] = (byte) code;
        size_t len = reason ? strlen (reason) : 0;
        if (len > sizeof (payload) - n)
            len = sizeof (payload) - n;
        //  Never cut a UTF-8 sequence in two.
        while (len > 0 && !cr_gwws_utf8_ok ((const byte *) reason, len))
            len--;
        if (len)
            memcpy (payload + n, reason, len);
        n += len;
    }
    cr_gwws_frame (out, CR_GWWS_OP_CLOSE, payload, n, NULL);
}

//  --------------------------------------------------------------------------
//  Reading

cr_gwws_reader_t *
cr_gwws_reader_new (size_t max_message)
{
    cr_gwws_reader_t *self = (cr_gwws_reader_t *) zmalloc (sizeof (cr_gwws_reader_t));
    self->max = max_message;
    return self;
}

void
cr_gwws_reader_destroy (cr_gwws_reader_t **self_p)
{
    assert (self_p);
    cr_gwws_reader_t *self = *self_p;
    if (!self)
        return;
    free (self->in);
    free (self->msg);
    free (self);
    *self_p = NULL;
}

void
cr_gwws_reader_feed (cr_gwws_reader_t *self, const void *data, size_t size)
{
    assert (self);
    if (self->pos > 0) {
        memmove (self->in, self->in + self->pos, self->len - self->pos);
        self->len -= self->pos;
        self->pos = 0;
    }
    if (size == 0 || self->failed)
        return;
    if (self->len + size > self->cap) {
        size_t cap = self->cap ? self->cap : 4096;
        while (cap < self->len + size)
            cap *= 2;
        self->in = (byte *) realloc (self->in, cap);
        assert (self->in);
        self->cap = cap;
    }
    memcpy (self->in + self->len, data, size);
    self->len += size;
}

size_t
cr_gwws_reader_buffered (cr_gwws_reader_t *self)
{
    assert (self);
    return self->len - self->pos + self->msg_len;
}

//  Fails the reader; returns -1.
static int
s_fail (cr_gwws_reader_t *self, int code, const char *reason, int *close_code, const char **why)
{
    self->failed = true;
    self->fail_code = code;
    self->fail_reason = reason;
    *close_code = code;
    *why = reason;
    return -1;
}

int
cr_gwws_close_code (const byte *payload, size_t size, const byte **reason, size_t *reason_size)
{
    *reason = payload;
    *reason_size = 0;
    if (size < 2)
        return CR_GWWS_NO_STATUS;
    *reason = payload + 2;
    *reason_size = size - 2;
    return (payload [0] << 8) | payload [1];
}

//  True if a close code may be sent by an endpoint (RFC 6455 7.4).
static bool
s_close_code_ok (int code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

int
cr_gwws_reader_next (cr_gwws_reader_t *self, int *opcode, const byte **data, size_t *size, int *close_code,
                     const char **reason)
{
    assert (self && opcode && data && size && close_code && reason);
    if (self->failed) {
        *close_code = self->fail_code;
        *reason = self->fail_reason;
        return -1;
    }
    while (true) {
        size_t avail = self->len - self->pos;
        if (avail < 2)
            return 0;
        const byte *p = self->in + self->pos;
        bool fin = p [0] & 0x80;
        int op = p [0] & 0x0F;
        bool masked = p [1] & 0x80;
        uint64_t length = p [1] & 0x7F;
        size_t head = 2;
        if (p [0] & 0x70)
            return s_fail (self, CR_GWWS_PROTOCOL, "reserved bits set", close_code, reason);
        bool control = op & 0x08;
        if (op != CR_GWWS_OP_CONT && op != CR_GWWS_OP_TEXT && op != CR_GWWS_OP_BINARY && op != CR_GWWS_OP_CLOSE
        &&  op != CR_GWWS_OP_PING && op != CR_GWWS_OP_PONG)
            return s_fail (self, CR_GWWS_PROTOCOL, "reserved opcode", close_code, reason);
        if (!masked)
            return s_fail (self, CR_GWWS_PROTOCOL, "client frames must be masked", close_code, reason);
        if (control && (!fin || length > 125))
            return s_fail (self, CR_GWWS_PROTOCOL, "control frames must be final and at most 125 bytes",
                           close_code, reason);
        if (length == 126) {
            if (avail < 4)
                return 0;
            length = ((uint64_t) p [2] << 8) | p [3];
            head = 4;
        }
        else
        if (length == 127) {
            if (avail < 10)
                return 0;
            if (p [2] & 0x80)
                return s_fail (self, CR_GWWS_PROTOCOL, "frame length out of range", close_code, reason);
            length = 0;
            for (int i = 2; i < 10; i++)
                length = (length << 8) | p [i];
            head = 10;
        }
        //  The limit is checked on the header, before the payload is kept.
        if (!control && length + (op == CR_GWWS_OP_CONT ? self->msg_len : 0) > self->max)
            return s_fail (self, CR_GWWS_TOO_BIG, "message too big", close_code, reason);
        if (op == CR_GWWS_OP_CONT && !self->msg_opcode)
            return s_fail (self, CR_GWWS_PROTOCOL, "continuation without a message", close_code, reason);
        if ((op == CR_GWWS_OP_TEXT || op == CR_GWWS_OP_BINARY) && self->msg_opcode)
            return s_fail (self, CR_GWWS_PROTOCOL, "new message inside a fragmented one", close_code, reason);
        if (avail < head + 4 + length)
            return 0;
        byte *mask = self->in + self->pos + head;
        byte *payload = mask + 4;
        for (uint64_t i = 0; i < length; i++)
            payload [i] ^= mask [i % 4];
        self->pos += head + 4 + (size_t) length;
        if (control) {
            if (op == CR_GWWS_OP_CLOSE) {
                if (length == 1)
                    return s_fail (self, CR_GWWS_PROTOCOL, "close frame of one byte", close_code, reason);
                if (length >= 2) {
                    const byte *why;
                    size_t why_size;
                    int code = cr_gwws_close_code (payload, (size_t) length, &why, &why_size);
                    if (!s_close_code_ok (code))
                        return s_fail (self, CR_GWWS_PROTOCOL, "invalid close code", close_code, reason);
                    if (!cr_gwws_utf8_ok (why, why_size))
                        return s_fail (self, CR_GWWS_BAD_DATA, "close reason is not UTF-8", close_code, reason);
                }
            }
            *opcode = op;
            *data = payload;
            *size = (size_t) length;
            return 1;
        }
        if (fin && op != CR_GWWS_OP_CONT) {
            //  A whole message in one frame: handed out in place.
            if (op == CR_GWWS_OP_TEXT && !cr_gwws_utf8_ok (payload, (size_t) length))
                return s_fail (self, CR_GWWS_BAD_DATA, "text message is not UTF-8", close_code, reason);
            *opcode = op;
            *data = payload;
            *size = (size_t) length;
            return 1;
        }
        //  A fragment: joined in msg.
        if (op != CR_GWWS_OP_CONT) {
            self->msg_opcode = op;
            self->msg_len = 0;
        }
        if (self->msg_len + length > self->msg_cap) {
            size_t cap = self->msg_cap ? self->msg_cap : 4096;
            while (cap < self->msg_len + length)
                cap *= 2;
            self->msg = (byte *) realloc (self->msg, cap);
            assert (self->msg);
            self->msg_cap = cap;
        }
        if (length)
            memcpy (self->msg + self->msg_len, payload, (size_t) length);
        self->msg_len += (size_t) length;
        if (fin) {
            int message_op = self->msg_opcode;
            self->msg_opcode = 0;
            if (message_op == CR_GWWS_OP_TEXT && !cr_gwws_utf8_ok (self->msg, self->msg_len))
                return s_fail (self, CR_GWWS_BAD_DATA, "text message is not UTF-8", close_code, reason);
            *opcode = message_op;
            *data = self->msg;
            *size = self->msg_len;
            self->msg_len = 0;
            return 1;
        }
    }
}
