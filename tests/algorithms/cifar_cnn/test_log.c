/*
 * test_log.c: the Keras end-of-epoch line of cifar-cnn
 * (algorithms/cifar_cnn/keras_log.c) byte for byte against tf.keras's
 * format, and the SageMaker notebook's metric_definitions (ALGORITHMS.md
 * B.7) run over it with Python's `re` (/usr/bin/python3, as a user checks
 * them) and as POSIX extended regexes (\d and \. spelt [0-9] and [.]),
 * each capturing the value printed.
 */
#define _GNU_SOURCE
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "support/support.h"
#include "cifar_cnn/cc.h"

/* The notebook's metric_definitions, as written there. */
static const char *const DEFS[][2] = {
    {"train:loss", ".*loss: ([0-9\\.]+) - accuracy: [0-9\\.]+.*"},
    {"train:accuracy", ".*loss: [0-9\\.]+ - accuracy: ([0-9\\.]+).*"},
    {"validation:accuracy",
     ".*step - loss: [0-9\\.]+ - accuracy: [0-9\\.]+ - val_loss: [0-9\\.]+ - val_accuracy: ([0-9\\.]+).*"},
    {"validation:loss",
     ".*step - loss: [0-9\\.]+ - accuracy: [0-9\\.]+ - val_loss: ([0-9\\.]+) - val_accuracy: [0-9\\.]+.*"},
    {"sec/steps",
     ".* - \\d+s (\\d+)[mu]s/step - loss: [0-9\\.]+ - accuracy: [0-9\\.]+ - val_loss: [0-9\\.]+ - val_accuracy: "
     "[0-9\\.]+"},
};

static char *line_of(const struct cc_epoch_line *e)
{
    char buf[512];
    size_t n = cc_keras_epoch_line(buf, sizeof(buf), e);
    ASSERT_EQ_INT((long long)n, (long long)strlen(buf));
    return strdup(buf);
}

TEST(cifar_keras_epoch_line_as_keras_prints_it)
{
    struct cc_epoch_line e = {312, 45, 1.2345, 0.5678, 1, 1.1111, 0.6012};
    char *l = line_of(&e);
    ASSERT_EQ_STR(l, "312/312 [==============================] - 45s 144ms/step - loss: 1.2345 - accuracy: 0.5678 - "
                     "val_loss: 1.1111 - val_accuracy: 0.6012");
    free(l);
    e = (struct cc_epoch_line){1000, 0.5, 0.25, 0.875, 0, 0, 0};
    l = line_of(&e);
    ASSERT_EQ_STR(l, "1000/1000 [==============================] - 0s 500us/step - loss: 0.2500 - accuracy: 0.8750");
    free(l);
    e = (struct cc_epoch_line){2, 7, 0.0001, 1, 1, 2.5, 0};
    l = line_of(&e);
    ASSERT_EQ_STR(l, "2/2 [==============================] - 7s 4s/step - loss: 1.0000e-04 - accuracy: 1.0000 - "
                     "val_loss: 2.5000 - val_accuracy: 0.0000e+00");
    free(l);
    /* cut, never overrun */
    char small[20];
    e = (struct cc_epoch_line){312, 45, 1.2345, 0.5678, 1, 1.1111, 0.6012};
    ASSERT_EQ_INT((long long)cc_keras_epoch_line(small, sizeof(small), &e), 19);
    ASSERT_EQ_STR(small, "312/312 [==========");
}

/* POSIX spelling of a Python regex: \d -> [0-9], \. -> [.] ([0-9\.] -> [0-9.]). */
static char *posix(const char *re)
{
    char *out = malloc(strlen(re) * 5 + 1), *o = out;
    for (const char *p = re; *p; p++) {
        if (p[0] == '\\' && p[1] == 'd') {
            o = stpcpy(o, "[0-9]");
            p++;
        } else if (p[0] == '\\' && p[1] == '.') {
            *o++ = '.';
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return out;
}

TEST(cifar_keras_epoch_line_matches_the_notebooks_metric_definitions)
{
    struct cc_epoch_line e = {312, 45, 1.2345, 0.5678, 1, 1.1111, 0.6012};
    char *l = line_of(&e);
    static const char *const want[] = {"1.2345", "0.5678", "0.6012", "1.1111", "144"};
    for (size_t i = 0; i < 5; i++) {
        regex_t rx;
        char *re = posix(DEFS[i][1]);
        ASSERT_EQ_INT(regcomp(&rx, re, REG_EXTENDED), 0);
        regmatch_t m[2];
        if (regexec(&rx, l, 2, m, 0) != 0)
            test_fail(__FILE__, __LINE__, "%s (%s) does not match '%s'", DEFS[i][0], re, l);
        char got[32];
        snprintf(got, sizeof(got), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), l + m[1].rm_so);
        ASSERT_EQ_STR(got, want[i]);
        regfree(&rx);
        free(re);
        /* the same with Python's re, on the regex as the notebook writes it */
        char *dir = tmpdir_new();
        write_file(dir, "re.txt", DEFS[i][1], strlen(DEFS[i][1]));
        write_file(dir, "line.txt", l, strlen(l));
        int status = 0;
        char *py = run_capture(strf("/usr/bin/python3 -c 'import re,sys; r=open(sys.argv[1]).read(); "
                                    "m=re.match(r, open(sys.argv[2]).read()); print(m.group(1) if m else \"NO\")' "
                                    "%s/re.txt %s/line.txt 2>&1", dir, dir), &status);
        ASSERT_EQ_INT(status, 0);
        ASSERT_EQ_STR(py, strf("%s\n", want[i]));
        free(py);
        free(dir);
    }
    free(l);
}
