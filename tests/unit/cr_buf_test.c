/*  cr_buf_test - the growable string: appends, printf, hand-over and
    reset, long texts and empty buffers.  */
#include "cr_test.h"

CR_TEST (buf_appends_and_takes)
{
    cr_buf_t buf = { 0 };
    ASSERT_STR_EQ (cr_buf_str (&buf), "");
    cr_buf_add (&buf, "ab");
    cr_buf_add (&buf, NULL);
    cr_buf_addn (&buf, "cdef", 2);
    cr_buf_addn (&buf, "", 0);
    cr_buf_printf (&buf, "-%d-%s", 42, "x");
    ASSERT_STR_EQ (cr_buf_str (&buf), "abcd-42-x");
    ASSERT_EQ (buf.len, 9);
    char *text = cr_buf_take (&buf);
    ASSERT_STR_EQ (text, "abcd-42-x");
    free (text);
    ASSERT_NULL (buf.data);
    ASSERT_EQ (buf.len, 0);
    //  Taking an empty buffer gives "" (never NULL)
    text = cr_buf_take (&buf);
    ASSERT_STR_EQ (text, "");
    free (text);
    //  An empty printf still leaves a NUL-terminated text
    cr_buf_printf (&buf, "%s", "");
    ASSERT_NOT_NULL (buf.data);
    ASSERT_STR_EQ (cr_buf_str (&buf), "");
    cr_buf_reset (&buf);
    ASSERT_NULL (buf.data);
}

CR_TEST (buf_grows_past_its_capacity)
{
    cr_buf_t buf = { 0 };
    for (int i = 0; i < 1000; i++)
        cr_buf_printf (&buf, "%03d,", i);
    ASSERT_EQ (buf.len, 4000);
    ASSERT_TRUE (buf.cap > buf.len);
    ASSERT_TRUE (strncmp (cr_buf_str (&buf), "000,001,002,", 12) == 0);
    ASSERT_STR_EQ (cr_buf_str (&buf) + 3992, "998,999,");
    //  A single append larger than the doubled capacity
    char *big = (char *) malloc (100001);
    memset (big, 'x', 100000);
    big [100000] = 0;
    cr_buf_add (&buf, big);
    ASSERT_EQ (buf.len, 104000);
    ASSERT_EQ (strlen (cr_buf_str (&buf)), 104000);
    free (big);
    cr_buf_reset (&buf);
    ASSERT_EQ (buf.cap, 0);
}
