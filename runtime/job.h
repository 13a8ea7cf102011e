/*
 * job.h: the runtime's private view of a context (struct optml_ctx), a
 * training job and a channel.  Shared by the runtime's own files and the
 * tests; modules never see it (they get the opaque types of algorithm.h).
 */
#ifndef OPTML_JOB_H
#define OPTML_JOB_H

#include <stdio.h>
#include <jansson.h>

#include "optml/algorithm.h"

/* ---- hyperparameters (hparams.c) ---- */

struct rt_hparam_value {
    const struct optml_hparam_decl *decl;
    int set;        /* has a value (given or default) */
    int given;      /* came from hyperparameters.json */
    int is_auto;    /* the value is "auto" */
    int64_t i;      /* INT */
    double f;       /* FLOAT (also INT as double) */
    int b;          /* BOOL */
    char *text;     /* the value as text (decoded once if double-encoded) */
};

struct rt_hparams {
    const struct optml_algorithm *alg;
    struct rt_hparam_value *values; /* alg->n_hparams entries, table order */
    json_t *provided;               /* the user's object as read (for the echo) */
    json_t *ignored;                /* `_*` and `sagemaker_*` keys, as read */
};

/* ---- input, resource and checkpoint configuration (config.c) ---- */

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

/* ---- channels (channel.c) ---- */

struct optml_channel {
    struct rt_channel_config cfg;            /* owned copy */
    const struct optml_channel_decl *decl;   /* the module's declaration */
    char *path;          /* <base>/input/data/<name>: directory (File) or FIFO
                            prefix (Pipe: path + "_" + pass) */
    int listed;          /* files below are filled */
    char **files;        /* relative paths, sorted */
    char **abs_files;    /* absolute paths */
    uint64_t *sizes;     /* on-disk sizes */
    size_t n_files;
    uint64_t total_bytes;
    unsigned next_pass;  /* Pipe mode: the next FIFO number */
};

/* ---- the context ---- */

struct rt_paths {
    char *base;          /* /opt/ml or $SAGEMAKER_BASE_DIR */
    char *config_dir;    /* base/input/config */
    char *data_dir;      /* base/input/data */
    char *model_dir;     /* base/model */
    char *output_dir;    /* base/output */
    char *output_data_dir; /* base/output/data */
    char *failure_file;  /* base/output/failure */
    char *checkpoint_dir; /* LocalPath or base/checkpoints; NULL when disabled */
};

struct rt_progress {
    int epoch, epochs;
    double epoch_start, last_print, job_start; /* monotonic seconds */
    uint64_t records_total;                    /* over all epochs */
};

struct rt_job {
    const struct optml_algorithm *alg;
    struct rt_paths paths;
    struct rt_hparams hp;
    struct rt_input_config input;
    struct rt_resource_config resource;
    struct optml_channel *channels;   /* one per configured channel */
    size_t n_channels;
    FILE *metrics;                    /* output/data/metrics.jsonl, or NULL */
    struct rt_progress progress;
    uint64_t hp_hash;                 /* hash of OPTML_HP_SHAPES_MODEL values */
    int keep_checkpoints;             /* newest N kept */
};

struct optml_ctx {
    struct rt_job *job;        /* NULL outside training */
    const struct optml_algorithm *alg; /* the module (training and serving) */
    int cancelled;             /* serving: set (atomically) when the request's
                                  deadline passed; optml_should_stop reads it */
    optml_status errcode;      /* of the first optml_error() */
    char errmsg[2048];
};

/* Initialise a context with no job (tests, serving requests). */
void rt_ctx_init(struct optml_ctx *ctx);
/* Forget the recorded error. */
void rt_ctx_clear_error(struct optml_ctx *ctx);

#endif
