/*
 * scaler.c: feature and label standardisation.  The statistics come from a
 * sample (the first num_point_for_scaler training rows); the data are never
 * rewritten: training folds the scaler into the weights on the fly
 * (ll_scaler_fold), so sparse rows stay sparse and a model can always be
 * expressed on raw features.  In a multi-host job each host's sample
 * is its first rows and the statistics are those of all hosts' samples
 * together (sums added up across hosts).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linear_learner/ll.h"

int ll_scaler_identity(struct ll_scaler *s, size_t D)
{
    memset(s, 0, sizeof(*s));
    s->D = D;
    s->mean = calloc(D ? D : 1, sizeof(float));
    s->inv_std = malloc((D ? D : 1) * sizeof(float));
    if (!s->mean || !s->inv_std) {
        ll_scaler_free(s);
        return -1;
    }
    for (size_t j = 0; j < D; j++)
        s->inv_std[j] = 1.0f;
    s->y_mean = 0.0f;
    s->y_std = 1.0f;
    return 0;
}

void ll_scaler_free(struct ll_scaler *s)
{
    free(s->mean);
    free(s->inv_std);
    memset(s, 0, sizeof(*s));
}

/* 1 / std, or 1 when the spread is zero or not finite. */
static float inv_or_one(double var)
{
    double sd = var > 0 ? sqrt(var) : 0.0;
    if (!(sd > 1e-12) || !isfinite(sd))
        return 1.0f;
    float inv = (float)(1.0 / sd);
    return isfinite(inv) && inv > 0 ? inv : 1.0f;
}

/* Sums over every host of a multi-host job (in place); nothing without a
 * context or on one host.  -1 when the collective failed (the context
 * holds the error). */
static int sum_hosts(optml_ctx *ctx, double *v, size_t n)
{
    if (!ctx || optml_dist_size(ctx) < 2)
        return 0;
    return optml_dist_allreduce(ctx, v, n, OPTML_DIST_DOUBLE, OPTML_DIST_SUM) == OPTML_OK ? 0 : -1;
}

int ll_scaler_fit(struct ll_scaler *s, const struct ll_rows *sample, const struct ll_config *cfg, int sparse_data)
{
    return ll_scaler_fit_hosts(s, sample, cfg, sparse_data, NULL);
}

int ll_scaler_fit_hosts(struct ll_scaler *s, const struct ll_rows *sample, const struct ll_config *cfg,
                        int sparse_data, optml_ctx *ctx)
{
    size_t D = sample->D;
    if (ll_scaler_identity(s, D) != 0)
        return -1;
    /* The sample's size over every host (one host: its own). */
    double n = (double)sample->n;
    if (sum_hosts(ctx, &n, 1) != 0) {
        ll_scaler_free(s);
        return -2;
    }
    if (n == 0)
        return 0;
    int unbias = OPTML_IS_UNSET(cfg->unbias_data) ? (cfg->normalize_data && cfg->use_bias && !sparse_data)
                                                  : cfg->unbias_data;
    int rc = 0;
    if (cfg->normalize_data || unbias) {
        /* Two passes (mean, then squared deviations) so that a large offset
         * does not swamp a small spread.  A sparse row's absent entries are
         * zeros: each adds mean^2, counted through `seen`.  On many hosts
         * each pass's sums are added up across hosts: sq, seen and the
         * count of sparse rows travel in one array (3 D + 1). */
        double *sum = calloc(D ? D : 1, sizeof(double)), *sq = calloc(3 * D + 1, sizeof(double));
        if (!sum || !sq) {
            free(sum);
            free(sq);
            ll_scaler_free(s);
            return -1;
        }
        double *seen = sq + D, *sparse_rows = sq + 2 * D;
        struct ll_row row;
        for (size_t i = 0; i < sample->n; i++) {
            ll_rows_get(sample, i, &row);
            for (size_t p = 0; p < row.nnz; p++)
                sum[row.idx ? row.idx[p] : p] += row.val[p];
        }
        if (sum_hosts(ctx, sum, D) != 0)
            rc = -2;
        for (size_t j = 0; j < D; j++)
            sum[j] /= n;
        for (size_t i = 0; i < sample->n; i++) {
            ll_rows_get(sample, i, &row);
            *sparse_rows += row.idx != NULL;
            for (size_t p = 0; p < row.nnz; p++) {
                size_t j = row.idx ? row.idx[p] : p;
                double d = row.val[p] - sum[j];
                sq[j] += d * d;
                seen[j] += row.idx != NULL;
            }
        }
        if (rc == 0 && sum_hosts(ctx, sq, 2 * D + 1) != 0)
            rc = -2;
        for (size_t j = 0; j < D; j++) {
            double var = (sq[j] + (*sparse_rows - seen[j]) * sum[j] * sum[j]) / n;
            if (unbias)
                s->mean[j] = (float)sum[j];
            if (cfg->normalize_data)
                s->inv_std[j] = inv_or_one(var);
        }
        free(sum);
        free(sq);
    }
    if (rc == 0 && cfg->predictor_type == LL_REGRESSOR && (cfg->normalize_label || cfg->unbias_label)) {
        double mean = 0, sq = 0;
        for (size_t i = 0; i < sample->n; i++)
            mean += sample->y[i];
        if (sum_hosts(ctx, &mean, 1) != 0)
            rc = -2;
        mean /= n;
        /* Spread around the mean when centring, around 0 otherwise. */
        double c = cfg->unbias_label ? mean : 0.0;
        for (size_t i = 0; i < sample->n; i++)
            sq += ((double)sample->y[i] - c) * ((double)sample->y[i] - c);
        if (rc == 0 && sum_hosts(ctx, &sq, 1) != 0)
            rc = -2;
        if (cfg->unbias_label)
            s->y_mean = (float)mean;
        if (cfg->normalize_label)
            s->y_std = 1.0f / inv_or_one(sq / n);
    }
    if (rc != 0)
        ll_scaler_free(s);
    return rc;
}

/* Weff (R x D) = W * inv_std per column; beff (R) = b - Weff . mean. */
void ll_scaler_fold(const struct ll_scaler *s, const float *W, const float *b, size_t R, float *Weff, float *beff)
{
    size_t D = s->D;
    for (size_t k = 0; k < R; k++) {
        const float *w = W + k * D;
        float *we = Weff + k * D;
        double dot = 0;
        for (size_t j = 0; j < D; j++) {
            we[j] = w[j] * s->inv_std[j];
            dot += (double)we[j] * s->mean[j];
        }
        beff[k] = (float)((b ? (double)b[k] : 0.0) - dot);
    }
}
