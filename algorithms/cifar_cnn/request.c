/*
 * request.c: the images of one /invocations body, each of the model's
 * shape H x W x C, as TF Serving's REST API and the SageMaker TensorFlow
 * Serving container take them (ALGORITHMS.md B.4):
 *   application/json       {"instances": [img, ...]} (row format; an
 *                          instance is an H x W x C nested list, H x W when
 *                          C is 1, or {"image": img}); a bare list of
 *                          instances, or one bare instance; {"inputs":
 *                          batch} (columnar: N x H x W x C, or {"image":
 *                          batch}), answered {"outputs": ...};
 *                          "signature_name" is accepted and ignored
 *   application/jsonlines  one instance per line
 *   text/csv               one flattened image per line (H * W * C numbers
 *                          in height, width, channel order)
 *   application/x-npy      a .npy array (N, H, W, C), (H, W, C), (N, H*W*C),
 *                          and for C = 1 also (N, H, W) or (H, W); any
 *                          integer or float dtype
 *   image/png, image/jpeg  one image, decoded (codec/image_decode.h: by its
 *                          bytes, so either type reads either) to the
 *                          model's channels and resized bilinearly to its
 *                          height and width; marked as pixels (0-255)
 * Other values are taken as sent.  A wrong shape, a value that is not a number,
 * a non-numeric dtype or bytes that do not decode are a 400 naming what was
 * expected; nothing here crashes on request data (fuzzed:
 * tests/fuzz/fuzz_cifar_cnn_request.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cifar_cnn/request.h"
#include "codec/csv_hint.h"
#include "codec/image_decode.h"
#include "codec/npy.h"

/* The module table's media types, indexed by the enums of request.h. */
const char *const cc_request_types[CC_N_IN + 1] = {
    [CC_IN_JSON] = "application/json",
    [CC_IN_JSONLINES] = "application/jsonlines",
    [CC_IN_CSV] = "text/csv",
    [CC_IN_NPY] = "application/x-npy",
    [CC_IN_PNG] = "image/png",
    [CC_IN_JPEG] = "image/jpeg",
    [CC_N_IN] = NULL,
};
const char *const cc_response_types[CC_N_OUT + 1] = {
    [CC_OUT_JSON] = "application/json",
    [CC_OUT_JSONLINES] = "application/jsonlines",
    [CC_N_OUT] = NULL,
};

void cc_inputs_free(struct cc_inputs *in)
{
    free(in->x);
    memset(in, 0, sizeof(*in));
}

static size_t image_size(const struct cc_shape *s)
{
    return (size_t)s->h * s->w * s->c;
}

/* "32x32x3 nested list of numbers (height x width x channels)" */
static const char *expected(const struct cc_shape *s, char *buf, size_t sz)
{
    if (s->c == 1)
        snprintf(buf, sz, "a %" PRIu32 "x%" PRIu32 "x1 (or %" PRIu32 "x%" PRIu32 ") nested list of numbers (height x "
                 "width x channels)", s->h, s->w, s->h, s->w);
    else
        snprintf(buf, sz, "a %" PRIu32 "x%" PRIu32 "x%" PRIu32 " nested list of numbers (height x width x channels)",
                 s->h, s->w, s->c);
    return buf;
}

/* Room for n images.  Every value takes at least one byte of the body in
 * every format, so more than body_len values cannot be there: refused
 * before anything is allocated. */
static optml_status ensure(optml_ctx *ctx, struct cc_inputs *in, size_t n, const struct cc_shape *s, size_t body_len)
{
    if (n > CC_MAX_INSTANCES)
        return optml_error(ctx, OPTML_E_TOO_LARGE, "%zu images in one request; at most %d", n, CC_MAX_INSTANCES);
    if (n > body_len / image_size(s))
        return optml_error(ctx, OPTML_E_CLIENT, "%zu image%s of %" PRIu32 "x%" PRIu32 "x%" PRIu32 " cannot be in a "
                           "body of %zu bytes", n, n == 1 ? "" : "s", s->h, s->w, s->c, body_len);
    free(in->x);
    in->x = malloc((n ? n : 1) * image_size(s) * sizeof(float));
    if (!in->x)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory for %zu images", n);
    in->n = n;
    return OPTML_OK;
}

/* ----------------------------------------------------------------- JSON */

static int number(json_t *v, float *out)
{
    if (!json_is_number(v))
        return -1;
    double d = json_number_value(v);
    if (!isfinite(d) || fabs(d) > 3.4e38)
        return -1;
    *out = (float)d;
    return 0;
}

