/*
 * npy.c: .npy parsing and conversion to float (npy.h).  The header dict is
 * read by a small scanner over its Python-literal syntax: quoted keys and
 * strings, True/False, integer tuples, commas and whitespace.
 */
#include "codec/npy.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

struct scan {
    const char *p, *end;
};

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int eat(struct scan *s, char c)
{
    skip_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

/* A quoted string ('...' or "...", no escapes) into out[outsz]. */
static int quoted(struct scan *s, char *out, size_t outsz)
{
    skip_ws(s);
    if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
        return -1;
    char q = *s->p++;
    size_t n = 0;
    while (s->p < s->end && *s->p != q) {
        if (*s->p == '\\' || n + 1 >= outsz)
            return -1;
        out[n++] = *s->p++;
    }
    if (s->p >= s->end)
        return -1;
    s->p++;
    out[n] = 0;
    return 0;
}

static int word(struct scan *s, const char *w)
{
    skip_ws(s);
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) >= n && memcmp(s->p, w, n) == 0) {
        s->p += n;
        return 1;
    }
    return 0;
}

/* '<f4', '|u1', '>i8', '|b1', '<f2' ... ('=' is the machine's order:
 * little-endian on every platform optml builds for). */
static int parse_descr(const char *d, struct npy_array *a)
{
    size_t n = strlen(d);
    if (n != 3)
        return -1;
    char order = d[0], kind = d[1], size = d[2];
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return -1;
    a->kind = kind;
    a->elem_size = (size_t)(size - '0');
    a->big_endian = order == '>' && a->elem_size > 1;
    switch (kind) {
    case 'b': return a->elem_size == 1 ? 0 : -1;
    case 'i':
    case 'u': return a->elem_size == 1 || a->elem_size == 2 || a->elem_size == 4 || a->elem_size == 8 ? 0 : -1;
    case 'f': return a->elem_size == 2 || a->elem_size == 4 || a->elem_size == 8 ? 0 : -1;
    default: return -1;
    }
}

/* (d0, d1, ...) with an optional trailing comma; () is a scalar. */
static int parse_shape(struct scan *s, struct npy_array *a)
{
    if (!eat(s, '('))
        return -1;
    a->ndims = 0;
    a->count = 1;
    for (;;) {
        if (eat(s, ')'))
            return 0;
        skip_ws(s);
        if (s->p >= s->end || !isdigit((unsigned char)*s->p) || a->ndims == NPY_MAX_DIMS)
            return -1;
        uint64_t v = 0;
        while (s->p < s->end && isdigit((unsigned char)*s->p)) {
            if (v > (UINT64_C(1) << 40))
                return -1;
            v = v * 10 + (uint64_t)(*s->p++ - '0');
        }
        if (v && a->count > (UINT64_C(1) << 40) / v)
            return -1;
        a->shape[a->ndims++] = v;
        a->count *= v;
        if (!eat(s, ',')) {
            if (eat(s, ')'))
                return a->ndims == 1 ? -1 : 0; /* (5) is not a tuple; (5,) is */
            return -1;
        }
    }
}

