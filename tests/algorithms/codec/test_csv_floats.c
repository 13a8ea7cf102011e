/*
 * test_csv_floats.c: algorithms/codec/csv_floats.c: every accepted form,
 * the result bit for bit equal to strtof() (C locale) on many random and
 * hand-picked values (printf forms, long mantissas, large exponents,
 * subnormals, exact float midpoints and their neighbours), each value alone
 * and at every distance from the line end (the SWAR and byte paths), and
 * the refusals: malformed fields with their 1-based number and text, values
 * beyond the float range, blanks, '\r', and a cap below the field count.
 * On a CPU with AVX-512 these go through csv_floats_wide.c; the last tests hold
 * that path to the portable one on random lines of every shape.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "support/harness.h"
#include "codec/csv_floats.h"
#include "codec/csv_floats_wide.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static double rnd_unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return u;
}

static long parse(const char *s, float *out, size_t cap, char *err, size_t errsz)
{
    return csv_parse_floats(s, strlen(s), out, cap, err, errsz);
}

/* `text` as a one-field line, then as the middle and last fields of longer
 * lines, must give exactly strtof(text) (or the range error when strtof
 * overflows). */
static void check_value(const char *text)
{
    errno = 0;
    char *end;
    float want = strtof(text, &end);
    if (*end)
        test_fail(__FILE__, __LINE__, "test bug: strtof stops early on '%s'", text);
    char err[160], line[2100];
    float got[4] = { 0 };
    long n = parse(text, got, 1, err, sizeof(err));
    if (isinf(want)) {
        if (n != -1 || !strstr(err, "out of range"))
            test_fail(__FILE__, __LINE__, "'%s': expected a range error, got %ld (%s)", text, n, err);
        return;
    }
    if (n != 1 || bits(got[0]) != bits(want))
        test_fail(__FILE__, __LINE__, "'%s': got %ld, %a (%.9g), want %a (%.9g) [%s]",
                  text, n, (double)got[0], (double)got[0], (double)want, (double)want, err);
    if (strlen(text) > 1000)
        return;
    snprintf(line, sizeof(line), "%s,%s,1234567890.12345678", text, text);
    n = parse(line, got, 4, err, sizeof(err));
    if (n != 3 || bits(got[0]) != bits(want) || bits(got[1]) != bits(want) || got[2] != 1234567890.12345678f)
        test_fail(__FILE__, __LINE__, "'%s' in a line: got %ld, %a %a, want %a [%s]",
                  line, n, (double)got[0], (double)got[1], (double)want, err);
}

/* Also at every distance 0..9 from the end of the line. */
static void check_value_tails(const char *text)
{
    check_value(text);
    char line[1200], err[160];
    float want = strtof(text, NULL);
    if (isinf(want) || strlen(text) > 1000)
        return;
    for (int k = 0; k <= 9; k++) {
        snprintf(line, sizeof(line), " %s ,%.*s", text, k, "123456789");
        float got[2];
        long n = parse(line, got, 2, err, sizeof(err));
        if (k == 0) {
            if (n != -1)
                test_fail(__FILE__, __LINE__, "'%s': trailing comma accepted", line);
            continue;
        }
        if (n != 2 || bits(got[0]) != bits(want))
            test_fail(__FILE__, __LINE__, "'%s': got %ld, %a, want %a [%s]", line, n,
                      (double)got[0], (double)want, err);
    }
}

TEST(csv_basic_row)
{
    float v[8];
    char err[128];
    ASSERT_EQ_INT(parse("1.5,16.0,14,23.0", v, 8, err, sizeof(err)), 4);
    ASSERT(v[0] == 1.5f && v[1] == 16.0f && v[2] == 14.0f && v[3] == 23.0f);
    ASSERT_EQ_STR(err, "");
    ASSERT_EQ_INT(parse("0.000001,-123456.654321,99999999.999999", v, 8, err, sizeof(err)), 3);
    ASSERT(v[0] == 0.000001f && v[1] == -123456.654321f && v[2] == 99999999.999999f);
}

