/*
 * nn_init.c: the parameter initialisers of nn.h: uniform, Glorot (Xavier)
 * uniform and He (Kaiming) normal, drawn from the caller's common/rng.h stream.
 */
#include "nn/nn.h"

#include <math.h>

void nn_init_uniform(float *w, size_t n, float lo, float hi, uint64_t *rng)
{
    const float span = hi - lo;
    for (size_t i = 0; i < n; i++) {
        float v = lo + span * rng_uniform(rng);
        /* lo + span * u can round up to hi for u close to 1: keep [lo, hi). */
        if (hi > lo && v >= hi)
            v = nextafterf(hi, lo);
        w[i] = v;
    }
}

void nn_init_glorot_uniform(float *w, size_t fan_in, size_t fan_out, uint64_t *rng)
{
    const size_t fans = fan_in + fan_out;
    const float a = fans ? sqrtf(6.0f / (float)fans) : 0.0f;
    nn_init_uniform(w, fan_in * fan_out, -a, a, rng);
}

void nn_init_he_normal(float *w, size_t n, size_t fan_in, uint64_t *rng)
{
    const float sd = sqrtf(2.0f / (float)(fan_in ? fan_in : 1));
    for (size_t i = 0; i < n; i++)
        w[i] = sd * rng_normal(rng);
}
