/*
 * wire_builder.c: see wire_builder.h.
 */
#include "support/wire_builder.h"

#include <string.h>

#include "support/harness.h"

void wire_put(struct wire_buf *b, const void *p, size_t n)
{
    if (b->n + n > sizeof(b->d))
        test_fail(__FILE__, __LINE__, "test buffer overflow");
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

void wire_u8(struct wire_buf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    wire_put(b, &c, 1);
}

void wire_varint(struct wire_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        wire_u8(b, (unsigned)(v & 0x7F) | 0x80);
        v >>= 7;
    }
    wire_u8(b, (unsigned)v);
}

void wire_tag(struct wire_buf *b, unsigned field, unsigned wire)
{
    wire_varint(b, (uint64_t)field << 3 | wire);
}

void wire_f32(struct wire_buf *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int i = 0; i < 4; i++)
        wire_u8(b, (u >> (8 * i)) & 0xFF);
}

void wire_f64(struct wire_buf *b, double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    for (int i = 0; i < 8; i++)
        wire_u8(b, (unsigned)(u >> (8 * i)) & 0xFF);
}

void wire_ld(struct wire_buf *b, unsigned field, const struct wire_buf *sub)
{
    wire_tag(b, field, 2);
    wire_varint(b, sub->n);
    wire_put(b, sub->d, sub->n);
}

void wire_ld_str(struct wire_buf *b, unsigned field, const char *s)
{
    wire_tag(b, field, 2);
    wire_varint(b, strlen(s));
    wire_put(b, s, strlen(s));
}
