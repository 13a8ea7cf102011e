/*
 * json_fast.c: the common JSON request bodies read without building a
 * jansson tree: {"instances": [img, ...]} and a bare list [img, ...],
 * each img an H x W x C nested list of JSON numbers (every pixel a list of
 * C values).  Profiled: jansson took about 1 ms per 32x32x3 image (a tree
 * node per value, numbers through strtod), more than the network's forward
 * pass; here a value costs a scan and codec/csv_floats.h's decimal parser.
 * Anything else (other keys, {"image": ...} instances, a single bare
 * image, scalar pixels, a wrong shape, a value out of the float range,
 * malformed JSON) is declined, and request.c's jansson path reads it and
 * words the error, so both paths accept the same bodies (JSON's number
 * grammar and request.c's range are checked here) with the same values
 * (correctly rounded here, through a double there: they can differ by one
 * unit in the last place, on numbers with more digits than a float holds).
 */
#include <stdlib.h>
#include <string.h>

#include "cifar_cnn/request.h"
#include "codec/csv_floats.h"

struct cur {
    const char *p, *end;
};

static void ws(struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int eat(struct cur *c, char ch)
{
    ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

static int digit(const struct cur *c, const char *q)
{
    return q < c->end && *q >= '0' && *q <= '9';
}

/* One JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number(struct cur *c, float *out)
{
    ws(c);
    const char *s = c->p, *q = s;
    if (q < c->end && *q == '-')
        q++;
    if (!digit(c, q))
        return -1;
    if (*q == '0')
        q++;
    else
        while (digit(c, q))
            q++;
    if (q < c->end && *q == '.') {
        q++;
        if (!digit(c, q))
            return -1;
        while (digit(c, q))
            q++;
    }
    if (q < c->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < c->end && (*q == '+' || *q == '-'))
            q++;
        if (!digit(c, q))
            return -1;
        while (digit(c, q))
            q++;
    }
    /* jansson refuses integers beyond 64 bits, request.c values beyond
     * 3.4e38 */
    if (q - s > 18 && !memchr(s, '.', (size_t)(q - s)) && !memchr(s, 'e', (size_t)(q - s)) &&
        !memchr(s, 'E', (size_t)(q - s)))
        return -1;
    if (csv_field(s, q, q, 1, out, NULL, 0) != 0 || *out > 3.4e38f || *out < -3.4e38f)
        return -1;
    c->p = q;
    return 0;
}

static int image(struct cur *c, const struct cc_shape *s, float *out)
{
    if (!eat(c, '['))
        return -1;
    for (uint32_t y = 0; y < s->h; y++) {
        if ((y && !eat(c, ',')) || !eat(c, '['))
            return -1;
        for (uint32_t x = 0; x < s->w; x++) {
            if ((x && !eat(c, ',')) || !eat(c, '['))
                return -1;
            for (uint32_t k = 0; k < s->c; k++)
                if ((k && !eat(c, ',')) || number(c, out++) != 0)
                    return -1;
            if (!eat(c, ']'))
                return -1;
        }
        if (!eat(c, ']'))
            return -1;
    }
    return eat(c, ']') ? 0 : -1;
}

/* A list of at least one image at c: its images appended to *x (n, cap). */
static int images(struct cur *c, const struct cc_shape *s, float **x, size_t *n, size_t *cap)
{
    const size_t per = (size_t)s->h * s->w * s->c;
    if (!eat(c, '['))
        return -1;
    do {
        if (*n == *cap) {
            size_t nc = *cap ? 2 * *cap : 1;
            if (nc > CC_MAX_INSTANCES)
                return -1;
            float *g = realloc(*x, nc * per * sizeof(float));
            if (!g)
                return -1;
            *x = g, *cap = nc;
        }
        if (image(c, s, *x + *n * per) != 0)
            return -1;
        (*n)++;
    } while (eat(c, ','));
    return eat(c, ']') ? 0 : -1;
}

int cc_json_fast(const char *body, size_t len, const struct cc_shape *s, struct cc_inputs *in)
{
    struct cur c = {body, body + len};
    float *x = NULL;
    size_t n = 0, cap = 0;
    int ok;
    if (eat(&c, '{')) {
        static const char key[] = "\"instances\"";
        ws(&c);
        ok = (size_t)(c.end - c.p) >= sizeof(key) - 1 && memcmp(c.p, key, sizeof(key) - 1) == 0;
        if (ok) {
            c.p += sizeof(key) - 1;
            ok = eat(&c, ':') && images(&c, s, &x, &n, &cap) == 0 && eat(&c, '}');
        }
    } else {
        /* a bare list of images: four levels of '[' (three are one image,
         * left to the jansson path) */
        const char *q = c.p;
        int d = 0;
        while (q < c.end && d < 4 && (*q == '[' || *q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
            d += *q++ == '[';
        ok = d == 4 && images(&c, s, &x, &n, &cap) == 0;
    }
    ws(&c);
    if (!ok || c.p != c.end) {
        free(x);
        return -1;
    }
    memset(in, 0, sizeof(*in));
    in->x = x;
    in->n = n;
    return 0;
}
