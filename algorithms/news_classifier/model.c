/*
 * model.c: the model's native payload (inside the runtime's versioned,
 * CRC-checked model file), its bounds-checked decoder, and scoring of one
 * text into class probabilities for serving.
 *
 * Payload, little-endian: "NCM1", u32 arch, loss, k, f32 temperature, the
 * k labels (u32 length + bytes for code then name), then
 *   ngram:    u32 buckets, word_ngrams, char_min, char_max, dim, n_used,
 *             used[n_used] (ascending, < buckets); f32 idf[n_used + 1],
 *             E[n_used * (dim ? dim : k)], W[dim * k], b[k];
 *             u32 fid[n_used] (a permutation: the feature id of used[i])
 *   workshop: u32 max_words, max_len, emb_dim, units, n_words, the words
 *             (ids 1..n_words, u32 length + bytes); then, to the end, the
 *             network's parameter block as nn_params_save writes it (no
 *             optimizer state): "embedding" (max_words, emb_dim),
 *             "dense_1.kernel" (max_len * emb_dim, units), "dense_1.bias"
 *             (units), "dense_2.kernel" (units, k), "dense_2.bias" (k)
 * (format 1 had the five arrays bare after the words).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "news_classifier/nc.h"

#define MAGIC "NCM1"
#define MAX_LABEL 4096
#define MAX_FLOATS (1ull << 31)

/* ------------------------------------------- ngram scores of one text */

void nc_bag_scores(const struct nc_model *m, const uint32_t *id, const float *w, size_t nnz, float *z,
                   float *h)
{
    size_t off[2] = {0, nnz};
    if (m->dim == 0) {
        nn_embedding_bag_forward(m->E, m->n_used, m->k, id, w, off, 1, z);
        for (uint32_t c = 0; c < m->k; c++)
            z[c] += m->b[c];
    } else {
        nn_embedding_bag_forward(m->E, m->n_used, m->dim, id, w, off, 1, h);
        nn_dense_forward(h, m->W, m->b, 1, m->dim, m->k, z);
    }
}

void nc_model_free(struct nc_model *m)
{
    for (uint32_t i = 0; m->label_code && i < m->k; i++)
        free(m->label_code[i]);
    for (uint32_t i = 0; m->label_name && i < m->k; i++)
        free(m->label_name[i]);
    free(m->label_code);
    free(m->label_name);
    free(m->idf);
    free(m->used);
    free(m->fid);
    free(m->E);
    free(m->W);
    free(m->b);
    nc_vocab_free(&m->vocab);
    nn_params_free(&m->net); /* emb, W1, b1, W2, b2 are views into it */
    memset(m, 0, sizeof(*m));
}

int nc_workshop_declare(struct nc_model *m, unsigned emb_flags, char *err, size_t errsz)
{
    const struct nn_param_opts emb = {1.0f, 0.0f, emb_flags};
    const size_t in = (size_t)m->max_len * m->emb_dim;
    int rc;
    nn_params_free(&m->net);
    if ((rc = nn_params_add(&m->net, "embedding", 2, (size_t[]){m->max_words, m->emb_dim}, &emb, err, errsz)) < 0 ||
        (rc = nn_params_add(&m->net, "dense_1.kernel", 2, (size_t[]){in, m->units}, NULL, err, errsz)) < 0 ||
        (rc = nn_params_add(&m->net, "dense_1.bias", 1, (size_t[]){m->units}, NN_PARAM_BIAS, err, errsz)) < 0 ||
        (rc = nn_params_add(&m->net, "dense_2.kernel", 2, (size_t[]){m->units, m->k}, NULL, err, errsz)) < 0 ||
        (rc = nn_params_add(&m->net, "dense_2.bias", 1, (size_t[]){m->k}, NN_PARAM_BIAS, err, errsz)) < 0)
        return rc;
    return 0;
}

int nc_workshop_alloc(struct nc_model *m, unsigned what, enum optim_kind kind, char *err, size_t errsz)
{
    int rc = nn_params_alloc(&m->net, what, kind, err, errsz);
    if (rc != 0)
        return rc;
    m->emb = nn_params_view(&m->net, NC_WS_EMB).w;
    m->W1 = nn_params_view(&m->net, NC_WS_W1).w;
    m->b1 = nn_params_view(&m->net, NC_WS_B1).w;
    m->W2 = nn_params_view(&m->net, NC_WS_W2).w;
    m->b2 = nn_params_view(&m->net, NC_WS_B2).w;
    return 0;
}

/* ------------------------------------------------------------- writer */

