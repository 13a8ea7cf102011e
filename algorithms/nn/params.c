/*
 * params.c: the parameter block of params.h: declaration of named tensors,
 * the layout and the (at most four) aligned allocations, views, zeroing,
 * the optimizer step over every tensor, and the serialised form with its
 * validating loader.
 *
 * The loader reads only through rd_* helpers that check the remaining
 * length first, compares everything with the block the module built, and
 * writes into the block only after the whole input has been checked, so a
 * failed load leaves the block as it was.  Integers are assembled byte by
 * byte (little-endian on any host); float arrays are copied with memcpy on
 * little-endian hosts and byte-swapped elsewhere.
 */
#include "nn/params.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN_FLOATS (NN_PARAMS_ALIGN / sizeof(float))
#define HEADER_BYTES 28u /* magic, version, flags, n_tensors, kind, t */
#define FLAG_STATE 1u    /* file and tensor flag: optimizer state follows */
#define NO_SLICE ((size_t)-1)

static int fail(char *err, size_t errsz, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errsz, int code, const char *fmt, ...)
{
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int kind_has_m(enum optim_kind k)
{
    return k == OPTIM_SGD || k == OPTIM_ADAM;
}

static int kind_has_v(enum optim_kind k)
{
    return k == OPTIM_ADAM || k == OPTIM_RMSPROP;
}

static const char *kind_name(uint32_t k)
{
    return k == OPTIM_SGD ? "SGD" : k == OPTIM_ADAM ? "Adam" : k == OPTIM_RMSPROP ? "RMSprop" : "unknown";
}

/* Does the tensor have a gradient slice / optimizer state (by its flags)? */
static int wants_grad(const struct nn_tensor *t)
{
    return !(t->opts.flags & (NN_PARAM_FROZEN | NN_PARAM_SPARSE));
}

static int wants_state(const struct nn_tensor *t)
{
    return !(t->opts.flags & NN_PARAM_FROZEN);
}

/* ------------------------------------------------------------ building */

void nn_params_init(struct nn_params *p)
{
    memset(p, 0, sizeof(*p));
}

void nn_params_free(struct nn_params *p)
{
    if (!p)
        return;
    free(p->t);
    free(p->param);
    free(p->grad);
    free(p->opt.m); /* the block's own arrays: opt.owned is 0 */
    free(p->opt.v);
    nn_params_init(p);
}

static int name_ok(const char *s, size_t *len)
{
    size_t n = 0;
    for (; s[n]; n++) {
        const char c = s[n];
        if (n >= NN_PARAM_NAME_MAX ||
            !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == ':' || c == '/' || c == '-'))
            return 0;
    }
    *len = n;
    return n > 0;
}

int nn_params_find(const struct nn_params *p, const char *name)
{
    for (size_t i = 0; name && i < p->n_tensors; i++)
        if (strcmp(p->t[i].name, name) == 0)
            return (int)i;
    return -1;
}

