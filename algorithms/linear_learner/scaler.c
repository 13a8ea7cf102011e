/*
 * scaler.c: feature and label standardisation.  The statistics come from a
 * sample (the first num_point_for_scaler training rows); the data are never
 * rewritten: training folds the scaler into the weights on the fly
 * (ll_scaler_fold), so sparse rows stay sparse and a model can always be
 * expressed on raw features.
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

int ll_scaler_fit(struct ll_scaler *s, const struct ll_rows *sample, const struct ll_config *cfg, int sparse_data)
{
    size_t D = sample->D, n = sample->n;
    if (ll_scaler_identity(s, D) != 0)
        return -1;
    if (n == 0)
        return 0;
    int unbias = cfg->unbias_data < 0 ? (cfg->normalize_data && cfg->use_bias && !sparse_data)
                                      : cfg->unbias_data;
    if (cfg->normalize_data || unbias) {
        double *sum = calloc(D ? D : 1, sizeof(double)), *sq = calloc(D ? D : 1, sizeof(double));
        if (!sum || !sq) {
            free(sum);
            free(sq);
            ll_scaler_free(s);
            return -1;
        }
        struct ll_row row;
        for (size_t i = 0; i < n; i++) {
            ll_rows_get(sample, i, &row);
            for (size_t p = 0; p < row.nnz; p++) {
                size_t j = row.idx ? row.idx[p] : p;
                double v = row.val[p];
                sum[j] += v;
                sq[j] += v * v;
            }
        }
        for (size_t j = 0; j < D; j++) {
            double mean = sum[j] / (double)n;
            double var = sq[j] / (double)n - mean * mean;
            if (unbias)
                s->mean[j] = (float)mean;
            if (cfg->normalize_data)
                s->inv_std[j] = inv_or_one(var);
        }
        free(sum);
        free(sq);
    }
    if (cfg->type == LL_REGRESSOR && (cfg->normalize_label || cfg->unbias_label)) {
        double sum = 0, sq = 0;
        for (size_t i = 0; i < n; i++) {
            sum += sample->y[i];
            sq += (double)sample->y[i] * sample->y[i];
        }
        double mean = sum / (double)n;
        if (cfg->unbias_label)
            s->y_mean = (float)mean;
        if (cfg->normalize_label) {
            /* Spread around the mean when centring, around 0 otherwise. */
            double var = cfg->unbias_label ? sq / (double)n - mean * mean : sq / (double)n;
            s->y_std = 1.0f / inv_or_one(var);
        }
    }
    return 0;
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
