/*
 * features.c: the ngram architecture's input: word n-grams (over
 * nc_word_tokens) and character n-grams of each whitespace-separated word
 * padded with spaces (scikit-learn's char_wb analyzer), hashed into
 * `buckets`, counted, then sublinear TF-IDF weighted with each group
 * L2-normalised.  Also the CSR row store the trainer iterates.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "news_classifier/nc.h"

#define MAX_TOKENS 4096

void nc_sparse_free(struct nc_sparse *s)
{
    free(s->id);
    free(s->w);
    memset(s, 0, sizeof(*s));
}

static int push(struct nc_sparse *s, uint32_t id)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        uint32_t *i = realloc(s->id, cap * sizeof(*i));
        if (!i)
            return -1;
        s->id = i;
        float *w = realloc(s->w, cap * sizeof(*w));
        if (!w)
            return -1;
        s->w = w;
        s->cap = cap;
    }
    s->id[s->n] = id;
    s->w[s->n++] = 1.0f;
    return 0;
}

struct tok_list {
    const char *s[MAX_TOKENS];
    size_t len[MAX_TOKENS];
    size_t n;
};

static int collect(void *ctx, const char *s, size_t len)
{
    struct tok_list *t = ctx;
    t->s[t->n] = s;
    t->len[t->n++] = len;
    return t->n == MAX_TOKENS;
}

/* Sort a[0..n) ascending: quicksort (median of three) with insertion sort
 * for short runs; qsort's comparison callback cost a tenth of training. */
