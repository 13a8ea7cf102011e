/*
 * fuzz_lines.c: libFuzzer target for the line framing.  The first input byte
 * configures the reader: low nibble = the stream window (0: default, else
 * 16 + 3 * n bytes), bit 3 also lowers the record limit to 64 bytes, high
 * nibble = the largest single read (0: no limit).  The rest is read through
 * optml_memory_open() until OPTML_END or an error, which must be
 * OPTML_E_CLIENT with a message; every line must be NUL-terminated and hold
 * no '\n'.  The driver is in fuzz_reader.h.
 */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t cfg = fuzz_take_config(&data, &size);
    return fuzz_read_all(data, size, cfg, OPTML_FRAME_LINES, (cfg & 0x08) ? 64 : 0, 1);
}
