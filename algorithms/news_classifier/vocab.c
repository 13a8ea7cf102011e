/*
 * vocab.c: the Keras Tokenizer's word index (words by descending count,
 * ties in first-seen order, ids from 1, only ids < num_words used) and
 * texts_to_sequences + pad_sequences (pre-padding, pre-truncation).
 */
#include <stdlib.h>
#include <string.h>

#include "news_classifier/nc.h"

struct count_ctx {
    struct nc_strmap *seen;  /* word -> first-seen index */
    uint64_t *counts;
    size_t n, cap;
    int oom;
};

static int count_token(void *vctx, const char *s, size_t len)
{
    struct count_ctx *c = vctx;
    uint32_t *slot;
    int r = nc_strmap_put(c->seen, s, len, (uint32_t)c->n, &slot);
    if (r < 0 || c->n >= UINT32_MAX) {
        c->oom = 1;
        return 1;
    }
    if (r == 1) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 1024;
            uint64_t *n = realloc(c->counts, cap * sizeof(*n));
            if (!n) {
                c->oom = 1;
                return 1;
            }
            c->counts = n;
            c->cap = cap;
        }
        c->counts[c->n++] = 0;
    }
    c->counts[*slot]++;
    return 0;
}

struct ranked {
    uint64_t count;
    uint32_t first; /* first-seen index: breaks ties, as Python's stable sort */
};

static int by_count(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->first < y->first ? -1 : (x->first > y->first);
}

void nc_vocab_free(struct nc_vocab *v)
{
    nc_strmap_free(&v->index);
    if (v->words)
        for (size_t i = 0; i <= v->n_kept; i++)
            free(v->words[i]);
    free(v->words);
    memset(v, 0, sizeof(*v));
}

int nc_vocab_build(struct nc_vocab *v, char *const *texts, size_t n, int normalise, size_t max_words)
{
    struct nc_strmap seen = {0};
    struct count_ctx c = {&seen, NULL, 0, 0, 0};
    char *buf = NULL, *norm = NULL;
    size_t cap = 0;
    int rc = -1;
    memset(v, 0, sizeof(*v));
    for (size_t i = 0; i < n && !c.oom; i++) {
        size_t len = strlen(texts[i]);
        if (len + 1 > cap) {
            cap = (len + 1) * 2;
            free(buf);
            free(norm);
            buf = malloc(cap);
            norm = malloc(cap);
            if (!buf || !norm)
                goto out;
        }
        const char *t = texts[i];
        if (normalise) {
            len = nc_workshop_normalise(t, len, norm);
            t = norm;
        }
        nc_keras_tokens(t, len, buf, count_token, &c);
    }
    if (c.oom)
        goto out;
    /* words in first-seen order, to sort and to name */
    char **first = calloc(c.n ? c.n : 1, sizeof(*first));
    struct ranked *order = malloc((c.n ? c.n : 1) * sizeof(*order));
    if (!first || !order) {
        free(first);
        free(order);
        goto out;
    }
    for (size_t i = 0; i < seen.cap; i++)
        if (seen.keys[i])
            first[seen.vals[i]] = seen.keys[i];
    for (size_t i = 0; i < c.n; i++)
        order[i] = (struct ranked){c.counts[i], (uint32_t)i};
    qsort(order, c.n, sizeof(*order), by_count);
    v->n_unique = c.n;
    v->n_kept = max_words > 1 ? (c.n < max_words - 1 ? c.n : max_words - 1) : 0;
    v->words = calloc(v->n_kept + 1, sizeof(char *));
    int ok = v->words != NULL;
    for (size_t id = 1; ok && id <= v->n_kept; id++) {
        const char *w = first[order[id - 1].first];
        v->words[id] = strdup(w);
        ok = v->words[id] && nc_strmap_put(&v->index, w, strlen(w), (uint32_t)id, NULL) >= 0;
    }
    free(first);
    free(order);
    if (!ok) {
        nc_vocab_free(v);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    free(norm);
    free(c.counts);
    nc_strmap_free(&seen);
    return rc;
}

struct seq_ctx {
    const struct nc_vocab *v;
    uint32_t *ring;
    size_t max_len, total;
};

static int seq_token(void *vctx, const char *s, size_t len)
{
    struct seq_ctx *c = vctx;
    const uint32_t *id = nc_strmap_get(&c->v->index, s, len);
    if (id && c->max_len) {
        c->ring[c->total % c->max_len] = *id;
        c->total++;
    }
    return 0;
}

int nc_vocab_sequence(const struct nc_vocab *v, const char *text, size_t len, int normalise, size_t max_len,
                      uint32_t *ids)
{
    if (len > NC_MAX_TEXT)
        len = NC_MAX_TEXT;
    char *buf = malloc(2 * len + 2);
    uint32_t *ring = malloc((max_len ? max_len : 1) * sizeof(*ring));
    if (!buf || !ring) {
        free(buf);
        free(ring);
        return -1;
    }
    const char *t = text;
    if (normalise) {
        char *norm = buf + len + 1;
        len = nc_workshop_normalise(text, len, norm);
        t = norm;
    }
    struct seq_ctx c = {v, ring, max_len, 0};
    nc_keras_tokens(t, len, buf, seq_token, &c);
    size_t kept = c.total < max_len ? c.total : max_len;
    size_t pad = max_len - kept;
    memset(ids, 0, pad * sizeof(*ids));
    for (size_t j = 0; j < kept; j++)
        ids[pad + j] = ring[(c.total - kept + j) % max_len];
    free(buf);
    free(ring);
    return 0;
}
