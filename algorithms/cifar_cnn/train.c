/*
 * train.c: the cifar-cnn training job.  Today (the convolution layers are
 * not merged yet) it plans and reads every channel once, checking every
 * record, and reports what it found (images, shape, classes) before it
 * stops with an AlgorithmError saying the networks are not in this build.
 * The networks, the training loop, checkpoints and the model come with the
 * layers (README.md, "Status").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifar_cnn/cc.h"
#include "cifar_cnn/data.h"

/* Reads one pass of `plan`, checking every image against *shape (zeros:
 * the first image's, then filled in) and the labels against max_classes;
 * *n images, *max_label the largest label. */
static optml_status scan(optml_ctx *ctx, const struct cc_plan *plan, struct cc_shape *shape, int64_t max_classes,
                         uint64_t *n, int64_t *max_label)
{
    struct cc_pass *p = NULL;
    optml_status st = cc_pass_open(ctx, plan, shape, max_classes, &p);
    if (st != OPTML_OK)
        return st;
    struct cc_example ex;
    *n = 0;
    *max_label = -1;
    while ((st = cc_pass_next(p, &ex)) == OPTML_OK) {
        ++*n;
        if (ex.label > *max_label)
            *max_label = ex.label;
        if ((*n & 1023) == 0 && optml_should_stop(ctx)) {
            st = OPTML_STOPPED;
            break;
        }
    }
    *shape = cc_pass_shape(p);
    cc_pass_close(p);
    if (st == OPTML_END && *n == 0)
        return optml_error(ctx, OPTML_E_CLIENT, "channel '%s' holds no images", plan->channel);
    return st == OPTML_END ? OPTML_OK : st;
}

static void describe(optml_ctx *ctx, const struct cc_plan *plan, uint64_t n, const struct cc_shape *s)
{
    size_t count[4] = {0};
    for (size_t i = 0; i < plan->n_src; i++)
        count[plan->src[i].format]++;
    char what[256] = "";
    size_t at = 0;
    for (int f = 0; f < 4; f++)
        if (count[f] && at < sizeof(what))
            at += (size_t)snprintf(what + at, sizeof(what) - at, "%s%zu %s", at ? ", " : "", count[f],
                                   cc_format_name(f));
    optml_log(ctx, OPTML_LOG_INFO, "Channel '%s': %" PRIu64 " images of %" PRIu32 "x%" PRIu32 "x%" PRIu32 " (%s)",
              plan->channel, n, s->h, s->w, s->c, what);
    optml_report_rows(ctx, plan->channel, n, 0);
}

optml_status cc_train(optml_ctx *ctx)
{
    const struct cc_config *cfg = optml_config(ctx);
    static const char *const NAMES[3] = {"train", "validation", "eval"};
    struct cc_plan plans[3];
    int have[3] = {0};
    memset(plans, 0, sizeof(plans));
    optml_status st = OPTML_OK;
    for (int i = 0; i < 3 && st == OPTML_OK; i++) {
        const optml_channel *ch = optml_channel_get(ctx, NAMES[i]);
        if (ch && (st = cc_plan_channel(ctx, ch, &plans[i])) == OPTML_OK)
            have[i] = 1;
    }
    struct cc_shape shape = {0, 0, 0};
    int64_t classes = OPTML_IS_UNSET(cfg->num_classes) ? 0 : cfg->num_classes;
    for (int i = 0; i < 3 && st == OPTML_OK; i++) {
        if (!have[i])
            continue;
        uint64_t n = 0;
        int64_t max_label = -1;
        if ((st = scan(ctx, &plans[i], &shape, classes, &n, &max_label)) != OPTML_OK)
            break;
        if (i == 0 && classes == 0) {
            classes = max_label + 1 < 2 ? 2 : max_label + 1;
            optml_log(ctx, OPTML_LOG_INFO, "%" PRId64 " classes (the largest training label + 1; set num_classes "
                      "to say otherwise)", classes);
        }
        describe(ctx, &plans[i], n, &shape);
    }
    for (int i = 0; i < 3; i++)
        cc_plan_free(&plans[i]);
    if (st != OPTML_OK)
        return st;
    return optml_error(ctx, OPTML_E_INTERNAL, "cifar-cnn: the data was read and checked, but the networks are not in "
                       "this build yet (they need the convolution layers)");
}
