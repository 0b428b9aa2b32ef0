/*  =========================================================================
    cr_buf - a growable string, the one text builder of libcorral and
    corralctl

    Tables, selectors' error texts, kubectl's describe output and JSON
    renderings are all built by appending to a string of unknown final
    length; this class is that string.

    Design:
    - The capacity doubles from 64 bytes, so appending is amortised
      O(1); the text is NUL-terminated after every append so that it can
      be read at any time.
    - cr_buf_printf formats straight into the buffer (one probing
      vsnprintf for the length, one for the text).
    =========================================================================
*/
#include "libcorral.h"

//  --------------------------------------------------------------------------
//  Makes room for n more bytes and the terminating NUL.

static void
s_reserve (cr_buf_t *self, size_t n)
{
    if (self->len + n + 1 <= self->cap)
        return;
    size_t cap = self->cap ? self->cap : 64;
    while (cap < self->len + n + 1)
        cap *= 2;
    self->data = (char *) realloc (self->data, cap);
    assert (self->data);
    self->cap = cap;
}

//  --------------------------------------------------------------------------
//  Appends n bytes of text.

void
cr_buf_addn (cr_buf_t *self, const char *text, size_t n)
{
    assert (self);
    s_reserve (self, n);
    if (n)
        memcpy (self->data + self->len, text, n);
    self->len += n;
    self->data [self->len] = 0;
}

//  --------------------------------------------------------------------------
//  Appends a string; NULL appends nothing.

void
cr_buf_add (cr_buf_t *self, const char *text)
{
    cr_buf_addn (self, text ? text : "", text ? strlen (text) : 0);
}

//  --------------------------------------------------------------------------
//  Appends printf-formatted text from a va_list (which it consumes).

void
cr_buf_vprintf (cr_buf_t *self, const char *format, va_list args)
{
    //  Formats are literals; saying so also quiets GCC 12's false "null
    //  format string" warning under UBSan's nonnull checks
    assert (self && format);
    va_list copy;
    va_copy (copy, args);
    char probe [1];
    int n = vsnprintf (probe, sizeof (probe), format, copy);
    va_end (copy);
    assert (n >= 0);
    s_reserve (self, (size_t) n);
    vsnprintf (self->data + self->len, (size_t) n + 1, format, args);
    self->len += (size_t) n;
}

//  --------------------------------------------------------------------------
//  Appends printf-formatted text.

void
cr_buf_printf (cr_buf_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    cr_buf_vprintf (self, format, args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  The text so far ("" when empty). Borrowed.

const char *
cr_buf_str (const cr_buf_t *self)
{
    return self->data ? self->data : "";
}

//  --------------------------------------------------------------------------
//  Hands the text over (never NULL) and empties the buffer.

char *
cr_buf_take (cr_buf_t *self)
{
    char *text = self->data ? self->data : strdup ("");
    assert (text);
    self->data = NULL;
    self->len = self->cap = 0;
    return text;
}

//  --------------------------------------------------------------------------
//  Frees the text and empties the buffer.

void
cr_buf_reset (cr_buf_t *self)
{
    free (self->data);
    self->data = NULL;
    self->len = self->cap = 0;
}
