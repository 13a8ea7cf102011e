/*
 * im2rec.c: MXNet image record payloads: header, label array, image bytes
 * (im2rec.h).
 */
#include "im2rec.h"

#include <stdio.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static float rdf(const uint8_t *p)
{
    uint32_t u = rd32(p);
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

int im2rec_parse(const uint8_t *buf, size_t len, struct im2rec_record *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    if (len < IM2REC_HEADER_BYTES) {
        snprintf(err, errsz, "image record of %zu bytes, shorter than its %d-byte header", len,
                 IM2REC_HEADER_BYTES);
        return -1;
    }
    out->flag = rd32(buf);
    out->label = rdf(buf + 4);
    out->id = rd64(buf + 8);
    out->id2 = rd64(buf + 16);
    size_t rest = len - IM2REC_HEADER_BYTES;
    if (out->flag > rest / 4) {
        snprintf(err, errsz, "image record id %llu announces %u labels (%llu bytes) but has %zu bytes after its header",
                 (unsigned long long)out->id, out->flag, 4ull * out->flag, rest);
        memset(out, 0, sizeof(*out));
        return -1;
    }
    out->n_labels = out->flag;
    out->labels = buf + IM2REC_HEADER_BYTES;
    out->image = out->labels + 4 * out->n_labels;
    out->image_len = rest - 4 * out->n_labels;
    return 0;
}

float im2rec_label(const struct im2rec_record *r, size_t i)
{
    return rdf(r->labels + 4 * i);
}
