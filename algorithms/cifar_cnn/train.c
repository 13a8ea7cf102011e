/*
 * train.c: the cifar-cnn training job.  It plans and reads every channel
 * once (each record checked, the images counted, the classes found), builds
 * the architecture's network (net.c) for the data's shape, resumes from the
 * newest checkpoint when there is one, then trains epoch by epoch on the
 * shuffled, augmented batches of batch.c: the optimizer of the
 * hyperparameters with Keras's `decay` per update, dropout, a validation
 * pass after each epoch, the Keras end-of-epoch line, #quality_metric lines
 * and a checkpoint.  At the end: the `eval` channel's `Test loss:` /
 * `Test accuracy:`, the confusion matrix, and the model (model.c).  A stop
 * (SIGTERM) is honoured between batches: checkpoint, model so far, exit 0.
 * On several hosts (Horovod's way, as the SageMaker example trains): each
 * host trains on its share of the data (every host-th image of a channel
 * every host holds whole; its own files when ShardedByS3Key), the hosts
 * agree on the steps of an epoch, gradients are averaged over the hosts at
 * every step, the learning rate is multiplied by their number, counts and
 * metrics are summed over the hosts, and rank 0 logs and saves.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cifar_cnn/cc.h"
#include "cifar_cnn/data.h"
#include "cifar_cnn/net.h"
#include "common/classes.h"
#include "common/hosts.h"
#include "common/losses.h"
#include "common/parallel.h"
#include "common/rng.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads one pass of `plan`, checking every image against *shape (zeros:
 * the first image's, then filled in) and the labels against max_classes;
 * *n images, *max_label the largest label, and when per_class is not NULL
 * (max_classes entries, or CC_MAX_CLASSES when 0) the images of each class
 * added to it. */
static optml_status scan(optml_ctx *ctx, const struct cc_plan *plan, struct cc_shape *shape, int64_t max_classes,
                         uint64_t *n, int64_t *max_label, uint64_t *per_class)
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
        if (per_class) /* pass.c refused labels outside [0, max_classes) */
            per_class[ex.label]++;
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

/* Everything one job holds. */
struct job {
    optml_ctx *ctx;
    const struct cc_config *cfg;
    struct cc_plan plans[3];
    int have[3];
    uint64_t count[3];
    struct cc_shape shape;
    size_t classes;
    struct cc_net net;
    struct cc_work work;
    struct parallel_team *team;
    struct cc_train_state st;
    float *x, *yf, *dl;
    int32_t *y;
    uint64_t *confusion;      /* classes x classes */
    int rank, hosts;          /* this host's rank; the number of hosts (1: one) */
    int sharded[3];           /* ShardedByS3Key: each host holds its own files */
    uint64_t share[3];        /* images of each channel this host trains or evaluates on */
    uint64_t steps_per_epoch; /* several hosts: the steps every host takes (0: one host, no limit) */
};

/* The share of a channel this host reads: every hosts-th image from its
 * rank of a channel every host holds whole (FullyReplicated). */
static void take_share(const struct job *j, int which, struct cc_pass *p)
{
    if (j->hosts > 1 && !j->sharded[which])
        cc_pass_shard(p, (uint32_t)j->hosts, (uint32_t)j->rank);
}

enum { TRAIN, VALID, EVAL };
static const char *const NAMES[3] = {"train", "validation", "eval"};

/* A metric line: the figures are the job's (summed over the hosts), so
 * rank 0 alone writes them. */
static void metric(optml_ctx *ctx, const char *split, const char *name, const char *kind, double v, int epoch)
{
    struct optml_metric m = {split, name, kind, v, epoch, -1};
    if (optml_dist_rank(ctx) == 0)
        optml_metric(ctx, &m);
}

/* Predicted class of each of n rows of logits; counts the right ones. */
static size_t score(const float *z, const int32_t *y, size_t n, size_t k, uint64_t *confusion)
{
    size_t right = 0;
    for (size_t r = 0; r < n; r++) {
        const float *zr = z + r * k;
        size_t best = 0;
        for (size_t c = 1; c < k; c++)
            if (zr[c] > zr[best])
                best = c;
        right += best == (size_t)y[r];
        if (confusion)
            confusion[(size_t)y[r] * k + best]++;
    }
    return right;
}

