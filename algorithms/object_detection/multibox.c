/*
 * multibox.c: SSD's multibox loss, smooth-L1 + softmax cross-entropy with
 * 3:1 hard negative mining, forward and backward (multibox.h).
 */
#include "multibox.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* -log softmax(z)[t] over K logits, and the softmax into p (may be NULL). */
static double xent(const float *z, size_t K, size_t t, float *p)
{
    float mx = z[0];
    for (size_t k = 1; k < K; k++)
        mx = z[k] > mx ? z[k] : mx;
    double sum = 0.0;
    for (size_t k = 0; k < K; k++)
        sum += exp((double)z[k] - mx);
    if (p)
        for (size_t k = 0; k < K; k++)
            p[k] = (float)(exp((double)z[k] - mx) / sum);
    return log(sum) - ((double)z[t] - mx);
}

struct neg {
    float loss;
    size_t a;
};

static int neg_cmp(const void *x, const void *y)
{
    const struct neg *a = x, *b = y;
    if (a->loss != b->loss)
        return a->loss > b->loss ? -1 : 1;
    return a->a < b->a ? -1 : a->a > b->a;
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
    unsigned char *use = malloc(A ? A : 1);
    float *p = malloc(K * sizeof(*p));
    if (!negs || !use || !p) {
        free(negs), free(use), free(p);
        return -1;
    }
    double inv = 1.0 / (double)P, loc_sum = 0.0, conf_sum = 0.0;
    for (size_t n = 0; n < N; n++) {
        const int *ct = cls_target + n * A;
        const float *cp = conf_pred + n * A * K;
        size_t pos = 0, nn = 0;
        for (size_t a = 0; a < A; a++) {
            use[a] = (unsigned char)is_pos(ct[a], K);
            if (use[a]) {
                pos++;
            } else {
                negs[nn].loss = (float)xent(cp + a * K, K, 0, NULL);
                negs[nn].a = a;
                nn++;
            }
        }
        double want = floor((double)neg_ratio * (double)pos);
        size_t take = want < (double)nn ? (size_t)want : nn;
        if (take > 0 && take < nn)
            qsort(negs, nn, sizeof(*negs), neg_cmp);
        for (size_t i = 0; i < take; i++)
            use[negs[i].a] = 1;
        out->n_pos += pos;
        out->n_neg += take;
        for (size_t a = 0; a < A; a++) {
            if (!use[a])
                continue;
            size_t i = n * A + a;
            int pos_box = is_pos(ct[a], K);
            size_t t = pos_box ? (size_t)ct[a] : 0;
            conf_sum += xent(cp + a * K, K, t, dconf ? p : NULL);
            if (dconf) {
                float *g = dconf + i * K;
                for (size_t k = 0; k < K; k++)
                    g[k] = (float)(((double)p[k] - (k == t ? 1.0 : 0.0)) * inv);
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
    free(negs), free(use), free(p);
    return 0;
}