/* An image instance (a nested list, or {"image": list}) into out. */
static int fill_image(json_t *v, const struct cc_shape *s, float *out, char *err, size_t errsz)
{
    char ex[160];
    if (json_is_object(v)) {
        json_t *img = json_object_get(v, "image");
        if (!img)
            img = json_object_get(v, "inputs_input");
        if (!img || json_object_size(v) != 1) {
            snprintf(err, errsz, "an object instance must be {\"image\": <%s>}", expected(s, ex, sizeof(ex)));
            return -1;
        }
        v = img;
    }
    if (!json_is_array(v) || json_array_size(v) != s->h) {
        snprintf(err, errsz, "expected %s; got %s of %zu", expected(s, ex, sizeof(ex)),
                 json_is_array(v) ? "a list" : "a value that is not a list", json_is_array(v) ? json_array_size(v) : 0);
        return -1;
    }
    for (uint32_t y = 0; y < s->h; y++) {
        json_t *row = json_array_get(v, y);
        if (!json_is_array(row) || json_array_size(row) != s->w) {
            snprintf(err, errsz, "row %" PRIu32 ": expected a list of %" PRIu32 " pixels (%s)", y, s->w,
                     expected(s, ex, sizeof(ex)));
            return -1;
        }
        for (uint32_t x = 0; x < s->w; x++) {
            json_t *px = json_array_get(row, x);
            float *o = out + ((size_t)y * s->w + x) * s->c;
            if (s->c == 1 && json_is_number(px)) {
                if (number(px, o) == 0)
                    continue;
            } else if (json_is_array(px) && json_array_size(px) == s->c) {
                uint32_t k = 0;
                for (; k < s->c; k++)
                    if (number(json_array_get(px, k), o + k) != 0)
                        break;
                if (k == s->c)
                    continue;
                snprintf(err, errsz, "value [%" PRIu32 "][%" PRIu32 "][%" PRIu32 "] is not a finite number", y, x, k);
                return -1;
            }
            snprintf(err, errsz, "pixel [%" PRIu32 "][%" PRIu32 "]: expected %s%" PRIu32 " channel value%s", y, x,
                     s->c == 1 ? "a number or a list of " : "a list of ", s->c, s->c == 1 ? "" : "s");
            return -1;
        }
    }
    return 0;
}

/* Nesting depth of lists along first elements (0: not a list). */
static int depth(json_t *v)
{
    int d = 0;
    while (json_is_array(v) && d < 8) {
        d++;
        v = json_array_get(v, 0);
    }
    return d;
}

/* Whether `v` is one image rather than a list of them. */
static int single_image(json_t *v, const struct cc_shape *s)
{
    if (json_is_object(v))
        return 1;
    int d = depth(v);
    if (s->c != 1)
        return d <= 3;
    if (d <= 2)
        return 1;
    if (d >= 4)
        return 0;
    /* depth 3 with one channel: H x W x 1, or a list of H x W images */
    json_t *px = json_array_get(json_array_get(v, 0), 0);
    return json_array_size(px) == 1 && json_array_size(v) == s->h && json_array_size(json_array_get(v, 0)) == s->w;
}

