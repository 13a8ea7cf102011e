/*
 * textbuf.h: a growable text buffer for output built in memory and written
 * at once (the training report): bytes, literals, integers and numbers
 * appended without stdio or printf.  An allocation failure is remembered
 * (later appends do nothing) and reported once, by rt_textbuf_take.
 */
#ifndef OPTML_TEXTBUF_H
#define OPTML_TEXTBUF_H

#include <stddef.h>
#include <stdint.h>

struct rt_textbuf {
    char *data;
    size_t len, cap;
    int failed; /* out of memory: the text is incomplete */
};

/* An empty buffer with room for `cap` bytes (one allocation). */
void rt_textbuf_init(struct rt_textbuf *b, size_t cap);
void rt_textbuf_free(struct rt_textbuf *b);
/* Room for n more bytes (and a terminator); 0, or -1 when out of memory. */
int rt_textbuf_grow(struct rt_textbuf *b, size_t n);
/* The text, NUL-terminated and malloc'd, its length in *len; the buffer is
 * left empty.  NULL (and the text freed) when an append ran out of memory. */
char *rt_textbuf_take(struct rt_textbuf *b, size_t *len);

/* Append n bytes, one character, a string.  Out of line on purpose: the
 * page appends from hundreds of places, and code run once is fetched from
 * memory, so small call sites beat inlined copies. */
void rt_textbuf_put(struct rt_textbuf *b, const void *p, size_t n);
void rt_textbuf_putc(struct rt_textbuf *b, char c);
void rt_textbuf_puts(struct rt_textbuf *b, const char *s);

/* A string literal, its length known when compiling. */
#define RT_TEXTBUF_LIT(b, lit) rt_textbuf_put((b), "" lit, sizeof(lit) - 1)

/* "%llu", "%lld" */
void rt_textbuf_u64(struct rt_textbuf *b, uint64_t v);
void rt_textbuf_i64(struct rt_textbuf *b, int64_t v);
/* "%.*f" and "%.*g" exactly as printf writes them (core/numfmt.h). */
void rt_textbuf_fixed(struct rt_textbuf *b, double v, int decimals);
void rt_textbuf_g(struct rt_textbuf *b, double v, int precision);

#endif
