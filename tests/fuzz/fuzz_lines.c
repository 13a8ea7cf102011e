/*
 * fuzz_lines.c: libFuzzer target for the line framing.  The first input byte
 * configures the reader: low nibble = the stream window (0: default, else
 * 16 + 3 * n bytes), bit 3 also lowers the record limit to 64 bytes, high
 * nibble = the largest single read (0: no limit).  The rest is read through
 * optml_memory_open() until OPTML_END or an error; every line must be
 * NUL-terminated and hold no '\n'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct optml_ctx ctx;
    optml_reader *r = NULL;
    uint8_t cfg = size ? data[0] : 0;
    if (size) {
        data++;
        size--;
    }
    enum optml_framing framing = OPTML_FRAME_LINES;
    rt_ctx_init(&ctx);
    if (optml_memory_open(&ctx, data, size, framing, &r) != OPTML_OK)
        abort();
    if (cfg & 0x0f)
        rt_stream_set_window(rt_reader_stream(r), 16 + 3 * (size_t)(cfg & 0x0f));
    rt_stream_set_max_read(rt_reader_stream(r), cfg >> 4);
    struct rt_framer *f = rt_reader_framer(r);
    f->max_record = (cfg & 0x08) ? 64 : f->max_record;
    struct optml_record rec;
    optml_status st;
    volatile unsigned sum = 0;
    while ((st = optml_reader_next(r, &rec)) == OPTML_OK) {
        if (rec.len > f->max_record || !rec.source || rec.number == 0)
            abort();
        for (size_t i = 0; i < rec.len; i++)
            sum += rec.data[i];
        if (rec.data[rec.len] != 0 || memchr(rec.data, '\n', rec.len))
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
