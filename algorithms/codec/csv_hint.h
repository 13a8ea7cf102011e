/*
 * csv_hint.h: why a CSV line of numbers that did not parse most likely did
 * not, so that the error can name the fix: a header row, ';' or TAB
 * separators, JSON sent as CSV.  Called only on the error path.
 */
#ifndef OPTML_CODEC_CSV_HINT_H
#define OPTML_CODEC_CSV_HINT_H

#include <stddef.h>

enum csv_mistake {
    CSV_NO_GUESS,      /* nothing recognisable */
    CSV_HEADER,        /* no field is a number, most look like names */
    CSV_SEMICOLONS,    /* no commas, numbers separated by ';' */
    CSV_TABS,          /* no commas, numbers separated by TABs */
    CSV_JSON,          /* starts with '{' or '[' */
};

/* The likely mistake in `line` (len bytes, no newline).  CSV_HEADER only
 * when `first_line` (a header is the first line of a file or body). */
enum csv_mistake csv_guess_mistake(const char *line, size_t len, int first_line);

/* The fix for a mistake, as a clause to append to the parser's message
 * ("the first row looks like a header; remove it"); "" for CSV_NO_GUESS. */
const char *csv_mistake_hint(enum csv_mistake m);

#endif
