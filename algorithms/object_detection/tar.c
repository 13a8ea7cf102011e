/*
 * tar.c: one member of a tar archive in memory (tar.h).  Each 512-byte
 * header: name (100 bytes), size (12 octal digits at 124), checksum (8 at
 * 148: the sum of the header's bytes with the checksum field as spaces),
 * type flag (156: '0' or NUL a regular file), ustar prefix (155 bytes at
 * 345, joined to the name with '/'); the data follows, padded to 512.  Two
 * zero blocks (or the end of the buffer) end the archive.
 */
#include "object_detection/tar.h"

#include <stdio.h>
#include <string.h>

#define BLOCK 512

/* An octal field of n bytes (spaces and NULs around the digits). */
static int octal(const uint8_t *p, size_t n, uint64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    while (i < n && (p[i] == ' ' || p[i] == 0))
        i++;
    size_t digits = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++, digits++) {
        if (v >> 60)
            return -1;
        v = v * 8 + (uint64_t)(p[i] - '0');
    }
    for (; i < n; i++)
        if (p[i] != ' ' && p[i] != 0)
            return -1;
    if (!digits)
        return -1;
    *out = v;
    return 0;
}

static int zero_block(const uint8_t *p)
{
    for (size_t i = 0; i < BLOCK; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Last path component of a NUL-or-n-bounded field. */
static int base_is(const uint8_t *name, size_t n, const char *base)
{
    size_t len = 0;
    while (len < n && name[len])
        len++;
    size_t start = len;
    while (start > 0 && name[start - 1] != '/')
        start--;
    size_t bl = strlen(base);
    return len - start == bl && memcmp(name + start, base, bl) == 0;
}

int od_tar_find(const uint8_t *buf, size_t len, const char *base, const uint8_t **data, size_t *dlen, char *err,
                size_t errsz)
{
    size_t at = 0;
    while (at + BLOCK <= len) {
        const uint8_t *h = buf + at;
        if (zero_block(h))
            return 0;
        uint64_t sum = 0, want, size;
        for (size_t i = 0; i < BLOCK; i++)
            sum += (i >= 148 && i < 156) ? (uint64_t)' ' : h[i];
        if (octal(h + 148, 8, &want) != 0 || want != sum) {
            snprintf(err, errsz, "tar header at byte %zu: bad checksum", at);
            return -1;
        }
        if (octal(h + 124, 12, &size) != 0 || size > len - at - BLOCK) {
            snprintf(err, errsz, "tar header at byte %zu: a size beyond the archive", at);
            return -1;
        }
        uint8_t type = h[156];
        if ((type == '0' || type == 0) && base_is(h, 100, base)) {
            *data = h + BLOCK;
            *dlen = (size_t)size;
            return 1;
        }
        size_t padded = ((size_t)size + BLOCK - 1) / BLOCK * BLOCK;
        if (padded > len - at - BLOCK)
            return 0;
        at += BLOCK + padded;
    }
    return 0;
}