struct wbuf {
    unsigned char *p;
    size_t len, cap;
    int oom;
};

static void wput(struct wbuf *w, const void *d, size_t n)
{
    if (w->oom)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n)
            cap *= 2;
        unsigned char *p = realloc(w->p, cap);
        if (!p) {
            w->oom = 1;
            return;
        }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, d, n);
    w->len += n;
}

static void wu32(struct wbuf *w, uint32_t v)
{
    wput(w, &v, 4);
}

static void wstr(struct wbuf *w, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    wu32(w, (uint32_t)n);
    wput(w, s, n);
}

int nc_model_encode(const struct nc_model *m, unsigned char **buf, size_t *len)
{
    struct wbuf w = {0};
    wput(&w, MAGIC, 4);
    wu32(&w, m->arch);
    wu32(&w, m->loss);
    wu32(&w, m->k);
    wput(&w, &m->temperature, 4);
    for (uint32_t i = 0; i < m->k; i++) {
        wstr(&w, m->label_code[i]);
        wstr(&w, m->label_name[i]);
    }
    if (m->arch == NC_ARCH_NGRAM) {
        size_t U = m->n_used, width = m->dim ? m->dim : m->k;
        wu32(&w, m->feat.buckets);
        wu32(&w, m->feat.word_ngrams);
        wu32(&w, m->feat.char_min);
        wu32(&w, m->feat.char_max);
        wu32(&w, m->dim);
        wu32(&w, m->n_used);
        wput(&w, m->used, U * 4);
        wput(&w, m->idf, (U + 1) * 4);
        wput(&w, m->E, U * width * 4);
        if (m->dim)
            wput(&w, m->W, (size_t)m->dim * m->k * 4);
        wput(&w, m->b, (size_t)m->k * 4);
        for (uint32_t i = 0; i < m->n_used; i++)
            wu32(&w, m->fid ? m->fid[i] : i);
    } else {
        wu32(&w, m->max_words);
        wu32(&w, m->max_len);
        wu32(&w, m->emb_dim);
        wu32(&w, m->units);
        wu32(&w, (uint32_t)m->vocab.n_kept);
        for (size_t i = 1; i <= m->vocab.n_kept; i++)
            wstr(&w, m->vocab.words[i]);
        if (!w.oom) { /* the parameter block appends to the same buffer */
            struct nn_buf nb = {w.p, w.len, w.cap};
            w.oom = nn_params_save(&m->net, 0, &nb, NULL, 0) != NN_PARAMS_OK;
            w.p = nb.data;
            w.len = nb.len;
            w.cap = nb.cap;
        }
    }
    if (w.oom) {
        free(w.p);
        return -1;
    }
    *buf = w.p;
    *len = w.len;
    return 0;
}

/* ------------------------------------------------------------- reader */

struct rbuf {
    const unsigned char *p;
    size_t len, pos;
    int bad;
};

static uint32_t ru32(struct rbuf *r)
{
    uint32_t v = 0;
    if (r->bad || r->len - r->pos < 4) {
        r->bad = 1;
        return 0;
    }
    memcpy(&v, r->p + r->pos, 4);
    r->pos += 4;
    return v;
}

static char *rstr(struct rbuf *r, size_t max)
{
    uint32_t n = ru32(r);
    if (r->bad || n > max || r->len - r->pos < n) {
        r->bad = 1;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, r->p + r->pos, n);
    s[n] = 0;
    r->pos += n;
    if (strlen(s) != n) { /* a NUL inside: not something we wrote */
        free(s);
        r->bad = 1;
        return NULL;
    }
    return s;
}

/* n floats (n already checked against MAX_FLOATS), all finite. */
static float *rfloats(struct rbuf *r, uint64_t n)
{
    if (r->bad || n > MAX_FLOATS || (r->len - r->pos) / 4 < n) {
        r->bad = 1;
        return NULL;
    }
    float *f = malloc(n ? (size_t)n * 4 : 4);
    if (!f) {
        r->bad = 1;
        return NULL;
    }
    memcpy(f, r->p + r->pos, (size_t)n * 4);
    r->pos += (size_t)n * 4;
    for (uint64_t i = 0; i < n; i++)
        if (!isfinite(f[i])) {
            free(f);
            r->bad = 1;
            return NULL;
        }
    return f;
}

static optml_status bad(optml_ctx *ctx, struct nc_model *m, const char *what)
{
    nc_model_free(m);
    return optml_error(ctx, OPTML_E_MODEL, "news-classifier model is corrupt or incompatible: %s", what);
}

