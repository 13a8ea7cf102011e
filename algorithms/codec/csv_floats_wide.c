/*
 * csv_floats_wide.c: the line path of csv_floats.c for x86-64 CPUs with AVX-512
 * (F, BW, DQ, VL): four fields of a line converted by the same vector
 * instructions (csv_floats_wide.h).  Same results and messages as the portable
 * path, bit for bit: a field it does not take goes to that path.
 *
 * 1. The line is copied between comma paddings and its commas found, 64
 *    bytes per compare, and listed: every field's bounds are known before
 *    any is parsed, so fields do not wait on each other.
 * 2. Four fields at a time, each in a 16-byte lane, right-aligned: lane j
 *    holds the 16 bytes that end where field j ends, so its last digit is
 *    byte 15 and the bytes before the field (the previous field, its comma)
 *    are masked off (the four lengths come from the list in one vector
 *    subtraction and are spread over their lanes by a shuffle).
 * 3. A field is taken when it is 1..15 bytes of digits with at most one
 *    '.', at least one digit, and a '-' only in front: then it has at most
 *    15 digits.  The digits left of the point move one byte right over it
 *    (a per-lane byte shift and a blend), which leaves all the digits
 *    packed at the end of the lane, zeros before; multiply-adds turn them
 *    into m < 10^15 (pairs, quads, halves), exact as a double, as is 10^nf
 *    (nf = digits right of the point).  One division rounds m / 10^nf
 *    correctly to double, and rounding that to float is correct unless the
 *    double lies on a midpoint between two floats: such lanes go to the
 *    portable path (which decides them exactly), like every other field
 *    not taken.
 *
 * Elsewhere (not x86-64, or not GCC/Clang) the two functions fall back to
 * the portable path.  csv_parse_floats, which picks the path for a line,
 * is here too.
 */
#include "codec/csv_floats_wide.h"

#include "codec/csv_floats.h"

#if CSV_WIDE
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define WIDE_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,bmi,bmi2,popcnt")))

int csv_wide_available(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
}

