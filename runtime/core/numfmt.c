/*
 * numfmt.c: see numfmt.h.
 */
#define _GNU_SOURCE /* strfromd */
#include "core/numfmt.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

/* 10^i, i <= 19. */
static const uint64_t pow10_u64[20] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
                                       10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
                                       100000000000ULL, 1000000000000ULL, 10000000000000ULL,
                                       100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
                                       100000000000000000ULL, 1000000000000000000ULL,
                                       10000000000000000000ULL};

static int bit_length(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
    return hi ? 128 - __builtin_clzll(hi) : lo ? 64 - __builtin_clzll(lo) : 0;
}

/* Most often one double product settles it: x = |v| * 10^k is within
 * x * 2^-53 of the exact value (10^k is exact in a double for |k| <= 22),
 * so when x is that far from a half-integer, the nearest integer to x is
 * the nearest to the exact value.  0 when it does not settle it. */
static inline int scaled_round_quick(double v, int k, u128 *q)
{
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    double x = k >= 0 ? fabs(v) * p10[k] : fabs(v) / p10[-k];
    if (!(x < 0x1p52))
        return 0;
    uint64_t whole = (uint64_t)x; /* floor: x >= 0 */
    double frac = x - (double)whole; /* exact */
    if (!(fabs(frac - 0.5) > x * 0x1p-51 + 0x1p-60))
        return 0;
    *q = (u128)whole + (frac > 0.5);
    return 1;
}

/* |v| * 10^k rounded to the nearest integer, ties to even, exactly as
 * printf rounds the exact binary value: |v| = m * 2^e, so the product is
 * (m * 5^k * 2^(e+k)) over (5^-k * 2^-(e+k)) with the negative powers in
 * the denominator.  0 (and *q untouched) when a side would not fit in 125
 * bits; v finite and non-zero.  The common case (a fraction with a few
 * decimals) stays in 64 bits: a product and a shift. */
static int scaled_round(double v, int k, u128 *q)
{
    if (k > 38 || k < -38)
        return 0;
    if (k >= -22 && k <= 22 && scaled_round_quick(v, k, q))
        return 1;
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    int biased = (int)((bits >> 52) & 0x7ff);
    uint64_t m = bits & ((1ULL << 52) - 1);
    int e;
    if (biased == 0) {
        e = -1074;
    } else {
        m |= 1ULL << 52;
        e = biased - 1075;
    }
    int tz = __builtin_ctzll(m); /* m != 0: v is not zero */
    m >>= tz;
    e += tz;
    int twos = e + k, mbits = 64 - __builtin_clzll(m);
    int small = k >= 0 && k <= 27 && mbits + (int)(k * 2.33) + 1 + (twos > 0 ? twos : 0) <= 63;
    if (small && twos > -64) {
        static const uint64_t pow5[28] = {1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL,
                                          390625ULL, 1953125ULL, 9765625ULL, 48828125ULL, 244140625ULL,
                                          1220703125ULL, 6103515625ULL, 30517578125ULL, 152587890625ULL,
                                          762939453125ULL, 3814697265625ULL, 19073486328125ULL,
                                          95367431640625ULL, 476837158203125ULL, 2384185791015625ULL,
                                          11920928955078125ULL, 59604644775390625ULL, 298023223876953125ULL,
                                          1490116119384765625ULL, 7450580596923828125ULL};
        uint64_t num = m * pow5[k]; /* < 2^63 shifted: 5^k < 2^(2.33 k) */
        if (twos >= 0) {
            *q = num << twos;
            return 1;
        }
        int s = -twos;
        uint64_t r = num & ((1ULL << s) - 1), half = 1ULL << (s - 1), out = num >> s;
        *q = out + (r > half || (r == half && (out & 1)));
        return 1;
    }
    u128 five = 1;
    for (int i = k < 0 ? -k : k; i > 0; i--)
        five *= 5;
    u128 num = m, den = 1;
    if (k > 0) {
        if (mbits + bit_length(five) > 125)
            return 0;
        num *= five;
    } else if (k < 0) {
        den = five;
    }
    if (twos > 0) {
        if (bit_length(num) + twos > 125)
            return 0;
        num <<= twos;
    } else if (twos < 0) {
        if (bit_length(den) - twos > 125)
            return 0;
        if (den == 1) { /* a power of two: shifts, no division */
            int s = -twos;
            u128 r = num & (((u128)1 << s) - 1), half = (u128)1 << (s - 1);
            u128 out = num >> s;
            if (r > half || (r == half && (out & 1)))
                out++;
            *q = out;
            return 1;
        }
        den <<= -twos;
    }
    if (den == 1) {
        *q = num;
        return 1;
    }
    u128 out = num / den, r = num % den;
    if (2 * r > den || (2 * r == den && (out & 1)))
        out++;
    *q = out;
    return 1;
}