static optml_status decode_workshop(optml_ctx *ctx, struct rbuf *r, struct nc_model *m)
{
    m->max_words = ru32(r);
    m->max_len = ru32(r);
    m->emb_dim = ru32(r);
    m->units = ru32(r);
    uint32_t nw = ru32(r);
    if (r->bad || m->max_words < 2 || m->max_words > 10000000 || m->max_len < 1 || m->max_len > 10000 ||
        m->emb_dim < 1 || m->emb_dim > 4096 || m->units < 1 || m->units > 65536 || nw >= m->max_words)
        return bad(ctx, m, "workshop sizes out of range");
    uint64_t in = (uint64_t)m->max_len * m->emb_dim;
    if (in * m->units > MAX_FLOATS || (uint64_t)m->max_words * m->emb_dim > MAX_FLOATS)
        return bad(ctx, m, "workshop layers too large");
    m->vocab.words = calloc((size_t)nw + 1, sizeof(char *));
    if (!m->vocab.words)
        return bad(ctx, m, "out of memory");
    m->vocab.n_kept = nw;
    for (uint32_t i = 1; i <= nw; i++) {
        m->vocab.words[i] = rstr(r, 65536);
        if (!m->vocab.words[i] ||
            nc_strmap_put(&m->vocab.index, m->vocab.words[i], strlen(m->vocab.words[i]), i, NULL) != 1)
            return bad(ctx, m, "vocabulary truncated or repeated");
    }
    /* the parameter block: all that is left, checked for size before the
     * allocation, then validated in full by nn_params_load */
    char err[256], what[300];
    if (nc_workshop_declare(m, 0, err, sizeof(err)) != 0)
        return bad(ctx, m, "out of memory");
    const size_t need = nn_params_save_size(&m->net, 0), left = r->len - r->pos;
    if (left != need)
        return bad(ctx, m, left < need ? "workshop weights truncated" : "trailing bytes after the weights");
    if (nc_workshop_alloc(m, 0, OPTIM_SGD, err, sizeof(err)) != 0)
        return bad(ctx, m, "out of memory");
    if (nn_params_load(&m->net, r->p + r->pos, left, 0, err, sizeof(err)) != 0) {
        snprintf(what, sizeof(what), "workshop weights: %s", err);
        return bad(ctx, m, what);
    }
    r->pos += left;
    return OPTML_OK;
}

static optml_status decode_ngram(optml_ctx *ctx, struct rbuf *r, struct nc_model *m)
{
    m->feat.buckets = ru32(r);
    m->feat.word_ngrams = ru32(r);
    m->feat.char_min = ru32(r);
    m->feat.char_max = ru32(r);
    m->dim = ru32(r);
    m->n_used = ru32(r);
    if (r->bad || m->n_used > m->feat.buckets || m->feat.buckets < 1 || m->feat.buckets > (1u << 26) || m->feat.word_ngrams < 1 ||
        m->feat.word_ngrams > 5 || m->feat.char_max > 16 || m->feat.char_min > m->feat.char_max ||
        (m->feat.char_min == 0) != (m->feat.char_max == 0) || m->dim > 4096)
        return bad(ctx, m, "ngram settings out of range");
    uint64_t width = m->dim ? m->dim : m->k;
    if ((uint64_t)m->n_used * width > MAX_FLOATS)
        return bad(ctx, m, "ngram table too large");
    if (!r->bad && (r->len - r->pos) / 4 >= m->n_used) {
        m->used = malloc(m->n_used ? (size_t)m->n_used * 4 : 4);
        if (!m->used)
            return bad(ctx, m, "out of memory");
        memcpy(m->used, r->p + r->pos, (size_t)m->n_used * 4);
        r->pos += (size_t)m->n_used * 4;
        for (uint32_t i = 0; i < m->n_used; i++)
            if (m->used[i] >= m->feat.buckets || (i && m->used[i] <= m->used[i - 1]))
                return bad(ctx, m, "feature buckets not ascending or out of range");
    } else {
        r->bad = 1;
    }
    m->idf = rfloats(r, (uint64_t)m->n_used + 1);
    m->E = rfloats(r, (uint64_t)m->n_used * width);
    if (m->dim)
        m->W = rfloats(r, (uint64_t)m->dim * m->k);
    m->b = rfloats(r, m->k);
    if (r->bad)
        return bad(ctx, m, "ngram weights truncated or not finite");
    m->fid = malloc((m->n_used ? m->n_used : 1) * sizeof(uint32_t));
    uint8_t *seen = calloc(m->n_used ? m->n_used : 1, 1);
    int perm = m->fid && seen;
    for (uint32_t i = 0; perm && i < m->n_used; i++) {
        uint32_t f = ru32(r);
        perm = !r->bad && f < m->n_used && !seen[f];
        if (perm) {
            seen[f] = 1;
            m->fid[i] = f;
        }
    }
    free(seen);
    return perm ? OPTML_OK : bad(ctx, m, "feature ids missing or not a permutation");
}