int nn_params_add(struct nn_params *p, const char *name, size_t ndim, const size_t *shape,
                  const struct nn_param_opts *opts, char *err, size_t errsz)
{
    size_t len = 0;
    if (p->allocated)
        return fail(err, errsz, NN_PARAMS_E_USAGE, "tensor '%s' added after the block was allocated",
                    name ? name : "(null)");
    if (!name || !name_ok(name, &len))
        return fail(err, errsz, NN_PARAMS_E_USAGE,
                    "tensor name '%.80s' is not 1..%d characters of [A-Za-z0-9_.:/-]", name ? name : "(null)",
                    NN_PARAM_NAME_MAX);
    if (nn_params_find(p, name) >= 0)
        return fail(err, errsz, NN_PARAMS_E_USAGE, "tensor '%s' added twice", name);
    if (ndim < 1 || ndim > NN_PARAM_MAX_DIMS || !shape)
        return fail(err, errsz, NN_PARAMS_E_USAGE, "tensor '%s': %zu dimensions (1..%d)", name, ndim,
                    NN_PARAM_MAX_DIMS);
    if (p->n_tensors >= (size_t)INT32_MAX)
        return fail(err, errsz, NN_PARAMS_E_USAGE, "tensor '%s': too many tensors", name);
    const struct nn_param_opts o = opts ? *opts : *NN_PARAM_DEFAULT;
    if ((o.flags & ~(NN_PARAM_FROZEN | NN_PARAM_SPARSE)) ||
        (o.flags & (NN_PARAM_FROZEN | NN_PARAM_SPARSE)) == (NN_PARAM_FROZEN | NN_PARAM_SPARSE))
        return fail(err, errsz, NN_PARAMS_E_USAGE, "tensor '%s': flags %#x", name, o.flags);
    /* n floats must fit, with room for the padding, in a size_t of bytes */
    const size_t max_n = (SIZE_MAX / sizeof(float)) / 4;
    size_t n = 1;
    for (size_t d = 0; d < ndim; d++) {
        if (shape[d] < 1 || shape[d] > max_n / n)
            return fail(err, errsz, NN_PARAMS_E_USAGE, "tensor '%s': dimension %zu is %zu (1.. and the product "
                        "at most %zu)", name, d, shape[d], max_n);
        n *= shape[d];
    }
    if (p->n_tensors == p->cap) {
        const size_t cap = p->cap ? 2 * p->cap : 8;
        struct nn_tensor *t = realloc(p->t, cap * sizeof(*t));
        if (!t)
            return fail(err, errsz, NN_PARAMS_E_NOMEM, "out of memory adding tensor '%s'", name);
        p->t = t;
        p->cap = cap;
    }
    struct nn_tensor *t = &p->t[p->n_tensors];
    memset(t, 0, sizeof(*t));
    memcpy(t->name, name, len + 1);
    t->ndim = (uint32_t)ndim;
    for (size_t d = 0; d < NN_PARAM_MAX_DIMS; d++)
        t->shape[d] = d < ndim ? shape[d] : 1;
    t->n = n;
    t->p_off = t->g_off = t->s_off = NO_SLICE;
    t->opts = o;
    return (int)p->n_tensors++;
}

/* *total += n rounded up to a whole number of NN_PARAMS_ALIGN bytes; the
 * slice's offset in *off.  0, or -1 on overflow. */
