/*
 * crc32c.h: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and the
 * TFRecord "masked CRC".  Pure functions over const tables: thread-safe, no
 * state.  Used by the TFRecord reader (framing.c) and the model/checkpoint
 * file headers.
 */
#ifndef OPTML_CRC32C_H
#define OPTML_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of `len` bytes.  rt_crc32c("123456789", 9) == 0xE3069283. */
uint32_t rt_crc32c(const void *data, size_t len);

/* Continue a CRC: rt_crc32c_extend(rt_crc32c(a, n), b, m) equals the CRC of
 * a followed by b.  Start from 0 (the CRC of nothing). */
uint32_t rt_crc32c_extend(uint32_t crc, const void *data, size_t len);

/* TFRecord mask: ((crc >> 15) | (crc << 17)) + 0xA282EAD8, 32-bit wraparound,
 * and its inverse. */
uint32_t rt_crc32c_mask(uint32_t crc);
uint32_t rt_crc32c_unmask(uint32_t masked);

#endif
