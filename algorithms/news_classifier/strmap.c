/*
 * strmap.c: FNV-1a hashing and the string -> uint32 map (open addressing,
 * linear probing, keys copied; a key is bytes without NUL: one with a NUL
 * is stored cut at it, so it never matches itself) behind the vocabulary, the label set and
 * the GloVe lookup.
 */
#include <stdlib.h>
#include <string.h>

#include "news_classifier/nc.h"

uint64_t nc_fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void nc_strmap_free(struct nc_strmap *m)
{
    if (m->keys)
        for (size_t i = 0; i < m->cap; i++)
            free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    free(m->hashes);
    memset(m, 0, sizeof(*m));
}

static size_t find_slot(const struct nc_strmap *m, uint64_t h, const char *key, size_t len)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    while (m->keys[i]) {
        if (m->hashes[i] == h && strlen(m->keys[i]) == len && memcmp(m->keys[i], key, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

uint32_t *nc_strmap_get(const struct nc_strmap *m, const char *key, size_t len)
{
    if (!m->cap)
        return NULL;
    size_t i = find_slot(m, nc_fnv(NC_FNV_SEED, key, len), key, len);
    return m->keys[i] ? &m->vals[i] : NULL;
}

static int grow(struct nc_strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct nc_strmap g = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(uint32_t)),
                          calloc(cap, sizeof(uint64_t)), cap, m->n};
    if (!g.keys || !g.vals || !g.hashes) {
        free(g.keys);
        free(g.vals);
        free(g.hashes);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = (size_t)m->hashes[i] & (cap - 1);
        while (g.keys[j])
            j = (j + 1) & (cap - 1);
        g.keys[j] = m->keys[i];
        g.vals[j] = m->vals[i];
        g.hashes[j] = m->hashes[i];
    }
    free(m->keys);
    free(m->vals);
    free(m->hashes);
    *m = g;
    return 0;
}

int nc_strmap_put(struct nc_strmap *m, const char *key, size_t len, uint32_t v, uint32_t **slot)
{
    if ((m->n + 1) * 2 > m->cap && grow(m) != 0)
        return -1;
    uint64_t h = nc_fnv(NC_FNV_SEED, key, len);
    size_t i = find_slot(m, h, key, len);
    if (m->keys[i]) {
        if (slot)
            *slot = &m->vals[i];
        return 0;
    }
    char *k = malloc(len + 1);
    if (!k)
        return -1;
    memcpy(k, key, len);
    k[len] = 0;
    m->keys[i] = k;
    m->vals[i] = v;
    m->hashes[i] = h;
    m->n++;
    if (slot)
        *slot = &m->vals[i];
    return 1;
}
