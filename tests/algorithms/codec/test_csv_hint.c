/*
 * test_csv_hint.c: guessing the mistake behind a CSV line of numbers that
 * did not parse (algorithms/codec/csv_hint.c).
 */
#include <string.h>

#include "support/harness.h"
#include "codec/csv_hint.h"

static enum csv_mistake guess(const char *line, int first)
{
    return csv_guess_mistake(line, strlen(line), first);
}

TEST(csv_hint_header_row)
{
    ASSERT_EQ_INT(guess("label,radius,texture", 1), CSV_HEADER);
    ASSERT_EQ_INT(guess("\"label\", \"mean radius\",\"x_1\"\r", 1), CSV_HEADER);
    ASSERT_EQ_INT(guess(",a,b,c", 1), CSV_HEADER);              /* pandas' index column */
    ASSERT_EQ_INT(guess("y,0,1,2", 1), CSV_NO_GUESS);           /* numbers: a data row with a bad field */
    ASSERT_EQ_INT(guess("label,radius,texture", 0), CSV_NO_GUESS); /* only the first line is a header */
    ASSERT_EQ_INT(guess("1,abc,3", 1), CSV_NO_GUESS);
    ASSERT_EQ_INT(guess("#,%,$", 1), CSV_NO_GUESS);
    ASSERT_CONTAINS(csv_mistake_hint(CSV_HEADER), "the first row looks like a header; remove it");
}

TEST(csv_hint_separators_and_json)
{
    ASSERT_EQ_INT(guess("1;2.5;-3e2", 0), CSV_SEMICOLONS);
    ASSERT_EQ_INT(guess("1; 2 ;3\r", 1), CSV_SEMICOLONS);
    ASSERT_EQ_INT(guess("1\t2.5\t3", 0), CSV_TABS);
    ASSERT_EQ_INT(guess("1 \t 2", 0), CSV_TABS);
    ASSERT_EQ_INT(guess("1;x;3", 0), CSV_NO_GUESS);
    ASSERT_EQ_INT(guess("1,2;3", 0), CSV_NO_GUESS);             /* has commas: not a separator mistake */
    ASSERT_EQ_INT(guess("1;", 0), CSV_NO_GUESS);
    ASSERT_EQ_INT(guess("{\"features\": [1, 2]}", 0), CSV_JSON);
    ASSERT_EQ_INT(guess("  [1, 2]", 1), CSV_JSON);
    ASSERT_EQ_INT(guess("", 1), CSV_NO_GUESS);
    ASSERT_EQ_INT(guess(" \t\r", 1), CSV_NO_GUESS);
    ASSERT_CONTAINS(csv_mistake_hint(CSV_SEMICOLONS), "separated by ';', not commas");
    ASSERT_CONTAINS(csv_mistake_hint(CSV_TABS), "separated by TABs, not commas");
    ASSERT_EQ_STR(csv_mistake_hint(CSV_NO_GUESS), "");
}
