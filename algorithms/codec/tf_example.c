/*
 * tf_example.c: tf.train.Example decoding (tf_example.h) on the shared wire
 * primitives (protowire.h).  Example { Features features = 1; },
 * Features { map<string, Feature> feature = 1; }, Feature { oneof kind {
 * BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list
 * = 3; } }, each list { repeated ... value = 1; }.
 */
#include "codec/tf_example.h"

#include <string.h>

#include "codec/protowire.h"

/* One map entry: its key and Feature, in either order. */
static int read_entry(struct pw_dec *d, const uint8_t *p, const uint8_t *end, const uint8_t **key,
                      size_t *key_len, const uint8_t **feat, const uint8_t **feat_end)
{
    *key = p;
    *key_len = 0;
    *feat = *feat_end = NULL;
    while (p < end) {
        const uint8_t *at = p, *q;
        uint32_t field;
        unsigned wire;
        if (pw_tag(d, &p, end, &field, &wire))
            return -1;
        if (field == 1 || field == 2) {
            if (wire != 2)
                return pw_fail(d, at, "feature map entry field %u: wire type %u, expected 2", field, wire);
            if (pw_len(d, &p, end, field, &q))
                return -1;
            if (field == 1) {
                *key = p;
                *key_len = (size_t)(q - p);
            } else {
                *feat = p;
                *feat_end = q;
            }
            p = q;
        } else if (pw_skip(d, &p, end, field, wire)) {
            return -1;
        }
    }
    return 0;
}

/* The last list of a Feature message (oneof: the last member wins). */
static int read_feature(struct pw_dec *d, const uint8_t *p, const uint8_t *end, struct tfex_feature *f)
{
    f->kind = TFEX_NONE;
    f->list = f->list_end = NULL;
    while (p && p < end) {
        const uint8_t *at = p, *q;
        uint32_t field;
        unsigned wire;
        if (pw_tag(d, &p, end, &field, &wire))
            return -1;
        if (field >= 1 && field <= 3) {
            if (wire != 2)
                return pw_fail(d, at, "Feature field %u: wire type %u, expected 2", field, wire);
            if (pw_len(d, &p, end, field, &q))
                return -1;
            f->kind = (int)field;
            f->list = p;
            f->list_end = q;
            p = q;
        } else if (pw_skip(d, &p, end, field, wire)) {
            return -1;
        }
    }
    return 0;
}

static int read_features(struct pw_dec *d, const uint8_t *p, const uint8_t *end, const char *const *keys,
                         size_t n, struct tfex_feature *out)
{
    while (p < end) {
        const uint8_t *at = p, *q;
        uint32_t field;
        unsigned wire;
        if (pw_tag(d, &p, end, &field, &wire))
            return -1;
        if (field != 1) {
            if (pw_skip(d, &p, end, field, wire))
                return -1;
            continue;
        }
        if (wire != 2)
            return pw_fail(d, at, "Features field 1: wire type %u, expected 2", wire);
        if (pw_len(d, &p, end, field, &q))
            return -1;
        const uint8_t *key, *feat, *feat_end;
        size_t key_len;
        if (read_entry(d, p, q, &key, &key_len, &feat, &feat_end))
            return -1;
        for (size_t i = 0; i < n; i++) {
            if (strlen(keys[i]) != key_len || memcmp(keys[i], key, key_len) != 0)
                continue;
            out[i].present = 1;
            d->what = "features";
            d->key = keys[i];
            if (read_feature(d, feat, feat_end, &out[i]))
                return -1;
            d->what = d->key = NULL;
        }
        p = q;
    }
    return 0;
}

int tfex_find(const uint8_t *buf, size_t len, const char *const *keys, size_t n, struct tfex_feature *out,
              char *err, size_t errsz)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (struct tfex_feature){0, TFEX_NONE, NULL, NULL, buf, keys[i]};
    if (err && errsz)
        err[0] = 0;
    if (!buf)
        return len ? -1 : 0;
    struct pw_dec d = {buf, NULL, NULL, err, errsz};
    const uint8_t *p = buf, *end = buf + len;
    while (p < end) {
        const uint8_t *at = p, *q;
        uint32_t field;
        unsigned wire;
        if (pw_tag(&d, &p, end, &field, &wire))
            return -1;
        if (field != 1) {
            if (pw_skip(&d, &p, end, field, wire))
                return -1;
            continue;
        }
        if (wire != 2)
            return pw_fail(&d, at, "Example field 1 (features): wire type %u, expected 2", wire);
        if (pw_len(&d, &p, end, field, &q) || read_features(&d, p, q, keys, n, out))
            return -1;
        p = q;
    }
    return 0;
}

/* The decoder for a feature's list, with the feature named in messages. */
static struct pw_dec list_dec(const struct tfex_feature *f, char *err, size_t errsz)
{
    return (struct pw_dec){f->base, f->key ? "features" : NULL, f->key, err, errsz};
}