/* Loss and accuracy of the inference network over channel `which`, in
 * order, without augmentation; the confusion matrix when asked. */
static optml_status evaluate(struct job *j, int which, double *loss, double *acc, uint64_t *confusion)
{
    struct cc_pass *p = NULL;
    struct cc_batcher *b = NULL;
    optml_status s = cc_pass_open(j->ctx, &j->plans[which], &j->shape, (int64_t)j->classes, &p);
    struct cc_batch_opts o = {1, 0, 0, j->cfg->architecture, 0};
    if (s == OPTML_OK) {
        take_share(j, which, p);
        s = cc_batcher_open(j->ctx, p, &o, &b);
    }
    double l = 0;
    uint64_t n = 0, right = 0;
    size_t got = 0;
    if (confusion)
        memset(confusion, 0, j->classes * j->classes * sizeof(uint64_t));
    while (s == OPTML_OK && (s = cc_batcher_next(b, j->work.cap, j->x, j->y, &got)) == OPTML_OK && got > 0) {
        /* Several hosts evaluate different numbers of batches: a stop is
         * agreed at the next training step instead. */
        if (j->hosts == 1 && optml_should_stop(j->ctx)) {
            s = OPTML_STOPPED;
            break;
        }
        const float *z = cc_net_forward(&j->net, &j->work, j->x, got, 0, NULL);
        for (size_t r = 0; r < got; r++)
            j->yf[r] = (float)j->y[r];
        softmax_xent_batch(z, j->yf, NULL, got, 1, j->classes, NULL, NULL, &l);
        right += score(z, j->y, got, j->classes, confusion);
        n += got;
    }
    cc_batcher_close(b);
    cc_pass_close(p);
    if (s == OPTML_OK && j->hosts > 1) { /* the job's figures: every host's added up */
        double t[3] = {l, (double)right, (double)n};
        if ((s = optml_dist_allreduce(j->ctx, t, 3, OPTML_DIST_DOUBLE, OPTML_DIST_SUM)) == OPTML_OK && confusion)
            s = hosts_sum_counts(j->ctx, confusion, j->classes * j->classes);
        l = t[0], right = (uint64_t)t[1], n = (uint64_t)t[2];
    }
    *loss = n ? l / (double)n : 0;
    *acc = n ? (double)right / (double)n : 0;
    return s;
}

static struct optim_cfg optimizer(const struct cc_config *c)
{
    struct optim_cfg o = {.lr = (float)c->learning_rate, .eps = 1e-7f}; /* Keras's epsilon */
    switch (c->optimizer) {
    case CC_OPT_SGD:
        o.kind = OPTIM_SGD, o.momentum = (float)c->momentum;
        break;
    case CC_OPT_RMSPROP:
        o.kind = OPTIM_RMSPROP, o.beta2 = 0.9f;
        break;
    default:
        o.kind = OPTIM_ADAM, o.beta1 = 0.9f, o.beta2 = 0.999f;
    }
    return o;
}

