/*
 * test_crc32c.c: runtime/crc32c.c: the check value, published vectors, the
 * slicing-by-8 path against a bit-by-bit reference at every alignment and
 * length, incremental use, and the TFRecord mask.
 */
#include <stdint.h>

#include "support/harness.h"
#include "core/crc32c.h"

/* Bit-at-a-time CRC-32C: the definition the tables must agree with. */
static uint32_t crc_bitwise(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

TEST(crc32c_check_value)
{
    ASSERT_EQ_INT(rt_crc32c("123456789", 9), 0xE3069283u);
    ASSERT_EQ_INT(rt_crc32c("", 0), 0);
    ASSERT_EQ_INT(rt_crc32c(NULL, 0), 0);
}

/* RFC 3720 (iSCSI) B.4 test vectors. */
TEST(crc32c_rfc3720_vectors)
{
    unsigned char buf[32];
    memset(buf, 0, sizeof(buf));
    ASSERT_EQ_INT(rt_crc32c(buf, 32), 0x8A9136AAu);
    memset(buf, 0xFF, sizeof(buf));
    ASSERT_EQ_INT(rt_crc32c(buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)i;
    ASSERT_EQ_INT(rt_crc32c(buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)(31 - i);
    ASSERT_EQ_INT(rt_crc32c(buf, 32), 0x113FDB5Cu);
}

TEST(crc32c_matches_bitwise_reference_at_every_alignment)
{
    unsigned char data[300];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof(data); i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (unsigned char)(x >> 16);
    }
    for (size_t start = 0; start < 9; start++)
        for (size_t len = 0; len + start <= sizeof(data); len += (len < 40 ? 1 : 13))
            ASSERT_EQ_INT(rt_crc32c(data + start, len), crc_bitwise(data + start, len));
}

TEST(crc32c_extend_equals_whole)
{
    const char *s = "The quick brown fox jumps over the lazy dog, twice over.";
    size_t n = strlen(s);
    uint32_t whole = rt_crc32c(s, n);
    for (size_t cut = 0; cut <= n; cut++) {
        uint32_t c = rt_crc32c(s, cut);
        ASSERT_EQ_INT(rt_crc32c_extend(c, s + cut, n - cut), whole);
    }
    ASSERT_EQ_INT(rt_crc32c_extend(0, "123456789", 9), 0xE3069283u);
}

TEST(crc32c_tfrecord_mask)
{
    ASSERT_EQ_INT(rt_crc32c_mask(0), 0xA282EAD8u);
    ASSERT_EQ_INT(rt_crc32c_mask(0xE3069283u), 0xC78AB0E5u);
    uint32_t vals[] = {0, 1, 0x80000000u, 0xFFFFFFFFu, 0xE3069283u, 0x5D7E6A21u};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        ASSERT_EQ_INT(rt_crc32c_unmask(rt_crc32c_mask(vals[i])), vals[i]);
        ASSERT(rt_crc32c_mask(vals[i]) != vals[i]);
    }
}