static int want_kind(const struct tfex_feature *f, int kind, char *err, size_t errsz)
{
    static const char *const names[] = {"no list", "a BytesList", "a FloatList", "an Int64List"};
    if (f->present && f->kind == kind)
        return 0;
    struct pw_dec d = list_dec(f, err, errsz);
    return pw_fail(&d, f->list ? f->list : f->base, "the feature is %s, expected %s",
                   f->present ? names[f->kind] : "missing", names[kind]);
}

/* The next `value` (field 1) of a list message at *pp: returns 1 with its
 * wire type in *wire, *at at its tag and *pp at its value; 0 at the end of
 * the list; -1 on a malformed field.  Other fields are skipped. */
static int next_value(struct pw_dec *d, const uint8_t **pp, const uint8_t *end, unsigned *wire, const uint8_t **at)
{
    while (*pp < end) {
        uint32_t field;
        *at = *pp;
        if (pw_tag(d, pp, end, &field, wire))
            return -1;
        if (field == 1)
            return 1;
        if (pw_skip(d, pp, end, field, *wire))
            return -1;
    }
    return 0;
}

int tfex_bytes(const struct tfex_feature *f, size_t i, const uint8_t **val, size_t *val_len, size_t *count,
               char *err, size_t errsz)
{
    *val = NULL;
    *val_len = 0;
    *count = 0;
    if (want_kind(f, TFEX_BYTES, err, errsz))
        return -1;
    struct pw_dec d = list_dec(f, err, errsz);
    const uint8_t *p = f->list, *end = f->list_end, *at, *q;
    unsigned wire;
    int more;
    while ((more = next_value(&d, &p, end, &wire, &at)) > 0) {
        if (wire != 2)
            return pw_fail(&d, at, "BytesList value: wire type %u, expected 2", wire);
        if (pw_len(&d, &p, end, 1, &q))
            return -1;
        if (*count == i) {
            *val = p;
            *val_len = (size_t)(q - p);
        }
        (*count)++;
        p = q;
    }
    if (more < 0)
        return -1;
    if (i >= *count)
        return pw_fail(&d, f->list_end, "BytesList value %zu asked, the list holds %zu", i, *count);
    return 0;
}

int tfex_int64s(const struct tfex_feature *f, int64_t *out, size_t max, size_t *count, char *err, size_t errsz)
{
    *count = 0;
    if (want_kind(f, TFEX_INT64, err, errsz))
        return -1;
    struct pw_dec d = list_dec(f, err, errsz);
    const uint8_t *p = f->list, *end = f->list_end, *at, *q;
    unsigned wire;
    uint64_t v;
    int more;
    while ((more = next_value(&d, &p, end, &wire, &at)) > 0) {
        if (wire == 0) { /* unpacked */
            if (pw_varint(&d, &p, end, &v))
                return -1;
            if (*count < max)
                out[*count] = (int64_t)v;
            (*count)++;
        } else if (wire == 2) { /* packed */
            if (pw_len(&d, &p, end, 1, &q))
                return -1;
            while (p < q) {
                if (pw_varint(&d, &p, q, &v))
                    return -1;
                if (*count < max)
                    out[*count] = (int64_t)v;
                (*count)++;
            }
        } else {
            return pw_fail(&d, at, "Int64List value: wire type %u, expected 0 or 2", wire);
        }
    }
    return more < 0 ? -1 : 0;
}

static float f32_le(const uint8_t *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float x;
    memcpy(&x, &u, sizeof(x));
    return x;
}

int tfex_floats(const struct tfex_feature *f, float *out, size_t max, size_t *count, char *err, size_t errsz)
{
    *count = 0;
    if (want_kind(f, TFEX_FLOAT, err, errsz))
        return -1;
    struct pw_dec d = list_dec(f, err, errsz);
    const uint8_t *p = f->list, *end = f->list_end, *at, *q;
    unsigned wire;
    int more;
    while ((more = next_value(&d, &p, end, &wire, &at)) > 0) {
        if (wire == 5) { /* unpacked */
            if (end - p < 4)
                return pw_fail(&d, at, "FloatList value: truncated 4-byte value");
            if (*count < max)
                out[*count] = f32_le(p);
            (*count)++;
            p += 4;
        } else if (wire == 2) { /* packed */
            if (pw_len(&d, &p, end, 1, &q))
                return -1;
            if ((q - p) % 4)
                return pw_fail(&d, at, "FloatList packed values: %zu bytes, not a multiple of 4", (size_t)(q - p));
            for (; p < q; p += 4) {
                if (*count < max)
                    out[*count] = f32_le(p);
                (*count)++;
            }
        } else {
            return pw_fail(&d, at, "FloatList value: wire type %u, expected 5 or 2", wire);
        }
    }
    return more < 0 ? -1 : 0;
}
