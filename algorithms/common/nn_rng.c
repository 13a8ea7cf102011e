/*
 * nn_rng.c: the deterministic random generator of nn.h: splitmix64 bits,
 * uniform floats, unbiased bounded integers (Lemire), Box-Muller normals and a
 * Fisher-Yates shuffle.  The whole state is one caller-owned uint64_t, so
 * each thread (or each layer) keeps its own stream and a seed reproduces it.
 */
#include "common/nn.h"

#include <math.h>

uint64_t nn_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float nn_rng_uniform(uint64_t *state)
{
    /* The top 24 bits times 2^-24: every value is an exact float < 1. */
    return (float)(nn_rng_next(state) >> 40) * 0x1.0p-24f;
}

uint64_t nn_rng_below(uint64_t *state, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* Lemire's multiply-shift: the high word of x * n is uniform on [0, n)
     * once the low words below 2^64 mod n are rejected (no modulo bias, and
     * the division only on the rare path near a rejection). */
    unsigned __int128 m = (unsigned __int128)nn_rng_next(state) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        const uint64_t threshold = (0 - n) % n;
        while (lo < threshold) {
            m = (unsigned __int128)nn_rng_next(state) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

float nn_rng_normal(uint64_t *state)
{
    /* u1 in (0, 1] keeps the log finite; only the cosine half is used, so
     * there is no cached second value (the state stays one integer). */
    const double u1 = 1.0 - (double)(nn_rng_next(state) >> 11) * 0x1.0p-53;
    const double u2 = (double)(nn_rng_next(state) >> 11) * 0x1.0p-53;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void nn_shuffle_u32(uint32_t *idx, size_t n, uint64_t *state)
{
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)nn_rng_below(state, i);
        const uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