/* 10^0 .. 10^15, exact doubles, as the two halves of a 16-entry table. */
static const double pow10_lo[8] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
static const double pow10_hi[8] = {1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* Bit 16j+15 set when 16-bit group j of x is not zero. */
static inline uint64_t group_nonzero(uint64_t x)
{
    const uint64_t low = 0x7FFF7FFF7FFF7FFFull;
    return (((x & low) + low) | x) & ~low;
}

/* One bit per group (j = 0..3) from the top bits of group_nonzero. */
WIDE_TARGET static inline unsigned group_bits(uint64_t top)
{
    return (unsigned)_pext_u64(top, 0x8000800080008000ull);
}

WIDE_TARGET
long csv_parse_wide(const char *line, size_t n, float *out, size_t cap, char *err, size_t errsz)
{
    /* 16 commas, the line, 64 commas: every lane load (16 bytes ending at
     * a field's end, 0 <= end <= n) and every 64-byte compare stays
     * inside. */
    _Alignas(64) char buf[16 + CSV_WIDE_MAX + 64];
    /* E[0] = 0xFFFF (so that E[k] + 1, in 16 bits, is field k's start),
     * E[k + 1] = field k's end; then spare copies of the line's end. */
    uint16_t E[1 + CSV_WIDE_MAX + 1 + 8 + 8];
    if (n == 0 || n > CSV_WIDE_MAX) /* not for this path (csv_parse_floats never asks) */
        return csv_parse_portable(line, n, out, cap, err, errsz);
    memset(buf, ',', 16);
    memcpy(buf + 16, line, n);
    memset(buf + 16 + n, ',', 64);
    const char *b = buf + 16;

    /* 1. The commas. */
    uint16_t *ends = E + 1;
    E[0] = 0xFFFF;
    size_t ne = 0;
    const __m512i commas = _mm512_set1_epi8(',');
    for (size_t o = 0; o < n; o += 64) {
        uint64_t m = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)(b + o)), commas);
        if (n - o < 64)
            m &= (1ull << (n - o)) - 1u;
        size_t cnt = (size_t)_mm_popcnt_u64(m);
        uint16_t *at = ends + ne;
        /* Eight slots written whatever the count (ends has room for the
         * overshoot): one branch per eight commas. */
        do {
            for (int k = 0; k < 8; k++) {
                at[k] = (uint16_t)(o + _tzcnt_u64(m));
                m = _blsr_u64(m);
            }
            at += 8;
        } while (m);
        ne += cnt;
    }
    size_t nf = ne + 1;
    for (size_t k = ne; k < nf + 7; k++)   /* the last field, and spares */
        ends[k] = (uint16_t)n;

    const __m512i zero = _mm512_setzero_si512();
    const __m512i ascii0 = _mm512_set1_epi8('0');
    const __m512i nine = _mm512_set1_epi8(9);
    const __m512i dot = _mm512_set1_epi8('.');
    const __m512i minus = _mm512_set1_epi8('-');
    const __m512i ones = _mm512_set1_epi8(1);
    const __m512i w_pairs = _mm512_set1_epi16(0x010A);        /* bytes 10, 1 */
    const __m512i w_quads = _mm512_set1_epi32(0x00010064);    /* 100, 1 */
    const __m512i w_halves = _mm512_set1_epi32(0x00012710);   /* 10000, 1 */
    const __m512i e8 = _mm512_set1_epi64(100000000);
    const __m512d p10lo = _mm512_loadu_pd(pow10_lo), p10hi = _mm512_loadu_pd(pow10_hi);
    const __m512i even = _mm512_set_epi64(7, 7, 7, 7, 6, 4, 2, 0);
    const __m256i mid_mask = _mm256_set1_epi64x(0x1FFFFFFF), mid_value = _mm256_set1_epi64x(0x10000000);

    const __m512i revidx = _mm512_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                           0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                           0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                           0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i lane_sel = _mm512_set_epi8(3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
                                             2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
                                             1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                             0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m128i one16 = _mm_set1_epi16(1), fifteen16 = _mm_set1_epi16(15);

    for (size_t i = 0; i < nf; i += 4) {
        /* 2. Lengths of fields i..i+3 (past the last field: 0xFFFF), as
         * bytes spread over their lanes: V = the field's bytes in its
         * lane, F = its first byte. */
        __m128i ev = _mm_loadu_si128((const void *)(E + i));
        __m128i lens = _mm_sub_epi16(_mm_srli_si128(ev, 2), _mm_add_epi16(ev, one16));
        unsigned slow = (~(unsigned)_mm_cmplt_epu16_mask(_mm_sub_epi16(lens, one16), fifteen16)) & 0xFu;
        __m512i lb = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_packus_epi16(lens, lens)), lane_sel);
        uint64_t V = _mm512_cmplt_epu8_mask(revidx, lb);
        uint64_t F = _mm512_cmpeq_epi8_mask(revidx, _mm512_sub_epi8(lb, ones));
        size_t en[4] = {ends[i], ends[i + 1], ends[i + 2], ends[i + 3]};
        __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const void *)(b + en[0] - 16)));
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const void *)(b + en[1] - 16)), 1);
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const void *)(b + en[2] - 16)), 2);
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const void *)(b + en[3] - 16)), 3);

        /* 3. Classify: digits, the point, a leading minus. */
        __m512i t = _mm512_sub_epi8(v, ascii0);
        uint64_t digs = _mm512_cmple_epu8_mask(t, nine) & V;
        uint64_t dots = _mm512_cmpeq_epi8_mask(v, dot) & V;
        uint64_t neg = _mm512_cmpeq_epi8_mask(v, minus) & F;
        uint64_t bad = V & ~(digs | dots | neg);
        uint64_t has_dot = group_nonzero(dots);
        /* Without its lowest point, a lane with two has one left. */
        uint64_t dots2 = dots & (dots - (has_dot >> 15));
        slow |= group_bits(group_nonzero(bad) | group_nonzero(dots2) | (~group_nonzero(digs) & 0x8000800080008000ull));
        unsigned negs = group_bits(group_nonzero(neg));

        /* Bytes at or left of the point (per lane: the point flags ORed
         * toward lower bytes), and whether the lane has a point. */
        __m512i pv = _mm512_maskz_mov_epi8(dots, _mm512_set1_epi8(-1));
        pv = _mm512_or_si512(pv, _mm512_bsrli_epi128(pv, 1));
        pv = _mm512_or_si512(pv, _mm512_bsrli_epi128(pv, 2));
        pv = _mm512_or_si512(pv, _mm512_bsrli_epi128(pv, 4));
        pv = _mm512_or_si512(pv, _mm512_bsrli_epi128(pv, 8));
        uint64_t left = _mm512_movepi8_mask(pv);
        uint64_t frac = digs & ~left & _mm512_movepi8_mask(_mm512_shuffle_epi8(pv, zero));

        /* Digits packed at the lane's end: left of the point, one byte
         * right. */
        __m512i z = _mm512_maskz_mov_epi8(digs, t);
        __m512i r = _mm512_mask_mov_epi8(z, left, _mm512_bslli_epi128(z, 1));
        __m512i q = _mm512_madd_epi16(_mm512_maddubs_epi16(r, w_pairs), w_quads);
        __m512i h = _mm512_madd_epi16(_mm512_packus_epi32(q, q), w_halves);
        __m512i m = _mm512_add_epi64(_mm512_mul_epu32(h, e8), _mm512_srli_epi64(h, 32));

        /* nf per lane: its fraction digits counted, then 10^nf. */
        __m512i cnt = _mm512_sad_epu8(_mm512_maskz_mov_epi8(frac, ones), zero);
        cnt = _mm512_add_epi64(cnt, _mm512_shuffle_epi32(cnt, _MM_PERM_BADC));
        __m512d p10 = _mm512_permutex2var_pd(p10lo, cnt, p10hi);

        /* Lanes' first qwords to the low four, then divide and round. */
        __m256i m4 = _mm512_castsi512_si256(_mm512_permutexvar_epi64(even, m));
        __m256d p4 = _mm512_castpd512_pd256(_mm512_permutexvar_pd(even, p10));
        __m256d d = _mm256_div_pd(_mm256_cvtepu64_pd(m4), p4);
        slow |= _mm256_cmpeq_epi64_mask(_mm256_and_si256(_mm256_castpd_si256(d), mid_mask), mid_value);
        __m128 f = _mm256_cvtpd_ps(d);
        f = _mm_mask_xor_ps(f, (__mmask8)negs, f, _mm_set1_ps(-0.0f));

        size_t live = nf - i < 4 ? nf - i : 4;
        if (i + 4 <= cap && live == 4) {
            _mm_storeu_ps(out + i, f);
        } else {
            float tmp[4];
            _mm_storeu_ps(tmp, f);
            for (size_t j = 0; j < live && i + j < cap; j++)
                out[i + j] = tmp[j];
        }
        slow &= (1u << live) - 1u;
        while (slow) {
            unsigned j = (unsigned)__builtin_ctz(slow);
            slow &= slow - 1u;
            float x;
            size_t fs = (uint16_t)(E[i + j] + 1u);
            if (csv_field(b + fs, b + en[j], b + n, i + j + 1, &x, err, errsz) != 0)
                return -1;
            if (i + j < cap)
                out[i + j] = x;
        }
    }
    return (long)nf;
}
#else
/* Other CPUs: the portable path only. */
int csv_wide_available(void)
{
    return 0;
}

long csv_parse_wide(const char *line, size_t n, float *out, size_t cap, char *err, size_t errsz)
{
    return csv_parse_portable(line, n, out, cap, err, errsz);
}
#endif

long csv_parse_floats(const char *line, size_t len, float *out, size_t cap, char *err, size_t errsz)
{
#if CSV_WIDE
    if (line && csv_wide_available()) {
        const char *p;
        const char *end = csv_line_content(line, len, &p);
        if (end && (size_t)(end - p) <= CSV_WIDE_MAX) {
            if (err && errsz)
                err[0] = 0;
            return csv_parse_wide(p, (size_t)(end - p), out, cap, err, errsz);
        }
    }
#endif
    return csv_parse_portable(line, len, out, cap, err, errsz);
}
