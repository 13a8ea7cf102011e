/*
 * csv_floats_wide.h: the AVX-512 line path of the CSV number parser (csv_floats_wide.c),
 * which csv_floats.c uses for lines up to CSV_WIDE_MAX bytes when the CPU
 * has AVX-512 F/BW/DQ/VL; and the portable path's one-field parser that it
 * hands the fields it does not take to.  Internal to the module.
 */
#ifndef OPTML_CODEC_CSV_FLOATS_WIDE_H
#define OPTML_CODEC_CSV_FLOATS_WIDE_H

#include <stddef.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define CSV_WIDE 1
#else
#define CSV_WIDE 0
/* csv_floats.c: csv_parse_floats without the wide path, whatever the
 * CPU (tests and fuzzing compare the two). */
long csv_parse_portable(const char *line, size_t len, float *out, size_t cap, char *err, size_t errsz);

#endif

/* Longest line (after csv_floats.c drops blanks in front and a '\r') the
 * wide path takes. */
#define CSV_WIDE_MAX 4096

/* 1 when this CPU can run csv_parse_wide. */
int csv_wide_available(void);

/* csv_parse_floats for a line of 1..CSV_WIDE_MAX bytes that does not
 * start with a blank or end with '\r' (csv_floats.c strips them): the same
 * count, values, bits and messages. */
long csv_parse_wide(const char *line, size_t n, float *out, size_t cap, char *err, size_t errsz);

/* csv_floats.c: field number `field` (1-based), the bytes [fs, fe) between
 * its commas, by the portable path (blanks around it, every number form):
 * 0 and *out, or -1 with the message in err (its text read up to the
 * next comma before line_end). */
int csv_field(const char *fs, const char *fe, const char *line_end, size_t field, float *out, char *err,
                 size_t errsz);

/* csv_floats.c: csv_parse_floats without the wide path, whatever the
 * CPU (tests and fuzzing compare the two). */
long csv_parse_portable(const char *line, size_t len, float *out, size_t cap, char *err, size_t errsz);

#endif
