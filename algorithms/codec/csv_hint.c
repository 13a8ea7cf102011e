/*
 * csv_hint.c: guessing the mistake behind a CSV line that did not parse
 * (csv_hint.h).  Each field is judged by the codec's own number parser
 * (csv_field), so "a number" means what training and serving accept.
 */
#include "codec/csv_hint.h"

#include <string.h>

#include "codec/csv_floats.h"

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* [s, e) without blanks around it. */
static void trim(const char **s, const char **e)
{
    while (*s < *e && blank(**s))
        (*s)++;
    while (*e > *s && blank((*e)[-1]))
        (*e)--;
}

static int is_number(const char *s, const char *e)
{
    float v;
    trim(&s, &e);
    return s < e && csv_field(s, e, e, 1, &v, NULL, 0) == 0;
}

/* A column name: optionally quoted, starting with a letter or '_'. */
static int is_name(const char *s, const char *e)
{
    trim(&s, &e);
    if (s < e && (*s == '"' || *s == '\''))
        s++;
    return s < e && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_');
}

/* Whether splitting [s, e) on `sep` gives two or more fields, every one a
 * number. */
static int numbers_split_by(const char *s, const char *e, char sep)
{
    size_t fields = 0;
    while (s <= e) {
        const char *f = memchr(s, sep, (size_t)(e - s));
        const char *fe = f ? f : e;
        if (!is_number(s, fe))
            return 0;
        fields++;
        s = fe + 1;
        if (!f)
            break;
    }
    return fields >= 2;
}

enum csv_mistake csv_guess_mistake(const char *line, size_t len, int first_line)
{
    const char *s = line, *e = line + len;
    trim(&s, &e);
    if (s == e)
        return CSV_NO_GUESS;
    if (*s == '{' || *s == '[')
        return CSV_JSON;
    if (!memchr(s, ',', (size_t)(e - s))) {
        if (memchr(s, ';', (size_t)(e - s)) && numbers_split_by(s, e, ';'))
            return CSV_SEMICOLONS;
        /* TABs (spaces around them allowed) between numbers. */
        if (memchr(s, '\t', (size_t)(e - s)) && numbers_split_by(s, e, '\t'))
            return CSV_TABS;
    }
    if (!first_line)
        return CSV_NO_GUESS;
    size_t names = 0, nonempty = 0;
    for (const char *f = s; f <= e;) {
        const char *c = memchr(f, ',', (size_t)(e - f));
        const char *fe = c ? c : e, *ts = f, *te = fe;
        trim(&ts, &te);
        if (ts < te) {
            if (is_number(ts, te))
                return CSV_NO_GUESS;
            nonempty++;
            names += is_name(ts, te);
        }
        if (!c)
            break;
        f = c + 1;
    }
    return names && 2 * names >= nonempty ? CSV_HEADER : CSV_NO_GUESS;
}

const char *csv_mistake_hint(enum csv_mistake m)
{
    switch (m) {
    case CSV_HEADER:
        return "the first row looks like a header; remove it (the CSV must hold numbers only)";
    case CSV_SEMICOLONS:
        return "the values are separated by ';', not commas; write them comma-separated";
    case CSV_TABS:
        return "the values are separated by TABs, not commas; write them comma-separated";
    case CSV_JSON:
        return "the line looks like JSON, not CSV";
    case CSV_NO_GUESS:
        break;
    }
    return "";
}
