/*
 * keras_log.c: the lines a Keras user scrapes (ALGORITHMS.md B.7), as
 * tf.keras's progress bar prints them at the end of an epoch (verbose=1):
 *   312/312 [==============================] - 45s 144ms/step - loss: 1.2345 - accuracy: 0.5678 - val_loss: 1.1111 - val_accuracy: 0.6012
 * The time per step is in s, ms or us as Keras chooses (whole units), a
 * value is %.4f, or %.4e when its magnitude is at most 1e-3, as Keras
 * writes it; and the closing `Test loss:` / `Test accuracy:` lines of the
 * SageMaker example's script.
 */
#include <math.h>
#include <stdio.h>

#include "cifar_cnn/cc.h"

/* Keras's `' - %s: %.4f'` or `%.4e` for |v| <= 1e-3. */
static int value(char *buf, size_t sz, const char *name, double v)
{
    return snprintf(buf, sz, fabs(v) > 1e-3 ? " - %s: %.4f" : " - %s: %.4e", name, v);
}

size_t cc_keras_epoch_line(char *buf, size_t sz, const struct cc_epoch_line *e)
{
    size_t at = 0;
#define PUT(expr)                                                                                                  \
    do {                                                                                                           \
        int n_ = (expr);                                                                                           \
        if (n_ > 0)                                                                                                \
            at += (size_t)n_ < sz - at ? (size_t)n_ : sz - at - 1;                                                 \
    } while (0)
    if (sz == 0)
        return 0;
    buf[0] = 0;
    PUT(snprintf(buf + at, sz - at, "%llu/%llu [==============================] - %.0fs",
                 (unsigned long long)e->steps, (unsigned long long)e->steps, e->seconds));
    double per = e->steps ? e->seconds / (double)e->steps : 0;
    if (per >= 1 || per == 0)
        PUT(snprintf(buf + at, sz - at, " %.0fs/step", per));
    else if (per >= 1e-3)
        PUT(snprintf(buf + at, sz - at, " %.0fms/step", per * 1e3));
    else
        PUT(snprintf(buf + at, sz - at, " %.0fus/step", per * 1e6));
    PUT(value(buf + at, sz - at, "loss", e->loss));
    PUT(value(buf + at, sz - at, "accuracy", e->accuracy));
    if (e->has_val) {
        PUT(value(buf + at, sz - at, "val_loss", e->val_loss));
        PUT(value(buf + at, sz - at, "val_accuracy", e->val_accuracy));
    }
#undef PUT
    return at;
}
