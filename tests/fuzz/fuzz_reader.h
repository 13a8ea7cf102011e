/*
 * fuzz_reader.h: the libFuzzer driver shared by the record-reader targets
 * (fuzz_lines.c, fuzz_recordio.c, fuzz_tfrecord.c, fuzz_gzip.c).  Each target
 * is built as its one .c file plus the runtime, so the driver is static here.
 *
 * The first input byte configures the reader: low nibble = the stream window
 * (0: default, else 16 + 3 * n bytes), bit 3 = left to the target (a lower
 * record limit or another framing), high nibble = the largest single read
 * (0: no limit).  The rest is read through optml_memory_open() until
 * OPTML_END or an error, which must be OPTML_E_CLIENT with a message and
 * must come back on the next read.  Every record must be within the record
 * limit and carry a source and a number; each of its bytes is read so that
 * ASan checks them.
 */
#ifndef OPTML_FUZZ_READER_H
#define OPTML_FUZZ_READER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/channel.h"
#include "core/ctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Takes the configuration byte off the input (0 for an empty input). */
static uint8_t fuzz_take_config(const uint8_t **data, size_t *size)
{
    if (!*size)
        return 0;
    (*size)--;
    return *(*data)++;
}

/* Reads data[0..size) with `framing` as configured by `cfg`; a `max_record`
 * of 0 keeps the default record limit.  With `lines`, every record must
 * also be NUL-terminated and hold no '\n'.  Aborts on any breach. */
static int fuzz_read_all(const uint8_t *data, size_t size, uint8_t cfg, enum optml_framing framing,
                         size_t max_record, int lines)
{
    struct optml_ctx ctx;
    optml_reader *r = NULL;
    rt_ctx_init(&ctx);
    if (optml_memory_open(&ctx, data, size, framing, &r) != OPTML_OK)
        abort();
    if (cfg & 0x0f)
        rt_stream_set_window(rt_reader_stream(r), 16 + 3 * (size_t)(cfg & 0x0f));
    rt_stream_set_max_read(rt_reader_stream(r), cfg >> 4);
    struct rt_framer *f = rt_reader_framer(r);
    if (max_record)
        f->max_record = max_record;
    struct optml_record rec;
    optml_status st;
    volatile unsigned sum = 0;
    while ((st = optml_reader_next(r, &rec)) == OPTML_OK) {
        if (rec.len > f->max_record || !rec.source || rec.number == 0)
            abort();
        for (size_t i = 0; i < rec.len; i++)
            sum += rec.data[i];
        if (lines && (rec.data[rec.len] != 0 || memchr(rec.data, '\n', rec.len)))
            abort();
    }
    if (st != OPTML_END && st != OPTML_E_CLIENT)
        abort();
    if (st == OPTML_E_CLIENT && !optml_error_message(&ctx)[0])
        abort();
    if (optml_reader_next(r, &rec) != st)
        abort();
    (void)sum; /* the loop above makes ASan check every record byte */
    optml_reader_close(r);
    return 0;
}

#endif
