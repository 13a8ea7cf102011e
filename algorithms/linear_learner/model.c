/*
 * model.c: the served model: its binary payload (format version 1, written
 * through optml_model_write so the runtime adds the versioned header), the
 * readable model.json beside it, loading for `serve`, and the folding of
 * the scalers into raw-feature weights that predict uses.
 *
 * Payload, little-endian:
 *   "LLMODEL1"  u32 predictor_type  u32 loss  u32 D  u32 K
 *   f32 threshold  f32 label_mean  f32 label_std
 *   f32 W[K*D] (standardised space, row-major)  f32 b[K]
 *   f32 feature_mean[D]  f32 feature_scale[D] (1 / std)
 * A prediction is f(x) = W ((x - mean) * scale) + b, times label_std plus
 * label_mean for a regressor; model.json gives the same on raw features.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/numtext.h"
#include "linear_learner/ll.h"

#define MAGIC "LLMODEL1"
#define HEAD_LEN (8 + 4 * 4 + 3 * 4)

static void put_u32(unsigned char **p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *(*p)++ = (unsigned char)(v >> (8 * i));
}

static void put_f32(unsigned char **p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(p, v);
}

static uint32_t get_u32(const unsigned char **p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)(*p)[i] << (8 * i);
    *p += 4;
    return v;
}

static float get_f32(const unsigned char **p)
{
    uint32_t v = get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* Floats in the payload after the head, or 0 when the sizes overflow. */
static size_t payload_floats(size_t D, size_t K)
{
    if (D == 0 || K == 0 || D > LL_MAX_DIM || K > 1000000 || D > (SIZE_MAX / 8) / K)
        return 0;
    return K * D + K + 2 * D;
}

int ll_model_encode(const struct ll_model *m, unsigned char **out, size_t *len)
{
    size_t nf = payload_floats(m->D, m->K);
    if (!nf)
        return -1;
    size_t n = HEAD_LEN + 4 * nf;
    unsigned char *buf = malloc(n), *p = buf;
    if (!buf)
        return -1;
    memcpy(p, MAGIC, 8);
    p += 8;
    put_u32(&p, (uint32_t)m->type);
    put_u32(&p, (uint32_t)m->loss);
    put_u32(&p, (uint32_t)m->D);
    put_u32(&p, (uint32_t)m->K);
    put_f32(&p, m->threshold);
    put_f32(&p, m->sc.y_mean);
    put_f32(&p, m->sc.y_std);
    for (size_t i = 0; i < m->K * m->D; i++)
        put_f32(&p, m->W[i]);
    for (size_t i = 0; i < m->K; i++)
        put_f32(&p, m->b[i]);
    for (size_t j = 0; j < m->D; j++)
        put_f32(&p, m->sc.mean[j]);
    for (size_t j = 0; j < m->D; j++)
        put_f32(&p, m->sc.inv_std[j]);
    *out = buf;
    *len = n;
    return 0;
}

static float *read_floats(const unsigned char **p, size_t n)
{
    float *v = malloc((n ? n : 1) * sizeof(float));
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = get_f32(p);
    return v;
}

optml_status ll_model_decode(optml_ctx *ctx, const unsigned char *buf, size_t len, struct ll_model *m)
{
    memset(m, 0, sizeof(*m));
    if (len < HEAD_LEN || memcmp(buf, MAGIC, 8) != 0)
        return optml_error(ctx, OPTML_E_MODEL, "%s is not a linear-learner model (format 1)", LL_MODEL_FILE);
    const unsigned char *p = buf + 8;
    uint32_t type = get_u32(&p), loss = get_u32(&p), D = get_u32(&p), K = get_u32(&p);
    m->threshold = get_f32(&p);
    float y_mean = get_f32(&p), y_std = get_f32(&p);
    size_t nf = payload_floats(D, K);
    if (type > LL_REGRESSOR || loss > LOSS_SOFTMAX || !nf || len != HEAD_LEN + 4 * nf ||
        (type == LL_MULTICLASS) != (K > 1) || !isfinite(m->threshold) || !isfinite(y_mean) ||
        !(y_std > 0) || !isfinite(y_std))
        return optml_error(ctx, OPTML_E_MODEL, "%s is damaged: inconsistent header (%zu bytes, D=%u, K=%u)",
                           LL_MODEL_FILE, len, D, K);
    m->type = (enum ll_predictor)type;
    m->loss = (enum loss_kind)loss;
    m->D = D;
    m->K = K;
    m->sc.D = D;
    m->sc.y_mean = y_mean;
    m->sc.y_std = y_std;
    if (!(m->W = read_floats(&p, (size_t)K * D)) || !(m->b = read_floats(&p, K)) ||
        !(m->sc.mean = read_floats(&p, D)) || !(m->sc.inv_std = read_floats(&p, D))) {
        ll_model_free(m);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory loading the model (D=%u, K=%u)", D, K);
    }
    return OPTML_OK;
}