int npy_parse(const uint8_t *buf, size_t len, struct npy_array *a, char *err, size_t errsz)
{
    memset(a, 0, sizeof(*a));
    if (!buf || len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) {
        snprintf(err, errsz, "not a .npy file: it does not start with \\x93NUMPY");
        return -1;
    }
    unsigned major = buf[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) {
            snprintf(err, errsz, "truncated .npy header");
            return -1;
        }
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        hstart = 12;
    } else {
        snprintf(err, errsz, ".npy version %u.%u is not supported (1.0, 2.0 or 3.0)", major, buf[7]);
        return -1;
    }
    if (hlen > len - hstart) {
        snprintf(err, errsz, "truncated .npy header: %zu bytes announced, %zu present", hlen, len - hstart);
        return -1;
    }
    struct scan s = {(const char *)buf + hstart, (const char *)buf + hstart + hlen};
    int have_descr = 0, have_order = 0, have_shape = 0;
    char key[32], descr[16];
    if (!eat(&s, '{'))
        goto syntax;
    while (!eat(&s, '}')) {
        if (quoted(&s, key, sizeof(key)) != 0 || !eat(&s, ':'))
            goto syntax;
        if (strcmp(key, "descr") == 0) {
            if (quoted(&s, descr, sizeof(descr)) != 0)
                goto syntax;
            if (parse_descr(descr, a) != 0) {
                snprintf(err, errsz, ".npy dtype '%s' is not supported (bool, integers, float16/32/64)", descr);
                return -1;
            }
            snprintf(a->descr, sizeof(a->descr), "%s", descr);
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (word(&s, "True"))
                a->fortran_order = 1;
            else if (!word(&s, "False"))
                goto syntax;
            have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (parse_shape(&s, a) != 0) {
                snprintf(err, errsz, ".npy header: 'shape' is not a tuple of at most %d sizes", NPY_MAX_DIMS);
                return -1;
            }
            have_shape = 1;
        } else {
            snprintf(err, errsz, ".npy header: unexpected key '%s'", key);
            return -1;
        }
        if (!eat(&s, ',')) {
            if (eat(&s, '}'))
                break;
            goto syntax;
        }
    }
    if (!have_descr || !have_order || !have_shape) {
        snprintf(err, errsz, ".npy header: missing '%s'", !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
        return -1;
    }
    size_t data_off = hstart + hlen;
    uint64_t want = a->count * a->elem_size;
    if ((uint64_t)(len - data_off) != want) {
        snprintf(err, errsz, ".npy data: %zu bytes for shape of %llu values of %zu bytes (%llu expected)",
                 len - data_off, (unsigned long long)a->count, a->elem_size, (unsigned long long)want);
        return -1;
    }
    a->data = buf + data_off;
    return 0;
syntax:
    snprintf(err, errsz, ".npy header: not a dict of 'descr', 'fortran_order' and 'shape' (at byte %zu)",
             hstart + (size_t)(s.p - (const char *)buf - hstart));
    return -1;
}

static uint64_t load_uint(const uint8_t *p, size_t n, int big)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[big ? n - 1 - i : i] << (8 * i);
    return v;
}

static float half_to_float(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
    float v;
    if (exp == 0)
        v = ldexpf((float)mant, -24);
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexpf((float)(mant | 1024), exp - 25);
    return sign ? -v : v;
}

static float value_at(const struct npy_array *a, uint64_t i)
{
    const uint8_t *p = a->data + i * a->elem_size;
    uint64_t u = load_uint(p, a->elem_size, a->big_endian);
    switch (a->kind) {
    case 'b': return u ? 1.0f : 0.0f;
    case 'u': return (float)u;
    case 'i': {
        unsigned bits = (unsigned)(8 * a->elem_size);
        int64_t v = bits == 64 ? (int64_t)u : (int64_t)(u << (64 - bits)) >> (64 - bits);
        return (float)v;
    }
    default:
        if (a->elem_size == 2)
            return half_to_float((uint16_t)u);
        if (a->elem_size == 4) {
            uint32_t w = (uint32_t)u;
            float f;
            memcpy(&f, &w, sizeof(f));
            return f;
        } else {
            double d;
            memcpy(&d, &u, sizeof(d));
            return (float)d;
        }
    }
}

void npy_to_float(const struct npy_array *a, float *out)
{
    if (!a->fortran_order || a->ndims < 2) {
        for (uint64_t i = 0; i < a->count; i++)
            out[i] = value_at(a, i);
        return;
    }
    /* Column-major source: walk the C-order index, find the source offset. */
    uint64_t idx[NPY_MAX_DIMS] = {0};
    for (uint64_t i = 0; i < a->count; i++) {
        uint64_t off = 0, stride = 1;
        for (unsigned d = 0; d < a->ndims; d++) {
            off += idx[d] * stride;
            stride *= a->shape[d];
        }
        out[i] = value_at(a, off);
        for (int d = (int)a->ndims - 1; d >= 0; d--) {
            if (++idx[d] < a->shape[d])
                break;
            idx[d] = 0;
        }
    }
}
