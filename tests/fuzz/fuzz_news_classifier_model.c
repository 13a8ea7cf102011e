/*
 * fuzz_news_classifier_model.c: libFuzzer target for the news classifier's
 * model payload decoder (algorithms/news_classifier/model.c,
 * nc_model_decode) and, on what it accepts, scoring (nc_model_probs).
 *
 * Input: the payload (an exact-size heap copy).  Checked: OPTML_OK or
 * OPTML_E_MODEL with a message; on OK, re-encoding gives the input bytes
 * exactly (the decoder accepts only what the encoder writes), and the
 * probabilities of a few fixed texts are computed; when every weight is at
 * most 1e6 in magnitude (so no score can overflow a float, whatever the
 * sizes the decoder allows), they are in [0, 1] and sum to 1.  (Finite but
 * huge weights, e.g. 1e38, can overflow the scores to inf and give NaN
 * probabilities: the decoder only checks finiteness.  So can idf values
 * so small that a group's norm is subnormal: 1 / norm overflows a float in
 * nc_tfidf.  Training writes idf >= 1, so idf must be 0 or at least 1e-6 in
 * magnitude for the check.)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "news_classifier/nc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const TEXTS[] = {"Fed official says weak data caused by weather", "the cat sat", "", "a"};

static int moderate(const float *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++)
        if (!(f[i] >= -1e6f && f[i] <= 1e6f))
            return 0;
    return 1;
}

static int normal_idf(const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (f[i] != 0.0f && !(f[i] >= 1e-6f || f[i] <= -1e-6f))
            return 0;
    return 1;
}

static int moderate_model(const struct nc_model *m)
{
    if (m->arch == NC_ARCH_NGRAM) {
        size_t width = m->dim ? m->dim : m->k;
        return moderate(m->idf, (size_t)m->n_used + 1) && normal_idf(m->idf, (size_t)m->n_used + 1) && moderate(m->E, (size_t)m->n_used * width) &&
               moderate(m->W, (size_t)m->dim * m->k) && moderate(m->b, m->k);
    }
    return moderate(m->emb, (size_t)m->max_words * m->emb_dim) &&
           moderate(m->W1, (size_t)m->max_len * m->emb_dim * m->units) && moderate(m->b1, m->units) &&
           moderate(m->W2, (size_t)m->units * m->k) && moderate(m->b2, m->k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct nc_model m;
    optml_status s = nc_model_decode(&ctx, copy, size, &m);
    if (s != OPTML_OK) {
        if (s != OPTML_E_MODEL || !optml_error_message(&ctx)[0])
            abort();
        free(copy);
        return 0;
    }
    unsigned char *again;
    size_t len;
    if (nc_model_encode(&m, &again, &len) != 0)
        abort();
    if (len != size || memcmp(again, copy, size) != 0) {
        fprintf(stderr, "re-encoded %zu bytes differ from the %zu decoded\n", len, size);
        abort();
    }
    free(again);
    float *p = malloc(m.k * sizeof(float));
    struct nc_scratch sc = {0};
    if (!p)
        abort();
    int check = moderate_model(&m);
    for (size_t t = 0; t < sizeof(TEXTS) / sizeof(TEXTS[0]); t++) {
        if (nc_model_probs(&m, TEXTS[t], strlen(TEXTS[t]), &sc, p) != 0)
            abort();
        if (!check)
            continue;
        double sum = 0;
        for (uint32_t c = 0; c < m.k; c++) {
            if (!(p[c] >= 0.0f && p[c] <= 1.0f))
                abort();
            sum += p[c];
        }
        if (fabs(sum - 1.0) > 1e-3)
            abort();
    }
    nc_scratch_free(&sc);
    free(p);
    nc_model_free(&m);
    free(copy);
    return 0;
}