int ll_model_fold(struct ll_model *m)
{
    free(m->Wf);
    free(m->bf);
    m->Wf = malloc(m->K * m->D * sizeof(float));
    m->bf = malloc(m->K * sizeof(float));
    if (!m->Wf || !m->bf)
        return -1;
    ll_scaler_fold(&m->sc, m->W, m->b, m->K, m->Wf, m->bf);
    if (m->type == LL_REGRESSOR) {
        for (size_t i = 0; i < m->K * m->D; i++)
            m->Wf[i] *= m->sc.y_std;
        for (size_t k = 0; k < m->K; k++)
            m->bf[k] = m->bf[k] * m->sc.y_std + m->sc.y_mean;
    }
    return 0;
}

void ll_model_free(struct ll_model *m)
{
    free(m->W);
    free(m->b);
    free(m->Wf);
    free(m->bf);
    ll_scaler_free(&m->sc);
    memset(m, 0, sizeof(*m));
}

/* ---- model.json ---- */

struct text {
    char *s;
    size_t len, cap;
    int oom;
};

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(struct text *t, const char *fmt, ...)
{
    if (t->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = 1;
            return;
        }
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap : 4096;
        while (cap <= t->len + (size_t)n)
            cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->oom = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

static void tnum(struct text *t, float v)
{
    char b[NUMTEXT_SIZE];
    if (isfinite(v))
        tprintf(t, "%s", numtext_float(b, v)); /* reads back as v, as short as it gets */
    else
        tprintf(t, "null");
}

static void tarray(struct text *t, const float *v, size_t n)
{
    tprintf(t, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            tprintf(t, ", ");
        tnum(t, v[i]);
    }
    tprintf(t, "]");
}

/* Largest K * D written out in model.json. */
#define JSON_MAX_VALUES 1000000u

char *ll_model_json(const struct ll_model *m, const char *hyper_json)
{
    struct text t = {0};
    int full = m->K * m->D <= JSON_MAX_VALUES && m->Wf;
    tprintf(&t, "{\n  \"format\": \"optml-linear-learner\",\n  \"format_version\": %u,\n", LL_FORMAT_VERSION);
    tprintf(&t, "  \"predictor_type\": \"%s\",\n  \"loss\": \"%s\",\n", ll_predictor_name(m->type),
            ll_loss_name(m->loss));
    tprintf(&t, "  \"feature_dim\": %zu,\n  \"num_classes\": %zu,\n", m->D, m->type == LL_MULTICLASS ? m->K : 
            (size_t)(m->type == LL_BINARY ? 2 : 0));
    tprintf(&t, "  \"score\": \"%s\",\n",
            m->type == LL_REGRESSOR ? "x . coefficients + bias"
            : m->type == LL_MULTICLASS ? "softmax(coefficients x + bias)"
            : m->loss == LOSS_LOGISTIC ? "sigmoid(x . coefficients + bias)" : "x . coefficients + bias");
    if (m->type == LL_BINARY) {
        tprintf(&t, "  \"threshold\": ");
        tnum(&t, m->threshold);
        tprintf(&t, ",\n");
    }
    tprintf(&t, "  \"coefficients\": ");
    if (!full) {
        tprintf(&t, "null,\n  \"coefficients_note\": \"more than %u values: read the binary model\",\n",
                JSON_MAX_VALUES);
    } else if (m->K == 1) {
        tarray(&t, m->Wf, m->D);
        tprintf(&t, ",\n");
    } else {
        tprintf(&t, "[\n");
        for (size_t k = 0; k < m->K; k++) {
            tprintf(&t, "    ");
            tarray(&t, m->Wf + k * m->D, m->D);
            tprintf(&t, "%s\n", k + 1 < m->K ? "," : "");
        }
        tprintf(&t, "  ],\n");
    }
    tprintf(&t, "  \"bias\": ");
    if (m->K == 1 && m->bf)
        tnum(&t, m->bf[0]);
    else if (m->bf)
        tarray(&t, m->bf, m->K);
    else
        tprintf(&t, "null");
    tprintf(&t, ",\n  \"normalization\": {\n    \"feature_mean\": ");
    if (m->D <= JSON_MAX_VALUES)
        tarray(&t, m->sc.mean, m->D);
    else
        tprintf(&t, "null");
    tprintf(&t, ",\n    \"feature_scale\": ");
    if (m->D <= JSON_MAX_VALUES)
        tarray(&t, m->sc.inv_std, m->D);
    else
        tprintf(&t, "null");
    tprintf(&t, ",\n    \"label_mean\": ");
    tnum(&t, m->sc.y_mean);
    tprintf(&t, ",\n    \"label_std\": ");
    tnum(&t, m->sc.y_std);
    tprintf(&t, ",\n    \"note\": \"coefficients and bias above already include this normalization\"\n  }");
    if (hyper_json)
        tprintf(&t, ",\n  \"hyperparameters\": %s", hyper_json);
    tprintf(&t, "\n}\n");
    if (t.oom) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

optml_status ll_model_save(optml_ctx *ctx, const struct ll_model *m, const char *hyper_json)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    char *json = NULL;
    optml_status s;
    if (ll_model_encode(m, &buf, &len) != 0) {
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory encoding the model");
        goto out;
    }
    if ((s = optml_model_write(ctx, LL_MODEL_FILE, buf, len)) != OPTML_OK)
        goto out;
    if (!(json = ll_model_json(m, hyper_json))) {
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory writing model.json");
        goto out;
    }
    s = optml_file_write_atomic(ctx, "model.json", json, strlen(json));
out:
    free(buf);
    free(json);
    return s;
}

optml_status ll_model_load(optml_ctx *ctx, const char *model_dir, void **out)
{
    void *data = NULL;
    size_t len = 0;
    *out = NULL;
    optml_status s = optml_model_read(ctx, model_dir, LL_MODEL_FILE, &data, &len);
    if (s != OPTML_OK)
        return s;
    struct ll_model *m = calloc(1, sizeof(*m));
    if (!m) {
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory loading the model");
        goto out;
    }
    if ((s = ll_model_decode(ctx, data, len, m)) != OPTML_OK)
        goto out;
    if (ll_model_fold(m) != 0) {
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory loading the model");
        goto out;
    }
    optml_log(ctx, OPTML_LOG_INFO, "linear-learner model: %s, %zu features, %zu output%s, loss %s%s",
              ll_predictor_name(m->type), m->D, m->K, m->K > 1 ? "s" : "", ll_loss_name(m->loss),
              m->type == LL_BINARY ? "" : "");
    *out = m;
    m = NULL;
out:
    if (m) {
        ll_model_free(m);
        free(m);
    }
    free(data);
    return s;
}

void ll_model_release(void *model)
{
    if (!model)
        return;
    ll_model_free(model);
    free(model);
}

/* ---- scoring ---- */

void ll_model_logits(const struct ll_model *m, const struct ll_rows *rows, float *out)
{
    ll_rows_scores(rows, m->Wf, m->bf, m->K, out);
}

void ll_model_transform(const struct ll_model *m, float *out, size_t n)
{
    if (m->type == LL_BINARY && m->loss == LOSS_LOGISTIC) {
        for (size_t i = 0; i < n; i++)
            out[i] = sigmoid(out[i]);
    } else if (m->type == LL_MULTICLASS) {
        for (size_t i = 0; i < n; i++) {
            float *z = out + i * m->K;
            /* Overflowed logits (inf, or NaN from inf - inf) would make every
             * probability NaN: clamp them to the finite range first. */
            for (size_t k = 0; k < m->K; k++)
                z[k] = z[k] != z[k] ? -FLT_MAX : z[k] > FLT_MAX ? FLT_MAX : z[k] < -FLT_MAX ? -FLT_MAX : z[k];
            float mx = z[0];
            for (size_t k = 1; k < m->K; k++)
                mx = z[k] > mx ? z[k] : mx;
            double sum = 0;
            for (size_t k = 0; k < m->K; k++) {
                z[k] = expf(z[k] - mx);
                sum += z[k];
            }
            for (size_t k = 0; k < m->K; k++)
                z[k] = (float)(z[k] / sum);
        }
    }
}

float ll_model_label(const struct ll_model *m, const float *score)
{
    if (m->type == LL_BINARY)
        return score[0] > m->threshold ? 1.0f : 0.0f;
    if (m->type == LL_MULTICLASS) {
        size_t best = 0;
        for (size_t k = 1; k < m->K; k++)
            if (score[k] > score[best])
                best = k;
        return (float)best;
    }
    return score[0];
}

float ll_default_threshold(enum loss_kind loss)
{
    return loss == LOSS_LOGISTIC ? 0.5f : 0.0f;
}