static void sort_u32(uint32_t *a, size_t n)
{
    while (n > 16) {
        uint32_t x = a[0], y = a[n / 2], z = a[n - 1];
        uint32_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        size_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i >= j)
                break;
            uint32_t t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
        /* [0, j] <= p <= [j + 1, n): recurse into the smaller side */
        size_t left = j + 1;
        if (left < n - left) {
            sort_u32(a, left);
            a += left;
            n -= left;
        } else {
            sort_u32(a + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

/* Sort ids [from, s->n) and merge duplicates into counts. */
static void merge(struct nc_sparse *s, size_t from)
{
    if (s->n <= from) /* nothing pushed (s->id may still be NULL) */
        return;
    sort_u32(s->id + from, s->n - from);
    size_t o = from;
    for (size_t i = from; i < s->n; i++) {
        if (o > from && s->id[o - 1] == s->id[i]) {
            s->w[o - 1] += 1.0f;
        } else {
            s->id[o] = s->id[i];
            s->w[o++] = 1.0f;
        }
    }
    s->n = o;
}

static uint32_t bucket(uint64_t h, uint32_t buckets)
{
    h ^= h >> 33; /* FNV's low bits are weak for short keys: mix first */
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)(h % buckets);
}

/* The bucket of the word n-gram of tokens s[0..n). */
static uint32_t word_bucket(const struct nc_featcfg *cfg, const char *const *s, const size_t *len, uint32_t n)
{
    uint64_t h = nc_fnv(NC_FNV_SEED, "w", 1);
    h = nc_fnv(h, &n, sizeof(n));
    for (uint32_t j = 0; j < n; j++) {
        h = nc_fnv(h, s[j], len[j]);
        h = nc_fnv(h, "\x01", 1);
    }
    return bucket(h, cfg->buckets);
}

uint32_t nc_word_bucket(const struct nc_featcfg *cfg, const char *word, size_t len)
{
    return word_bucket(cfg, &word, &len, 1);
}

static int word_ngrams(const struct nc_featcfg *cfg, const struct tok_list *t, struct nc_sparse *out)
{
    for (uint32_t n = 1; n <= cfg->word_ngrams; n++)
        for (size_t i = 0; i + n <= t->n; i++)
            if (push(out, word_bucket(cfg, t->s + i, t->len + i, n)) != 0)
                return -1;
    return 0;
}

static int char_ngrams(const struct nc_featcfg *cfg, const char *lowered, size_t len, struct nc_sparse *out)
{
    char w[258];
    size_t i = 0;
    while (i < len) {
        while (i < len && (lowered[i] == ' ' || (lowered[i] >= '\t' && lowered[i] <= '\r')))
            i++;
        size_t s = i;
        while (i < len && !(lowered[i] == ' ' || (lowered[i] >= '\t' && lowered[i] <= '\r')))
            i++;
        if (i == s)
            continue;
        size_t wl = i - s < 256 ? i - s : 256;
        w[0] = ' ';
        memcpy(w + 1, lowered + s, wl);
        w[wl + 1] = ' ';
        wl += 2;
        for (uint32_t n = cfg->char_min; n && n <= cfg->char_max; n++) {
            for (size_t off = 0;; off++) {
                size_t take = n < wl - off ? n : wl - off;
                uint64_t h = nc_fnv(NC_FNV_SEED, "c", 1);
                h = nc_fnv(h, w + off, take);
                if (push(out, bucket(h, cfg->buckets)) != 0)
                    return -1;
                if (off + n >= wl)
                    break;
            }
            if (n >= wl) /* a short word is counted once, as scikit-learn does */
                break;
        }
    }
    return 0;
}

int nc_features(const struct nc_featcfg *cfg, const char *text, size_t len, struct nc_sparse *out,
                size_t *n_word)
{
    if (len > NC_MAX_TEXT)
        len = NC_MAX_TEXT;
    out->n = 0;
    char *buf = malloc(len + 1);
    struct tok_list t; /* 64 KiB on the stack: no allocation per row or request */
    int rc = -1;
    if (!buf || cfg->buckets == 0)
        goto out;
    t.n = 0;
    nc_word_tokens(text, len, buf, collect, &t);
    if (word_ngrams(cfg, &t, out) != 0)
        goto out;
    merge(out, 0);
    *n_word = out->n;
    /* buf holds the lowered text (tokens pointed into it; done with them) */
    if (char_ngrams(cfg, buf, len, out) != 0)
        goto out;
    merge(out, *n_word);
    rc = 0;
out:
    free(buf);
    return rc;
}

static void normalise_group(float *w, size_t n)
{
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)w[i] * w[i];
    if (ss > 0) {
        float inv = (float)(1.0 / sqrt(ss));
        for (size_t i = 0; i < n; i++)
            w[i] *= inv;
    }
}

void nc_tfidf(struct nc_sparse *s, size_t n_word, const float *idf)
{
    for (size_t i = 0; i < s->n; i++)
        s->w[i] = (1.0f + logf(s->w[i])) * idf[s->id[i]];
    normalise_group(s->w, n_word);
    if (s->n > n_word) /* (s->w may be NULL when there is nothing) */
        normalise_group(s->w + n_word, s->n - n_word);
}

void nc_compact(const uint32_t *used, const uint32_t *fid, uint32_t n_used, struct nc_sparse *s)
{
    for (size_t i = 0; i < s->n; i++) {
        uint32_t b = s->id[i], lo = 0, hi = n_used;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (used[mid] < b)
                lo = mid + 1;
            else
                hi = mid;
        }
        s->id[i] = (lo < n_used && used[lo] == b) ? (fid ? fid[lo] : lo) : n_used;
    }
}

void nc_rows_free(struct nc_rows *r)
{
    free(r->off);
    free(r->id);
    free(r->w);
    memset(r, 0, sizeof(*r));
}

int nc_rows_append(struct nc_rows *r, const struct nc_sparse *s)
{
    if (!r->off) {
        r->off = malloc(sizeof(size_t));
        if (!r->off)
            return -1;
        r->off[0] = 0;
    }
    size_t *off = realloc(r->off, (r->n + 2) * sizeof(*off));
    if (!off)
        return -1;
    r->off = off;
    if (r->nnz + s->n > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->nnz + s->n)
            cap *= 2;
        uint32_t *id = realloc(r->id, cap * sizeof(*id));
        if (!id)
            return -1;
        r->id = id;
        float *w = realloc(r->w, cap * sizeof(*w));
        if (!w)
            return -1;
        r->w = w;
        r->cap = cap;
    }
    if (s->n) { /* an empty first row: r->id and s->id may be NULL */
        memcpy(r->id + r->nnz, s->id, s->n * sizeof(uint32_t));
        memcpy(r->w + r->nnz, s->w, s->n * sizeof(float));
    }
    r->nnz += s->n;
    r->off[++r->n] = r->nnz;
    return 0;
}
