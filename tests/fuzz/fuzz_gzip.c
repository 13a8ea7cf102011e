/*
 * fuzz_gzip.c: libFuzzer target for gzip inflation in stream.c (members,
 * padding, truncation, corruption).  The first input byte configures the
 * reader: low nibble = the stream window (0: default, else 16 + 3 * n
 * bytes), bit 3 = whole-segment records instead of lines, high nibble = the
 * largest single read (0: no limit); the record limit is 1 MiB.  The rest,
 * gzip data, is read through optml_memory_open() until OPTML_END or an
 * error, which must be OPTML_E_CLIENT with a message.  The driver is in
 * fuzz_reader.h.
 */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t cfg = fuzz_take_config(&data, &size);
    enum optml_framing framing = (cfg & 0x08) ? OPTML_FRAME_FILE : OPTML_FRAME_LINES;
    return fuzz_read_all(data, size, cfg, framing, (size_t)1 << 20, 0);
}
