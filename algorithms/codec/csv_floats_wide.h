/*
 * csv_floats_wide.h: the AVX-512 line path of the CSV number parser
 * (csv_floats_wide.c), which csv_parse_floats takes for lines up to
 * CSV_WIDE_MAX bytes when the CPU has AVX-512 F/BW/DQ/VL; every field it
 * does not take goes to the portable parser of csv_floats.h.  Internal to
 * the codec (tests and fuzzing compare the two paths).
 */
#ifndef OPTML_CODEC_CSV_FLOATS_WIDE_H
#define OPTML_CODEC_CSV_FLOATS_WIDE_H

#include <stddef.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define CSV_WIDE 1
#else
#define CSV_WIDE 0
#endif

/* Longest line (after blanks in front and a '\r' are dropped) the wide
 * path takes. */
#define CSV_WIDE_MAX 4096

/* 1 when this CPU can run csv_parse_wide. */
int csv_wide_available(void);

/* csv_parse_floats for a line of 1..CSV_WIDE_MAX bytes that does not
 * start with a blank or end with '\r' (csv_parse_floats strips them): the
 * same count, values, bits and messages as csv_parse_portable. */
long csv_parse_wide(const char *line, size_t n, float *out, size_t cap, char *err, size_t errsz);

#endif