/* The decimal digits of q written backwards, ending before `end` (two at a
 * time from a table); the first digit's address. */
static char *digits_back(char *end, uint64_t q)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    while (q >= 100) {
        unsigned r = (unsigned)(q % 100);
        q /= 100;
        end -= 2;
        memcpy(end, pairs + 2 * r, 2);
    }
    if (q >= 10) {
        end -= 2;
        memcpy(end, pairs + 2 * q, 2);
    } else {
        *--end = (char)('0' + q);
    }
    return end;
}

/* "%.*f" of finite v into buf (at least RT_NUMFMT_FAST bytes) by hand; -1
 * when out of the exact fast path's range. */
static int fixed_fast(char *buf, int decimals, double v)
{
    if (decimals < 0 || decimals > 17 || !(fabs(v) < 1e17))
        return -1;
    u128 q = 0; /* below 1e-20, |v| * 10^17 < 0.5: zero at any precision */
    if (fabs(v) >= 1e-20 && !scaled_round_quick(v, decimals, &q) && !scaled_round(v, decimals, &q))
        return -1;
    char *p = buf;
    if (signbit(v))
        *p++ = '-';
    if (!(q >> 64)) { /* the usual case: the digits straight into buf, from the end */
        uint64_t u = (uint64_t)q;
        int digits = 1;
        while (digits < 20 && u >= pow10_u64[digits])
            digits++;
        if (digits < decimals + 1)
            digits = decimals + 1; /* "0.05" */
        char *end = p + digits + (decimals > 0);
        *end = 0;
        p = end;
        for (int i = 0; i < decimals; i++) {
            *--p = (char)('0' + u % 10);
            u /= 10;
        }
        if (decimals > 0)
            *--p = '.';
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        return (int)(end - buf);
    }
    /* q = whole * 10^decimals + fraction: both fit 64 bits (|v| < 1e17). */
    uint64_t pw = pow10_u64[decimals], whole = (uint64_t)(q / pw), fraction = (uint64_t)(q % pw);
    char tmp[RT_NUMFMT_FAST], *end = tmp + sizeof(tmp), *t = end;
    if (decimals > 0) {
        t = digits_back(t, fraction);
        while (end - t < decimals)
            *--t = '0';
        *--t = '.';
    }
    t = digits_back(t, whole);
    memcpy(p, t, (size_t)(end - t));
    p += end - t;
    *p = 0;
    return (int)(p - buf);
}

/* floor(log10(|v|)) or one less, from the binary exponent alone (no libm
 * call): |v| in [2^b, 2^(b+1)) has log10 in [b lg 2, (b+1) lg 2), and
 * (b * 78913) >> 18 is floor(b lg 2) for |b| < 1100. */
static int decimal_exponent_guess(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    int b = (int)((bits >> 52) & 0x7ff) - 1023;
    if (b == -1023) /* subnormal: below 2^-1022 */
        b = -1074 + (63 - __builtin_clzll(bits & ((1ULL << 52) - 1)));
    return (b * 78913) >> 18;
}

/* The P = precision (1..17) significant digits of finite, non-zero v as
 * "%.*e" rounds them, as an integer of P digits, and the decimal exponent X
 * (v ~ digits * 10^(X - P + 1)); -1 out of the exact fast path's range. */