/* A list of instances (or one, when `one`) into in. */
static optml_status from_list(optml_ctx *ctx, json_t *list, int one, const struct cc_shape *s, const char *what,
                              size_t body_len, struct cc_inputs *in)
{
    size_t n = one ? 1 : json_array_size(list);
    char err[512], ex[160];
    if (n == 0)
        return optml_error(ctx, OPTML_E_CLIENT, "%s is an empty list: expected images, each %s", what,
                           expected(s, ex, sizeof(ex)));
    optml_status st = ensure(ctx, in, n, s, body_len);
    if (st != OPTML_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        if (fill_image(one ? list : json_array_get(list, i), s, in->x + i * image_size(s), err, sizeof(err)) != 0)
            return one ? optml_error(ctx, OPTML_E_CLIENT, "%s: %s", what, err)
                       : optml_error(ctx, OPTML_E_CLIENT, "%s instance %zu: %s", what, i, err);
    return OPTML_OK;
}

static optml_status parse_json(optml_ctx *ctx, const struct optml_request *req, const struct cc_shape *s,
                               struct cc_inputs *in)
{
    if (cc_json_fast((const char *)req->body, req->len, s, in) == 0)
        return OPTML_OK;
    json_error_t je;
    json_t *root = json_loadb((const char *)req->body, req->len, 0, &je);
    if (!root)
        return optml_error(ctx, OPTML_E_CLIENT, "the body is not JSON (%s, at byte %d); expected {\"instances\": "
                           "[...]} or {\"inputs\": ...}", je.text, je.position);
    optml_status st;
    if (json_is_array(root)) {
        st = from_list(ctx, root, single_image(root, s), s, "the list", req->len, in);
    } else {
        json_t *inst = json_object_get(root, "instances"), *inputs = json_object_get(root, "inputs");
        json_t *sig = json_object_get(root, "signature_name");
        const char *key;
        json_t *v;
        st = OPTML_OK;
        json_object_foreach(root, key, v) {
            if (strcmp(key, "instances") && strcmp(key, "inputs") && strcmp(key, "signature_name")) {
                st = optml_error(ctx, OPTML_E_CLIENT, "unknown key '%s': expected {\"instances\": [...]} or "
                                 "{\"inputs\": ...} (and an optional \"signature_name\")", key);
                break;
            }
        }
        if (st != OPTML_OK) {
        } else if (sig && !json_is_string(sig)) {
            st = optml_error(ctx, OPTML_E_CLIENT, "\"signature_name\" must be a string");
        } else if (inst && inputs) {
            st = optml_error(ctx, OPTML_E_CLIENT, "the body has both 'inputs' and 'instances': send one");
        } else if (inst) {
            st = json_is_array(inst) ? from_list(ctx, inst, 0, s, "\"instances\"", req->len, in)
                                     : optml_error(ctx, OPTML_E_CLIENT, "\"instances\" must be a list of images");
        } else if (inputs) {
            in->columnar = 1;
            if (json_is_object(inputs)) {
                json_t *img = json_object_get(inputs, "image");
                if (!img)
                    img = json_object_get(inputs, "inputs_input");
                inputs = json_object_size(inputs) == 1 ? img : NULL;
            }
            st = json_is_array(inputs) ? from_list(ctx, inputs, single_image(inputs, s), s, "\"inputs\"", req->len, in)
                                       : optml_error(ctx, OPTML_E_CLIENT, "\"inputs\" must be a batch of images "
                                                     "(N x H x W x C), or {\"image\": batch}");
        } else {
            st = optml_error(ctx, OPTML_E_CLIENT, "Missing 'inputs' or 'instances' key");
        }
    }
    json_decref(root);
    return st;
}

/* ---------------------------------------------------------- line formats */

/* Calls fn for each line of the body (without its '\n' and a '\r' before
 * it); a last empty line is not one.  An empty line elsewhere is a 400. */
typedef optml_status (*line_fn)(optml_ctx *ctx, const char *line, size_t len, size_t no, const struct cc_shape *s,
                                float *out);

static size_t count_lines(const unsigned char *b, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += b[i] == '\n';
    return n + (len > 0 && b[len - 1] != '\n');
}

static optml_status each_line(optml_ctx *ctx, const struct optml_request *req, const struct cc_shape *s,
                              struct cc_inputs *in, line_fn fn)
{
    size_t n = count_lines(req->body, req->len);
    if (n == 0)
        return optml_error(ctx, OPTML_E_CLIENT, "the body is empty: expected one image per line");
    optml_status st = ensure(ctx, in, n, s, req->len);
    const char *p = (const char *)req->body, *end = p + req->len;
    for (size_t i = 0; st == OPTML_OK && i < n; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t l = len;
        if (l && p[l - 1] == '\r')
            l--;
        if (l == 0)
            return optml_error(ctx, OPTML_E_CLIENT, "line %zu is empty: expected one image per line", i + 1);
        st = fn(ctx, p, l, i + 1, s, in->x + i * image_size(s));
        p += len + 1;
    }
    return st;
}

static optml_status jsonl_line(optml_ctx *ctx, const char *line, size_t len, size_t no, const struct cc_shape *s,
                               float *out)
{
    json_error_t je;
    char err[512];
    json_t *v = json_loadb(line, len, 0, &je);
    if (!v)
        return optml_error(ctx, OPTML_E_CLIENT, "line %zu is not JSON (%s); expected one image per line", no, je.text);
    int r = fill_image(v, s, out, err, sizeof(err));
    json_decref(v);
    return r == 0 ? OPTML_OK : optml_error(ctx, OPTML_E_CLIENT, "line %zu: %s", no, err);
}

static optml_status csv_line(optml_ctx *ctx, const char *line, size_t len, size_t no, const struct cc_shape *s,
                             float *out)
{
    size_t want = image_size(s), got = 0;
    const char *p = line, *end = line + len;
    char buf[64];
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *fe = comma ? comma : end, *a = p, *b = fe;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        size_t fl = (size_t)(b - a);
        if (got < want) {
            char *e = NULL;
            int ok = fl > 0 && fl < sizeof(buf);
            double d = 0;
            if (ok) {
                memcpy(buf, a, fl);
                buf[fl] = 0;
                errno = 0;
                d = strtod(buf, &e);
                ok = e == buf + fl && isfinite(d) && fabs(d) <= 3.4e38;
            }
            if (!ok) {
                /* name the fix when the cause is guessable: a header row, ';' or TABs, JSON */
                enum csv_mistake mk = csv_guess_mistake(line, len, no == 1);
                return optml_error(ctx, OPTML_E_CLIENT, "line %zu, value %zu: '%.*s' is not a number%s%s", no,
                                   got + 1, (int)(fl < 32 ? fl : 32), a, mk ? "; " : "",
                                   mk == CSV_JSON ? "the body looks like JSON: send it with Content-Type "
                                                    "application/json (or application/jsonlines, one image a line)"
                                                  : csv_mistake_hint(mk));
            }
            out[got] = (float)d;
        }
        got++;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (got != want)
        return optml_error(ctx, OPTML_E_CLIENT, "line %zu has %zu values; expected %zu (one %" PRIu32 "x%" PRIu32
                           "x%" PRIu32 " image flattened in height, width, channel order)%s", no, got, want, s->h,
                           s->w, s->c, got == want + 1 ? ": is the label column included? A request holds the pixels "
                                                         "only" : "");
    return OPTML_OK;
}

/* ------------------------------------------------------------------ npy */

static optml_status parse_npy(optml_ctx *ctx, const struct optml_request *req, const struct cc_shape *s,
                              struct cc_inputs *in)
{
    struct npy_array a;
    char err[256];
    if (npy_parse(req->body, req->len, &a, err, sizeof(err)) != 0)
        return optml_error(ctx, OPTML_E_CLIENT, "the body is not a .npy array: %s", err);
    if (a.kind != 'i' && a.kind != 'u' && a.kind != 'f')
        return optml_error(ctx, OPTML_E_CLIENT, "array of dtype %s: expected numbers (an integer or float dtype)",
                           a.descr);
    const uint64_t H = s->h, W = s->w, C = s->c, *d = a.shape;
    uint64_t n = 0;
    if (a.ndims == 4 && d[1] == H && d[2] == W && d[3] == C)
        n = d[0];
    else if (a.ndims == 3 && d[0] == H && d[1] == W && d[2] == C)
        n = 1;
    else if (a.ndims == 2 && d[1] == H * W * C)
        n = d[0];
    else if (C == 1 && a.ndims == 3 && d[1] == H && d[2] == W)
        n = d[0];
    else if (C == 1 && a.ndims == 2 && d[0] == H && d[1] == W)
        n = 1;
    else {
        char shape[160] = "(";
        size_t at = 1;
        for (unsigned i = 0; i < a.ndims && at < sizeof(shape); i++)
            at += (size_t)snprintf(shape + at, sizeof(shape) - at, "%s%" PRIu64, i ? ", " : "", d[i]);
        if (at < sizeof(shape))
            snprintf(shape + at, sizeof(shape) - at, "%s)", a.ndims == 1 ? "," : "");
        return optml_error(ctx, OPTML_E_CLIENT, "array of shape %s: expected (N, %" PRIu64 ", %" PRIu64 ", %" PRIu64
                           "), (%" PRIu64 ", %" PRIu64 ", %" PRIu64 ") or (N, %" PRIu64 ")", shape, H, W, C, H, W, C,
                           H * W * C);
    }
    if (n == 0)
        return optml_error(ctx, OPTML_E_CLIENT, "the array holds no images");
    optml_status st = ensure(ctx, in, (size_t)(n > CC_MAX_INSTANCES ? (uint64_t)CC_MAX_INSTANCES + 1 : n), s, req->len);
    if (st != OPTML_OK)
        return st;
    npy_to_float(&a, in->x);
    for (size_t i = 0; i < in->n * image_size(s); i++)
        if (!isfinite(in->x[i]))
            return optml_error(ctx, OPTML_E_CLIENT, "array value %zu is not a finite number (NaN or infinity)", i);
    return OPTML_OK;
}

/* ---------------------------------------------------------- PNG, JPEG */

static optml_status parse_image(optml_ctx *ctx, const struct optml_request *req, const struct cc_shape *s,
                                struct cc_inputs *in)
{
    const char *want = req->content_index == CC_IN_PNG ? "PNG" : "JPEG";
    if (s->c != 1 && s->c != 3)
        return optml_error(ctx, OPTML_E_CLIENT, "this model takes %" PRIu32 "-channel images: PNG and JPEG decode "
                           "to 1 or 3 channels; send application/json, text/csv or application/x-npy", s->c);
    if (img_sniff(req->body, req->len) == IMG_UNKNOWN)
        return optml_error(ctx, OPTML_E_CLIENT, "the body is not a %s image (no PNG signature or JPEG SOI marker at "
                           "its start)", want);
    struct img_u8 img = {0}, sized = {0};
    char err[256];
    if (img_decode(req->body, req->len, CC_MAX_DECODE_PIXELS, s->c, &img, err, sizeof(err)) != 0) {
        int big = strstr(err, "over the limit") != NULL;
        return optml_error(ctx, big ? OPTML_E_TOO_LARGE : OPTML_E_CLIENT, "the %s image cannot be decoded: %s", want,
                           err);
    }
    optml_status st = OPTML_OK;
    const struct img_u8 *use = &img;
    if (img.w != s->w || img.h != s->h) {
        if (img_resize_bilinear(&img, s->w, s->h, &sized) != 0)
            st = optml_error(ctx, OPTML_E_NOMEM, "out of memory resizing a %zux%zu image", img.w, img.h);
        use = &sized;
    }
    if (st == OPTML_OK && (st = ensure(ctx, in, 1, s, (size_t)-1)) == OPTML_OK) {
        for (size_t i = 0; i < image_size(s); i++)
            in->x[i] = use->px[i];
        in->pixels = 1;
    }
    img_free(&img);
    img_free(&sized);
    return st;
}

optml_status cc_parse_request(optml_ctx *ctx, const struct optml_request *req, const struct cc_shape *s,
                              struct cc_inputs *in)
{
    memset(in, 0, sizeof(*in));
    optml_status st;
    if (req->len == 0)
        return optml_error(ctx, OPTML_E_CLIENT, "the body is empty");
    switch (req->content_index) {
    case CC_IN_JSON:
        st = parse_json(ctx, req, s, in);
        break;
    case CC_IN_JSONLINES:
        st = each_line(ctx, req, s, in, jsonl_line);
        break;
    case CC_IN_CSV:
        st = each_line(ctx, req, s, in, csv_line);
        break;
    case CC_IN_NPY:
        st = parse_npy(ctx, req, s, in);
        break;
    case CC_IN_PNG:
    case CC_IN_JPEG:
        st = parse_image(ctx, req, s, in);
        break;
    default:
        st = optml_error(ctx, OPTML_E_INTERNAL, "request type %d has no parser", req->content_index);
    }
    if (st != OPTML_OK)
        cc_inputs_free(in);
    return st;
}

/* --------------------------------------------------------------- answers */

static optml_status row(optml_response *resp, const float *p, size_t k)
{
    optml_status st = optml_response_append(resp, "[", 1);
    for (size_t j = 0; j < k && st == OPTML_OK; j++) {
        if (j)
            st = optml_response_append(resp, ", ", 2);
        if (st == OPTML_OK)
            st = optml_response_number(resp, p[j]);
    }
    return st == OPTML_OK ? optml_response_append(resp, "]", 1) : st;
}

optml_status cc_write_predictions(optml_response *resp, int accept_index, int columnar, const float *probs, size_t n,
                                  size_t k)
{
    optml_status st = OPTML_OK;
    if (accept_index == CC_OUT_JSONLINES) {
        for (size_t i = 0; i < n && st == OPTML_OK; i++)
            if ((st = row(resp, probs + i * k, k)) == OPTML_OK)
                st = optml_response_append(resp, "\n", 1);
        return st;
    }
    st = optml_response_printf(resp, "{\"%s\": [", columnar ? "outputs" : "predictions");
    for (size_t i = 0; i < n && st == OPTML_OK; i++) {
        if (i)
            st = optml_response_append(resp, ", ", 2);
        if (st == OPTML_OK)
            st = row(resp, probs + i * k, k);
    }
    return st == OPTML_OK ? optml_response_append(resp, "]}", 2) : st;
}
