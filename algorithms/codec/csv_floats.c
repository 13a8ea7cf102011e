/*
 * csv_floats.c: one CSV line of numbers into floats (csv_floats.h).
 *
 * Fast path (x86-64): a field such as "-12.345678," is classified with one
 * 16-byte SSE2 load (digits, '.', ',', sign), so its length is known in a
 * few instructions; its digits are converted eight at a time with SWAR
 * multiplications (one conversion when integer and fraction digits fit in
 * eight together), the sign is applied without a branch (signs are random
 * in real data), and the value is m / 10^nf in double, exact operands, one
 * rounding.  The last fields of a line are parsed from a comma-padded copy
 * of its end, so the 24 bytes the fast path reads are always there.
 *
 * General path (anything else: blanks, exponents, long mantissas, errors):
 * sign, integer digits, fraction digits, exponent, scanned once; the first
 * 19 significant digits in a uint64 m, the decimal exponent in e.  When
 * m <= 2^53 and 10^|e| is exact (|e| <= 22, or m * 10^(e-22) still exact),
 * one IEEE multiply or divide gives the correctly rounded double.
 *
 * Both paths then round the double to float, which is correct unless the
 * double sits exactly on a midpoint between two floats (the exact value
 * may not): that is tested on the bits and sent, with subnormal or out of
 * range results, more digits or larger exponents, to strtof() on a bounded
 * canonical copy.
 */
#include "codec/csv_floats.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
#define CSV_SWAR 1
#else
#define CSV_SWAR 0
#endif

#if CSV_SWAR && defined(__SSE2__) && defined(__x86_64__)
#define CSV_SSE2 1
#include <emmintrin.h>
#else
#define CSV_SSE2 0
#endif

enum { NUM_OK = 0, NUM_BAD, NUM_RANGE };

/* Significant digits kept in the uint64 mantissa: 10^19 - 1 < 2^64. */
#define MAX_DIGITS 19
/* Digits kept in the canonical copy for strtof: more than any float
 * midpoint has (a binary32 midpoint has at most ~112 significant digits). */
#define SLOW_DIGITS 200
/* Exponent magnitudes beyond this give 0 or infinity whatever the digits. */
#define EXP_CLAMP 100000

static const double pow10_d[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static const uint64_t pow10_u[16] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
    100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
    1000000000000ull, 10000000000000ull, 100000000000000ull, 1000000000000000ull,
};

static inline int is_digit(char c)
{
    return (unsigned)(c - '0') < 10u;
}

static inline int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

#if CSV_SWAR
/* The 8 bytes at p: the number of leading ASCII digits (0..8); *t gets the
 * bytes minus '0' (meaningful for those digits only).  A byte is a digit
 * when (b ^ 0x30) < 10; a non-digit byte may carry into the bytes after it,
 * which does not matter as only the first flagged byte is used. */
static inline unsigned swar_count(const char *p, uint64_t *t)
{
    uint64_t v;
    memcpy(&v, p, 8);
    uint64_t x = v ^ 0x3030303030303030ull;
    uint64_t bad = ((x + 0x7676767676767676ull) | x) & 0x8080808080808080ull;
    *t = x;
    return bad ? (unsigned)__builtin_ctzll(bad) >> 3 : 8u;
}

/* The value of the 8 digits (0..9 each) in t, the first byte the most
 * significant: combine pairs, quads and the two halves (as fast_float). */
static inline uint64_t swar_top8(uint64_t t)
{
    t = t * 10u + (t >> 8);
    t = (((t & 0x000000FF000000FFull) * 0x000F424000000064ull) +
         (((t >> 16) & 0x000000FF000000FFull) * 0x0000271000000001ull)) >> 32;
    return t;
}

/* The value of the first n (1..8) digits in t: shift them to the top so
 * the bytes after them are dropped and the missing ones read as leading
 * zeros. */
static inline uint64_t swar_value(uint64_t t, unsigned n)
{
    return swar_top8(t << (8u * (8u - n)));
}
#endif

/* f, negated when neg (0 or 1), without a branch: signs are random in
 * real data, so a branch would be mispredicted half the time. */
static inline float with_sign(float f, unsigned neg)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    u ^= (uint32_t)neg << 31;
    memcpy(&f, &u, sizeof(f));
    return f;
}