static int place(size_t *total, size_t n, size_t *off)
{
    const size_t padded = (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    if (padded < n || *total > SIZE_MAX / sizeof(float) - padded)
        return -1;
    *off = *total;
    *total += padded;
    return 0;
}

/* Zeroed, NN_PARAMS_ALIGN-aligned room for n floats (at least one line). */
static float *alloc_floats(size_t n)
{
    size_t bytes = n * sizeof(float);
    if (bytes < NN_PARAMS_ALIGN)
        bytes = NN_PARAMS_ALIGN;
    void *q = NULL;
    if (posix_memalign(&q, NN_PARAMS_ALIGN, bytes) != 0)
        return NULL;
    memset(q, 0, bytes);
    return q;
}

int nn_params_alloc(struct nn_params *p, unsigned what, enum optim_kind kind, char *err, size_t errsz)
{
    if (p->allocated)
        return fail(err, errsz, NN_PARAMS_E_USAGE, "parameter block allocated twice");
    if (what & ~(NN_PARAMS_GRADS | NN_PARAMS_OPTIM))
        return fail(err, errsz, NN_PARAMS_E_USAGE, "nn_params_alloc: unknown flags %#x", what);
    if ((what & NN_PARAMS_OPTIM) && !kind_has_m(kind) && !kind_has_v(kind))
        return fail(err, errsz, NN_PARAMS_E_USAGE, "nn_params_alloc: unknown optimizer kind %d", (int)kind);
    size_t np = 0, ng = 0, ns = 0;
    for (size_t i = 0; i < p->n_tensors; i++) {
        struct nn_tensor *t = &p->t[i];
        t->g_off = t->s_off = NO_SLICE;
        if (place(&np, t->n, &t->p_off) ||
            ((what & NN_PARAMS_GRADS) && wants_grad(t) && place(&ng, t->n, &t->g_off)) ||
            ((what & NN_PARAMS_OPTIM) && wants_state(t) && place(&ns, t->n, &t->s_off)))
            return fail(err, errsz, NN_PARAMS_E_NOMEM, "parameter block too large at tensor '%s'", t->name);
    }
    float *param = alloc_floats(np), *grad = NULL, *m = NULL, *v = NULL;
    int ok = param != NULL;
    if (ok && (what & NN_PARAMS_GRADS))
        ok = (grad = alloc_floats(ng)) != NULL;
    if (ok && (what & NN_PARAMS_OPTIM) && kind_has_m(kind))
        ok = (m = alloc_floats(ns)) != NULL;
    if (ok && (what & NN_PARAMS_OPTIM) && kind_has_v(kind))
        ok = (v = alloc_floats(ns)) != NULL;
    if (!ok) {
        free(param);
        free(grad);
        free(m);
        free(v);
        return fail(err, errsz, NN_PARAMS_E_NOMEM, "out of memory for a parameter block of %zu floats", np + ng + 2 * ns);
    }
    p->param = param;
    p->grad = grad;
    p->n_param = np;
    p->n_grad = grad ? ng : 0;
    p->n_state = (what & NN_PARAMS_OPTIM) ? ns : 0;
    p->opt = (struct optim_state){.m = m, .v = v, .n = p->n_state, .t = 0, .owned = 0};
    p->kind = kind;
    p->have = what;
    p->allocated = 1;
    return NN_PARAMS_OK;
}

struct nn_view nn_params_view(const struct nn_params *p, int h)
{
    struct nn_view v;
    memset(&v, 0, sizeof(v));
    if (!p->allocated || h < 0 || (size_t)h >= p->n_tensors)
        return v;
    const struct nn_tensor *t = &p->t[h];
    v.t = t;
    v.n = t->n;
    v.w = p->param + t->p_off;
    v.g = p->grad && t->g_off != NO_SLICE ? p->grad + t->g_off : NULL;
    if (t->s_off != NO_SLICE)
        v.opt = optim_state_view(&p->opt, t->s_off, t->n);
    return v;
}

void nn_params_zero_grad(struct nn_params *p)
{
    if (p->grad)
        memset(p->grad, 0, p->n_grad * sizeof(float));
}

int nn_params_step(struct nn_params *p, const struct optim_cfg *c, float lr)
{
    if (!p->allocated || !p->grad || !(p->have & NN_PARAMS_OPTIM) || c->kind != p->kind)
        return NN_PARAMS_E_USAGE;
    optim_tick(&p->opt);
    for (size_t i = 0; i < p->n_tensors; i++) {
        const struct nn_tensor *t = &p->t[i];
        if (t->g_off == NO_SLICE)
            continue;
        struct optim_state st = optim_state_view(&p->opt, t->s_off, t->n);
        optim_update(c, &st, p->param + t->p_off, p->grad + t->g_off, t->n, lr, t->opts.lr_mult,
                     t->opts.reg_mult);
    }
    return NN_PARAMS_OK;
}

/* --------------------------------------------------------------- saving */

/* a += b, SIZE_MAX once it overflows */
static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t mul_sat(size_t a, size_t b)
{
    return b && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

/* Floats of state per element of a tensor with state. */
static size_t state_arrays(enum optim_kind k)
{
    return (size_t)kind_has_m(k) + (size_t)kind_has_v(k);
}

size_t nn_params_save_size(const struct nn_params *p, unsigned flags)
{
    const int state = (flags & NN_PARAMS_OPTIM) != 0;
    if (state && !(p->have & NN_PARAMS_OPTIM))
        return SIZE_MAX;
    size_t s = HEADER_BYTES;
    for (size_t i = 0; i < p->n_tensors; i++) {
        const struct nn_tensor *t = &p->t[i];
        s = add_sat(s, 12 + strlen(t->name) + 8 * (size_t)t->ndim);
        s = add_sat(s, mul_sat(t->n, sizeof(float)));
        if (state && t->s_off != NO_SLICE)
            s = add_sat(s, mul_sat(mul_sat(t->n, sizeof(float)), state_arrays(p->kind)));
    }
    return s;
}

static unsigned char *put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return b + 4;
}

static unsigned char *put_u64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return b + 8;
}

static unsigned char *put_floats(unsigned char *b, const float *f, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(b, f, n * sizeof(float));
    return b + n * sizeof(float);
#else
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &f[i], 4);
        b = put_u32(b, u);
    }
    return b;
#endif
}

