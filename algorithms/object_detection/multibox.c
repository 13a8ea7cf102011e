/*
 * multibox.c: SSD's multibox loss, smooth-L1 + softmax cross-entropy with
 * 3:1 hard negative mining, forward and backward (multibox.h).  Each box's
 * log-sum-exp is computed once; the mined negatives are found by selection
 * (expected linear time), not by sorting them all.  Ranking uses a float
 * log-sum-exp; the boxes that count are summed in double.
 */
#include "multibox.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* log sum_k exp(z_k), stable: in double for the boxes that count, so the
 * loss is exact to double rounding of its float inputs. */
static double logsumexp_d(const float *z, size_t K)
{
    float mx = z[0];
    for (size_t k = 1; k < K; k++)
        mx = z[k] > mx ? z[k] : mx;
    double sum = 0.0;
    for (size_t k = 0; k < K; k++)
        sum += exp((double)z[k] - mx);
    return mx + log(sum);
}

/* The same in float, for ranking every negative. */
static float logsumexp(const float *z, size_t K)
{
    float mx = z[0];
    for (size_t k = 1; k < K; k++)
        mx = z[k] > mx ? z[k] : mx;
    float sum = 0.0f;
    for (size_t k = 0; k < K; k++)
        sum += expf(z[k] - mx);
    return mx + logf(sum);
}

struct neg {
    float loss;
    size_t a;
};

/* The mining order: larger background loss first, then the lower index. */
static int before(const struct neg *x, const struct neg *y)
{
    return x->loss > y->loss || (x->loss == y->loss && x->a < y->a);
}

static void swap(struct neg *x, struct neg *y)
{
    struct neg t = *x;
    *x = *y;
    *y = t;
}

/* Rearranges v[0..n) so that its first k (0 < k < n) are the k first in
 * the mining order (quickselect, middle pivot). */
static void select_first(struct neg *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        swap(&v[lo + (hi - lo) / 2], &v[hi]);
        struct neg pivot = v[hi];
        size_t store = lo;
        for (size_t i = lo; i < hi; i++)
            if (before(&v[i], &pivot))
                swap(&v[i], &v[store++]);
        swap(&v[store], &v[hi]);
        if (store == k - 1 || store == k)
            return;
        if (store < k)
            lo = store + 1;
        else
            hi = store - 1;
    }
}

static int is_pos(int c, size_t K)
{
    return c > 0 && (size_t)c < K;
}

int od_multibox_loss(const float *loc_pred, const float *conf_pred, const float *loc_target, const int *cls_target,
                     size_t N, size_t A, size_t K, float neg_ratio, struct od_loss *out, float *dloc, float *dconf)
{
    memset(out, 0, sizeof(*out));
    if (dloc)
        memset(dloc, 0, N * A * 4 * sizeof(*dloc));
    if (dconf)
        memset(dconf, 0, N * A * K * sizeof(*dconf));
    size_t P = 0;
    for (size_t i = 0; i < N * A; i++)
        P += is_pos(cls_target[i], K);
    if (P == 0 || K == 0)
        return 0;
    struct neg *negs = malloc((A ? A : 1) * sizeof(*negs));
    float *lse = malloc((A ? A : 1) * sizeof(*lse));
    unsigned char *use = malloc(A ? A : 1);
    if (!negs || !lse || !use) {
        free(negs), free(lse), free(use);
        return -1;
    }
    double inv = 1.0 / (double)P, loc_sum = 0.0, conf_sum = 0.0;
    for (size_t n = 0; n < N; n++) {
        const int *ct = cls_target + n * A;
        const float *cp = conf_pred + n * A * K;
        size_t pos = 0, nn = 0;
        for (size_t a = 0; a < A; a++) {
            lse[a] = logsumexp(cp + a * K, K);
            use[a] = (unsigned char)is_pos(ct[a], K);
            if (use[a]) {
                pos++;
            } else {
                negs[nn].loss = lse[a] - cp[a * K];
                negs[nn].a = a;
                nn++;
            }
        }
        double want = floor((double)neg_ratio * (double)pos);
        size_t take = want < (double)nn ? (size_t)want : nn;
        if (take > 0 && take < nn)
            select_first(negs, nn, take);
        for (size_t i = 0; i < take; i++)
            use[negs[i].a] = 1;
        out->n_pos += pos;
        out->n_neg += take;
        for (size_t a = 0; a < A; a++) {
            if (!use[a])
                continue;
            size_t i = n * A + a;
            const float *z = cp + a * K;
            int pos_box = is_pos(ct[a], K);
            size_t t = pos_box ? (size_t)ct[a] : 0;
            double l = logsumexp_d(z, K);
            conf_sum += l - z[t];
            if (dconf) {
                float *g = dconf + i * K;
                for (size_t k = 0; k < K; k++)
                    g[k] = (float)((exp((double)z[k] - l) - (k == t ? 1.0 : 0.0)) * inv);
            }
            if (!pos_box)
                continue;
            for (int c = 0; c < 4; c++) {
                double d = (double)loc_pred[4 * i + c] - loc_target[4 * i + c];
                double ad = fabs(d);
                loc_sum += ad < 1.0 ? 0.5 * d * d : ad - 0.5;
                if (dloc)
                    dloc[4 * i + c] = (float)((ad < 1.0 ? d : (d > 0 ? 1.0 : -1.0)) * inv);
            }
        }
    }
    out->loc = loc_sum * inv;
    out->conf = conf_sum * inv;
    free(negs), free(lse), free(use);
    return 0;
}
