/*  cr_gwws_test - WebSocket for the gateway's exec streams (RFC 6455): the
    handshake's accept key (the RFC's example), header tokens and the
    Kubernetes subprotocols, frames written (the RFC's examples, 16- and
    64-bit lengths, channels, close frames), and the reader: masked,
    fragmented and interleaved frames fed byte by byte, and every refusal
    with its close code.                                             */
#include "cr_test.h"
#include "gateway_classes.h"

//  --------------------------------------------------------------------------
//  Handshake

CR_TEST (gwws_accept_key_rfc_example)
{
    char out [29];
    //  RFC 6455 section 1.3.
    ASSERT_EQ (cr_gwws_accept_key ("dGhlIHNhbXBsZSBub25jZQ==", out, sizeof (out)), 0);
    ASSERT_STR_EQ (out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    //  Surrounding blanks are not part of the key.
    ASSERT_EQ (cr_gwws_accept_key ("  dGhlIHNhbXBsZSBub25jZQ==\t", out, sizeof (out)), 0);
    ASSERT_STR_EQ (out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    //  Another key (the one in RFC 6455 section 4.1's example).
    ASSERT_EQ (cr_gwws_accept_key ("x3JJHMbDL1EzLkh9GBhXDw==", out, sizeof (out)), 0);
    ASSERT_STR_EQ (out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

CR_TEST (gwws_accept_key_refuses_bad_keys)
{
    char out [29];
    ASSERT_EQ (cr_gwws_accept_key (NULL, out, sizeof (out)), -1);
    ASSERT_EQ (cr_gwws_accept_key ("", out, sizeof (out)), -1);
    ASSERT_EQ (cr_gwws_accept_key ("short", out, sizeof (out)), -1);
    //  24 characters but not base64, or not 16 bytes.
    ASSERT_EQ (cr_gwws_accept_key ("!!!!!!!!!!!!!!!!!!!!!!!!", out, sizeof (out)), -1);
    ASSERT_EQ (cr_gwws_accept_key ("dGhlIHNhbXBsZSBub25jZQ=A", out, sizeof (out)), -1);
    ASSERT_EQ (cr_gwws_accept_key ("dGhlIHNhbXBsZSBub25jZQ==dGhl", out, sizeof (out)), -1);
    //  The output must hold 28 characters and a NUL.
    char small [20];
    ASSERT_EQ (cr_gwws_accept_key ("dGhlIHNhbXBsZSBub25jZQ==", small, sizeof (small)), -1);
}

CR_TEST (gwws_header_tokens)
{
    ASSERT_TRUE (cr_gwws_has_token ("Upgrade", "upgrade"));
    ASSERT_TRUE (cr_gwws_has_token ("keep-alive, Upgrade", "upgrade"));
    ASSERT_TRUE (cr_gwws_has_token ("  WebSocket  ", "websocket"));
    ASSERT_FALSE (cr_gwws_has_token ("Upgrades", "upgrade"));
    ASSERT_FALSE (cr_gwws_has_token ("keep-alive", "upgrade"));
    ASSERT_FALSE (cr_gwws_has_token ("", "upgrade"));
    ASSERT_FALSE (cr_gwws_has_token (NULL, "upgrade"));
    ASSERT_FALSE (cr_gwws_has_token ("SPDY/3.1", "websocket"));
}

CR_TEST (gwws_protocol_choice)
{
    //  v5 preferred wherever it is in the list; else v4; else none.
    ASSERT_STR_EQ (cr_gwws_protocol ("v5.channel.k8s.io"), CR_GWWS_V5);
    ASSERT_STR_EQ (cr_gwws_protocol ("v4.channel.k8s.io, v5.channel.k8s.io"), CR_GWWS_V5);
    ASSERT_STR_EQ (cr_gwws_protocol ("base64.channel.k8s.io,v4.channel.k8s.io"), CR_GWWS_V4);
    ASSERT_STR_EQ (cr_gwws_protocol (" v4.channel.k8s.io "), CR_GWWS_V4);
    ASSERT_NULL (cr_gwws_protocol ("channel.k8s.io, v3.channel.k8s.io"));
    ASSERT_NULL (cr_gwws_protocol ("V5.CHANNEL.K8S.IO"));        //  Tokens are case-sensitive
    ASSERT_NULL (cr_gwws_protocol ("v5.channel.k8s.io.evil"));
    ASSERT_NULL (cr_gwws_protocol (""));
    ASSERT_NULL (cr_gwws_protocol (NULL));
}

//  --------------------------------------------------------------------------
//  Writing

//  Checks a buffer against expected bytes.
static void
s_bytes_eq (const cr_buf_t *buf, const byte *want, size_t size)
{
    ASSERT_EQ (buf->len, size);
    for (size_t i = 0; i < size; i++)
        if ((byte) buf->data [i] != want [i])
            CRT_FAIL ("byte %zu: 0x%02x, want 0x%02x", i, (byte) buf->data [i], want [i]);
}

CR_TEST (gwws_frames_rfc_examples)
{
    //  RFC 6455 section 5.7.
    cr_buf_t buf = { 0 };
    cr_gwws_frame (&buf, CR_GWWS_OP_TEXT, "Hello", 5, NULL);
    byte unmasked [] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
    s_bytes_eq (&buf, unmasked, sizeof (unmasked));
    cr_buf_reset (&buf);
    byte mask [4] = { 0x37, 0xfa, 0x21, 0x3d };
    cr_gwws_frame (&buf, CR_GWWS_OP_TEXT, "Hello", 5, mask);
    byte masked [] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    s_bytes_eq (&buf, masked, sizeof (masked));
    cr_buf_reset (&buf);
    cr_gwws_frame (&buf, CR_GWWS_OP_PING, "Hello", 5, NULL);
    byte ping [] = { 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
    s_bytes_eq (&buf, ping, sizeof (ping));
    cr_buf_reset (&buf);
    //  256 bytes: a 16-bit length; 65536 bytes: a 64-bit length.
    byte *data = (byte *) zmalloc (65536);
    cr_gwws_frame (&buf, CR_GWWS_OP_BINARY, data, 256, NULL);
    ASSERT_EQ (buf.len, 4 + 256);
    ASSERT_EQ ((byte) buf.data [0], 0x82);
    ASSERT_EQ ((byte) buf.data [1], 0x7E);
    ASSERT_EQ ((byte) buf.data [2], 0x01);
    ASSERT_EQ ((byte) buf.data [3], 0x00);
    cr_buf_reset (&buf);
    cr_gwws_frame (&buf, CR_GWWS_OP_BINARY, data, 65536, NULL);
    byte head64 [] = { 0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0 };
    ASSERT_EQ (buf.len, 10 + 65536);
    for (size_t i = 0; i < sizeof (head64); i++)
        ASSERT_EQ ((byte) buf.data [i], head64 [i]);
    cr_buf_reset (&buf);
    //  125 still fits 7 bits, 126 does not; 65535 is the largest 16-bit one.
    cr_gwws_frame (&buf, CR_GWWS_OP_BINARY, data, 125, NULL);
    ASSERT_EQ ((byte) buf.data [1], 125);
    ASSERT_EQ (buf.len, 2 + 125);
    cr_buf_reset (&buf);
    cr_gwws_frame (&buf, CR_GWWS_OP_BINARY, data, 65535, NULL);
    ASSERT_EQ ((byte) buf.data [1], 126);
    ASSERT_EQ (buf.len, 4 + 65535);
    cr_buf_reset (&buf);
    free (data);
}

CR_TEST (gwws_channel_and_close_frames)
{
    cr_buf_t buf = { 0 };
    cr_gwws_channel (&buf, CR_GWWS_STDERR, "oops", 4);
    byte err [] = { 0x82, 0x05, 0x02, 'o', 'o', 'p', 's' };
    s_bytes_eq (&buf, err, sizeof (err));
    cr_buf_reset (&buf);
    //  The connection-established message: a channel and nothing else.
    cr_gwws_channel (&buf, CR_GWWS_STDOUT, NULL, 0);
    byte empty [] = { 0x82, 0x01, 0x01 };
    s_bytes_eq (&buf, empty, sizeof (empty));
    cr_buf_reset (&buf);
    cr_gwws_close (&buf, CR_GWWS_NORMAL, NULL);
    byte normal [] = { 0x88, 0x02, 0x03, 0xe8 };
    s_bytes_eq (&buf, normal, sizeof (normal));
    cr_buf_reset (&buf);
    cr_gwws_close (&buf, CR_GWWS_GOING_AWAY, "bye");
    byte away [] = { 0x88, 0x05, 0x03, 0xe9, 'b', 'y', 'e' };
    s_bytes_eq (&buf, away, sizeof (away));
    cr_buf_reset (&buf);
    cr_gwws_close (&buf, 0, "ignored");
    byte bare [] = { 0x88, 0x00 };
    s_bytes_eq (&buf, bare, sizeof (bare));
    cr_buf_reset (&buf);
    //  A long reason is cut to fit 125 bytes, never inside a UTF-8
    //  sequence: 61 two-byte characters are 122 bytes, the 62nd would
    //  pass 123.
    cr_buf_t reason = { 0 };
    for (int i = 0; i < 70; i++)
        cr_buf_add (&reason, "\xc3\xa9");
    cr_gwws_close (&buf, CR_GWWS_PROTOCOL, reason.data);
    ASSERT_EQ ((byte) buf.data [1], 2 + 122);
    ASSERT_TRUE (cr_gwws_utf8_ok ((const byte *) buf.data + 4, 122));
    cr_buf_reset (&buf);
    cr_buf_reset (&reason);
}

CR_TEST (gwws_utf8)
{
    ASSERT_TRUE (cr_gwws_utf8_ok ((const byte *) "", 0));
    ASSERT_TRUE (cr_gwws_utf8_ok ((const byte *) "plain ascii", 11));
    ASSERT_TRUE (cr_gwws_utf8_ok ((const byte *) "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
    ASSERT_TRUE (cr_gwws_utf8_ok ((const byte *) "\xf4\x8f\xbf\xbf", 4));     //  U+10FFFF
    ASSERT_FALSE (cr_gwws_utf8_ok ((const byte *) "\xc0\x80", 2));             //  Overlong NUL
    ASSERT_FALSE (cr_gwws_utf8_ok ((const byte *) "\xe0\x80\xaf", 3));         //  Overlong
    ASSERT_FALSE (cr_gwws_utf8_ok ((const byte *) "\xed\xa0\x80", 3));         //  Surrogate
    ASSERT_FALSE (cr_gwws_utf8_ok ((const byte *) "\xf4\x90\x80\x80", 4));     //  Above U+10FFFF
    ASSERT_FALSE (cr_gwws_utf8_ok ((const byte *) "\xe2\x82", 2));             //  Cut short
    ASSERT_FALSE (cr_gwws_utf8_ok ((const byte *) "\x80", 1));                 //  Lone continuation
    ASSERT_FALSE (cr_gwws_utf8_ok ((const byte *) "\xff", 1));
    ASSERT_FALSE (cr_gwws_utf8_ok ((const byte *) "a\xc3(", 3));
}

//  --------------------------------------------------------------------------
//  Reading

//  A client frame (masked with a fixed key unless unmasked) with the
//  first byte given whole (FIN, RSV, opcode).
static void
s_client_frame (cr_buf_t *out, byte first, const void *data, size_t size, bool unmasked)
{
    byte mask [4] = { 0x11, 0x22, 0x33, 0x44 };
    size_t at = out->len;
    cr_gwws_frame (out, first & 0x0F, data, size, unmasked ? NULL : mask);
    out->data [at] = (char) first;
}

//  Feeds text and expects one message (opcode, payload) then nothing.
static void
s_expect_one (cr_gwws_reader_t *r, int opcode, const char *payload, size_t size)
{
    int op = -1, code = 0;
    const byte *data = NULL;
    size_t n = 0;
    const char *why = NULL;
    int rc = cr_gwws_reader_next (r, &op, &data, &n, &code, &why);
    if (rc != 1)
        CRT_FAIL ("next: %d (%d %s), want a message", rc, code, why ? why : "");
    ASSERT_EQ (op, opcode);
    ASSERT_EQ (n, size);
    ASSERT_TRUE (size == 0 || memcmp (data, payload, size) == 0);
}

//  Feeds bytes and expects the reader to fail with code.
static void
s_expect_failure (const cr_buf_t *bytes, int want_code, size_t max)
{
    cr_gwws_reader_t *r = cr_gwws_reader_new (max);
    cr_gwws_reader_feed (r, bytes->data, bytes->len);
    int op = -1, code = 0;
    const byte *data = NULL;
    size_t n = 0;
    const char *why = NULL;
    int rc;
    while ((rc = cr_gwws_reader_next (r, &op, &data, &n, &code, &why)) == 1)
        ;
    ASSERT_EQ (rc, -1);
    ASSERT_EQ (code, want_code);
    ASSERT_NOT_NULL (why);
    //  Failed for good.
    code = 0;
    ASSERT_EQ (cr_gwws_reader_next (r, &op, &data, &n, &code, &why), -1);
    ASSERT_EQ (code, want_code);
    cr_gwws_reader_destroy (&r);
}

CR_TEST (gwws_reader_masked_and_byte_by_byte)
{
    cr_buf_t in = { 0 };
    //  The RFC's masked "Hello", a 300-byte binary message, a 70000-byte one.
    byte hello [] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    cr_buf_addn (&in, (const char *) hello, sizeof (hello));
    byte *big = (byte *) zmalloc (70000);
    for (size_t i = 0; i < 70000; i++)
        big [i] = (byte) (i * 7);
    s_client_frame (&in, 0x82, big, 300, false);
    s_client_frame (&in, 0x82, big, 70000, false);
    cr_gwws_reader_t *r = cr_gwws_reader_new (1 << 20);
    int op = 0, code = 0;
    const byte *data = NULL;
    size_t n = 0;
    const char *why = NULL;
    int messages = 0;
    for (size_t i = 0; i < in.len; i++) {
        cr_gwws_reader_feed (r, in.data + i, 1);
        int rc;
        while ((rc = cr_gwws_reader_next (r, &op, &data, &n, &code, &why)) == 1) {
            if (messages == 0) {
                ASSERT_EQ (op, CR_GWWS_OP_TEXT);
                ASSERT_EQ (n, 5);
                ASSERT_TRUE (memcmp (data, "Hello", 5) == 0);
            }
            else {
                ASSERT_EQ (op, CR_GWWS_OP_BINARY);
                ASSERT_EQ (n, messages == 1 ? 300 : 70000);
                ASSERT_TRUE (memcmp (data, big, n) == 0);
            }
            messages++;
        }
        ASSERT_EQ (rc, 0);
    }
    ASSERT_EQ (messages, 3);
    ASSERT_EQ (cr_gwws_reader_buffered (r), 0);
    cr_gwws_reader_destroy (&r);
    cr_buf_reset (&in);
    free (big);
}

CR_TEST (gwws_reader_fragments_and_control_frames)
{
    cr_buf_t in = { 0 };
    //  "Hel" + ping + "lo" + pong, then an empty final continuation.
    s_client_frame (&in, 0x01, "Hel", 3, false);
    s_client_frame (&in, 0x89, "ping!", 5, false);
    s_client_frame (&in, 0x00, "lo", 2, false);
    s_client_frame (&in, 0x8A, "", 0, false);
    s_client_frame (&in, 0x80, "", 0, false);
    //  A binary message in three fragments: stdin on channel 0.
    s_client_frame (&in, 0x02, "\x00" "ab", 3, false);
    s_client_frame (&in, 0x00, "cd", 2, false);
    s_client_frame (&in, 0x80, "ef", 2, false);
    //  A text message whose UTF-8 character spans two fragments.
    s_client_frame (&in, 0x01, "caf\xc3", 4, false);
    s_client_frame (&in, 0x80, "\xa9", 1, false);
    //  A close with a code and a reason.
    s_client_frame (&in, 0x88, "\x03\xe8" "done", 6, false);
    cr_gwws_reader_t *r = cr_gwws_reader_new (1024);
    cr_gwws_reader_feed (r, in.data, in.len);
    s_expect_one (r, CR_GWWS_OP_PING, "ping!", 5);
    s_expect_one (r, CR_GWWS_OP_PONG, "", 0);
    s_expect_one (r, CR_GWWS_OP_TEXT, "Hello", 5);
    s_expect_one (r, CR_GWWS_OP_BINARY, "\x00" "abcdef", 7);
    s_expect_one (r, CR_GWWS_OP_TEXT, "caf\xc3\xa9", 5);
    int op = 0, code = 0;
    const byte *data = NULL;
    size_t n = 0;
    const char *why = NULL;
    ASSERT_EQ (cr_gwws_reader_next (r, &op, &data, &n, &code, &why), 1);
    ASSERT_EQ (op, CR_GWWS_OP_CLOSE);
    const byte *reason = NULL;
    size_t reason_size = 0;
    ASSERT_EQ (cr_gwws_close_code (data, n, &reason, &reason_size), 1000);
    ASSERT_EQ (reason_size, 4);
    ASSERT_TRUE (memcmp (reason, "done", 4) == 0);
    ASSERT_EQ (cr_gwws_reader_next (r, &op, &data, &n, &code, &why), 0);
    cr_gwws_reader_destroy (&r);
    cr_buf_reset (&in);
    //  A close without a code.
    ASSERT_EQ (cr_gwws_close_code ((const byte *) "", 0, &reason, &reason_size), CR_GWWS_NO_STATUS);
}

CR_TEST (gwws_reader_refusals)
{
    cr_buf_t in = { 0 };
    //  Unmasked client frame.
    s_client_frame (&in, 0x82, "x", 1, true);
    s_expect_failure (&in, CR_GWWS_PROTOCOL, 1024);
    cr_buf_reset (&in);
    //  Reserved bits (no extension was negotiated).
    s_client_frame (&in, 0xC2, "x", 1, false);
    s_expect_failure (&in, CR_GWWS_PROTOCOL, 1024);
    cr_buf_reset (&in);
    //  Reserved opcodes: 3 (data) and 0xB (control).
    s_client_frame (&in, 0x83, "x", 1, false);
    s_expect_failure (&in, CR_GWWS_PROTOCOL, 1024);
    cr_buf_reset (&in);
    s_client_frame (&in, 0x8B, "x", 1, false);
    s_expect_failure (&in, CR_GWWS_PROTOCOL, 1024);
    cr_buf_reset (&in);
    //  A fragmented ping; a ping of 126 bytes.
    s_client_frame (&in, 0x09, "x", 1, false);
    s_expect_failure (&in, CR_GWWS_PROTOCOL, 1024);
    cr_buf_reset (&in);
    char ping [126];
    memset (ping, 'p', sizeof (ping));
    s_client_frame (&in, 0x89, ping, sizeof (ping), false);
    s_expect_failure (&in, CR_GWWS_PROTOCOL, 1024);
    cr_buf_reset (&in);
    //  A continuation with no message open; a new message inside one.
    s_client_frame (&in, 0x80, "x", 1, false);
    s_expect_failure (&in, CR_GWWS_PROTOCOL, 1024);
    cr_buf_reset (&in);
    s_client_frame (&in, 0x02, "a", 1, false);
    s_client_frame (&in, 0x82, "b", 1, false);
    s_expect_failure (&in, CR_GWWS_PROTOCOL, 1024);
    cr_buf_reset (&in);
    //  Close frames: one byte, codes that may not be sent, a bad reason.
    s_client_frame (&in, 0x88, "\x03", 1, false);
    s_expect_failure (&in, CR_GWWS_PROTOCOL, 1024);
    cr_buf_reset (&in);
    const char *bad_codes [] = { "\x03\xed", "\x03\xee", "\x03\xec", "\x03\xe7", "\x0b\xb7", "\x13\x88", NULL };
    for (int i = 0; bad_codes [i]; i++) {        //  1005 1006 1004 999 2999 5000
        s_client_frame (&in, 0x88, bad_codes [i], 2, false);
        s_expect_failure (&in, CR_GWWS_PROTOCOL, 1024);
        cr_buf_reset (&in);
    }
    s_client_frame (&in, 0x88, "\x03\xe8\xff", 3, false);
    s_expect_failure (&in, CR_GWWS_BAD_DATA, 1024);
    cr_buf_reset (&in);
    //  Text that is not UTF-8, whole or joined from fragments.
    s_client_frame (&in, 0x81, "\xc3\x28", 2, false);
    s_expect_failure (&in, CR_GWWS_BAD_DATA, 1024);
    cr_buf_reset (&in);
    s_client_frame (&in, 0x01, "ok", 2, false);
    s_client_frame (&in, 0x80, "\xed\xa0\x80", 3, false);
    s_expect_failure (&in, CR_GWWS_BAD_DATA, 1024);
    cr_buf_reset (&in);
    //  Too big: refused from the header alone (no payload fed), and when
    //  fragments add up past the limit.
    byte huge_head [] = { 0x82, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4 };
    cr_buf_addn (&in, (const char *) huge_head, sizeof (huge_head));
    s_expect_failure (&in, CR_GWWS_TOO_BIG, 1024);
    cr_buf_reset (&in);
    char half [600];
    memset (half, 'h', sizeof (half));
    s_client_frame (&in, 0x02, half, sizeof (half), false);
    s_client_frame (&in, 0x80, half, sizeof (half), false);
    s_expect_failure (&in, CR_GWWS_TOO_BIG, 1024);
    cr_buf_reset (&in);
    //  A 64-bit length with its top bit set.
    byte top [] = { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 };
    cr_buf_addn (&in, (const char *) top, sizeof (top));
    s_expect_failure (&in, CR_GWWS_PROTOCOL, 1024);
    cr_buf_reset (&in);
    //  Valid codes pass: 1000-1003, 1007-1011, 3000-4999.
    const char *good_codes [] = { "\x03\xe8", "\x03\xeb", "\x03\xef", "\x03\xf3", "\x0b\xb8", "\x13\x87", NULL };
    for (int i = 0; good_codes [i]; i++) {
        s_client_frame (&in, 0x88, good_codes [i], 2, false);
        cr_gwws_reader_t *r = cr_gwws_reader_new (1024);
        cr_gwws_reader_feed (r, in.data, in.len);
        s_expect_one (r, CR_GWWS_OP_CLOSE, good_codes [i], 2);
        cr_gwws_reader_destroy (&r);
        cr_buf_reset (&in);
    }
}