/* True when the double d (a normal float's magnitude) lies exactly halfway
 * between two floats: of the 29 low mantissa bits float drops, only the
 * top one is set. */
static inline int float_midpoint(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof(b));
    return (b & 0x1FFFFFFFull) == 0x10000000ull;
}

/* The slow path: the mantissa text [mant, mant_end) (digits and at most one
 * '.') times 10^exp, rebuilt as "[-]<digits>e<exp>" with at most
 * SLOW_DIGITS significant digits plus a sticky '1' standing for any nonzero
 * digits dropped (which keeps every rounding decision), and read by strtof.
 * Not called for a zero mantissa. */
static int parse_slow(const char *mant, const char *mant_end, int neg, int64_t exp, float *out)
{
    char buf[SLOW_DIGITS + 40];
    size_t k = 0;
    int64_t frac = 0, dropped = 0;
    int point = 0, sticky = 0;
    if (neg)
        buf[k++] = '-';
    size_t first = k;
    for (const char *c = mant; c < mant_end; c++) {
        if (*c == '.') {
            point = 1;
            continue;
        }
        if (point)
            frac++;
        if (k == first && *c == '0')
            continue;
        if (k - first < SLOW_DIGITS) {
            buf[k++] = *c;
        } else {
            dropped++;
            sticky |= *c != '0';
        }
    }
    if (k == first) {            /* all zeros: not expected, but be exact */
        *out = neg ? -0.0f : 0.0f;
        return NUM_OK;
    }
    int64_t e = exp - frac + dropped;
    if (sticky) {
        buf[k++] = '1';
        e--;
    }
    if (e > EXP_CLAMP)
        e = EXP_CLAMP;
    if (e < -EXP_CLAMP)
        e = -EXP_CLAMP;
    snprintf(buf + k, sizeof(buf) - k, "e%lld", (long long)e);
    float f = strtof(buf, NULL);
    if (isinf(f))
        return NUM_RANGE;
    *out = f;
    return NUM_OK;
}

#if CSV_SSE2
/* The common case: [+-]digits[.digits] with at most 8 digits on each side
 * of the point, at most 16 characters and followed by a comma, with at
 * least 24 bytes readable from p (the caller sees to it).  One 16-byte
 * load classifies the bytes (digit, '.', a sign at 0), so the end of the
 * number is known after a handful of instructions whatever its digits,
 * and one byte load checks the comma after it; each side is then one
 * 8-byte load, and one SWAR conversion serves both when they have 8
 * digits together (else one each).  At most 15 digits with the point (8
 * without): m < 10^15 < 2^53 is exact as a double, and so is 10^nf, so
 * one division and the midpoint test give the float (a double on a
 * midpoint goes to the general path even when it is exact: rare, and one
 * test fewer on the common path).  Returns 0 (having stored nothing) to
 * leave anything else to the general path. */
static inline int parse_fast(const char *p, float *out, const char **stop)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i t = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    __m128i dig = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t);
    unsigned md = (unsigned)_mm_movemask_epi8(dig);
    unsigned mdot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
    unsigned c0 = (unsigned char)p[0];
    unsigned sgn = (c0 == '-') | (c0 == '+');
    unsigned len = (unsigned)__builtin_ctz(~(md | mdot | sgn));   /* <= 16 */
    unsigned dots = mdot & ((1u << len) - 1u);
    unsigned ie = dots ? (unsigned)__builtin_ctz(dots) : len;   /* end of the integer part */
    unsigned ni = ie - sgn, nf = dots ? len - ie - 1u : 0u;
    /* A comma ends it (p[len], len <= 16), one point at most, 1..8 integer digits (".5" goes
     * to the general path), 0..8 fraction digits. */
    if ((p[len] != ',') | ((dots & (dots - 1u)) != 0) | (ni - 1u > 7u) | (nf > 8u))
        return 0;
    uint64_t a, b;
    memcpy(&a, p + sgn, 8);                  /* p[sgn .. sgn + 8) */
    memcpy(&b, p + ie + 1, 8);               /* p[ie + 1 .. ie + 9), ie <= 15 */
    /* The digits moved to the top bytes (two half shifts, so that nf == 0
     * clears b without an undefined 64-bit shift). */
    a = (a ^ 0x3030303030303030ull) << (8u * (8u - ni));
    b = (b ^ 0x3030303030303030ull) << (4u * (8u - nf)) << (4u * (8u - nf));
    uint64_t m;
    if (ni + nf <= 8)                        /* one conversion for both */
        m = swar_top8((a >> (8u * nf)) | b);
    else
        m = swar_top8(a) * pow10_u[nf] + swar_top8(b);
    float f;
    if (nf == 0) {
        /* An integer: m < 10^8, exact as a double; one rounding to float
         * (exact below 2^24), never a midpoint issue. */
        f = (float)(int32_t)m;
    } else {
        /* m < 2^53 as a signed conversion (one instruction, where an
         * unsigned one needs a branch for the top bit). */
        double d = (double)(int64_t)m / pow10_d[nf];
        f = (float)d;
        if (float_midpoint(d))
            return 0;
    }
    *out = with_sign(f, c0 == '-');
    *stop = p + len;
    return 1;
}
#endif

