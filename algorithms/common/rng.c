/*
 * rng.c: the out-of-line parts of rng.h: unbiased bounded integers
 * (Lemire), Box-Muller normals and a Fisher-Yates shuffle.
 */
#include "common/rng.h"

#include <math.h>

uint64_t rng_below(uint64_t *state, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* Lemire's multiply-shift: the high word of x * n is uniform on [0, n)
     * once the low words below 2^64 mod n are rejected (no modulo bias, and
     * the division only on the rare path near a rejection). */
    unsigned __int128 m = (unsigned __int128)rng_next(state) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        const uint64_t threshold = (0 - n) % n;
        while (lo < threshold) {
            m = (unsigned __int128)rng_next(state) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double rng_normal_double(uint64_t *state)
{
    /* u1 in (0, 1] keeps the log finite; only the cosine half is used, so
     * there is no cached second value (the state stays one integer). */
    const double u1 = 1.0 - rng_uniform_double(state);
    const double u2 = rng_uniform_double(state);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void rng_shuffle_u32(uint32_t *idx, size_t n, uint64_t *state)
{
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)rng_below(state, i);
        const uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
