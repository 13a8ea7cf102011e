/*
 * hosts.c: what the linear learner adds up or gathers across the hosts of
 * a multi-host job beyond common/hosts.h's sums (module API 4.4
 * collectives; all no-ops on one host):
 * the selection sample (every host's rows, so that each
 * host chooses the model on the same rows) and a split's final metrics
 * (sums added up, a binary split's scores gathered for the AUC).  Which
 * rows a host reads is data.c's; the synchronous step is step.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "linear_learner/hosts.h"

optml_status ll_hosts_gather_rows(optml_ctx *ctx, struct ll_rows *rows, size_t cap)
{
    int world = optml_dist_size(ctx), rank = optml_dist_rank(ctx);
    if (world < 2)
        return OPTML_OK;
    struct ll_rows out;
    if (ll_rows_init_sized(rows->D, &out, cap) != 0)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory gathering the selection sample");
    optml_status s = OPTML_OK;
    for (int root = 0; root < world && s == OPTML_OK; root++) {
        /* The root's shape, then its arrays (bytes: indices stay exact). */
        uint64_t hdr[3] = {rows->n, rows->sparse ? rows->nnz : 0, (uint64_t)rows->sparse};
        if ((s = optml_dist_broadcast(ctx, hdr, sizeof(hdr), root)) != OPTML_OK)
            break;
        size_t n = (size_t)hdr[0], nnz = (size_t)hdr[1];
        struct ll_rows in = {.D = rows->D, .n = n, .sparse = (int)hdr[2]};
        int mine = root == rank;
        if (mine) {
            in = *rows;
        } else {
            in.y = malloc((n ? n : 1) * sizeof(float));
            in.w = malloc((n ? n : 1) * sizeof(float));
            if (in.sparse) {
                in.ptr = malloc((n + 1) * sizeof(size_t));
                in.idx = malloc((nnz ? nnz : 1) * sizeof(uint32_t));
                in.val = malloc((nnz ? nnz : 1) * sizeof(float));
            } else {
                in.x = malloc((n * rows->D > 0 ? n * rows->D : 1) * sizeof(float));
            }
        }
        if (!mine && (!in.y || !in.w || (in.sparse ? !in.ptr || !in.idx || !in.val : !in.x))) {
            /* A host out of memory fails the job; the others stop waiting then. */
            s = optml_error(ctx, OPTML_E_NOMEM, "out of memory gathering the selection sample");
        } else if ((s = optml_dist_broadcast(ctx, in.y, n * sizeof(float), root)) == OPTML_OK &&
                   (s = optml_dist_broadcast(ctx, in.w, n * sizeof(float), root)) == OPTML_OK) {
            if (in.sparse) {
                if ((s = optml_dist_broadcast(ctx, in.ptr, (n + 1) * sizeof(size_t), root)) == OPTML_OK &&
                    (s = optml_dist_broadcast(ctx, in.idx, nnz * sizeof(uint32_t), root)) == OPTML_OK)
                    s = optml_dist_broadcast(ctx, in.val, nnz * sizeof(float), root);
            } else {
                s = optml_dist_broadcast(ctx, in.x, n * rows->D * sizeof(float), root);
            }
        }
        struct ll_row row;
        for (size_t i = 0; i < n && s == OPTML_OK && out.n < cap; i++) {
            ll_rows_get(&in, i, &row);
            if (ll_rows_add(&out, &row, in.w[i]) != 0)
                s = optml_error(ctx, OPTML_E_NOMEM, "out of memory gathering the selection sample");
        }
        if (!mine) {
            free(in.y);
            free(in.w);
            free(in.ptr);
            free(in.idx);
            free(in.val);
            free(in.x);
        }
    }
    if (s != OPTML_OK) {
        ll_rows_free(&out);
        return s;
    }
    ll_rows_free(rows);
    *rows = out;
    return OPTML_OK;
}

/* Replace a[0..*n) (and b, the same length) by every host's arrays one
 * after the other in rank order: each host puts its part at its offset in
 * zeros, and a sum puts them together (x + 0 is exact). */
static optml_status gather_pairs(optml_ctx *ctx, float **a, float **b, size_t *n, size_t *cap)
{
    int world = optml_dist_size(ctx), rank = optml_dist_rank(ctx);
    double *counts = calloc((size_t)world, sizeof(double));
    if (!counts)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory gathering metrics");
    counts[rank] = (double)*n;
    optml_status s = hosts_sum(ctx, counts, (size_t)world);
    size_t total = 0, at = 0;
    for (int r = 0; r < world; r++) {
        if (r == rank)
            at = total;
        total += (size_t)counts[r];
    }
    free(counts);
    if (s != OPTML_OK)
        return s;
    float *buf = calloc(2 * (total ? total : 1), sizeof(float));
    if (!buf)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory gathering metrics");
    if (*n) {
        memcpy(buf + at, *a, *n * sizeof(float));
        memcpy(buf + total + at, *b, *n * sizeof(float));
    }
    if (total && (s = optml_dist_allreduce(ctx, buf, 2 * total, OPTML_DIST_FLOAT, OPTML_DIST_SUM)) != OPTML_OK) {
        free(buf);
        return s;
    }
    float *na = malloc((total ? total : 1) * sizeof(float)), *nb = malloc((total ? total : 1) * sizeof(float));
    if (!na || !nb) {
        free(na);
        free(nb);
        free(buf);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory gathering metrics");
    }
    memcpy(na, buf, total * sizeof(float));
    memcpy(nb, buf + total, total * sizeof(float));
    free(buf);
    free(*a);
    free(*b);
    *a = na;
    *b = nb;
    *n = *cap = total;
    return OPTML_OK;
}

optml_status ll_hosts_merge_eval(optml_ctx *ctx, struct ll_eval *e)
{
    if (optml_dist_size(ctx) < 2)
        return OPTML_OK;
    size_t K = e->type == LL_MULTICLASS ? e->K : 0, KK = e->confusion ? e->K * e->K : 0;
    size_t len = 8 + 3 * K + KK;
    double *v = calloc(len, sizeof(double));
    if (!v)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory adding up metrics");
    double fixed[8] = {e->rows, e->loss_sum, e->weight_sum, e->correct, e->topk, e->dcg, e->sq, e->abs};
    memcpy(v, fixed, sizeof(fixed));
    for (size_t k = 0; k < K; k++) {
        v[8 + k] = e->tp[k];
        v[8 + K + k] = e->fp[k];
        v[8 + 2 * K + k] = e->fn[k];
    }
    for (size_t i = 0; i < KK; i++)
        v[8 + 3 * K + i] = (double)e->confusion[i];
    optml_status s = hosts_sum(ctx, v, len);
    if (s == OPTML_OK) {
        e->rows = v[0];
        e->loss_sum = v[1];
        e->weight_sum = v[2];
        e->correct = v[3];
        e->topk = v[4];
        e->dcg = v[5];
        e->sq = v[6];
        e->abs = v[7];
        for (size_t k = 0; k < K; k++) {
            e->tp[k] = v[8 + k];
            e->fp[k] = v[8 + K + k];
            e->fn[k] = v[8 + 2 * K + k];
        }
        for (size_t i = 0; i < KK; i++)
            e->confusion[i] = (uint64_t)v[8 + 3 * K + i];
    }
    free(v);
    if (s == OPTML_OK && e->type == LL_BINARY)
        s = gather_pairs(ctx, &e->scores, &e->labels, &e->n, &e->cap);
    return s;
}