/* One number at [p, end): NUM_OK with *out and *stop (the first byte after
 * the number), NUM_BAD (no digits, a bare exponent mark) or NUM_RANGE. */
static inline int parse_number(const char *p, const char *end, float *out, const char **stop)
{
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        neg = *p == '-';
        p++;
    }
    const char *mant = p;
    uint64_t m = 0;
    unsigned nd = 0;          /* digits in m: an upper bound on the significant
                               * ones (a SWAR run counts its leading zeros);
                               * 0 while m is 0, so m == 0 means all zeros */
    int64_t e = 0;
    int truncated = 0;        /* a nonzero digit did not fit in m */

    /* Integer part. */
#if CSV_SWAR
    while (end - p >= 8) {
        uint64_t t;
        unsigned n = swar_count(p, &t);
        if (n == 0 || nd + n > MAX_DIGITS)
            break;
        m = m * pow10_u[n] + swar_value(t, n);
        nd = m ? nd + n : 0;                 /* leading zeros do not count */
        p += n;
        if (n < 8)
            goto int_done;
    }
#endif
    for (; p < end && is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (nd < MAX_DIGITS) {
            if (m || d) {
                m = m * 10u + d;
                nd++;
            }
        } else {
            e++;
            truncated |= d != 0;
        }
    }
#if CSV_SWAR
int_done:;
#endif
    int digits = p > mant;

    /* Fraction. */
    if (p < end && *p == '.') {
        const char *fs = ++p;
#if CSV_SWAR
        while (end - p >= 8) {
            uint64_t t;
            unsigned n = swar_count(p, &t);
            if (n == 0 || nd + n > MAX_DIGITS)
                break;
            m = m * pow10_u[n] + swar_value(t, n);
            nd = m ? nd + n : 0;
            e -= n;
            p += n;
            if (n < 8)
                goto frac_done;
        }
#endif
        for (; p < end && is_digit(*p); p++) {
            unsigned d = (unsigned)(*p - '0');
            if (nd < MAX_DIGITS) {
                if (m || d) {
                    m = m * 10u + d;
                    nd++;
                }
                e--;
            } else {
                truncated |= d != 0;
            }
        }
#if CSV_SWAR
frac_done:;
#endif
        digits |= p > fs;
    }
    if (!digits)
        return NUM_BAD;
    const char *mant_end = p;

    /* Exponent. */
    int64_t ev = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p >= end || !is_digit(*p))
            return NUM_BAD;
        for (; p < end && is_digit(*p); p++)
            if (ev < 100000000)
                ev = ev * 10 + (*p - '0');
        if (eneg)
            ev = -ev;
    }
    *stop = p;

    if (m == 0) {
        *out = neg ? -0.0f : 0.0f;
        return NUM_OK;
    }
    e += ev;
    if (!truncated && m <= (1ull << 53)) {
        double d;
        int fast = 1;
        if (e >= 0 && e <= 22)
            d = (double)m * pow10_d[e];
        else if (e < 0 && e >= -22)
            d = (double)m / pow10_d[-e];
        else if (e > 22 && e <= 22 + 15 && m <= (1ull << 53) / pow10_u[e - 22])
            d = (double)(m * pow10_u[e - 22]) * 1e22;
        else
            fast = 0, d = 0;
        if (fast && d >= (double)FLT_MIN && d <= (double)FLT_MAX) {
            float f = (float)d;
            if ((double)f == d || !float_midpoint(d)) {
                *out = with_sign(f, (unsigned)neg);
                return NUM_OK;
            }
        }
    }
    return parse_slow(mant, mant_end, neg, ev, out);
}

