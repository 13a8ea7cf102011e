/*
 * datagen.c: the growable buffer, RecordIO, TFRecord and gzip encoders, and
 * reader_join() for tests (datagen.h).
 */
#include "datagen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/crc32c.h"
#include "harness.h"

/* Room for `n` more bytes and the spare one after them. */
static void buf_reserve(struct buf *b, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        ASSERT(b->p);
    }
}

void buf_put(struct buf *b, const void *d, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->n, d, n);
    b->n += n;
}

void buf_put_le32(struct buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    buf_put(b, x, 4);
}

void buf_put_le64(struct buf *b, uint64_t v)
{
    buf_put_le32(b, (uint32_t)v);
    buf_put_le32(b, (uint32_t)(v >> 32));
}

void buf_put_recordio(struct buf *b, uint32_t cflag, const void *d, uint32_t n)
{
    static const unsigned char zeros[4] = {0};
    buf_put_le32(b, 0xCED7230Au);
    buf_put_le32(b, cflag << 29 | n);
    buf_put(b, d, n);
    buf_put(b, zeros, (4 - n % 4) % 4);
}

void buf_put_tfrecord(struct buf *b, const void *d, uint64_t n)
{
    size_t at = b->n;
    buf_put_le64(b, n);
    buf_put_le32(b, rt_crc32c_mask(rt_crc32c(b->p + at, 8)));
    buf_put(b, d, (size_t)n);
    buf_put_le32(b, rt_crc32c_mask(rt_crc32c(d, (size_t)n)));
}

void buf_put_gzip(struct buf *b, const void *d, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    ASSERT_EQ_INT(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t bound = deflateBound(&z, (uLong)n) + 32;
    buf_reserve(b, bound);
    z.next_in = (unsigned char *)(uintptr_t)d;
    z.avail_in = (uInt)n;
    z.next_out = b->p + b->n;
    z.avail_out = (uInt)bound;
    ASSERT_EQ_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
    b->n += bound - z.avail_out;
    deflateEnd(&z);
}

void buf_put_escaped(struct buf *b, const void *d, size_t n)
{
    const unsigned char *s = d;
    for (size_t i = 0; i < n; i++) {
        char tmp[8];
        unsigned c = s[i];
        int k = c < 0x20 || c >= 0x7f ? snprintf(tmp, sizeof(tmp), "\\x%02X", c)
                                       : snprintf(tmp, sizeof(tmp), "%c", c);
        buf_put(b, tmp, (size_t)k);
    }
}

unsigned char *recordio_encode(const void *payload, size_t len, size_t *out_len)
{
    struct buf b = {0};
    buf_put_recordio(&b, 0, payload, (uint32_t)len);
    *out_len = b.n;
    return b.p;
}

unsigned char *tfrecord_encode(const void *payload, size_t len, size_t *out_len)
{
    struct buf b = {0};
    buf_put_tfrecord(&b, payload, len);
    *out_len = b.n;
    return b.p;
}

unsigned char *gzip_encode(const void *data, size_t len, size_t *out_len)
{
    struct buf b = {0};
    buf_put_gzip(&b, data, len);
    *out_len = b.n;
    return b.p;
}

unsigned char *buf_append(unsigned char *a, size_t *alen, const void *b, size_t blen)
{
    struct buf t = {a, *alen, *alen};
    buf_put(&t, b, blen);
    *alen = t.n;
    return t.p;
}

char *reader_join(optml_reader *r)
{
    struct buf out = {0};
    struct optml_record rec;
    optml_status st;
    while ((st = optml_reader_next(r, &rec)) == OPTML_OK) {
        buf_put_escaped(&out, rec.data, rec.len);
        buf_put(&out, "|", 1);
    }
    const char *name = optml_status_name(st);
    buf_put(&out, name, strlen(name) + 1);
    return (char *)out.p;
}
