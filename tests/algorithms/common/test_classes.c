/*
 * test_classes.c: the classes present in training data, from per-class
 * counts (algorithms/common/classes.c).
 */
#include <stdint.h>
#include <string.h>

#include "support/harness.h"
#include "common/classes.h"

TEST(class_presence_counts_and_lists_the_missing_classes)
{
    char buf[200];
    struct class_presence p = class_presence((const uint64_t[]){5, 0, 2, 0, 1}, 5, buf, sizeof(buf));
    ASSERT_EQ_INT((long long)p.present, 3);
    ASSERT_EQ_INT((long long)p.last, 4);
    ASSERT_EQ_INT((long long)p.missing, 2);
    ASSERT_EQ_STR(buf, "1, 3");
    p = class_presence((const uint64_t[]){0, 0, 7}, 3, buf, sizeof(buf));
    ASSERT_EQ_INT((long long)p.present, 1);
    ASSERT_EQ_INT((long long)p.last, 2);
    ASSERT_EQ_STR(buf, "0, 1");
    p = class_presence((const uint64_t[]){1, 1}, 2, buf, sizeof(buf));
    ASSERT_EQ_INT((long long)p.missing, 0);
    ASSERT_EQ_STR(buf, "");
}

TEST(class_presence_cuts_a_long_list_with_dots)
{
    static uint64_t count[1000];
    count[999] = 1;
    char buf[40];
    struct class_presence p = class_presence(count, 1000, buf, sizeof(buf));
    ASSERT_EQ_INT((long long)p.present, 1);
    ASSERT_EQ_INT((long long)p.missing, 999);
    ASSERT(strlen(buf) < sizeof(buf));
    ASSERT_EQ_INT(strncmp(buf, "0, 1, 2, ", 9), 0);
    ASSERT(strstr(buf, ", ...") != NULL);
    /* no room at all: nothing written, counts still right */
    p = class_presence(count, 1000, buf, 0);
    ASSERT_EQ_INT((long long)p.missing, 999);
}