/* One epoch of training; the Keras line's training figures into *e. */
static optml_status epoch_run(struct job *j, int epoch, const struct optim_cfg *oc, struct cc_epoch_line *e)
{
    const struct cc_config *cfg = j->cfg;
    struct cc_pass *p = NULL;
    struct cc_batcher *b = NULL;
    optml_status s = cc_pass_open(j->ctx, &j->plans[TRAIN], &j->shape, (int64_t)j->classes, &p);
    struct cc_batch_opts o = {(size_t)cfg->shuffle_buffer, 1, cfg->augmentation, cfg->architecture,
                              rng_mix64((uint64_t)cfg->seed * 1000003u + (uint64_t)epoch) ^ (uint64_t)j->rank};
    if (s == OPTML_OK) {
        take_share(j, TRAIN, p);
        s = cc_batcher_open(j->ctx, p, &o, &b);
    }
    double l = 0;
    uint64_t n = 0, right = 0, steps = 0;
    size_t got = 0, k = j->classes;
    while (s == OPTML_OK) {
        if (j->steps_per_epoch && steps == j->steps_per_epoch)
            break; /* several hosts: the agreed number of steps */
        if (optml_dist_should_stop(j->ctx)) { /* one host: optml_should_stop */
            s = OPTML_STOPPED;
            break;
        }
        if ((s = cc_batcher_next(b, j->work.cap, j->x, j->y, &got)) != OPTML_OK || got == 0)
            break;
        const float *z = cc_net_forward(&j->net, &j->work, j->x, got, 1, &j->st.rng);
        for (size_t r = 0; r < got; r++)
            j->yf[r] = (float)j->y[r];
        softmax_xent_batch(z, j->yf, NULL, got, 1, k, j->dl, NULL, &l);
        right += score(z, j->y, got, k, NULL);
        float inv = 1.0f / (float)got;
        for (size_t i = 0; i < got * k; i++)
            j->dl[i] *= inv;
        nn_params_zero_grad(&j->net.p);
        cc_net_backward(&j->net, &j->work, j->dl, got);
        if (j->hosts > 1) { /* Horovod's allreduce: the mean of the hosts' gradients */
            if ((s = optml_dist_allreduce(j->ctx, j->net.p.grad, j->net.p.n_grad, OPTML_DIST_FLOAT,
                                          OPTML_DIST_SUM)) != OPTML_OK)
                break;
            float h = 1.0f / (float)j->hosts;
            for (size_t i = 0; i < j->net.p.n_grad; i++)
                j->net.p.grad[i] *= h;
        }
        float lr = lr_time_decay(oc->lr, (float)cfg->weight_decay, (long)j->st.iterations);
        nn_params_step(&j->net.p, oc, lr);
        j->st.iterations++;
        n += got;
        steps++;
        optml_progress(j->ctx, j->share[TRAIN] ? (double)n / (double)j->share[TRAIN] : -1, n);
    }
    cc_batcher_close(b);
    cc_pass_close(p);
    if (s == OPTML_OK && j->hosts > 1) {
        double t[3] = {l, (double)right, (double)n};
        s = optml_dist_allreduce(j->ctx, t, 3, OPTML_DIST_DOUBLE, OPTML_DIST_SUM);
        l = t[0], right = (uint64_t)t[1], n = (uint64_t)t[2];
    }
    e->steps = steps;
    e->loss = n ? l / (double)n : 0;
    e->accuracy = n ? (double)right / (double)n : 0;
    return s;
}

/* The classes present in the train channel (per_class: images of each of
 * the `classes`): one class is a ClientError (the model could only ever
 * answer it), a class without images a warning naming it.  The counts are
 * over the whole channel; split across hosts they would be summed first. */
static optml_status check_classes(optml_ctx *ctx, const uint64_t *per_class, size_t classes, int from_num_classes)
{
    char missing[200];
    struct class_presence c = class_presence(per_class, classes, missing, sizeof(missing));
    if (c.present < 2)
        return optml_error(ctx, OPTML_E_CLIENT, "The train channel has images of one class only (every label is "
                           "%zu): a classifier needs images of at least two classes", c.last);
    if (c.present < classes)
        optml_log(ctx, OPTML_LOG_WARNING, "%s is %zu but the train channel has no images of class%s %s: the model "
                  "will not learn to predict %s%s", from_num_classes ? "num_classes" : "the number of classes (the "
                  "largest label + 1)", classes, c.missing > 1 ? "es" : "", missing, c.missing > 1 ? "them" : "it",
                  per_class[0] ? "" : " (labels are 0-based: 0 to the number of classes - 1)");
    return OPTML_OK;
}

/* Several hosts, after channel `which` was read: whether each host holds
 * its own files (ShardedByS3Key: the count and the largest label are then
 * summed / taken over the hosts) and this host's share. */
static optml_status split_over_hosts(struct job *j, int which, int64_t *max_label)
{
    j->sharded[which] = optml_channel_sharded(optml_channel_get(j->ctx, NAMES[which]));
    uint64_t here = j->count[which];
    if (!j->sharded[which]) {
        j->share[which] = (here + (uint64_t)(j->hosts - 1 - j->rank)) / (uint64_t)j->hosts;
        return OPTML_OK;
    }
    double top = (double)*max_label;
    optml_status s = hosts_sum_counts(j->ctx, &j->count[which], 1);
    if (s == OPTML_OK)
        s = optml_dist_allreduce(j->ctx, &top, 1, OPTML_DIST_DOUBLE, OPTML_DIST_MAX);
    *max_label = (int64_t)top;
    j->share[which] = here;
    return s;
}

