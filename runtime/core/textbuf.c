/*
 * textbuf.c: see textbuf.h.
 */
#include "core/textbuf.h"

#include <stdlib.h>
#include <string.h>

#include "core/numfmt.h"

void rt_textbuf_init(struct rt_textbuf *b, size_t cap)
{
    b->len = 0;
    b->failed = 0;
    b->cap = cap ? cap : 64;
    b->data = malloc(b->cap);
    if (!b->data) {
        b->cap = 0;
        b->failed = 1;
    }
}

void rt_textbuf_free(struct rt_textbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int rt_textbuf_grow(struct rt_textbuf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->cap - b->len > n)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len <= n) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *grown = realloc(b->data, cap);
    if (!grown) {
        b->failed = 1;
        return -1;
    }
    b->data = grown;
    b->cap = cap;
    return 0;
}

char *rt_textbuf_take(struct rt_textbuf *b, size_t *len)
{
    char *text = NULL;
    if (!b->failed && rt_textbuf_grow(b, 0) == 0) {
        b->data[b->len] = 0;
        text = b->data;
        *len = b->len;
        b->data = NULL;
    }
    rt_textbuf_free(b);
    b->failed = 0;
    return text;
}

void rt_textbuf_put(struct rt_textbuf *b, const void *p, size_t n)
{
    if (b->cap - b->len <= n && rt_textbuf_grow(b, n) != 0)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void rt_textbuf_putc(struct rt_textbuf *b, char c)
{
    if (b->cap - b->len <= 1 && rt_textbuf_grow(b, 1) != 0)
        return;
    b->data[b->len++] = c;
}

void rt_textbuf_puts(struct rt_textbuf *b, const char *s)
{
    rt_textbuf_put(b, s, strlen(s));
}

void rt_textbuf_u64(struct rt_textbuf *b, uint64_t v)
{
    char tmp[20], *p = tmp + sizeof(tmp);
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    rt_textbuf_put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void rt_textbuf_i64(struct rt_textbuf *b, int64_t v)
{
    if (v < 0)
        rt_textbuf_putc(b, '-');
    rt_textbuf_u64(b, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

/* Numbers are formatted straight into the buffer's free space. */
void rt_textbuf_fixed(struct rt_textbuf *b, double v, int decimals)
{
    if (rt_textbuf_grow(b, RT_NUMFMT_FAST) != 0)
        return;
    int n = rt_format_fixed(b->data + b->len, b->cap - b->len, decimals, v);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) { /* a huge value: "%.0f" of 1e300 */
        if (rt_textbuf_grow(b, (size_t)n + 1) != 0)
            return;
        rt_format_fixed(b->data + b->len, (size_t)n + 1, decimals, v);
    }
    b->len += (size_t)n;
}

void rt_textbuf_g(struct rt_textbuf *b, double v, int precision)
{
    if (rt_textbuf_grow(b, RT_NUMFMT_FAST) != 0)
        return;
    int n = rt_format_g(b->data + b->len, b->cap - b->len, precision, v);
    if (n > 0) /* "%.17g" is shorter than RT_NUMFMT_FAST */
        b->len += (size_t)n < RT_NUMFMT_FAST ? (size_t)n : RT_NUMFMT_FAST - 1;
}