/* "field N: '<text>' <what>", the text being the field without the blanks
 * around it, at most 40 characters ("..." when cut), control and non-ASCII
 * bytes as '?'. */
static void report(char *err, size_t errsz, size_t field, const char *fs, const char *end, int rc)
{
    if (!err || !errsz)
        return;
    const char *fe = memchr(fs, ',', (size_t)(end - fs));
    if (!fe)
        fe = end;
    while (fs < fe && is_blank(*fs))
        fs++;
    while (fe > fs && is_blank(fe[-1]))
        fe--;
    char text[48];
    size_t n = (size_t)(fe - fs), k = n > 40 ? 40 : n;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)fs[i];
        text[i] = (c < 0x20 || c >= 0x7F) ? '?' : (char)c;
    }
    if (n > 40) {
        memcpy(text + k, "...", 3);
        k += 3;
    }
    text[k] = 0;
    snprintf(err, errsz, "field %zu: '%s' %s", field, text,
             rc == NUM_RANGE ? "is out of range for a float" : "is not a number");
}

const char *csv_line_content(const char *line, size_t len, const char **first)
{
    const char *p = line, *end = line + len;
    if (p < end && end[-1] == '\r')
        end--;
    while (p < end && is_blank(*p))
        p++;
    *first = p;
    return p == end ? NULL : end;
}

int csv_field(const char *fs, const char *fe, const char *line_end, size_t field, float *out, char *err,
                 size_t errsz)
{
    const char *p = fs;
    while (p < fe && is_blank(*p))
        p++;
    const char *stop = p;
    int rc = parse_number(p, fe, out, &stop);
    if (rc != NUM_BAD) {
        p = stop;
        while (p < fe && is_blank(*p))
            p++;
        if (p != fe)
            rc = NUM_BAD;
    }
    if (rc == NUM_OK)
        return 0;
    report(err, errsz, field, fs, line_end, rc);
    return -1;
}

long csv_parse_portable(const char *line, size_t len, float *out, size_t cap, char *err, size_t errsz)
{
    if (err && errsz)
        err[0] = 0;
    if (!line)
        return 0;
    const char *p;
    const char *end = csv_line_content(line, len, &p);
    if (!end)
        return 0;
    size_t field = 0;
#if CSV_SSE2
    /* The fast path reads 24 bytes from a field's start.  Near the end of
     * the line, the fields left are parsed from a copy of the line's last
     * 32 bytes (or of the whole line when shorter) followed by commas: a
     * field ends at a comma or at the end of the line alike. */
    char tail[64];
    int in_tail = 0;
#endif
    for (;;) {
#if CSV_SSE2
        if ((size_t)(end - p) < 24 && !in_tail) {
            size_t n = (size_t)(end - line) >= 32 ? 32 : (size_t)(end - line);
            const char *src = end - n;
            if (n == 32) {                   /* fixed sizes: inlined */
                memcpy(tail, src, 32);
                memset(tail + 32, ',', 32);
            } else {
                memcpy(tail, src, n);
                memset(tail + n, ',', sizeof(tail) - n);
            }
            p = tail + (p - src);
            end = tail + n;
            in_tail = 1;
        }
        float fv;
        const char *fstop;
        if (parse_fast(p, &fv, &fstop)) {
            if (field < cap)
                out[field] = fv;
            field++;
            if (fstop == end)
                break;
            p = fstop + 1;
            continue;
        }
#endif
        const char *fe = memchr(p, ',', (size_t)(end - p));
        if (!fe)
            fe = end;
        float v = 0;
        if (csv_field(p, fe, end, field + 1, &v, err, errsz) != 0)
            return -1;
        if (field < cap)
            out[field] = v;
        field++;
        if (fe == end)
            break;
        p = fe + 1;                          /* past the comma */
    }
    return (long)field;
}

size_t csv_count_fields(const char *line, size_t len)
{
    if (!line)
        return 0;
    const char *p;
    const char *end = csv_line_content(line, len, &p);
    if (!end)
        return 0;
    size_t n = 1;
    while ((p = memchr(p, ',', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}
