/*
 * rows.c: struct ll_rows, rows held in memory (a minibatch, the scaler
 * sample, the calibration sample, the rows of one request), dense or CSR,
 * and the two products the linear models need: scores X W^T + b and the
 * weight gradient dP^T X.  Dense sets use cblas_sgemm; CSR sets loop over
 * their nonzeros.  Owns the arrays of the set, nothing else.
 */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "linear_learner/ll.h"

int ll_rows_init_sized(size_t D, struct ll_rows *r, size_t rows)
{
    int sparse = D > LL_DENSE_MAX / (rows ? rows : 1);
    return ll_rows_init(r, D, sparse, rows);
}

int ll_rows_init(struct ll_rows *r, size_t D, int sparse, size_t cap_hint)
{
    memset(r, 0, sizeof(*r));
    r->D = D;
    r->sparse = sparse;
    if (sparse && !(r->ptr = calloc(1, sizeof(size_t))))
        return -1;
    (void)cap_hint;
    return 0;
}

void ll_rows_free(struct ll_rows *r)
{
    free(r->x);
    free(r->ptr);
    free(r->idx);
    free(r->val);
    free(r->y);
    free(r->w);
    memset(r, 0, sizeof(*r));
}

void ll_rows_clear(struct ll_rows *r)
{
    r->n = 0;
    r->nnz = 0;
}

/* Room for one more row (and `nnz` more values in CSR). */
static int reserve(struct ll_rows *r, size_t nnz)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        float *y = realloc(r->y, cap * sizeof(float));
        if (!y)
            return -1;
        r->y = y;
        float *w = realloc(r->w, cap * sizeof(float));
        if (!w)
            return -1;
        r->w = w;
        if (r->sparse) {
            size_t *p = realloc(r->ptr, (cap + 1) * sizeof(size_t));
            if (!p)
                return -1;
            r->ptr = p;
        } else {
            if (r->D && cap > SIZE_MAX / sizeof(float) / r->D)
                return -1;
            float *x = realloc(r->x, cap * r->D * sizeof(float) + 1);
            if (!x)
                return -1;
            r->x = x;
        }
        r->cap = cap;
    }
    /* A sparse set always has its index arrays, even when every row is
     * empty: a NULL idx would read as a dense row in ll_rows_get. */
    if (r->sparse && (r->nnz + nnz > r->nnz_cap || !r->idx || !r->val)) {
        size_t cap = r->nnz_cap ? r->nnz_cap : 256;
        while (cap < r->nnz + nnz)
            cap *= 2;
        uint32_t *idx = realloc(r->idx, cap * sizeof(uint32_t));
        if (!idx)
            return -1;
        r->idx = idx;
        float *val = realloc(r->val, cap * sizeof(float));
        if (!val)
            return -1;
        r->val = val;
        r->nnz_cap = cap;
    }
    return 0;
}

int ll_rows_add(struct ll_rows *r, const struct ll_row *row, float w)
{
    size_t need = r->sparse ? row->nnz : 0;
    if (reserve(r, need) != 0)
        return -1;
    size_t i = r->n;
    r->y[i] = row->label;
    r->w[i] = w;
    if (r->sparse) {
        size_t at = r->nnz;
        if (row->idx) {
            memcpy(r->idx + at, row->idx, row->nnz * sizeof(uint32_t));
            memcpy(r->val + at, row->val, row->nnz * sizeof(float));
            at += row->nnz;
        } else {
            for (size_t j = 0; j < row->nnz; j++)
                if (row->val[j] != 0.0f) {
                    r->idx[at] = (uint32_t)j;
                    r->val[at++] = row->val[j];
                }
        }
        r->nnz = at;
        r->ptr[i + 1] = at;
    } else {
        float *x = r->x + i * r->D;
        if (row->idx) {
            memset(x, 0, r->D * sizeof(float));
            for (size_t j = 0; j < row->nnz; j++)
                x[row->idx[j]] += row->val[j];
        } else {
            memcpy(x, row->val, r->D * sizeof(float));
        }
    }
    r->n++;
    return 0;
}

void ll_rows_get(const struct ll_rows *r, size_t i, struct ll_row *out)
{
    out->label = r->y[i];
    if (r->sparse) {
        out->nnz = r->ptr[i + 1] - r->ptr[i];
        out->idx = r->idx + r->ptr[i];
        out->val = r->val + r->ptr[i];
    } else {
        out->nnz = r->D;
        out->idx = NULL;
        out->val = r->x + i * r->D;
    }
}

/* out (n x R) = X (n x D) W^T (D x R) + b. */
void ll_rows_scores(const struct ll_rows *r, const float *W, const float *b, size_t R, float *out)
{
    size_t n = r->n, D = r->D;
    if (n == 0 || R == 0)
        return;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < R; k++)
            out[i * R + k] = b ? b[k] : 0.0f;
    if (D == 0)
        return;
    if (!r->sparse) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)R, (int)D, 1.0f, r->x, (int)D, W,
                    (int)D, 1.0f, out, (int)R);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float *o = out + i * R;
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++) {
            const float v = r->val[p];
            const float *wc = W + r->idx[p];
            for (size_t k = 0; k < R; k++)
                o[k] += v * wc[k * D];
        }
    }
}

/* G (R x D) = dP^T (R x n) X (n x D). */
void ll_rows_grad(const struct ll_rows *r, const float *dP, size_t R, float *G)
{
    size_t n = r->n, D = r->D;
    if (R == 0 || D == 0)
        return;
    if (n == 0) {
        memset(G, 0, R * D * sizeof(float));
        return;
    }
    if (!r->sparse) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)R, (int)D, (int)n, 1.0f, dP, (int)R, r->x,
                    (int)D, 0.0f, G, (int)D);
        return;
    }
    memset(G, 0, R * D * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        const float *d = dP + i * R;
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++) {
            const float v = r->val[p];
            float *gc = G + r->idx[p];
            for (size_t k = 0; k < R; k++)
                gc[k * D] += d[k] * v;
        }
    }
}
