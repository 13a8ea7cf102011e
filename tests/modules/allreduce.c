/*
 * allreduce.c: a module that exists only for the tests of multi-host
 * training.  Every step it allreduces a vector of doubles (sum) and one of
 * floats (max), broadcasts a block from the last rank and waits at a
 * barrier, checking each result against what every rank must get; each
 * rank writes what it saw to output/data/allreduce-<rank>.txt and rank 0
 * alone writes model/.  Hyperparameters make it slow (`sleep_ms`), make a
 * rank die (`die_rank`: SIGKILL at step 1) or fail (`fail_rank`: a
 * ClientError at step 1).  With `checkpoint=1` every rank saves a
 * checkpoint after each step (the runtime keeps rank 0's alone) and loads
 * one at the start, resuming after its step ("resumed <step>", -1 when
 * there was none).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "optml/algorithm.h"

static const struct optml_hparam_decl hparams[] = {
    {.name = "length", .type = OPTML_HP_INT, .default_value = "1000", .flags = OPTML_HP_HAS_MIN, .min = 1,
     .help = "elements allreduced per step"},
    {.name = "steps", .type = OPTML_HP_INT, .default_value = "3", .flags = OPTML_HP_HAS_MIN, .min = 1,
     .help = "steps"},
    {.name = "sleep_ms", .type = OPTML_HP_INT, .default_value = "0", .flags = OPTML_HP_HAS_MIN,
     .help = "sleep per step"},
    {.name = "die_rank", .type = OPTML_HP_INT, .default_value = "-1", .help = "this rank dies at step 1"},
    {.name = "fail_rank", .type = OPTML_HP_INT, .default_value = "-1", .help = "this rank fails at step 1"},
    {.name = "checkpoint", .type = OPTML_HP_BOOL, .default_value = "false", .help = "checkpoint each step, resume"},
};

static const char *const data_types[] = {"text/csv", NULL};
static const struct optml_channel_decl channels[] = {{"train", 0, data_types}};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static optml_status write_result(optml_ctx *ctx, int rank, const char *text)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/../output/data/allreduce-%d.txt", optml_model_dir(ctx), rank);
    return optml_file_write_atomic(ctx, path, text, strlen(text));
}

static optml_status allreduce_train(optml_ctx *ctx)
{
    int rank = optml_dist_rank(ctx), size = optml_dist_size(ctx);
    size_t n = (size_t)optml_hp_int(ctx, "length");
    long steps = (long)optml_hp_int(ctx, "steps");
    double *v = malloc(n * sizeof(*v));
    float *f = malloc(n * sizeof(*f));
    if (!v || !f) {
        free(v);
        free(f);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    }
    optml_status s = OPTML_OK;
    long done = 0, sum_bad = 0, max_bad = 0, bcast_bad = 0, resumed = -1;
    int stopped = 0, ckpt = optml_hp_bool(ctx, "checkpoint");
    char block[64];
    if (ckpt) {
        uint64_t at = 0;
        void *data = NULL;
        size_t len = 0;
        s = optml_checkpoint_load(ctx, &at, &data, &len);
        if (s == OPTML_OK && (len != sizeof(int64_t) || memcmp(data, &(int64_t){(int64_t)at}, len) != 0))
            s = optml_error(ctx, OPTML_E_INTERNAL, "checkpoint payload does not match its step %llu",
                            (unsigned long long)at);
        else if (s == OPTML_OK)
            resumed = (long)at;
        else if (s == OPTML_E_NOT_FOUND)
            s = OPTML_OK;
        free(data);
    }
    for (long step = resumed + 1; step < steps && s == OPTML_OK; step++) {
        if (optml_dist_should_stop(ctx)) {
            stopped = 1;
            break;
        }
        if (step == 1 && rank == optml_hp_int(ctx, "die_rank"))
            raise(SIGKILL);
        if (step == 1 && rank == optml_hp_int(ctx, "fail_rank")) {
            s = optml_error(ctx, OPTML_E_CLIENT, "rank %d fails on purpose", rank);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            v[i] = (double)(rank + 1) * (double)(i + 1) + (double)step;
            f[i] = (float)((rank * 7 + (long)i) % 11);
        }
        if ((s = optml_dist_allreduce(ctx, v, n, OPTML_DIST_DOUBLE, OPTML_DIST_SUM)) != OPTML_OK ||
            (s = optml_dist_allreduce(ctx, f, n, OPTML_DIST_FLOAT, OPTML_DIST_MAX)) != OPTML_OK)
            break;
        for (size_t i = 0; i < n; i++) {
            double want = (double)(i + 1) * size * (size + 1) / 2.0 + (double)size * (double)step;
            float fmax = 0;
            for (int r = 0; r < size; r++) {
                float x = (float)((r * 7 + (long)i) % 11);
                fmax = x > fmax ? x : fmax;
            }
            sum_bad += v[i] != want;
            max_bad += f[i] != fmax;
        }
        memset(block, 0, sizeof(block));
        snprintf(block, sizeof(block), "step %ld from rank %d", step, rank);
        if ((s = optml_dist_broadcast(ctx, block, sizeof(block), size - 1)) != OPTML_OK)
            break;
        char want[64] = "";
        snprintf(want, sizeof(want), "step %ld from rank %d", step, size - 1);
        bcast_bad += strcmp(block, want) != 0;
        if ((s = optml_dist_barrier(ctx)) != OPTML_OK)
            break;
        done++;
        int64_t at = step;
        if (ckpt && (s = optml_checkpoint_save(ctx, (uint64_t)step, &at, sizeof(at))) != OPTML_OK)
            break;
        optml_log(ctx, OPTML_LOG_INFO, "host %s rank %d: step %ld done", optml_host_name(ctx), rank, step);
        sleep_ms((long)optml_hp_int(ctx, "sleep_ms"));
    }
    free(v);
    free(f);
    if (s != OPTML_OK)
        return s;
    char text[256];
    snprintf(text, sizeof(text),
             "rank %d size %d host %s steps %ld sum_bad %ld max_bad %ld bcast_bad %ld stopped %d resumed %ld\n", rank,
             size, optml_host_name(ctx), done, sum_bad, max_bad, bcast_bad, stopped, resumed);
    if ((s = write_result(ctx, rank, text)) != OPTML_OK)
        return s;
    /* Every rank writes: the runtime keeps model/ for rank 0 alone. */
    if ((s = optml_model_write(ctx, "model.bin", text, strlen(text))) != OPTML_OK)
        return s;
    return stopped ? OPTML_STOPPED : OPTML_OK;
}

OPTML_MODULE(.name = "allreduce", .version = "1.0.0", .model_format_version = 1,
             .description = "test module: collectives across hosts",
             .hparams = hparams, .n_hparams = OPTML_COUNTOF(hparams),
             .channels = channels, .n_channels = OPTML_COUNTOF(channels),
             .train = allreduce_train, .multi_host = 1);
