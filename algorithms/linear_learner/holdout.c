/*
 * holdout.c: which train rows form the held-out sample of the linear
 * learner (about 10 %, by a hash of the seed and the row's index, so that a
 * later pass that re-reads the channel finds the same rows again).  Used by
 * train.c (the first pass holds them out, later passes skip them) and
 * finish.c (the final pass skips them); owns no state of its own.
 */
#include "common/rng.h"
#include "linear_learner/train.h"

/* Whether the row at t->row_index is one of the ~10 % the hash picks. */
static int picked(const struct ll_trainer *t)
{
    uint64_t h = rng_mix64((uint64_t)t->cfg->seed * 0x9e3779b97f4a7c15ULL ^ rng_mix64(t->row_index ^ 0x401dULL));
    return (double)(h >> 11) * (1.0 / 9007199254740992.0) < 0.1;
}

int ll_trainer_held_out(const struct ll_trainer *t)
{
    if (!t->holdout || t->sel.n >= t->sel_cap)
        return 0;
    return picked(t);
}

/* The rows ll_trainer_held_out() chose in the first pass are the first
 * sel.n row indices it picks, so a later pass finds them again. */
int ll_trainer_skip_held(struct ll_trainer *t)
{
    if (!t->holdout || t->skipped >= t->sel.n) {
        t->row_index++;
        return 0;
    }
    int skip = picked(t);
    t->row_index++;
    if (skip)
        t->skipped++;
    return skip;
}
