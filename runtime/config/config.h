/*
 * config.h: reading the files of <base>/input/config: inputdataconfig.json,
 * resourceconfig.json and checkpointconfig.json (hyperparameters.json is
 * hparams.h), plus the shared file reader, the one read-then-parse loader
 * every config file goes through, and the JSON loader.  Every error is
 * recorded with optml_error() and names the file it came from.
 */
#ifndef OPTML_CONFIG_H
#define OPTML_CONFIG_H

#include <stddef.h>
#include <jansson.h>

#include "core/ctx.h"

struct rt_channel_config {
    char *name;
    char *content_type;          /* media type lower case, no params; NULL when absent */
    enum optml_input_mode mode;  /* TrainingInputMode (File when absent) */
    int recordio_wrapped;        /* RecordWrapperType == RecordIO */
    int gzip;                    /* CompressionType == Gzip */
    int sharded;                 /* S3DistributionType == ShardedByS3Key */
};

struct rt_input_config {
    struct rt_channel_config *channels; /* sorted by name */
    size_t n;
};

struct rt_resource_config {
    char *current_host;          /* "algo-1" when the file is missing or empty */
    char **hosts;
    size_t n_hosts;
    char *network_interface;     /* "eth0" when absent */
};

/* Largest configuration file read (bigger: OPTML_E_CLIENT). */
#define RT_CONFIG_MAX_BYTES (16u * 1024u * 1024u)

/* Read dir/name whole into *text (malloc'd, NUL-terminated; *len excludes the
 * NUL).  With any_case the name is matched case-insensitively among the
 * entries of `dir` (an exact match wins; otherwise the first in byte order),
 * e.g. resourceConfig.json.  OPTML_E_NOT_FOUND, with no error recorded, when
 * the file (or dir) does not exist; OPTML_E_CLIENT when it is not a regular
 * file or is larger than RT_CONFIG_MAX_BYTES; OPTML_E_IO on read errors. */
optml_status rt_config_read_file(optml_ctx *ctx, const char *dir, const char *name,
                                 int any_case, char **text, size_t *len);

/* A config file's parser: `text` is the whole file (NUL-terminated, `len`
 * bytes without the NUL), or NULL with len 0 when the file does not exist;
 * `arg` is the caller's. */
typedef optml_status (*rt_config_parser)(optml_ctx *ctx, const char *text, size_t len, void *arg);

/* Read dir/name as rt_config_read_file does (any_case the same) and hand its
 * text to `parse`; a missing file is parse(ctx, NULL, 0, arg).  Returns what
 * parse returns, or the read error (parse then is not called).  The text is
 * freed afterwards: a parser keeps copies. */
optml_status rt_config_load_file(optml_ctx *ctx, const char *dir, const char *name, int any_case,
                                 rt_config_parser parse, void *arg);

/* Parse `len` bytes of JSON whose top level must be an object.  Malformed
 * JSON (with jansson's line and column), duplicate keys, nesting deeper than
 * jansson's limit and a non-object top level are OPTML_E_CLIENT with a message
 * starting "<file>: ".  On success *out is a new reference. */
optml_status rt_config_load_object(optml_ctx *ctx, const char *file, const char *text,
                                   size_t len, json_t **out);

/* A JSON value's kind for messages: "a string", "a number", "an object"... */
const char *rt_json_kind(const json_t *v);

/* inputdataconfig.json.  text NULL is treated as "{}".  Channels are sorted
 * by name; *out is zeroed first and left zeroed on error. */
optml_status rt_input_config_parse(optml_ctx *ctx, const char *text, size_t len,
                                   struct rt_input_config *out);
/* No inputdataconfig.json (SageMaker's local_test kits): every directory
 * under data_dir whose name does not start with '.' is a File-mode channel
 * with content_type NULL.  A missing data_dir gives no channels. */
optml_status rt_input_config_discover(optml_ctx *ctx, const char *data_dir,
                                      struct rt_input_config *out);
/* A WARNING for each directory under data_dir (not starting with '.') that
 * is not a channel of c: a misspelled or forgotten channel is otherwise
 * silently not read. */
void rt_input_config_warn_unlisted(const struct rt_input_config *c, const char *data_dir);
/* Accepts a zeroed config; leaves it zeroed. */
void rt_input_config_free(struct rt_input_config *c);

/* resourceconfig.json.  text NULL (no file) or whitespace only: one host
 * "algo-1".  current_host defaults to hosts[0] (or "algo-1"), hosts to
 * [current_host], network_interface_name to "eth0"; current_host must be one
 * of hosts and hosts must be unique non-empty strings.  Other keys are
 * ignored.  *out is zeroed first and left zeroed on error. */
optml_status rt_resource_config_parse(optml_ctx *ctx, const char *text, size_t len,
                                      struct rt_resource_config *out);
void rt_resource_config_free(struct rt_resource_config *r);

/* checkpointconfig.json: *local_path = malloc'd LocalPath as given, or NULL
 * when there is no file (text NULL), the file is whitespace only, or
 * LocalPath is absent, null or "".  Other keys are ignored. */
optml_status rt_checkpoint_config_parse(optml_ctx *ctx, const char *text, size_t len,
                                        char **local_path);

#endif
