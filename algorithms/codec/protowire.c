/*
 * protowire.c: the protobuf wire primitives (protowire.h).
 */
#include "codec/protowire.h"

#include <stdarg.h>
#include <stdio.h>

void pw_msg(struct pw_dec *d, const uint8_t *at, const char *fmt, ...)
{
    if (!d->err || !d->errsz)
        return;
    int n = snprintf(d->err, d->errsz, "byte %zu: ", (size_t)(at - d->base));
    if (d->what && n >= 0 && (size_t)n < d->errsz)
        n += snprintf(d->err + n, d->errsz - (size_t)n, "%s['%s']: ", d->what, d->key);
    if (n >= 0 && (size_t)n < d->errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->err + n, d->errsz - (size_t)n, fmt, ap);
        va_end(ap);
    }
}

int pw_varint(struct pw_dec *d, const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (p >= end)
            return pw_fail(d, *pp, "truncated varint");
        uint8_t b = *p++;
        if (i == 9 && b > 1)
            return pw_fail(d, *pp, "varint longer than 10 bytes or over 64 bits");
        v |= (uint64_t)(b & 0x7Fu) << (7 * i);
        if (!(b & 0x80u)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return pw_fail(d, *pp, "varint longer than 10 bytes"); /* not reached */
}

int pw_tag(struct pw_dec *d, const uint8_t **pp, const uint8_t *end, uint32_t *field, unsigned *wire)
{
    const uint8_t *at = *pp;
    uint64_t v;
    if (pw_varint(d, pp, end, &v))
        return -1;
    if (v > 0xFFFFFFFFu || (v >> 3) == 0)
        return pw_fail(d, at, "invalid field number %llu", (unsigned long long)(v >> 3));
    *field = (uint32_t)(v >> 3);
    *wire = (unsigned)(v & 7u);
    return 0;
}

/* A length prefix; *sub_end = the end of the field's bytes. */
int pw_len(struct pw_dec *d, const uint8_t **pp, const uint8_t *end, uint32_t field, const uint8_t **sub_end)
{
    const uint8_t *at = *pp;
    uint64_t n;
    if (pw_varint(d, pp, end, &n))
        return -1;
    if (n > (uint64_t)(end - *pp))
        return pw_fail(d, at, "field %u: length %llu past the end (%zu bytes left)", field,
                     (unsigned long long)n, (size_t)(end - *pp));
    *sub_end = *pp + n;
    return 0;
}

int pw_skip(struct pw_dec *d, const uint8_t **pp, const uint8_t *end, uint32_t field, unsigned wire)
{
    const uint8_t *at = *pp;
    uint64_t v;
    const uint8_t *q;
    switch (wire) {
    case 0:
        return pw_varint(d, pp, end, &v);
    case 1:
    case 5: {
        size_t n = wire == 1 ? 8 : 4;
        if ((size_t)(end - *pp) < n)
            return pw_fail(d, at, "field %u: truncated %zu-byte value", field, n);
        *pp += n;
        return 0;
    }
    case 2:
        if (pw_len(d, pp, end, field, &q))
            return -1;
        *pp = q;
        return 0;
    case 3:
    case 4:
        return pw_fail(d, at, "field %u: groups (wire type %u) are not supported", field, wire);
    default:
        return pw_fail(d, at, "field %u: invalid wire type %u", field, wire);
    }
}
