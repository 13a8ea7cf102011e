/*
 * rng.h: the one deterministic random generator of the modules
 * (splitmix64), so that the same data and the same `seed` give the same
 * model.  The whole state is one caller-owned uint64_t: each thread, layer
 * or epoch keeps its own stream and a seed reproduces it; nothing global.
 */
#ifndef OPTML_COMMON_RNG_H
#define OPTML_COMMON_RNG_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64's finaliser: a well-mixed 64-bit hash of z (stateless), for
 * deriving streams from a seed and an index. */
static inline uint64_t rng_mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* splitmix64: the next 64 random bits; the state is any 64-bit seed. */
static inline uint64_t rng_next(uint64_t *state)
{
    const uint64_t z = *state;
    *state += 0x9E3779B97F4A7C15ull;
    return rng_mix64(z);
}

/* Uniform in [0, 1) with 24 random bits (exactly representable as float). */
static inline float rng_uniform(uint64_t *state)
{
    return (float)(rng_next(state) >> 40) * 0x1.0p-24f;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double rng_uniform_double(uint64_t *state)
{
    return (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n) (n >= 1), without modulo bias (Lemire). */
uint64_t rng_below(uint64_t *state, uint64_t n);
/* Standard normal (Box-Muller, the cosine half: two draws, no cached value). */
double rng_normal_double(uint64_t *state);
static inline float rng_normal(uint64_t *state)
{
    return (float)rng_normal_double(state);
}
/* Fisher-Yates shuffle of idx[0..n). */
void rng_shuffle_u32(uint32_t *idx, size_t n, uint64_t *state);

#endif
