/*
 * harness.h: the test registry and assertions.
 *
 * A test is `TEST(name) { ... }` in any file under tests/runtime,
 * tests/algorithms or tests/integration; it registers itself at load time, so there is no list to
 * edit.  tests/support/runner.c runs each test in its own child process with a
 * timeout, prints one line per test and closes with "N passed, N failed";
 * the exit status is nonzero when any test failed.  An assertion that fails
 * prints file:line and the expression and ends the test (the child) at once.
 */
#ifndef OPTML_TEST_HARNESS_H
#define OPTML_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, const char *file, test_fn fn, int timeout_s);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define TEST_TIMEOUT(name, seconds)                                            \
    static void test_##name(void);                                             \
    __attribute__((constructor)) static void test_register_##name(void) {      \
        test_register(#name, __FILE__, test_##name, seconds);                  \
    }                                                                          \
    static void test_##name(void)
#define TEST(name) TEST_TIMEOUT(name, 60)

#define ASSERT(cond)                                                           \
    do { if (!(cond)) test_fail(__FILE__, __LINE__, "assertion failed: %s", #cond); } while (0)
#define ASSERT_EQ_INT(a, b)                                                    \
    do { long long a_ = (long long)(a), b_ = (long long)(b);                   \
         if (a_ != b_) test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_); } while (0)
#define ASSERT_EQ_STR(a, b)                                                    \
    do { const char *a_ = (a), *b_ = (b);                                      \
         if (!a_ || !b_ || strcmp(a_, b_) != 0)                                \
             test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
#define ASSERT_CONTAINS(hay, needle)                                           \
    do { const char *h_ = (hay), *n_ = (needle);                               \
         if (!h_ || !strstr(h_, n_))                                           \
             test_fail(__FILE__, __LINE__, "%s does not contain \"%s\": \"%s\"", #hay, n_, h_ ? h_ : "(null)"); } while (0)
#define ASSERT_NEAR(a, b, tol)                                                 \
    do { double a_ = (a), b_ = (b);                                            \
         if (!(a_ - b_ <= (tol) && b_ - a_ <= (tol)))                          \
             test_fail(__FILE__, __LINE__, "%s ~= %s: %.17g vs %.17g", #a, #b, a_, b_); } while (0)

#endif
