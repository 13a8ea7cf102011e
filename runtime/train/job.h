/*
 * job.h: a training job (struct rt_job): everything `optml train` read and
 * set up for one run, and its progress.  train.c owns it and points the
 * job's context (core/ctx.h) at the parts that lower layers use.
 */
#ifndef OPTML_JOB_H
#define OPTML_JOB_H

#include <stdio.h>

#include "config/config.h"
#include "config/hparams.h"
#include "core/paths.h"
#include "data/channel.h"
#include "train/report.h"

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
    int metrics_failed;               /* a write to it failed (set once, atomically) */
    struct rt_progress progress;
    struct rt_report report;          /* output/data/report.html (report.h) */
};

#endif
