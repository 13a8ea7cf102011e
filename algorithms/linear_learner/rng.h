/*
 * rng.h: a small deterministic random generator (splitmix64), so that the
 * same data and the same `seed` give the same model.  State lives with its
 * user; nothing global.
 */
#ifndef OPTML_LL_RNG_H
#define OPTML_LL_RNG_H

#include <math.h>
#include <stdint.h>

static inline uint64_t ll_mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t ll_rng_next(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ULL;
    return ll_mix64(*s);
}

/* Uniform in [0, 1). */
static inline double ll_rng_uniform(uint64_t *s)
{
    return (double)(ll_rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* Standard normal (Box-Muller). */
static inline double ll_rng_normal(uint64_t *s)
{
    double u = ll_rng_uniform(s), v = ll_rng_uniform(s);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

#endif
