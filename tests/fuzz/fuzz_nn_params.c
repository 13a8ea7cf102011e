/*
 * fuzz_nn_params.c: libFuzzer target for the parameter block's loader
 * (algorithms/nn/params.c, nn_params_load).
 *
 * The network is fixed: dense_1.kernel (4, 3), dense_1.bias (3, a bias),
 * emb (5, 2, sparse), glove (3, 2, frozen), dense_2.kernel (3, 2),
 * dense_2.bias (2), with Adam state.  Input: the serialised block (an
 * exact-size heap copy), loaded twice into a block whose values are set
 * beforehand: as a model file (no state) and as a checkpoint (with state).
 * Checked: each load returns NN_PARAMS_OK or NN_PARAMS_E_FORMAT with a
 * message; a refused load leaves the block bit for bit as it was; an
 * accepted one holds only finite values and saving the block again gives
 * the input bytes exactly (the loader accepts only what the saver writes).
 * Seeds (tests/fuzz/seeds/fuzz_nn_params/): a model file and a checkpoint of
 * this network.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void build(struct nn_params *p)
{
    nn_params_init(p);
    if (nn_params_add(p, "dense_1.kernel", 2, (size_t[]){4, 3}, NULL, NULL, 0) != 0 ||
        nn_params_add(p, "dense_1.bias", 1, (size_t[]){3}, NN_PARAM_BIAS, NULL, 0) != 1 ||
        nn_params_add(p, "emb", 2, (size_t[]){5, 2}, NN_PARAM_SPARSE_OPTS, NULL, 0) != 2 ||
        nn_params_add(p, "glove", 2, (size_t[]){3, 2}, NN_PARAM_FROZEN_OPTS, NULL, 0) != 3 ||
        nn_params_add(p, "dense_2.kernel", 2, (size_t[]){3, 2}, NULL, NULL, 0) != 4 ||
        nn_params_add(p, "dense_2.bias", 1, (size_t[]){2}, NN_PARAM_BIAS, NULL, 0) != 5 ||
        nn_params_alloc(p, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, OPTIM_ADAM, NULL, 0) != 0)
        abort();
    for (size_t i = 0; i < p->n_param; i++)
        p->param[i] = 0.25f * (float)(i % 7);
    for (size_t i = 0; i < p->n_state; i++)
        p->opt.m[i] = p->opt.v[i] = 0.5f;
    p->opt.t = 3;
}

static int all_finite(const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(f[i]))
            return 0;
    return 1;
}

static void one(const unsigned char *copy, size_t size, unsigned flags)
{
    struct nn_params p, ref;
    build(&p);
    build(&ref);
    char err[512] = "";
    const int rc = nn_params_load(&p, copy, size, flags, err, sizeof(err));
    if (rc != NN_PARAMS_OK) {
        if (rc != NN_PARAMS_E_FORMAT || !err[0])
            abort();
        if (memcmp(p.param, ref.param, p.n_param * sizeof(float)) != 0 ||
            memcmp(p.opt.m, ref.opt.m, p.n_state * sizeof(float)) != 0 ||
            memcmp(p.opt.v, ref.opt.v, p.n_state * sizeof(float)) != 0 || p.opt.t != ref.opt.t) {
            fprintf(stderr, "a refused load changed the block: %s\n", err);
            abort();
        }
    } else {
        if (!all_finite(p.param, p.n_param) || !all_finite(p.opt.m, p.n_state) || !all_finite(p.opt.v, p.n_state))
            abort();
        struct nn_buf again = {0};
        if (nn_params_save(&p, flags, &again, err, sizeof(err)) != NN_PARAMS_OK)
            abort();
        if (again.len != size || memcmp(again.data, copy, size) != 0) {
            fprintf(stderr, "re-saved %zu bytes differ from the %zu loaded (flags %u)\n", again.len, size, flags);
            abort();
        }
        free(again.data);
    }
    nn_params_free(&p);
    nn_params_free(&ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    one(copy, size, 0);
    one(copy, size, NN_PARAMS_OPTIM);
    free(copy);
    return 0;
}
