/*
 * fuzz_recordio.c: libFuzzer target for the RecordIO framing (framing.c over
 * stream.c).  The first input byte configures the reader: low nibble = the
 * stream window (0: default, else 16 + 3 * n bytes), bit 3 also lowers the
 * record limit to 64 bytes, high nibble = the largest single read (0: no
 * limit).  The rest is read through optml_memory_open() until OPTML_END or
 * an error, which must be OPTML_E_CLIENT with a message.  The driver is in
 * fuzz_reader.h.
 */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t cfg = fuzz_take_config(&data, &size);
    return fuzz_read_all(data, size, cfg, OPTML_FRAME_RECORDIO, (cfg & 0x08) ? 64 : 0, 0);
}
