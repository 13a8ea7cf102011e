/*
 * fuzz_news_classifier_glove.c: libFuzzer target for the news classifier's
 * GloVe reader (algorithms/news_classifier/glove.c, nc_glove_read) over
 * the runtime's line reader on memory.
 *
 * The vocabulary is fixed ("the"=1 "cat"=2 "sat"=3 "on"=4 "mat"=5, max_words
 * 8).  Input: byte 0: low 3 bits a preset dimension (0 = detect), bits 3-5
 * n_rows - 1 (1..8); the rest is the file.  Checked: OPTML_OK or
 * OPTML_E_CLIENT with a message; on OK the dimension is
 * 1..4096, matched <= lines, every value is finite and rows of words the
 * vocabulary does not keep (row 0, rows 6..7) are zero.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "news_classifier/nc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nc_vocab vocab;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        char *texts[] = {"the cat sat on the mat", "the cat", "the mat on", "the"};
        if (nc_vocab_build(&vocab, texts, 4, 0, 8) != 0)
            abort();
        ready = 1;
    }
    if (size < 1)
        return 0;
    uint32_t dim = data[0] & 7;
    size_t n_rows = 1 + ((data[0] >> 3) & 7);
    data++;
    size--;
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_reader *rd;
    if (optml_memory_open(&ctx, copy, size, OPTML_FRAME_LINES, &rd) != OPTML_OK)
        abort();
    float *E = NULL;
    struct nc_glove_stats st = {0};
    optml_status s = nc_glove_read(&ctx, rd, "glove.fuzz.txt", &vocab, n_rows, &dim, &E, &st);
    optml_reader_close(rd);
    if (s == OPTML_OK) {
        if (st.matched > st.lines)
            abort();
        if (E) {
            if (dim < 1 || dim > 4096)
                abort();
            for (size_t i = 0; i < n_rows * dim; i++)
                if (!isfinite(E[i]))
                    abort();
            for (size_t r = 0; r < n_rows; r++)
                if (r == 0 || r > vocab.n_kept)
                    for (uint32_t d = 0; d < dim; d++)
                        if (E[r * dim + d] != 0.0f)
                            abort();
        }
    } else if (s == OPTML_E_CLIENT) {
        if (!optml_error_message(&ctx)[0])
            abort();
    } else {
        fprintf(stderr, "status %s: %s\n", optml_status_name(s), optml_error_message(&ctx));
        abort();
    }
    free(E);
    free(copy);
    return 0;
}