static int g_digits(double v, int precision, uint64_t *digits_out, int *exp_out)
{
    /* The exponent X of the rounded value: q = round(|v| * 10^(P-1-X)) has
     * exactly P digits.  The binary exponent guesses it; the checks settle
     * it. */
    int x = decimal_exponent_guess(v);
    u128 q = 0, lo = pow10_u64[precision - 1], hi = pow10_u64[precision];
    for (int tries = 0;; tries++) {
        if (tries == 3 || !scaled_round(v, precision - 1 - x, &q))
            return -1;
        if (q >= hi)
            x++;
        else if (q < lo)
            x--;
        else
            break;
    }
    /* q == 10^(P-1) may be |v| just below 10^X rounded up at a guess of X
     * one too high: then |v| at X - 1 gives P digits that printf keeps. */
    u128 below;
    if (q == lo) {
        if (!scaled_round(v, precision - x, &below))
            return -1;
        if (below < hi) {
            q = below;
            x--;
        }
    }
    *digits_out = (uint64_t)q;
    *exp_out = x;
    return 0;
}

/* "%.*g" (precision 1..17) of finite v into buf (at least RT_NUMFMT_FAST
 * bytes) by hand; -1 when out of the fast path's range. */
static int g_fast(char *buf, int precision, double v)
{
    char *p = buf;
    if (signbit(v))
        *p++ = '-';
    if (v == 0) {
        *p++ = '0';
        *p = 0;
        return (int)(p - buf);
    }
    uint64_t q;
    int x;
    if (g_digits(v, precision, &q, &x) != 0)
        return -1;
    char digits[24]; /* q < 10^17 */
    char *first = digits_back(digits + sizeof(digits), q);
    int n = (int)(digits + sizeof(digits) - first); /* == precision */
    memmove(digits, first, (size_t)n);
    while (n > 1 && digits[n - 1] == '0') /* %g drops trailing zeros */
        n--;
    if (x < -4 || x >= precision) { /* d.ddde+XX */
        *p++ = digits[0];
        if (n > 1) {
            *p++ = '.';
            for (int i = 1; i < n; i++)
                *p++ = digits[i];
        }
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax >= 100)
            *p++ = (char)('0' + ax / 100);
        *p++ = (char)('0' + ax / 10 % 10);
        *p++ = (char)('0' + ax % 10);
    } else if (x >= 0) { /* ddd.ddd: x + 1 digits before the point */
        for (int i = 0; i <= x; i++)
            *p++ = i < n ? digits[i] : '0';
        if (n > x + 1) {
            *p++ = '.';
            for (int i = x + 1; i < n; i++)
                *p++ = digits[i];
        }
    } else { /* 0.000ddd */
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *p++ = '0';
        for (int i = 0; i < n; i++)
            *p++ = digits[i];
    }
    *p = 0;
    return (int)(p - buf);
}

int rt_format_fixed(char *buf, size_t size, int decimals, double v)
{
    if (size >= RT_NUMFMT_FAST && isfinite(v)) { /* no copy */
        int n = fixed_fast(buf, decimals, v);
        if (n >= 0)
            return n;
    }
    char tmp[RT_NUMFMT_FAST];
    int n = isfinite(v) ? fixed_fast(tmp, decimals, v) : -1;
    if (n < 0)
        return snprintf(buf, size, "%.*f", decimals, v); /* huge or not finite: rare */
    if (size > 0) {
        size_t c = (size_t)n < size ? (size_t)n : size - 1;
        memcpy(buf, tmp, c);
        buf[c] = 0;
    }
    return n;
}

int rt_format_g(char *buf, size_t n, int precision, double v)
{
    static const char *const fmt[] = {"%.0g", "%.1g", "%.2g", "%.3g", "%.4g", "%.5g",
                                      "%.6g", "%.7g", "%.8g", "%.9g", "%.10g", "%.11g",
                                      "%.12g", "%.13g", "%.14g", "%.15g", "%.16g", "%.17g"};
    if (precision < 0)
        precision = 0;
    if (precision > 17)
        precision = 17;
    if (n >= RT_NUMFMT_FAST && isfinite(v)) { /* no copy */
        int len = g_fast(buf, precision ? precision : 1, v);
        if (len >= 0)
            return len;
    }
    char tmp[RT_NUMFMT_FAST];
    int len = isfinite(v) && n > 0 ? g_fast(tmp, precision ? precision : 1, v) : -1;
    if (len < 0) /* out of the exact fast path's range, NaN, infinite */
        return strfromd(buf, n, fmt[precision], v);
    size_t c = (size_t)len < n ? (size_t)len : n - 1;
    memcpy(buf, tmp, c);
    buf[c] = 0;
    return len;
}