int nn_params_save(const struct nn_params *p, unsigned flags, struct nn_buf *out, char *err, size_t errsz)
{
    if (!p->allocated)
        return fail(err, errsz, NN_PARAMS_E_USAGE, "nn_params_save before nn_params_alloc");
    if (flags & ~NN_PARAMS_OPTIM)
        return fail(err, errsz, NN_PARAMS_E_USAGE, "nn_params_save: unknown flags %#x", flags);
    const int state = (flags & NN_PARAMS_OPTIM) != 0;
    if (state && !(p->have & NN_PARAMS_OPTIM))
        return fail(err, errsz, NN_PARAMS_E_USAGE, "nn_params_save: optimizer state asked for but not allocated");
    const size_t size = nn_params_save_size(p, flags);
    if (size == SIZE_MAX || out->len > SIZE_MAX - size)
        return fail(err, errsz, NN_PARAMS_E_NOMEM, "parameter block too large to serialise");
    if (out->len + size > out->cap) {
        size_t cap = out->cap ? out->cap : 4096;
        while (cap < out->len + size)
            cap = cap > SIZE_MAX / 2 ? out->len + size : 2 * cap;
        unsigned char *d = realloc(out->data, cap);
        if (!d)
            return fail(err, errsz, NN_PARAMS_E_NOMEM, "out of memory serialising %zu bytes of parameters", size);
        out->data = d;
        out->cap = cap;
    }
    unsigned char *b = out->data + out->len;
    memcpy(b, NN_PARAMS_MAGIC, 4);
    b = put_u32(b + 4, NN_PARAMS_VERSION);
    b = put_u32(b, state ? FLAG_STATE : 0);
    b = put_u32(b, (uint32_t)p->n_tensors);
    b = put_u32(b, state ? (uint32_t)p->kind : 0);
    b = put_u64(b, state ? (uint64_t)p->opt.t : 0);
    for (size_t i = 0; i < p->n_tensors; i++) {
        const struct nn_tensor *t = &p->t[i];
        const size_t len = strlen(t->name);
        b = put_u32(b, (uint32_t)len);
        memcpy(b, t->name, len);
        b = put_u32(b + len, state && t->s_off != NO_SLICE ? FLAG_STATE : 0);
        b = put_u32(b, t->ndim);
        for (uint32_t d = 0; d < t->ndim; d++)
            b = put_u64(b, t->shape[d]);
    }
    for (size_t i = 0; i < p->n_tensors; i++)
        b = put_floats(b, p->param + p->t[i].p_off, p->t[i].n);
    for (size_t i = 0; state && i < p->n_tensors; i++) {
        const struct nn_tensor *t = &p->t[i];
        if (t->s_off == NO_SLICE)
            continue;
        if (p->opt.m)
            b = put_floats(b, p->opt.m + t->s_off, t->n);
        if (p->opt.v)
            b = put_floats(b, p->opt.v + t->s_off, t->n);
    }
    out->len += size;
    return NN_PARAMS_OK;
}

/* -------------------------------------------------------------- loading */

struct rd {
    const unsigned char *b;
    size_t len, pos;
};

static uint32_t get_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get_u64(const unsigned char *b)
{
    return (uint64_t)get_u32(b) | (uint64_t)get_u32(b + 4) << 32;
}

/* 0 and the next value, or -1 when fewer than 4 / 8 bytes remain. */
static int rd_u32(struct rd *r, uint32_t *v)
{
    if (r->len - r->pos < 4)
        return -1;
    *v = get_u32(r->b + r->pos);
    r->pos += 4;
    return 0;
}

static int rd_u64(struct rd *r, uint64_t *v)
{
    if (r->len - r->pos < 8)
        return -1;
    *v = get_u64(r->b + r->pos);
    r->pos += 8;
    return 0;
}

