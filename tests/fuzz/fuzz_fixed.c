/*
 * fuzz_fixed.c: libFuzzer target for the FIXED framing (module API 4.3,
 * runtime/data/framing.c).  Input byte 0: low nibble = the stream window
 * (0: default, else 16 + 3 * n bytes), high nibble = the largest single
 * read (0: no limit); byte 1: the record size pattern (size i is
 * 1 + (byte1 * (i + 1)) % 97, set before each record; a multiple of 16
 * also tries 0, which must be refused).  The rest is read through
 * optml_memory_open() to its end.  Checked: every record is the size set,
 * except a last shorter one; records tile the data exactly (offsets); the
 * end is OPTML_END.  Data that starts with gzip's magic bytes is read as
 * gzip (as every reader does), so for it only the absence of crashes and
 * a clean end or error are checked.
 */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t cfg = fuzz_take_config(&data, &size), pat = fuzz_take_config(&data, &size);
    struct optml_ctx ctx;
    optml_reader *r = NULL;
    rt_ctx_init(&ctx);
    if (optml_memory_open(&ctx, data, size, OPTML_FRAME_FIXED, &r) != OPTML_OK)
        abort();
    if (cfg & 0x0f)
        rt_stream_set_window(rt_reader_stream(r), 16 + 3 * (size_t)(cfg & 0x0f));
    rt_stream_set_max_read(rt_reader_stream(r), cfg >> 4);
    if (pat % 16 == 0 && optml_reader_set_record_size(r, 0) != OPTML_E_INTERNAL)
        abort();
    struct optml_record rec;
    optml_status st;
    uint64_t at = 0;
    const int gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    for (size_t i = 0;; i++) {
        size_t want = 1 + ((size_t)pat * (i + 1)) % 97;
        if (optml_reader_set_record_size(r, want) != OPTML_OK)
            abort();
        if ((st = optml_reader_next(r, &rec)) != OPTML_OK)
            break;
        if (gzip)
            continue;
        if (rec.offset != at || rec.len == 0 || rec.len > want || (rec.len < want && at + rec.len != size))
            abort();
        if (memcmp(rec.data, data + at, rec.len) != 0)
            abort();
        at += rec.len;
    }
    if (!gzip && (st != OPTML_END || at != size))
        abort();
    optml_reader_close(r);
    return 0;
}
