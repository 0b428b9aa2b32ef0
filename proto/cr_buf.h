/*  =========================================================================
    cr_buf - a growable string, the one text builder of libcorral and
    corralctl
    =========================================================================
*/
#ifndef CR_BUF_H_INCLUDED
#define CR_BUF_H_INCLUDED

//  A growable string. Zero-initialise it ({ 0 }) before use.
typedef struct {
    char *data;                 //  NUL-terminated once anything was added
    size_t len;                 //  Bytes used, without the NUL
    size_t cap;                 //  Bytes allocated
} cr_buf_t;

//  Appends text (NULL appends nothing), or n bytes of text, or
//  printf-style text (from arguments or a va_list).
void
    cr_buf_add (cr_buf_t *self, const char *text);
void
    cr_buf_addn (cr_buf_t *self, const char *text, size_t n);
void
    cr_buf_printf (cr_buf_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
void
    cr_buf_vprintf (cr_buf_t *self, const char *format, va_list args) __attribute__ ((format (printf, 2, 0)));

//  The text so far ("" when empty). Borrowed.
const char *
    cr_buf_str (const cr_buf_t *self);

//  Hands the text over (caller frees; never NULL) and empties the buffer.
char *
    cr_buf_take (cr_buf_t *self);

//  Frees the text and empties the buffer.
void
    cr_buf_reset (cr_buf_t *self);

#endif