/* A printable copy of n bytes (at most NN_PARAM_NAME_MAX) for messages. */
static void printable(char *dst, const unsigned char *s, size_t n)
{
    size_t i = 0;
    for (; i < n && i < NN_PARAM_NAME_MAX; i++)
        dst[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' ? (char)s[i] : '?';
    dst[i] = 0;
}

/* "(a, b, c)" of up to NN_PARAM_MAX_DIMS dimensions into buf. */
static const char *shape_str(char *buf, size_t sz, const uint64_t *shape, uint32_t ndim)
{
    size_t o = (size_t)snprintf(buf, sz, "(");
    for (uint32_t d = 0; d < ndim && o < sz; d++)
        o += (size_t)snprintf(buf + o, sz - o, "%s%llu", d ? ", " : "", (unsigned long long)shape[d]);
    if (o < sz)
        snprintf(buf + o, sz - o, ")");
    return buf;
}

/* Index of the first of n little-endian floats at b that is not finite (or,
 * with nonneg, is negative), or n when all are fine. */
static size_t first_bad(const unsigned char *b, size_t n, int nonneg)
{
    for (size_t i = 0; i < n; i++) {
        const uint32_t u = get_u32(b + 4 * i);
        if ((u & 0x7f800000u) == 0x7f800000u || (nonneg && (u & 0x80000000u) && (u & 0x7fffffffu)))
            return i;
    }
    return n;
}

static void get_floats(float *f, const unsigned char *b, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(f, b, n * sizeof(float));
#else
    for (size_t i = 0; i < n; i++) {
        const uint32_t u = get_u32(b + 4 * i);
        memcpy(&f[i], &u, 4);
    }
#endif
}

#define BAD(...) fail(err, errsz, NN_PARAMS_E_FORMAT, __VA_ARGS__)

/* The tensor table: names and shapes against p's; the state flags against
 * p's trained tensors (state) or zero (no state). */
static int load_table(const struct nn_params *p, struct rd *r, int state, char *err, size_t errsz)
{
    for (size_t i = 0; i < p->n_tensors; i++) {
        const struct nn_tensor *t = &p->t[i];
        uint32_t nlen, tflags, ndim;
        if (rd_u32(r, &nlen))
            return BAD("parameter block truncated in the entry of tensor %zu ('%s')", i, t->name);
        if (nlen < 1 || nlen > NN_PARAM_NAME_MAX)
            return BAD("tensor %zu ('%s' in the network): a name of %u bytes in the data", i, t->name, nlen);
        if (r->len - r->pos < nlen)
            return BAD("parameter block truncated in the name of tensor %zu ('%s')", i, t->name);
        const unsigned char *name = r->b + r->pos;
        r->pos += nlen;
        if (nlen != strlen(t->name) || memcmp(name, t->name, nlen) != 0) {
            char got[NN_PARAM_NAME_MAX + 1];
            printable(got, name, nlen);
            return BAD("tensor %zu is '%s' in the data but '%s' in the network", i, got, t->name);
        }
        if (rd_u32(r, &tflags) || rd_u32(r, &ndim))
            return BAD("parameter block truncated in the entry of tensor '%s'", t->name);
        if (tflags & ~FLAG_STATE)
            return BAD("tensor '%s': unknown flags %#x", t->name, tflags);
        const int has = (tflags & FLAG_STATE) != 0, want = state && t->s_off != NO_SLICE;
        if (has != want)
            return BAD("tensor '%s': optimizer state %s in the data, but the network %s", t->name,
                       has ? "present" : "absent", want ? "trains it" : state ? "keeps it frozen" : "asked for none");
        if (ndim < 1 || ndim > NN_PARAM_MAX_DIMS)
            return BAD("tensor '%s': %u dimensions in the data (1..%d)", t->name, ndim, NN_PARAM_MAX_DIMS);
        uint64_t shape[NN_PARAM_MAX_DIMS] = {0};
        int same = ndim == t->ndim;
        for (uint32_t d = 0; d < ndim; d++) {
            if (rd_u64(r, &shape[d]))
                return BAD("parameter block truncated in the shape of tensor '%s'", t->name);
            same &= shape[d] == (uint64_t)t->shape[d];
        }
        if (!same) {
            uint64_t built[NN_PARAM_MAX_DIMS];
            char a[128], b[128];
            for (uint32_t d = 0; d < t->ndim; d++)
                built[d] = t->shape[d];
            return BAD("tensor '%s': shape %s in the data but %s in the network", t->name,
                       shape_str(a, sizeof(a), shape, ndim), shape_str(b, sizeof(b), built, t->ndim));
        }
    }
    return NN_PARAMS_OK;
}

int nn_params_load(struct nn_params *p, const void *data, size_t len, unsigned flags, char *err, size_t errsz)
{
    if (!p->allocated)
        return fail(err, errsz, NN_PARAMS_E_USAGE, "nn_params_load before nn_params_alloc");
    if (flags & ~NN_PARAMS_OPTIM)
        return fail(err, errsz, NN_PARAMS_E_USAGE, "nn_params_load: unknown flags %#x", flags);
    const int state = (flags & NN_PARAMS_OPTIM) != 0;
    if (state && !(p->have & NN_PARAMS_OPTIM))
        return fail(err, errsz, NN_PARAMS_E_USAGE, "nn_params_load: optimizer state asked for but not allocated");
    if (!data && len)
        return fail(err, errsz, NN_PARAMS_E_USAGE, "nn_params_load: no data");
    struct rd r = {data, len, 0};
    uint32_t version, fflags, n, kind;
    uint64_t t;
    if (len < HEADER_BYTES)
        return BAD("parameter block truncated: %zu bytes, shorter than its %u-byte header", len, HEADER_BYTES);
    if (memcmp(r.b, NN_PARAMS_MAGIC, 4) != 0)
        return BAD("not a parameter block (no \"%s\" magic)", NN_PARAMS_MAGIC);
    r.pos = 4;
    rd_u32(&r, &version);
    rd_u32(&r, &fflags);
    rd_u32(&r, &n);
    rd_u32(&r, &kind);
    rd_u64(&r, &t);
    if (version != NN_PARAMS_VERSION)
        return BAD("parameter block version %u; this build reads version %u", version, NN_PARAMS_VERSION);
    if (fflags & ~FLAG_STATE)
        return BAD("parameter block flags %#x unknown", fflags);
    const int has_state = (fflags & FLAG_STATE) != 0;
    if (has_state != state)
        return BAD(has_state ? "the parameter block carries optimizer state (a checkpoint) but none was asked for"
                             : "the parameter block carries no optimizer state, but it was asked for");
    if (n != p->n_tensors)
        return BAD("the parameter block has %u tensors but the network has %zu", n, p->n_tensors);
    if (state && kind != (uint32_t)p->kind)
        return BAD("the optimizer state is %s's (kind %u) but the network trains with %s", kind_name(kind), kind,
                   kind_name((uint32_t)p->kind));
    if (!state && kind != 0)
        return BAD("optimizer kind %u without optimizer state", kind);
    if (t > (uint64_t)(state ? LONG_MAX : 0))
        return BAD("optimizer step count %llu out of range", (unsigned long long)t);
    int rc = load_table(p, &r, state, err, errsz);
    if (rc != NN_PARAMS_OK)
        return rc;
    /* names and shapes match p, so p gives the exact size */
    const size_t want = nn_params_save_size(p, flags);
    if (len != want)
        return BAD(len < want ? "parameter block truncated: %zu bytes where this network needs %zu"
                              : "parameter block of %zu bytes where this network needs %zu: trailing bytes",
                   len, want);
    /* every float, before anything is written */
    const size_t data0 = r.pos;
    size_t o = data0;
    for (size_t i = 0; i < p->n_tensors; i++) {
        const struct nn_tensor *ti = &p->t[i];
        const size_t bad = first_bad(r.b + o, ti->n, 0);
        if (bad < ti->n)
            return BAD("tensor '%s': parameter %zu is not finite", ti->name, bad);
        o += ti->n * sizeof(float);
    }
    const int has_m = state && kind_has_m(p->kind), has_v = state && kind_has_v(p->kind);
    for (size_t i = 0; state && i < p->n_tensors; i++) {
        const struct nn_tensor *ti = &p->t[i];
        if (ti->s_off == NO_SLICE)
            continue;
        for (int a = 0; a < 2; a++) {
            if (!(a == 0 ? has_m : has_v))
                continue;
            const size_t bad = first_bad(r.b + o, ti->n, a == 1);
            if (bad < ti->n)
                return BAD("tensor '%s': optimizer %s %zu is not finite%s", ti->name, a == 0 ? "moment m" : "moment v",
                           bad, a == 1 ? " or is negative" : "");
            o += ti->n * sizeof(float);
        }
    }
    /* all checked: copy */
    o = data0;
    for (size_t i = 0; i < p->n_tensors; i++) {
        get_floats(p->param + p->t[i].p_off, r.b + o, p->t[i].n);
        o += p->t[i].n * sizeof(float);
    }
    for (size_t i = 0; state && i < p->n_tensors; i++) {
        const struct nn_tensor *ti = &p->t[i];
        if (ti->s_off == NO_SLICE)
            continue;
        if (has_m) {
            get_floats(p->opt.m + ti->s_off, r.b + o, ti->n);
            o += ti->n * sizeof(float);
        }
        if (has_v) {
            get_floats(p->opt.v + ti->s_off, r.b + o, ti->n);
            o += ti->n * sizeof(float);
        }
    }
    if (state)
        p->opt.t = (long)t;
    return NN_PARAMS_OK;
}
