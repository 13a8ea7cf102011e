/*
 * csv_floats.h: parsing one CSV line of numbers (label first when training,
 * features only when predicting) into floats, fast: a hand-written decimal
 * parser (no strtod on the common path, no locale), the result correctly
 * rounded to float (the same float strtof() returns in the C locale).
 *
 * Common path: up to 19 significant digits gathered in a uint64 (eight at a
 * time with SWAR on little-endian machines), then one double multiply or
 * divide by an exact power of ten; that is one rounding, and rounding the
 * double to float is then exact unless the double lands exactly on a
 * midpoint between two floats, which is checked.  Everything else (more
 * digits, |exp10| > 22, subnormal or out-of-range results, midpoints) goes
 * through strtof() on a bounded canonical copy ("<=200 digits>e<exp>",
 * no decimal point, so the locale does not matter).
 */
#ifndef OPTML_CODEC_CSV_FLOATS_H
#define OPTML_CODEC_CSV_FLOATS_H

#include <stddef.h>

/* Parse `line` (len bytes, no newline; one trailing '\r' is ignored) as
 * comma-separated numbers into out[0..cap).  Spaces and tabs around a field
 * are allowed; accepted forms: [+-]digits[.[digits]][(e|E)[+-]digits] and
 * [+-].digits[...]; "nan", "inf", hex and empty fields are refused, and so
 * is a finite number beyond the float range ("1e39"); numbers too small for
 * a float become subnormals or (signed) zero, as with strtof.  A blank line
 * (only spaces, tabs, '\r') has 0 fields.  Every field is checked even past
 * cap.  Returns the number of fields (which may exceed cap: then only cap
 * were stored), or -1 on a malformed field, with a message in err naming the
 * 1-based field and its text, cut to 40 characters, control bytes shown as
 * '?' ("field 3: 'abc' is not a number").  err may be NULL.
 * (Defined in csv_floats_wide.c: it picks the AVX-512 line path where the
 * CPU has it, else csv_parse_portable.) */
long csv_parse_floats(const char *line, size_t len, float *out, size_t cap, char *err, size_t errsz);

/* Count the fields of a line (commas + 1; 0 for a blank line, as above). */
size_t csv_count_fields(const char *line, size_t len);

/* csv_parse_floats by the portable path alone, whatever the CPU. */
long csv_parse_portable(const char *line, size_t len, float *out, size_t cap, char *err, size_t errsz);

/* Field number `field` (1-based), the bytes [fs, fe) between its commas,
 * by the portable path (blanks around it, every number form): 0 and *out,
 * or -1 with the message in err (its text read up to the next comma before
 * line_end). */
int csv_field(const char *fs, const char *fe, const char *line_end, size_t field, float *out, char *err,
              size_t errsz);

/* The end of the line's content (before one trailing '\r'), with *first
 * at its first byte after leading blanks; NULL when the line is blank. */
const char *csv_line_content(const char *line, size_t len, const char **first);

#endif
