/*
 * test_tar.c: finding the model file in a tar archive
 * (algorithms/object_detection/tar.c): an archive made by tar(1), a member
 * under a directory, an absent member, a corrupt checksum and a size past
 * the end refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object_detection/tar.h"
#include "support/harness.h"
#include "support/support.h"

TEST(od_tar_finds_the_model_file)
{
    char *dir = tmpdir_new();
    write_file(dir, "m/hyperparams.json", "{\"a\": \"1\"}", (size_t)-1);
    write_file(dir, "m/sub/object-detection.model", "MODEL BYTES", (size_t)-1);
    int status;
    char *out = run_capture(strf("tar -cf '%s/a.tar' -C '%s/m' . 2>&1", dir, dir), &status);
    ASSERT_EQ_INT(status, 0);
    free(out);
    size_t len;
    char *tar = read_file(path_join(dir, "a.tar"), &len);
    ASSERT(tar != NULL);
    const uint8_t *m;
    size_t mlen;
    char err[200];
    ASSERT_EQ_INT(od_tar_find((const uint8_t *)tar, len, "object-detection.model", &m, &mlen, err, sizeof(err)), 1);
    ASSERT_EQ_INT(mlen, 11);
    ASSERT(memcmp(m, "MODEL BYTES", 11) == 0);
    ASSERT_EQ_INT(od_tar_find((const uint8_t *)tar, len, "other.model", &m, &mlen, err, sizeof(err)), 0);
    /* truncated before the member's data ends: not found, never read past */
    ASSERT(od_tar_find((const uint8_t *)tar, 1030, "object-detection.model", &m, &mlen, err, sizeof(err)) <= 0);
    /* a corrupt header checksum */
    tar[0] ^= 1;
    ASSERT_EQ_INT(od_tar_find((const uint8_t *)tar, len, "object-detection.model", &m, &mlen, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "checksum");
    free(tar);
}
