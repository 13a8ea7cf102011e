/*
 * artifact.h: the versioned container shared by checkpoint files and model
 * files.  Layout (little-endian, 120-byte header, then the payload):
 *
 *   0   8  magic "OPTMLCKP" (checkpoint) or "OPTMLMDL" (model)
 *   8   4  header version (1)
 *  12   4  module API version the file was written under
 *  16  64  module name, NUL-padded
 *  80   4  the module's model_format_version
 *  84   4  reserved (0)
 *  88   8  hash of the OPTML_HP_SHAPES_MODEL hyperparameters
 *  96   8  step (checkpoints: e.g. epoch; models: 0)
 * 104   8  payload length
 * 112   4  CRC32C of the payload
 * 116   4  CRC32C of bytes 0..115
 */
#ifndef OPTML_ARTIFACT_H
#define OPTML_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#include "optml/algorithm.h"

#define RT_ARTIFACT_HEADER_SIZE 120
#define RT_ARTIFACT_NAME_MAX 64

enum rt_artifact_kind { RT_ARTIFACT_CHECKPOINT, RT_ARTIFACT_MODEL };

struct rt_artifact_header {
    enum rt_artifact_kind kind;
    uint32_t header_version, api_version, format_version;
    char module[RT_ARTIFACT_NAME_MAX + 1];
    uint64_t hp_hash, step, payload_len;
    uint32_t payload_crc;
};

/* Encode `h` into `out` (RT_ARTIFACT_HEADER_SIZE bytes), computing the
 * header CRC. */
void rt_artifact_encode(const struct rt_artifact_header *h, unsigned char *out);

/* Decode and check a whole artifact held in memory: magic of `kind`, header
 * version, header CRC, payload length equal to what follows, payload CRC.
 * `what` names the file in messages.  *payload points into `buf`.
 * OPTML_E_MODEL on any mismatch, with a message saying which check failed. */
optml_status rt_artifact_decode(optml_ctx *ctx, const char *what, const void *buf, size_t len,
                                enum rt_artifact_kind kind, struct rt_artifact_header *h,
                                const unsigned char **payload);

/* Check that an artifact was made by `module` with `format_version` (and,
 * when check_hash, `hp_hash`).  OPTML_E_CLIENT naming what differs. */
optml_status rt_artifact_check_origin(optml_ctx *ctx, const char *what,
                                      const struct rt_artifact_header *h, const char *module,
                                      uint32_t format_version, int check_hash, uint64_t hp_hash);

#endif
