/*  =========================================================================
    cr_gwws - WebSocket (RFC 6455) for the gateway's exec streams: the
    opening handshake, the Kubernetes channel subprotocols, and frames
    written and read (masking, fragmentation, control frames, close codes)
    =========================================================================
*/
#ifndef CR_GWWS_H_INCLUDED
#define CR_GWWS_H_INCLUDED

//  The GUID a server appends to Sec-WebSocket-Key (RFC 6455 section 1.3).
#define CR_GWWS_GUID        "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

//  The Kubernetes stream subprotocols served: v5 adds the close signal
//  of a stream (a message on channel 255 naming the channel: stdin).
#define CR_GWWS_V5          "v5.channel.k8s.io"
#define CR_GWWS_V4          "v4.channel.k8s.io"

//  Channels of v4/v5.channel.k8s.io: the first byte of every message.
#define CR_GWWS_STDIN       0
#define CR_GWWS_STDOUT      1
#define CR_GWWS_STDERR      2
#define CR_GWWS_ERROR       3   //  The exit Status (JSON), server to client
#define CR_GWWS_RESIZE      4   //  {"Width": w, "Height": h}, client to server
#define CR_GWWS_CLOSE       255 //  v5: [255, channel] closes that channel

//  Frame opcodes.
#define CR_GWWS_OP_CONT     0x0
#define CR_GWWS_OP_TEXT     0x1
#define CR_GWWS_OP_BINARY   0x2
#define CR_GWWS_OP_CLOSE    0x8
#define CR_GWWS_OP_PING     0x9
#define CR_GWWS_OP_PONG     0xA

//  Close codes (RFC 6455 section 7.4.1).
#define CR_GWWS_NORMAL      1000
#define CR_GWWS_GOING_AWAY  1001
#define CR_GWWS_PROTOCOL    1002
#define CR_GWWS_UNSUPPORTED 1003
#define CR_GWWS_NO_STATUS   1005    //  Never sent: a close frame without a code
#define CR_GWWS_BAD_DATA    1007
#define CR_GWWS_POLICY      1008
#define CR_GWWS_TOO_BIG     1009
#define CR_GWWS_INTERNAL    1011

//  The Sec-WebSocket-Accept answer to a Sec-WebSocket-Key: the base64 of
//  the SHA-1 of the key (as sent, surrounding blanks ignored) and
//  CR_GWWS_GUID. The key must be the base64 of 16 bytes (24 characters).
//  Returns 0 and writes the 28 characters and a NUL into out (at least
//  29 bytes), or -1 for a missing or malformed key.
int
    cr_gwws_accept_key (const char *key, char *out, size_t outlen);

//  True if a comma-separated header value (Connection, Upgrade) holds
//  token, compared case-insensitively. NULL holds nothing.
bool
    cr_gwws_has_token (const char *header, const char *token);

//  The subprotocol a server answers among those a client offers (the
//  Sec-WebSocket-Protocol value: comma-separated, possibly several
//  headers joined by commas): v5.channel.k8s.io when offered, else
//  v4.channel.k8s.io. Returns that static name, or NULL when neither is
//  offered.
const char *
    cr_gwws_protocol (const char *offered);

//  Appends one final frame with opcode and payload to out: unmasked as
//  a server sends it, or masked with the 4 bytes of mask (a client's
//  frame, for tests). Lengths use the 7-, 16- or 64-bit forms.
void
    cr_gwws_frame (cr_buf_t *out, int opcode, const void *data, size_t size, const byte *mask);

//  Appends a binary message of a channel: [channel] + data.
void
    cr_gwws_channel (cr_buf_t *out, int channel, const void *data, size_t size);

//  Appends a close frame with a code (0: no code) and a reason (NULL:
//  none; cut to fit the 125 bytes of a control frame).
void
    cr_gwws_close (cr_buf_t *out, int code, const char *reason);

//  True if text is valid UTF-8 (no overlongs, surrogates or code points
//  above U+10FFFF), as text messages and close reasons must be.
bool
    cr_gwws_utf8_ok (const byte *text, size_t size);

//  The reader of a client's frames: bytes go in as they are read from
//  the socket, messages and control frames come out. It enforces what
//  RFC 6455 asks of a server: client frames are masked, no reserved bits
//  or opcodes, control frames final and at most 125 bytes (they may come
//  between the fragments of a message), continuations only inside a
//  fragmented message, valid close codes and UTF-8 text, and a largest
//  message size.
typedef struct _cr_gwws_reader_t cr_gwws_reader_t;

//  A reader that accepts messages of at most max_message bytes.
cr_gwws_reader_t *
    cr_gwws_reader_new (size_t max_message);

void
    cr_gwws_reader_destroy (cr_gwws_reader_t **self_p);

//  Adds bytes read from the socket.
void
    cr_gwws_reader_feed (cr_gwws_reader_t *self, const void *data, size_t size);

//  Bytes fed and not yet returned as frames.
size_t
    cr_gwws_reader_buffered (cr_gwws_reader_t *self);

//  The next complete message (TEXT or BINARY, fragments joined) or
//  control frame (CLOSE, PING, PONG, unmasked). Returns 1 with *opcode,
//  *data and *size (data is borrowed until the next feed or next call;
//  a CLOSE's payload is its code and reason as sent), 0 when more bytes
//  are needed, or -1 when the client broke the protocol: *close_code
//  (1002, 1007 or 1009) and *reason (static) say how to close; the
//  reader then stays failed.
int
    cr_gwws_reader_next (cr_gwws_reader_t *self, int *opcode, const byte **data, size_t *size,
                         int *close_code, const char **reason);

//  Reads a CLOSE frame's payload: its code (CR_GWWS_NO_STATUS when it
//  has none) and reason (borrowed, not NUL-terminated, *reason_size
//  bytes).
int
    cr_gwws_close_code (const byte *payload, size_t size, const byte **reason, size_t *reason_size);

#endif