TEST(csv_forms)
{
    static const char *const forms[] = {
        "1e-45", "-0", "+3.", ".5", "5.", "1E+10", "-.25", "+.5e1", "0", "00000", "0.0",
        "-0.0e5", "0e999999999", "1e-46", "7e-46", "8e-46", "3.4028235e38", "3.40282346e38",
        "3.4028235677973366e38", "1.17549435e-38", "1.1754942e-38", "1.4e-45", "9007199254740993",
        "9007199254740992e-10", "1e22", "1e23", "1e37", "1e38", "1e-22", "1e-23", "1e-38",
        "123456789012345678", "1234567890123456789", "12345678901234567890",
        "0.1000000000000000000000000000001", "123456789012345678901234567890",
        "16777217", "16777216.5", "16777217.000000001", "33554435", "0.1", "0.2", "0.3",
        "1E0", "1e+0", "1e-0", "000000000000000000000000000001.5", "2.5e-1",
        "1.000000000000000000000000000000000000000000000000001",
        "4.9406564584124654e-324", "1e-99999999999", "-1e-99999999999",
        "99999999999999999999999999999999999999", "340282356779733661637539395458142568448",
        "340282356779733661637539395458142568447", "340282356779733661637539395458142568449",
        "1e39", "-1e39", "3.5e38", "1e999999999999999", "-3.4028236e38",
        "000.00000000000000009999999999999999999999999999999999999999999999999999999999999999000000090000001e-3",
        "0000000000000000000000000000000000000000000000000000000001234567890123456789012345",
        "0.0000000000000000000000000000000000001", "00000000.00000000000000000000000000000000000001e30",
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        check_value_tails(forms[i]);
    float v;
    ASSERT_EQ_INT(parse("-0", &v, 1, NULL, 0), 1);
    ASSERT(v == 0 && signbit(v));
    ASSERT_EQ_INT(parse("1e-45", &v, 1, NULL, 0), 1);
    ASSERT(v > 0 && v < FLT_MIN);
    ASSERT_EQ_INT(parse("1e-50", &v, 1, NULL, 0), 1);
    ASSERT(v == 0);
}

/* printf forms of random doubles: "%.6f" (the training data), "%.*e" and
 * "%.*g" over the whole float range and beyond. */
TEST(csv_random_printf_values)
{
    char text[128];
    for (int i = 0; i < 60000; i++) {
        double mag = pow(10.0, rnd_unit() * 16 - 8);
        double x = (rnd() & 1) ? -mag * rnd_unit() : mag * rnd_unit();
        snprintf(text, sizeof(text), "%.6f", x);
        check_value(text);
        double y = (rnd_unit() + 0.1) * pow(10.0, (double)(int)(rnd() % 100) - 55);
        snprintf(text, sizeof(text), "%.*e", (int)(rnd() % 21), y);
        check_value(text);
        snprintf(text, sizeof(text), "%.*g", (int)(rnd() % 19) + 1, (rnd() & 1) ? -y : y);
        check_value(text);
    }
}

/* Exact midpoints between two adjacent floats (normal and subnormal), with
 * their neighbours: the double-rounding trap and the slow path. */
TEST(csv_midpoints_and_subnormals)
{
    char text[400], near[420];
    for (int i = 0; i < 20000; i++) {
        uint32_t u = (uint32_t)rnd() & 0x7F7FFFFEu;
        if (i % 4 == 0)
            u &= 0x007FFFFFu;                            /* subnormal */
        float f, g;
        memcpy(&f, &u, sizeof(f));
        g = nextafterf(f, INFINITY);
        double mid = ((double)f + (double)g) / 2;         /* exact */
        static const int precs[] = { 8, 9, 12, 15, 16, 17, 18, 20, 30, 60, 120 };
        int prec = precs[rnd() % (sizeof(precs) / sizeof(precs[0]))];
        snprintf(text, sizeof(text), "%.*e", prec, mid);
        check_value(text);
        /* Just above and below: extra digits before the exponent. */
        char *e = strchr(text, 'e');
        snprintf(near, sizeof(near), "%.*s0000000000000000000000001%s", (int)(e - text), text, e);
        check_value(near);
        snprintf(text, sizeof(text), "%.*e", prec, nextafter(mid, 0));
        check_value(text);
        snprintf(text, sizeof(text), "%.9e", (double)f);
        check_value(text);
    }
}

/* The edges of the fast path (csv_floats.c parse_fast): 16-character fields
 * (8 + 7 digits around the point, with and without a sign), 8 digits on
 * each side, exact values that fall on a midpoint between two floats
 * (ties to even, through the general path), and one byte longer than the
 * fast path takes. */
TEST(csv_fast_path_edges)
{
    static const char *const texts[] = {
        "12345678.1234567", "-2345678.1234567", "+2345678.1234567", "99999999.9999999",
        "12345678.12345678", "1.23456789", "00000000.00000001", "16777217.0", "-16777217.0",
        "16777219.00", "33554435.0", "1.5", "0.00000000", "-0.0000000", "99999999.",
        "123456789.1", "8388608.50", "8388609.5",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        check_value(texts[i]);
}

/* Random digit strings: leading zeros, long mantissas, any point, any
 * exponent, at every distance from the line end. */
TEST(csv_random_digit_strings)
{
    char text[200];
    for (int i = 0; i < 40000; i++) {
        size_t k = 0;
        unsigned r = (unsigned)rnd();
        if (r % 3 == 0)
            text[k++] = '-';
        else if (r % 3 == 1 && (r & 8))
            text[k++] = '+';
        int nint = (int)(rnd() % 26), nfrac = (int)(rnd() % 26);
        int zeros = (int)(rnd() % 4) == 0 ? (int)(rnd() % 12) : 0;
        for (int j = 0; j < nint; j++)
            text[k++] = (char)('0' + (j < zeros ? 0 : rnd() % 10));
        int point = nfrac > 0 || (rnd() & 1);
        if (!nint && !nfrac)
            text[k++] = '7';
        if (point) {
            text[k++] = '.';
            for (int j = 0; j < nfrac; j++)
                text[k++] = (char)('0' + rnd() % 10);
        }
        if (rnd() & 1)
            k += (size_t)snprintf(text + k, sizeof(text) - k, "%c%d", (rnd() & 1) ? 'e' : 'E',
                                  (int)(rnd() % 110) - 60);
        text[k] = 0;
        check_value_tails(text);
    }
}

TEST(csv_very_long_mantissas)
{
    static char text[9000];
    /* 0.000...0001e+N with thousands of zeros. */
    int k = snprintf(text, sizeof(text), "0.");
    for (int i = 0; i < 4000; i++)
        text[k++] = '0';
    snprintf(text + k, sizeof(text) - (size_t)k, "15e4000");
    check_value(text);
    /* 3000 significant digits: the sticky digit decides past 200. */
    k = snprintf(text, sizeof(text), "1.");
    for (int i = 0; i < 3000; i++)
        text[k++] = (char)('0' + (i == 2990 ? 1 : 0));
    text[k] = 0;
    check_value(text);
    /* The exact midpoint 1 + 2^-24 (ties to even: 1), then a digit past it. */
    float f;
    snprintf(text, sizeof(text), "%.60f", 1.0 + ldexp(1.0, -24));
    ASSERT_EQ_INT(parse(text, &f, 1, NULL, 0), 1);
    ASSERT(f == 1.0f);
    k = (int)strlen(text);
    for (int i = 0; i < 500; i++)
        text[k++] = '0';
    text[k++] = '1';
    text[k] = 0;
    check_value(text);
    ASSERT_EQ_INT(parse(text, &f, 1, NULL, 0), 1);
    ASSERT(f == nextafterf(1.0f, 2.0f));
}

static void expect_bad(const char *line, const char *msg)
{
    char err[160];
    float v[8];
    long n = parse(line, v, 8, err, sizeof(err));
    if (n != -1)
        test_fail(__FILE__, __LINE__, "'%s' accepted (%ld)", line, n);
    if (strcmp(err, msg) != 0)
        test_fail(__FILE__, __LINE__, "'%s': message \"%s\", expected \"%s\"", line, err, msg);
}

TEST(csv_malformed_fields)
{
    expect_bad("1..2", "field 1: '1..2' is not a number");
    expect_bad("1e", "field 1: '1e' is not a number");
    expect_bad("1e+", "field 1: '1e+' is not a number");
    expect_bad("abc", "field 1: 'abc' is not a number");
    expect_bad("nan", "field 1: 'nan' is not a number");
    expect_bad("1,inf", "field 2: 'inf' is not a number");
    expect_bad("1,-Infinity", "field 2: '-Infinity' is not a number");
    expect_bad("1,,2", "field 2: '' is not a number");
    expect_bad("1,2,", "field 3: '' is not a number");
    expect_bad(",1", "field 1: '' is not a number");
    expect_bad("1, ,2", "field 2: '' is not a number");
    expect_bad("-", "field 1: '-' is not a number");
    expect_bad("+", "field 1: '+' is not a number");
    expect_bad(".", "field 1: '.' is not a number");
    expect_bad("-.e5", "field 1: '-.e5' is not a number");
    expect_bad("e5", "field 1: 'e5' is not a number");
    expect_bad("+-1", "field 1: '+-1' is not a number");
    expect_bad("--1", "field 1: '--1' is not a number");
    expect_bad("1 2", "field 1: '1 2' is not a number");
    expect_bad("0x10", "field 1: '0x10' is not a number");
    expect_bad("1e5.5", "field 1: '1e5.5' is not a number");
    expect_bad("1.5f", "field 1: '1.5f' is not a number");
    expect_bad("1;2", "field 1: '1;2' is not a number");
    expect_bad("1,2,3,4,5,6,7,8,9,x", "field 10: 'x' is not a number");
    expect_bad("1,\"2\"", "field 2: '\"2\"' is not a number");
    expect_bad("1,2\r\r", "field 2: '2?' is not a number");
    expect_bad("1,\xc3\xa9", "field 2: '?\?' is not a number");
    expect_bad("1e39", "field 1: '1e39' is out of range for a float");
    expect_bad("0,-3.5e38", "field 2: '-3.5e38' is out of range for a float");
    expect_bad("1,  12345678901234567890123456789012345678901234567890x  ,3",
               "field 2: '1234567890123456789012345678901234567890...' is not a number");
    /* Refused past cap too; NULL err is fine. */
    float v;
    ASSERT_EQ_INT(csv_parse_floats("1,2,zz", 6, &v, 1, NULL, 0), -1);
    char err[8];
    ASSERT_EQ_INT(csv_parse_floats("1,zzzzzzzzzzzz", 14, &v, 1, err, sizeof(err)), -1);
    ASSERT_EQ_STR(err, "field 2");
}

TEST(csv_whitespace_and_cr)
{
    float v[4];
    char err[128];
    ASSERT_EQ_INT(parse("  1 ,\t2\t, 3 \r", v, 4, err, sizeof(err)), 3);
    ASSERT(v[0] == 1 && v[1] == 2 && v[2] == 3);
    ASSERT_EQ_INT(parse("1,2\r", v, 4, err, sizeof(err)), 2);
    ASSERT_EQ_INT(parse("", v, 4, err, sizeof(err)), 0);
    ASSERT_EQ_INT(parse("\r", v, 4, err, sizeof(err)), 0);
    ASSERT_EQ_INT(parse(" \t \r", v, 4, err, sizeof(err)), 0);
    ASSERT_EQ_INT(csv_parse_floats(NULL, 0, v, 4, err, sizeof(err)), 0);
    /* The length bounds the line: bytes past it are not read. */
    ASSERT_EQ_INT(csv_parse_floats("12,34", 4, v, 4, err, sizeof(err)), 2);
    ASSERT(v[0] == 12 && v[1] == 3);
    ASSERT_EQ_INT(csv_parse_floats("1.25e3xx", 6, v, 4, err, sizeof(err)), 1);
    ASSERT(v[0] == 1250);
}

TEST(csv_cap_below_field_count)
{
    float v[4] = { -7, -7, -7, -7 };
    char err[128];
    ASSERT_EQ_INT(parse("1,2,3,4,5", v, 2, err, sizeof(err)), 5);
    ASSERT(v[0] == 1 && v[1] == 2 && v[2] == -7 && v[3] == -7);
    ASSERT_EQ_INT(parse("1,2,3", NULL, 0, err, sizeof(err)), 3);
    ASSERT_EQ_INT(parse("1,2,3,x", v, 2, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "field 4");
}

TEST(csv_count_fields)
{
    ASSERT_EQ_INT(csv_count_fields("", 0), 0);
    ASSERT_EQ_INT(csv_count_fields("\r", 1), 0);
    ASSERT_EQ_INT(csv_count_fields("  \t", 3), 0);
    ASSERT_EQ_INT(csv_count_fields(NULL, 0), 0);
    ASSERT_EQ_INT(csv_count_fields("1", 1), 1);
    ASSERT_EQ_INT(csv_count_fields("1,2", 3), 2);
    ASSERT_EQ_INT(csv_count_fields("1,,", 3), 3);
    ASSERT_EQ_INT(csv_count_fields(",", 1), 2);
    ASSERT_EQ_INT(csv_count_fields("1,2,3\r", 6), 3);
    ASSERT_EQ_INT(csv_count_fields("1,2,3,4", 5), 3);
}

/* A realistic training row, as written by numpy savetxt(fmt="%.6f"). */
TEST(csv_wide_row)
{
    char line[8192];
    float want[300], got[300];
    size_t k = 0;
    for (int i = 0; i < 300; i++) {
        double x = (rnd_unit() - 0.5) * pow(10.0, (double)(rnd() % 9) - 3);
        k += (size_t)snprintf(line + k, sizeof(line) - k, "%s%.6f", i ? "," : "", x);
        char one[64];
        snprintf(one, sizeof(one), "%.6f", x);
        want[i] = strtof(one, NULL);
    }
    char err[128];
    ASSERT_EQ_INT(csv_parse_floats(line, k, got, 300, err, sizeof(err)), 300);
    ASSERT_EQ_INT(csv_count_fields(line, k), 300);
    for (int i = 0; i < 300; i++)
        ASSERT_EQ_INT(bits(got[i]), bits(want[i]));
}

/* Whole rows of mixed forms and widths (every path: fast, merged and split
 * digit conversion, the copied line end, the general path), each field
 * checked against strtof. */
TEST(csv_random_rows)
{
    static char line[16384];
    static char texts[64][64];
    float got[64];
    char err[160];
    for (int row = 0; row < 5000; row++) {
        int nf = 1 + (int)(rnd() % 60);
        size_t k = 0;
        for (int i = 0; i < nf; i++) {
            double x = (rnd_unit() - 0.3) * pow(10.0, (double)(rnd() % 19) - 9);
            char *t = texts[i];
            switch (rnd() % 8) {
            case 0: snprintf(t, 64, "%d", (int)(rnd() % 2000000) - 1000000); break;
            case 1: snprintf(t, 64, "%.*f", (int)(rnd() % 10), x); break;
            case 2: snprintf(t, 64, "%.*e", (int)(rnd() % 10), x); break;
            case 3: snprintf(t, 64, "%.*g", 1 + (int)(rnd() % 17), x); break;
            case 4: snprintf(t, 64, "%+.3f", x); break;
            default: snprintf(t, 64, "%.6f", x); break;
            }
            const char *pre = (rnd() % 16) == 0 ? " " : "", *post = (rnd() % 16) == 0 ? "\t" : "";
            k += (size_t)snprintf(line + k, sizeof(line) - k, "%s%s%s%s", i ? "," : "", pre, t, post);
        }
        long n = csv_parse_floats(line, k, got, 64, err, sizeof(err));
        if (n != nf)
            test_fail(__FILE__, __LINE__, "row '%s': %ld fields, expected %d [%s]", line, n, nf, err);
        for (int i = 0; i < nf; i++) {
            float want = strtof(texts[i], NULL);
            if (bits(got[i]) != bits(want))
                test_fail(__FILE__, __LINE__, "row %d field %d '%s': %a, want %a", row, i + 1,
                          texts[i], (double)got[i], (double)want);
        }
    }
}

/* One random field for the wide-path comparison: mostly the shapes the
 * wide path takes (1..15 bytes, a sign, a point anywhere), and every shape
 * it hands on (16+ bytes, '+', blanks, exponents, empty, junk). */
static size_t wide_field(char *t, int allow_bad)
{
    size_t k = 0;
    unsigned shape = (unsigned)(rnd() % 12);
    if (!allow_bad && (shape == 3 || shape == 4))
        shape = 5;
    switch (shape) {
    case 0: return (size_t)sprintf(t, "%+.3f", (rnd_unit() - 0.5) * 100);
    case 1: return (size_t)sprintf(t, " %.4g\t", (rnd_unit() - 0.5) * 1e6);
    case 2: return (size_t)sprintf(t, "%.3e", (rnd_unit() - 0.5) * 1e-3);
    case 3: return 0;
    case 4: return (size_t)sprintf(t, "%s", (const char *[]){"-", ".", "-.", "1.2.3", "--1", "1-2", "x", ".5", "-.25", "5."}[rnd() % 10]);
    default: break;
    }
    if (rnd() % 2)
        t[k++] = '-';
    size_t nd = 1 + rnd() % 17, dot = rnd() % 3 ? rnd() % (nd + 1) : nd + 1;
    for (size_t i = 0; i < nd; i++) {
        if (i == dot)
            t[k++] = '.';
        t[k++] = (char)('0' + (rnd() % 4 == 0 ? 0 : rnd() % 10));
    }
    if (dot == nd)
        t[k++] = '.';
    return k;
}

/* The wide path (when this CPU has it) against the portable one: count,
 * message and bits (and nothing stored past the cap or the fields), for lines of 1 to ~300 fields and lines around its
 * length limit, with caps below and above the field count. */
TEST(csv_wide_path_matches_portable)
{
    static char line[CSV_WIDE_MAX + 200];
    static float a[2100], b[2100];
    char ea[160], eb[160], t[64];
    int wide = csv_wide_available(), ok = 0;
    for (int row = 0; row < 20000; row++) {
        size_t k = 0, target = row % 50 == 0 ? CSV_WIDE_MAX - 40 + rnd() % 80 : 1 + rnd() % 600;
        while (k < target) {
            size_t n = wide_field(t, row % 4 == 0);
            if (k + n + 1 >= sizeof(line))
                break;
            if (k)
                line[k++] = ',';
            memcpy(line + k, t, n);
            k += n;
        }
        if (rnd() % 10 == 0 && k + 1 < sizeof(line))
            line[k++] = '\r';
        size_t cap = rnd() % 3 == 0 ? rnd() % 8 : 2100;
        memset(a, 0x55, sizeof(a));
        memset(b, 0x55, sizeof(b));
        long na = csv_parse_floats(line, k, a, cap, ea, sizeof(ea));
        long nb = csv_parse_portable(line, k, b, cap, eb, sizeof(eb));
        /* After an error the values stored are unspecified. */
        if (na != nb || strcmp(ea, eb) != 0 || (na > 0 && memcmp(a, b, sizeof(a)) != 0))
            test_fail(__FILE__, __LINE__, "row %d (%zu bytes, cap %zu, wide %d): %ld '%s' vs portable %ld '%s': '%.*s'",
                      row, k, cap, wide, na, ea, nb, eb, (int)(k > 300 ? 300 : k), line);
        ok += na > 0;
    }
    ASSERT(ok > 10000); /* most rows parse: the values were compared */
}

/* Straight into the wide path: a well-formed row, a row whose fields it
 * all hands on, and the error of a later field (its number and text). */
TEST(csv_wide_path_direct)
{
    if (!csv_wide_available())
        return;
    float v[8];
    char err[160];
    const char *row = "-0.5,1.25,-3,0.007356334,12345678.1234567";
    ASSERT_EQ_INT(csv_parse_wide(row, strlen(row), v, 8, err, sizeof(err)), 5);
    ASSERT_EQ_INT(bits(v[0]), bits(-0.5f));
    ASSERT_EQ_INT(bits(v[2]), bits(-3.0f));
    ASSERT_EQ_INT(bits(v[3]), bits(strtof("0.007356334", NULL)));
    ASSERT_EQ_INT(bits(v[4]), bits(strtof("12345678.1234567", NULL)));
    const char *slow = "1e3, 7 ,+2,-.5,123456789012345678";
    ASSERT_EQ_INT(csv_parse_wide(slow, strlen(slow), v, 8, err, sizeof(err)), 5);
    ASSERT_EQ_INT(bits(v[0]), bits(1000.0f));
    ASSERT_EQ_INT(bits(v[1]), bits(7.0f));
    ASSERT_EQ_INT(bits(v[3]), bits(-0.5f));
    const char *bad = "1,2,3,4,5,6,1.2.3,8";
    ASSERT_EQ_INT(csv_parse_wide(bad, strlen(bad), v, 8, err, sizeof(err)), -1);
    ASSERT_EQ_STR(err, "field 7: '1.2.3' is not a number");
}
