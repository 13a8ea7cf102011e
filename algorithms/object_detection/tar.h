/*
 * tar.h: finding one member of an (uncompressed) tar archive in memory,
 * for the `model` channel's model.tar.gz (incremental training): ustar and
 * GNU headers, regular files only, names compared by their last path
 * component.  Never reads outside the buffer.
 */
#ifndef OPTML_OD_TAR_H
#define OPTML_OD_TAR_H

#include <stddef.h>
#include <stdint.h>

/* The first regular file whose name's last component is `base`: 1 and
 * *data, *len set; 0 when absent; -1 when the archive is malformed before
 * it is found (a header checksum or size that does not fit), with a
 * message in err. */
int od_tar_find(const uint8_t *buf, size_t len, const char *base, const uint8_t **data, size_t *dlen, char *err,
                size_t errsz);

#endif
