/*
 * multibox.h: the SSD training loss (ALGORITHMS.md D.5) over a batch of N
 * images with A default boxes each and K = classes + 1 scores per box
 * (score 0: background):
 *     L = (sum over positives of smooth-L1(loc_pred - loc_target)
 *          + sum over positives and mined negatives of -log softmax(conf)[target]) / P
 * with P the positives of the whole batch (L = 0 when P = 0).  Smooth L1 is
 * 0.5 d^2 for |d| < 1, |d| - 0.5 otherwise, per coordinate.  Hard negative
 * mining, per image: of the boxes with target 0, the neg_ratio x positives
 * (at most all of them) with the largest background loss -log
 * softmax(conf)[0], ties to the lower index; an image without positives
 * mines none.
 */
#ifndef OPTML_OD_MULTIBOX_H
#define OPTML_OD_MULTIBOX_H

#include <stddef.h>

struct od_loss {
    double loc;                     /* smooth-L1 part / P */
    double conf;                    /* cross-entropy part / P */
    size_t n_pos, n_neg;            /* positives and mined negatives */
};

/* loc_pred, loc_target: (N, A, 4); conf_pred: (N, A, K) logits; cls_target:
 * (N, A) in [0, K) (a value outside is treated as background).  Writes the
 * loss parts to *out and, when not NULL, the gradients of L = loc + conf:
 * dloc (N, A, 4) and dconf (N, A, K) (overwritten, zero where a box does not
 * count).  Returns 0, or -1 when out of memory. */
int od_multibox_loss(const float *loc_pred, const float *conf_pred, const float *loc_target, const int *cls_target,
                     size_t N, size_t A, size_t K, float neg_ratio, struct od_loss *out, float *dloc, float *dconf);

#endif