/* Several hosts: every host takes the same number of steps an epoch (a
 * collective each), the fewest any host's share gives. */
static optml_status agree_steps(struct job *j)
{
    size_t bs = (size_t)j->cfg->batch_size;
    double neg = -(double)((j->share[TRAIN] + bs - 1) / bs);
    optml_status s = optml_dist_allreduce(j->ctx, &neg, 1, OPTML_DIST_DOUBLE, OPTML_DIST_MAX);
    if (s != OPTML_OK)
        return s;
    j->steps_per_epoch = (uint64_t)-neg;
    if (j->steps_per_epoch == 0)
        return optml_error(j->ctx, OPTML_E_CLIENT, "a host has no training images: with %d hosts and the train "
                           "channel ShardedByS3Key, give the channel at least as many files as hosts", j->hosts);
    optml_log(j->ctx, OPTML_LOG_INFO, "Host %d of %d trains on %" PRIu64 " of the %" PRIu64 " training images (%s): "
              "%" PRIu64 " steps of %zu an epoch, gradients averaged over the hosts at every step", j->rank + 1,
              j->hosts, j->share[TRAIN], j->count[TRAIN], j->sharded[TRAIN] ? "its own files" : "every host-th image",
              j->steps_per_epoch, bs);
    return OPTML_OK;
}

static optml_status setup(struct job *j)
{
    optml_ctx *ctx = j->ctx;
    const struct cc_config *cfg = j->cfg;
    optml_status st = OPTML_OK;
    for (int i = 0; i < 3 && st == OPTML_OK; i++) {
        const optml_channel *ch = optml_channel_get(ctx, NAMES[i]);
        if (ch && (st = cc_plan_channel(ctx, ch, &j->plans[i])) == OPTML_OK)
            j->have[i] = 1;
    }
    int64_t classes = OPTML_IS_UNSET(cfg->num_classes) ? 0 : cfg->num_classes;
    uint64_t *per_class = NULL;
    for (int i = 0; i < 3 && st == OPTML_OK; i++) {
        if (!j->have[i])
            continue;
        int64_t max_label = -1;
        if (i == TRAIN && !(per_class = calloc((size_t)(classes ? classes : CC_MAX_CLASSES), sizeof(*per_class))))
            return optml_error(ctx, OPTML_E_NOMEM, "no memory for the class counts");
        if ((st = scan(ctx, &j->plans[i], &j->shape, classes, &j->count[i], &max_label,
                       i == TRAIN ? per_class : NULL)) != OPTML_OK)
            break;
        j->share[i] = j->count[i];
        if (j->hosts > 1 && (st = split_over_hosts(j, i, &max_label)) != OPTML_OK)
            break;
        if (i == TRAIN && classes == 0) {
            classes = max_label + 1 < 2 ? 2 : max_label + 1;
            optml_log(ctx, OPTML_LOG_INFO, "%" PRId64 " classes (the largest training label + 1; set num_classes "
                      "to say otherwise)", classes);
        }
        describe(ctx, &j->plans[i], j->count[i], &j->shape);
    }
    /* after every record of every channel is checked: a mistake in the
     * data is said before what the labels lack; over every host's files */
    if (st == OPTML_OK && per_class && j->hosts > 1 && j->sharded[TRAIN])
        st = hosts_sum_counts(ctx, per_class, (size_t)classes);
    if (st == OPTML_OK && per_class)
        st = check_classes(ctx, per_class, (size_t)classes, !OPTML_IS_UNSET(cfg->num_classes));
    if (st == OPTML_OK && j->hosts > 1)
        st = agree_steps(j);
    free(per_class);
    if (st != OPTML_OK)
        return st;
    j->classes = (size_t)classes;
    struct optim_cfg oc = optimizer(cfg);
    char err[256];
    if (cc_net_build(&j->net, cfg->architecture, &j->shape, j->classes, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, oc.kind,
                     err, sizeof(err)) != 0)
        return optml_error(ctx, OPTML_E_CLIENT, "architecture %s for %" PRIu32 "x%" PRIu32 "x%" PRIu32 " images: %s",
                           cfg->architecture == CC_ARCH_KERAS ? "keras-cifar10" : "sagemaker-cifar10", j->shape.h,
                           j->shape.w, j->shape.c, err);
    uint64_t rng = rng_mix64((uint64_t)cfg->seed ^ 0x63696661722d636eull);
    cc_net_init(&j->net, &rng);
    j->st.rng = rng_mix64(rng);
    optml_log(ctx, OPTML_LOG_INFO, "Network %s: %zu parameters (%zu trained)",
              cfg->architecture == CC_ARCH_KERAS ? "keras-cifar10" : "sagemaker-cifar10", cc_net_count_all(&j->net),
              cc_net_count_trained(&j->net));
    if (cfg->threads > 1) {
        blas_set_threads(1);
        j->team = parallel_team_new(cfg->threads);
    }
    size_t bs = (size_t)cfg->batch_size, in = (size_t)j->shape.h * j->shape.w * j->shape.c;
    j->x = malloc(bs * in * sizeof(float));
    j->yf = malloc(bs * sizeof(float));
    j->y = malloc(bs * sizeof(int32_t));
    j->dl = malloc(bs * j->classes * sizeof(float));
    j->confusion = calloc(j->classes * j->classes, sizeof(uint64_t));
    if (cc_work_init(&j->work, &j->net, bs, 1, j->team) != 0 || !j->x || !j->yf || !j->y || !j->dl || !j->confusion)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory for the network at batch-size %zu", bs);
    return OPTML_OK;
}

