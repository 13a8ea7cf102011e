/*
 * test_numfmt.c: runtime/core/numfmt.c, the text of numbers in JSON responses
 * and metric lines: the shortest "%.{12..17}g" that reads back as the
 * value, checked against the plain search over every precision on random
 * doubles of every kind (any bits, floats widened, integers, decimals,
 * subnormals), and the non-finite forms.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "support/harness.h"
#include "core/numfmt.h"

/* The definition: the least precision from 12 to 17 that round-trips. */
static void by_search(char *buf, size_t n, double v)
{
    for (int prec = 12; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

TEST(numfmt_shortest_round_trip_text)
{
    uint64_t s = 12345;
    char want[64], got[64];
    long checked = 0;
    for (long i = 0; i < 200000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t r = s >> 1;
        double v;
        switch (i % 7) {
        case 0: memcpy(&v, &s, sizeof(v)); break;
        case 1: {
            uint32_t u = (uint32_t)(s >> 32);
            float f;
            memcpy(&f, &u, sizeof(f));
            v = f;
            break;
        }
        case 2: v = (double)(int64_t)(r % 2000000001) - 1e9; break;
        case 3: v = (double)(r % 100000) * pow(10.0, (double)((int)(r >> 40) % 40 - 20)); break;
        case 4: v = (double)(r % 1000000) / 1000.0 - 500.0; break;
        case 5: v = (double)(r % 100000) * DBL_MIN * 1e-5; break; /* subnormal */
        default: v = (float)((double)(r % 10000000) / 9973.0 - 300.0); break;
        }
        if (!isfinite(v))
            continue;
        by_search(want, sizeof(want), v);
        rt_format_double(got, sizeof(got), v);
        if (strcmp(want, got) != 0)
            test_fail(__FILE__, __LINE__, "%a: '%s', want '%s'", v, got, want);
        checked++;
    }
    ASSERT(checked > 150000);
    rt_format_double(got, sizeof(got), 1e13);
    ASSERT_EQ_STR(got, "1e+13");
    rt_format_double(got, sizeof(got), (double)-0.12908798f);
    ASSERT_EQ_STR(got, "-0.12908798456192017");
    rt_format_double(got, sizeof(got), 0.0);
    ASSERT_EQ_STR(got, "0");
    rt_format_double(got, sizeof(got), NAN);
    ASSERT_EQ_STR(got, "nan");
    rt_format_json_number(got, sizeof(got), -INFINITY);
    ASSERT_EQ_STR(got, "null");
}

/* rt_format_g is "%.*g" for every precision it takes, clamped outside. */
TEST(numfmt_format_g_is_printf_g)
{
    uint64_t s = 777;
    char want[64], got[64];
    for (long i = 0; i < 20000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double v;
        memcpy(&v, &s, sizeof(v));
        if (i % 3 == 0)
            v = (double)(int64_t)(s >> 20) / 1024.0;
        int p = (int)(i % 18);
        snprintf(want, sizeof(want), "%.*g", p, v);
        rt_format_g(got, sizeof(got), p, v);
        if (strcmp(want, got) != 0)
            test_fail(__FILE__, __LINE__, "%a at precision %d: '%s', want '%s'", v, p, got, want);
    }
    rt_format_g(got, sizeof(got), 40, 0.1);
    ASSERT_EQ_STR(got, "0.10000000000000001");
    rt_format_g(got, sizeof(got), -3, 2.5);
    ASSERT_EQ_STR(got, "2");
}
