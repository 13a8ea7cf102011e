/*
 * test_textbuf.c: runtime/core/textbuf.c, the buffer the training report is
 * built in: text of any length from a tiny first allocation, numbers as
 * printf writes them, and the text handed over NUL-terminated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/textbuf.h"
#include "support/harness.h"

TEST(textbuf_grows_from_a_tiny_buffer_and_hands_over_the_text)
{
    struct rt_textbuf b;
    rt_textbuf_init(&b, 1);
    char want[64 * 1024] = "";
    size_t n = 0;
    for (int i = 0; n + 64 < sizeof(want); i++) {
        RT_TEXTBUF_LIT(&b, "<td>");
        rt_textbuf_u64(&b, (uint64_t)i * 977);
        rt_textbuf_putc(&b, '|');
        rt_textbuf_i64(&b, -(int64_t)i);
        rt_textbuf_puts(&b, "</td>");
        n += (size_t)snprintf(want + n, sizeof(want) - n, "<td>%llu|%lld</td>", (unsigned long long)i * 977,
                              -(long long)i);
    }
    rt_textbuf_u64(&b, UINT64_MAX);
    rt_textbuf_i64(&b, INT64_MIN);
    n += (size_t)snprintf(want + n, sizeof(want) - n, "%llu%lld", (unsigned long long)UINT64_MAX,
                          (long long)INT64_MIN);
    size_t len = 0;
    char *text = rt_textbuf_take(&b, &len);
    ASSERT(text != NULL);
    ASSERT_EQ_INT(len, n);
    ASSERT_EQ_STR(text, want);
    free(text);
    /* Taken: the buffer is empty and can be used again. */
    ASSERT(b.data == NULL && b.len == 0);
    RT_TEXTBUF_LIT(&b, "again");
    text = rt_textbuf_take(&b, &len);
    ASSERT_EQ_STR(text, "again");
    free(text);
}

TEST(textbuf_numbers_are_printf_text)
{
    struct rt_textbuf b;
    rt_textbuf_init(&b, 8);
    rt_textbuf_fixed(&b, 148.7312, 1);
    rt_textbuf_putc(&b, ' ');
    rt_textbuf_fixed(&b, 0.125, 2);
    rt_textbuf_putc(&b, ' ');
    rt_textbuf_g(&b, 0.6000000000000001, 6);
    rt_textbuf_putc(&b, ' ');
    rt_textbuf_g(&b, 2500000, 6);
    rt_textbuf_putc(&b, ' ');
    rt_textbuf_fixed(&b, 1e300, 0); /* longer than the fast path's room */
    size_t len;
    char *text = rt_textbuf_take(&b, &len);
    char want[512];
    snprintf(want, sizeof(want), "%.1f %.2f %.6g %.6g %.0f", 148.7312, 0.125, 0.6000000000000001, 2500000.0, 1e300);
    ASSERT_EQ_STR(text, want);
    ASSERT_EQ_INT(len, strlen(want));
    free(text);
}