static void teardown(struct job *j)
{
    for (int i = 0; i < 3; i++)
        cc_plan_free(&j->plans[i]);
    cc_work_free(&j->work);
    cc_net_free(&j->net);
    parallel_team_free(j->team);
    free(j->x);
    free(j->yf);
    free(j->y);
    free(j->dl);
    free(j->confusion);
}

/* Several hosts, after training: the trained parameters must be the same
 * on every host (the gradients were averaged at every step); a 32-bit
 * FNV-1a hash of their bytes is compared across the hosts.  Batch norm's
 * moving statistics stay each host's own, as with Horovod. */
static optml_status check_hosts_agree(struct job *j)
{
    if (j->hosts < 2)
        return OPTML_OK;
    uint32_t h = 2166136261u;
    for (size_t t = 0; t < j->net.p.n_tensors; t++) {
        const struct nn_tensor *x = &j->net.p.t[t];
        if (x->opts.flags & NN_PARAM_FROZEN)
            continue;
        const unsigned char *b = (const unsigned char *)(j->net.p.param + x->p_off);
        for (size_t i = 0; i < x->n * sizeof(float); i++)
            h = (h ^ b[i]) * 16777619u;
    }
    double v[2] = {(double)h, -(double)h};
    optml_status s = optml_dist_allreduce(j->ctx, v, 2, OPTML_DIST_DOUBLE, OPTML_DIST_MAX);
    if (s != OPTML_OK)
        return s;
    if (v[0] != -v[1])
        return optml_error(j->ctx, OPTML_E_INTERNAL, "the hosts' trained parameters differ after training (hash "
                           "%08" PRIx32 " on host %d, hashes from %08" PRIx32 " to %08" PRIx32 ")", h, j->rank + 1,
                           (uint32_t)-v[1], (uint32_t)v[0]);
    optml_log(j->ctx, OPTML_LOG_INFO, "All %d hosts hold the same %zu trained parameters (hash %08" PRIx32 ")",
              j->hosts, cc_net_count_trained(&j->net), h);
    return OPTML_OK;
}

static optml_status finish(struct job *j)
{
    optml_ctx *ctx = j->ctx;
    optml_status s = OPTML_OK;
    if (j->have[EVAL]) {
        double loss, acc;
        if ((s = evaluate(j, EVAL, &loss, &acc, j->confusion)) != OPTML_OK)
            return s;
        if (j->rank == 0) { /* the job's figures: rank 0 says them */
            printf("Test loss: %.6g\nTest accuracy: %.6g\n", loss, acc);
            fflush(stdout);
        }
        metric(ctx, "test", "loss", "loss", loss, -1);
        metric(ctx, "test", "accuracy", "score", acc, -1);
        optml_report_confusion(ctx, "test", j->classes, NULL, j->confusion);
    }
    return s;
}

