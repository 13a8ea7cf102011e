/*
 * csv_wide.h: the AVX-512 line path of the CSV number parser (csv_wide.c),
 * which csv_rows.c uses for lines up to LL_CSV_WIDE_MAX bytes when the CPU
 * has AVX-512 F/BW/DQ/VL; and the portable path's one-field parser that it
 * hands the fields it does not take to.  Internal to the module.
 */
#ifndef OPTML_LL_CSV_WIDE_H
#define OPTML_LL_CSV_WIDE_H

#include <stddef.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define LL_CSV_WIDE 1
#else
#define LL_CSV_WIDE 0
/* csv_rows.c: ll_csv_parse_floats without the wide path, whatever the
 * CPU (tests and fuzzing compare the two). */
long ll_csv_parse_portable(const char *line, size_t len, float *out, size_t cap, char *err, size_t errsz);

#endif

/* Longest line (after csv_rows.c drops blanks in front and a '\r') the
 * wide path takes. */
#define LL_CSV_WIDE_MAX 4096

/* 1 when this CPU can run ll_csv_parse_wide. */
int ll_csv_wide_available(void);

/* ll_csv_parse_floats for a line of 1..LL_CSV_WIDE_MAX bytes that does not
 * start with a blank or end with '\r' (csv_rows.c strips them): the same
 * count, values, bits and messages. */
long ll_csv_parse_wide(const char *line, size_t n, float *out, size_t cap, char *err, size_t errsz);

/* csv_rows.c: field number `field` (1-based), the bytes [fs, fe) between
 * its commas, by the portable path (blanks around it, every number form):
 * 0 and *out, or -1 with the message in err (its text read up to the
 * next comma before line_end). */
int ll_csv_field(const char *fs, const char *fe, const char *line_end, size_t field, float *out, char *err,
                 size_t errsz);

/* csv_rows.c: ll_csv_parse_floats without the wide path, whatever the
 * CPU (tests and fuzzing compare the two). */
long ll_csv_parse_portable(const char *line, size_t len, float *out, size_t cap, char *err, size_t errsz);

#endif