/* The value the text of g_digits' (q, x) at precision p reads back as,
 * computed as strtod does when it is exact in one operation: q < 2^53 and
 * 10^|k| exact (Clinger's fast path).  0 when that does not apply. */
static int reads_back(uint64_t q, int x, int p, double *r)
{
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int k = x - p + 1;
    if (q >= (1ULL << 53) || k < -22 || k > 22)
        return 0;
    *r = k >= 0 ? (double)q * p10[k] : (double)q / p10[-k];
    return 1;
}

void rt_format_shortest(char *buf, size_t n, double v, int as_float)
{
    for (int p = 1; p <= 17; p++) {
        uint64_t q;
        int x;
        double r;
        if (isfinite(v) && v != 0 && g_digits(v, p, &q, &x) == 0 && reads_back(q, x, p, &r)) {
            if (!as_float) {
                if (r == fabs(v)) {
                    rt_format_g(buf, n, p, v);
                    return;
                }
                continue;
            }
            /* strtof rounds the decimal once, to a float; r rounded it to
             * a double first.  The two agree unless r fell exactly on a
             * midpoint between two floats (or out of the normal range). */
            uint64_t bits;
            memcpy(&bits, &r, sizeof(bits));
            if (r >= FLT_MIN && r <= FLT_MAX && (bits & 0x1FFFFFFFULL) != 0x10000000ULL) {
                if ((float)r == (float)fabs(v)) {
                    rt_format_g(buf, n, p, v);
                    return;
                }
                continue;
            }
        }
        rt_format_g(buf, n, p, v); /* the slow way: format, read back */
        if (as_float ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            return;
    }
}

int rt_format_int(char *buf, size_t n, long long v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    int len = (int)(tmp + sizeof(tmp) - p);
    if (n > 0) {
        size_t c = (size_t)len < n ? (size_t)len : n - 1;
        memcpy(buf, p, c);
        buf[c] = 0;
    }
    return len;
}

/* Significant digits of a "%g" text: its mantissa's digits without the
 * leading and trailing zeros (0 for zero). */
static int significant_digits(const char *t)
{
    int first = -1, last = -1, k = 0;
    for (; *t && *t != 'e' && *t != 'E'; t++) {
        if (*t < '0' || *t > '9')
            continue;
        if (*t != '0') {
            if (first < 0)
                first = k;
            last = k;
        }
        k++;
    }
    return first < 0 ? 0 : last - first + 1;
}

void rt_format_double(char *buf, size_t n, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, n, "%s", isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
        return;
    }
    /* The text is "%.{p}g" for the least p in 12..17 that reads back as v.
     * When p <= 15, "%.15g" is that text's digits padded with zeros (v is
     * within half a unit of the 15th digit of them), so it reads back too:
     * one try tells p, from the digits it holds (at least 12), and saves the
     * tries at 12, 13 and 14 that the values of float models (16 or 17
     * digits) always failed.  (For a normal v: a subnormal has fewer bits.) */
    if (v != 0 && fabs(v) < DBL_MIN) { /* subnormal: fewer bits, the argument fails */
        for (int prec = 12; prec <= 17; prec++) {
            rt_format_g(buf, n, prec, v);
            if (strtod(buf, NULL) == v)
                return;
        }
        return;
    }
    rt_format_g(buf, n, 15, v);
    if (strtod(buf, NULL) == v) {
        int p = significant_digits(buf);
        if (p < 12)
            p = 12;
        if (p != 15)
            rt_format_g(buf, n, p, v);
        return;
    }
    rt_format_g(buf, n, 16, v);
    if (strtod(buf, NULL) == v)
        return;
    rt_format_g(buf, n, 17, v);
}

void rt_format_json_number(char *buf, size_t n, double v)
{
    if (!isfinite(v))
        snprintf(buf, n, "null");
    else
        rt_format_double(buf, n, v);
}