optml_status cc_train(optml_ctx *ctx)
{
    struct job j;
    memset(&j, 0, sizeof(j));
    j.ctx = ctx;
    j.cfg = optml_config(ctx);
    j.rank = optml_dist_rank(ctx);
    j.hosts = optml_dist_size(ctx);
    const struct cc_config *cfg = j.cfg;
    optml_status s = setup(&j);
    int epoch = 0;
    if (s == OPTML_OK) /* several hosts: rank 0's checkpoint, on every host */
        s = cc_resume(ctx, &j.net, &j.st, &epoch);
    struct optim_cfg oc = optimizer(cfg);
    if (j.hosts > 1) {
        /* dropout differs from host to host */
        j.st.rng = rng_mix64(j.st.rng ^ ((uint64_t)j.rank << 32));
        /* the SageMaker example's Horovod rule: learning rate x hosts */
        oc.lr *= (float)j.hosts;
        if (s == OPTML_OK)
            optml_log(ctx, OPTML_LOG_INFO, "Learning rate %g x %d hosts = %g (Horovod's scaling, as the SageMaker "
                      "example's)", cfg->learning_rate, j.hosts, (double)oc.lr);
    }
    for (; s == OPTML_OK && epoch < cfg->epochs; epoch++) {
        if (j.rank == 0) {
            printf("Epoch %d/%d\n", epoch + 1, cfg->epochs);
            fflush(stdout);
        }
        optml_epoch_begin(ctx, epoch, cfg->epochs);
        double t0 = now_s();
        struct cc_epoch_line e = {0};
        if ((s = epoch_run(&j, epoch, &oc, &e)) != OPTML_OK)
            break;
        int last = epoch + 1 == cfg->epochs;
        if (j.have[VALID]) {
            if ((s = evaluate(&j, VALID, &e.val_loss, &e.val_accuracy, last ? j.confusion : NULL)) != OPTML_OK)
                break;
            e.has_val = 1;
            if (last)
                optml_report_confusion(ctx, "validation", j.classes, NULL, j.confusion);
        }
        e.seconds = now_s() - t0;
        char line[512];
        cc_keras_epoch_line(line, sizeof(line), &e);
        if (j.rank == 0) {
            printf("%s\n", line);
            fflush(stdout);
        }
        optml_epoch_end(ctx, epoch, j.count[TRAIN]);
        metric(ctx, "train", "loss", "loss", e.loss, epoch);
        metric(ctx, "train", "accuracy", "score", e.accuracy, epoch);
        if (e.has_val) {
            metric(ctx, "validation", "loss", "loss", e.val_loss, epoch);
            metric(ctx, "validation", "accuracy", "score", e.val_accuracy, epoch);
        }
        if ((s = cc_checkpoint(ctx, &j.net, &j.st, (uint64_t)epoch + 1)) != OPTML_OK)
            break;
    }
    if (s == OPTML_STOPPED) {
        /* the updates of the unfinished epoch are kept; a restart runs that epoch again */
        optml_log(ctx, OPTML_LOG_INFO, "Stopping in epoch %d: checkpoint and model of the updates so far", epoch + 1);
        optml_status c = cc_checkpoint(ctx, &j.net, &j.st, (uint64_t)epoch);
        if (c == OPTML_OK)
            c = cc_model_save(ctx, &j.net);
        teardown(&j);
        return c == OPTML_OK ? OPTML_STOPPED : c;
    }
    if (s == OPTML_OK)
        s = check_hosts_agree(&j);
    if (s == OPTML_OK)
        s = finish(&j);
    if (s == OPTML_OK && (s = cc_model_save(ctx, &j.net)) == OPTML_OK) {
        if (j.rank == 0) { /* the only host that saves */
            printf("Model successfully saved at: %s\n", optml_model_dir(ctx));
            fflush(stdout);
        }
    }
    teardown(&j);
    return s;
}
