/*
 * datagen.c: RecordIO, TFRecord and gzip encoders for tests (datagen.h).
 */
#include "datagen.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "crc32c.h"

unsigned char *buf_append(unsigned char *a, size_t *alen, const void *b, size_t blen)
{
    a = realloc(a, *alen + blen + 1);
    memcpy(a + *alen, b, blen);
    *alen += blen;
    return a;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

unsigned char *recordio_encode(const void *payload, size_t len, size_t *out_len)
{
    size_t padded = (len + 3) & ~(size_t)3;
    unsigned char *b = calloc(1, 8 + padded);
    put32(b, 0xCED7230Au);
    put32(b + 4, (uint32_t)len);
    memcpy(b + 8, payload, len);
    *out_len = 8 + padded;
    return b;
}

unsigned char *tfrecord_encode(const void *payload, size_t len, size_t *out_len)
{
    unsigned char *b = malloc(16 + len);
    uint64_t l = len;
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(l >> (8 * i));
    put32(b + 8, rt_crc32c_mask(rt_crc32c(b, 8)));
    memcpy(b + 12, payload, len);
    put32(b + 12 + len, rt_crc32c_mask(rt_crc32c(payload, len)));
    *out_len = 16 + len;
    return b;
}

unsigned char *gzip_encode(const void *data, size_t len, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&z, (uLong)len) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}