optml_status nc_model_decode(optml_ctx *ctx, const unsigned char *buf, size_t len, struct nc_model *m)
{
    struct rbuf r = {buf, len, 0, 0};
    memset(m, 0, sizeof(*m));
    if (len < 4 || memcmp(buf, MAGIC, 4) != 0)
        return bad(ctx, m, "not a news-classifier payload");
    r.pos = 4;
    uint32_t arch = ru32(&r), loss = ru32(&r), k = ru32(&r);
    float t = 0;
    if (!r.bad && r.len - r.pos >= 4) {
        memcpy(&t, r.p + r.pos, 4);
        r.pos += 4;
    }
    if (r.bad || arch > NC_ARCH_WORKSHOP || loss > NC_LOSS_HINGE || k < 2 || k > NC_MAX_CLASSES ||
        !(t > 0 && t < 1e6f))
        return bad(ctx, m, "header out of range");
    m->arch = (enum nc_arch)arch;
    m->loss = (enum nc_loss)loss;
    m->temperature = t;
    m->label_code = calloc(k, sizeof(char *));
    m->label_name = calloc(k, sizeof(char *));
    if (!m->label_code || !m->label_name)
        return bad(ctx, m, "out of memory");
    m->k = k;
    for (uint32_t i = 0; i < k; i++) {
        m->label_code[i] = rstr(&r, MAX_LABEL);
        m->label_name[i] = rstr(&r, MAX_LABEL);
        if (r.bad)
            return bad(ctx, m, "labels truncated");
    }
    optml_status st = arch == NC_ARCH_NGRAM ? decode_ngram(ctx, &r, m) : decode_workshop(ctx, &r, m);
    if (st != OPTML_OK)
        return st;
    if (r.pos != r.len)
        return bad(ctx, m, "trailing bytes after the weights");
    return OPTML_OK;
}

/* ------------------------------------------------------------ scoring */

void nc_scratch_free(struct nc_scratch *s)
{
    nc_sparse_free(&s->sp);
    free(s->ids);
    free(s->h);
    free(s->h2);
    free(s->buf);
    memset(s, 0, sizeof(*s));
}

static void softmax_t(float *z, uint32_t k, float t)
{
    for (uint32_t c = 0; c < k; c++)
        z[c] *= t;
    nn_softmax(z, z, 1, k);
}

int nc_model_probs(const struct nc_model *m, const char *text, size_t len, struct nc_scratch *s, float *probs)
{
    if (len > NC_MAX_TEXT)
        len = NC_MAX_TEXT;
    if (m->arch == NC_ARCH_NGRAM) {
        size_t n_word;
        if (m->dim && !s->h && !(s->h = malloc(m->dim * sizeof(float))))
            return -1;
        if (nc_features(&m->feat, text, len, &s->sp, &n_word) != 0)
            return -1;
        nc_compact(m->used, m->fid, m->n_used, &s->sp);
        nc_tfidf(&s->sp, n_word, m->idf);
        nc_bag_scores(m, s->sp.id, s->sp.w, s->sp.n, probs, s->h);
        softmax_t(probs, m->k, m->temperature);
        return 0;
    }
    size_t in = (size_t)m->max_len * m->emb_dim;
    if (!s->ids && !(s->ids = malloc(m->max_len * sizeof(uint32_t))))
        return -1;
    if (!s->h && !(s->h = malloc(in * sizeof(float))))
        return -1;
    if (!s->h2 && !(s->h2 = malloc(m->units * sizeof(float))))
        return -1;
    if (nc_vocab_sequence(&m->vocab, text, len, 0, m->max_len, s->ids) != 0)
        return -1;
    nn_embedding_forward(m->emb, m->max_words, m->emb_dim, s->ids, m->max_len, s->h);
    nn_dense_forward(s->h, m->W1, m->b1, 1, in, m->units, s->h2);
    nn_act_forward(NN_ACT_RELU, s->h2, s->h2, m->units);
    nn_dense_forward(s->h2, m->W2, m->b2, 1, m->units, m->k, probs);
    softmax_t(probs, m->k, m->temperature);
    return 0;
}
