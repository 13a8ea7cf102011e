/*
 * report.c: what training prints: the Keras verbose=2 epoch lines the
 * workshop's users know ("Epoch 1/2" then " - 3s - loss: ... - acc: ... -
 * val_loss: ... - val_acc: ..."), the runtime's epoch and metric lines, and
 * checkpoints of the model after each epoch.
 */
#include <stdio.h>
#include <stdlib.h>

#include "news_classifier/nc.h"

static void metric(optml_ctx *ctx, const char *split, const char *name, const char *kind, double v, int epoch)
{
    struct optml_metric m = {split, name, kind, v, epoch, -1};
    optml_metric(ctx, &m);
}

void nc_report_epoch(optml_ctx *ctx, int epoch, int epochs, const struct nc_epoch_stats *st)
{
    printf("Epoch %d/%d\n - %.0fs - loss: %.4f - acc: %.4f", epoch + 1, epochs, st->seconds, st->loss, st->acc);
    if (st->has_val)
        printf(" - val_loss: %.4f - val_acc: %.4f", st->val_loss, st->val_acc);
    printf("\n");
    fflush(stdout);
    optml_epoch_end(ctx, epoch, st->rows);
    metric(ctx, "train", "loss", "loss", st->loss, epoch);
    metric(ctx, "train", "accuracy", "score", st->acc, epoch);
    if (st->has_val) {
        metric(ctx, "validation", "loss", "loss", st->val_loss, epoch);
        metric(ctx, "validation", "accuracy", "score", st->val_acc, epoch);
    }
}

optml_status nc_checkpoint_save(optml_ctx *ctx, const struct nc_model *m, uint64_t epochs)
{
    if (!optml_checkpoint_enabled(ctx))
        return OPTML_OK;
    unsigned char *buf;
    size_t len;
    if (nc_model_encode(m, &buf, &len) != 0)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory writing a checkpoint");
    optml_status s = optml_checkpoint_save(ctx, epochs, buf, len);
    free(buf);
    return s;
}
