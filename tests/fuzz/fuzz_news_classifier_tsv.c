/*
 * fuzz_news_classifier_tsv.c: libFuzzer target for the news classifier's
 * newsCorpora.csv reader (algorithms/news_classifier/corpus.c) and the
 * label renumbering that follows it in training (data.c).
 *
 * Input: byte 0 seeds the chunking, the rest is the file.  The bytes are fed
 * once whole and once in chunks of 1..16 bytes (sizes from a small PRNG
 * seeded by byte 0), each chunk an exact-size heap copy so ASan sees reads
 * past it.  Checked: both feeds agree on the outcome, the rows, their labels
 * and the dropped count; an error has a message; every row has a label id
 * below k and a text of at most NC_MAX_TEXT bytes; then
 * nc_labels_canonical (OK, or a ClientError for a label that is not
 * UTF-8) keeps the label index consistent with the codes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "news_classifier/data.h"
#include "news_classifier/nc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
    struct nc_corpus c;
    struct nc_labels l;
    struct nc_tsv p;
    int rc;
};

static void feed(struct run *r, const uint8_t *data, size_t size, unsigned seed)
{
    memset(r, 0, sizeof(*r));
    nc_tsv_init(&r->p, &r->c, &r->l);
    uint32_t x = seed * 2654435761u + 1;
    size_t off = 0;
    while (off < size && r->rc == 0) {
        size_t n = size - off;
        if (seed) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            size_t want = 1 + (x & 15);
            n = n < want ? n : want;
        }
        char *chunk = malloc(n);
        if (!chunk)
            abort();
        memcpy(chunk, data + off, n);
        r->rc = nc_tsv_feed(&r->p, chunk, n);
        free(chunk);
        off += n;
    }
    if (r->rc == 0)
        r->rc = nc_tsv_finish(&r->p);
    if (r->rc != 0 && !r->p.err[0])
        abort();
    if (r->rc == 0 && r->p.rows != r->c.n)
        abort();
    for (size_t i = 0; i < r->c.n; i++)
        if (r->c.label[i] >= r->l.k || strlen(r->c.text[i]) > NC_MAX_TEXT)
            abort();
}

static void done(struct run *r)
{
    nc_tsv_free(&r->p);
    nc_corpus_free(&r->c);
    nc_labels_free(&r->l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned seed = data[0] | 0x100u;
    data++;
    size--;
    struct run a, b;
    feed(&a, data, size, 0);
    feed(&b, data, size, seed);
    if (a.rc != b.rc || a.c.n != b.c.n || a.c.dropped != b.c.dropped || a.l.k != b.l.k)
        abort();
    if (a.rc != 0 && strcmp(a.p.err, b.p.err) != 0)
        abort();
    for (size_t i = 0; i < a.c.n; i++)
        if (strcmp(a.c.text[i], b.c.text[i]) != 0 || a.c.label[i] != b.c.label[i])
            abort();
    for (size_t i = 0; i < a.l.k; i++)
        if (strcmp(a.l.code[i], b.l.code[i]) != 0)
            abort();
    if (a.rc == 0 && a.l.k > 0) {
        struct optml_ctx ctx;
        rt_ctx_init(&ctx);
        struct nc_corpus *cs[] = {&a.c};
        optml_status st = nc_labels_canonical(&ctx, &a.l, cs, 1);
        if (st == OPTML_E_CLIENT && optml_error_message(&ctx)[0]) /* a label that is not UTF-8 */
            goto out;
        if (st != OPTML_OK)
            abort();
        int uci = a.l.k == 4 && !strcmp(a.l.code[0], "b") && !strcmp(a.l.code[1], "t") &&
                  !strcmp(a.l.code[2], "e") && !strcmp(a.l.code[3], "m");
        for (size_t i = 0; i < a.l.k; i++) {
            const uint32_t *id = nc_strmap_get(&a.l.index, a.l.code[i], strlen(a.l.code[i]));
            if (!id || *id != i)
                abort();
            if (i && !uci && strcmp(a.l.code[i - 1], a.l.code[i]) >= 0)
                abort(); /* sorted (the UCI set has its own order) */
        }
        for (size_t i = 0; i < a.c.n; i++)
            if (a.c.label[i] >= a.l.k || strcmp(a.l.code[a.c.label[i]], b.l.code[b.c.label[i]]) != 0)
                abort(); /* relabelled rows keep their code */
    }
out:
    done(&a);
    done(&b);
    return 0;
}
