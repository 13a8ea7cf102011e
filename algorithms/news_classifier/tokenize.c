/*
 * tokenize.c: the three text splitters: Keras's text_to_word_sequence (the
 * workshop's Tokenizer), the workshop's training-time regex normalisation,
 * and the word tokenizer of the ngram architecture.
 */
#include <string.h>

#include "news_classifier/nc.h"

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Keras's default `filters` plus TAB and LF. */
static int keras_filtered(unsigned char c)
{
    return c == '\t' || c == '\n' || (c < 0x80 && strchr("!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~", c) && c);
}

static void split_spaces(char *buf, size_t n, nc_token_fn fn, void *ctx)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && buf[i] == ' ')
            i++;
        size_t s = i;
        while (i < n && buf[i] != ' ')
            i++;
        if (i > s && fn(ctx, buf + s, i - s))
            return;
    }
}

void nc_keras_tokens(const char *text, size_t len, char *buf, nc_token_fn fn, void *ctx)
{
    for (size_t i = 0; i < len; i++) {
        char c = lower(text[i]);
        buf[i] = keras_filtered((unsigned char)c) ? ' ' : c;
    }
    buf[len] = 0;
    split_spaces(buf, len, fn, ctx);
}

/* Python's \s and \w on str, for ASCII; bytes of UTF-8 sequences count as
 * word characters (letters in practice). */
static int is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int is_word(unsigned char c)
{
    return c >= 0x80 || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* re.sub(first second, ' ') in place where `first_space` says which of the
 * pair is \s (the other is \W); returns the new length. */
static size_t sub_pairs(char *s, size_t n, int first_space)
{
    size_t o = 0, i = 0;
    while (i < n) {
        unsigned char a = (unsigned char)s[i];
        if (i + 1 < n) {
            unsigned char b = (unsigned char)s[i + 1];
            int hit = first_space ? (is_space(a) && !is_word(b)) : (!is_word(a) && is_space(b));
            if (hit) {
                s[o++] = ' ';
                i += 2;
                continue;
            }
        }
        s[o++] = s[i++];
    }
    return o;
}

size_t nc_workshop_normalise(const char *text, size_t len, char *buf)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = lower(text[i]);
    size_t n = sub_pairs(buf, len, 1);
    n = sub_pairs(buf, n, 0);
    size_t o = 0, i = 0;
    while (i < n) {
        if (is_space((unsigned char)buf[i])) {
            buf[o++] = ' ';
            while (i < n && is_space((unsigned char)buf[i]))
                i++;
        } else {
            buf[o++] = buf[i++];
        }
    }
    buf[o] = 0;
    return o;
}

void nc_word_tokens(const char *text, size_t len, char *buf, nc_token_fn fn, void *ctx)
{
    size_t i = 0;
    for (size_t j = 0; j < len; j++)
        buf[j] = lower(text[j]);
    buf[len] = 0;
    while (i < len) {
        while (i < len && !is_word((unsigned char)buf[i]))
            i++;
        size_t s = i;
        while (i < len && is_word((unsigned char)buf[i]))
            i++;
        if (i > s && fn(ctx, buf + s, i - s))
            return;
    }
}
