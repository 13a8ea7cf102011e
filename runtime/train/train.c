/*
 * train.c: the training driver.  In order: paths and directories, the
 * module, hyperparameters (validated, bound into the module's config and
 * resolved by the module before any data is read), the resource, input and
 * checkpoint configuration, channels, then the module's train().
 * Every failure ends here as one `ClientError: ...` / `AlgorithmError: ...`
 * line in output/failure and exit code 2 / 1; a stop on SIGTERM exits 0.
 */
#define _GNU_SOURCE
#include "train/train.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "data/channel.h"
#include "config/config.h"
#include "config/hparams.h"
#include "core/ctx.h"
#include "train/job.h"
#include "core/log.h"
#include "loader/module.h"
#include "core/paths.h"
#include "core/status.h"
#include "core/stop.h"
#include "core/strjoin.h"
#include "dist/dist.h"

/* "ClientError: <message>" (malloc'd; NULL when out of memory). */
static char *failure_line(optml_ctx *ctx, optml_status s)
{
    char *line = NULL;
    if (asprintf(&line, "%s: %s", rt_status_failure_prefix(s), ctx->errmsg[0] ? ctx->errmsg : optml_status_text(s)) < 0)
        return NULL;
    return line;
}

/* Write the failure file and log the same line. */
static void report_failure(const struct rt_paths *paths, optml_ctx *ctx, optml_status s)
{
    const char *msg = ctx->errmsg[0] ? ctx->errmsg : optml_status_text(s);
    char *line = NULL;
    if (asprintf(&line, "%s: %s\n", rt_status_failure_prefix(s), msg) < 0)
        return;
    rt_log(OPTML_LOG_ERROR, "%.*s", (int)strlen(line) - 1, line);
    if (paths && paths->failure_file) {
        struct optml_ctx scratch;
        rt_ctx_init(&scratch);
        struct rt_chunk c = {line, strlen(line)};
        /* Then the log (stderr) is the only place SageMaker's user finds
         * the reason: the line above, and why the file is missing. */
        if (rt_write_atomic(&scratch, paths->failure_file, &c, 1) != OPTML_OK)
            rt_log(OPTML_LOG_ERROR, "could not write the failure file: %s", scratch.errmsg);
    }
    free(line);
}

/* The parsers handed to rt_config_load_file: text NULL means the file does
 * not exist. */

static optml_status parse_hyperparameters(optml_ctx *ctx, const char *text, size_t len, void *arg)
{
    struct rt_job *job = arg;
    if (!text)
        rt_log(OPTML_LOG_INFO, "No hyperparameters.json in %s: using defaults", job->paths.config_dir);
    char *defaults = rt_hparams_defaults_json(job->alg);
    rt_log(OPTML_LOG_INFO, "Reading default configuration from module %s: %s", job->alg->name,
           defaults ? defaults : "{}");
    free(defaults);
    return rt_hparams_parse(ctx, job->alg, text, len, &job->hp);
}

static optml_status parse_resource_config(optml_ctx *ctx, const char *text, size_t len, void *arg)
{
    struct rt_job *job = arg;
    return rt_resource_config_parse(ctx, text, len, &job->resource); /* NULL: one host */
}

static optml_status parse_checkpoint_config(optml_ctx *ctx, const char *text, size_t len, void *arg)
{
    char **local = arg;
    return rt_checkpoint_config_parse(ctx, text, len, local); /* NULL: no LocalPath */
}

static optml_status parse_input_config(optml_ctx *ctx, const char *text, size_t len, void *arg)
{
    struct rt_job *job = arg;
    if (text) {
        optml_status s = rt_input_config_parse(ctx, text, len, &job->input);
        if (s == OPTML_OK)
            rt_input_config_warn_unlisted(&job->input, job->paths.data_dir);
        return s;
    }
    rt_log(OPTML_LOG_INFO, "No inputdataconfig.json: every directory under %s is a File-mode channel",
           job->paths.data_dir);
    return rt_input_config_discover(ctx, job->paths.data_dir, &job->input);
}

static optml_status load_hyperparameters(optml_ctx *ctx, struct rt_job *job)
{
    optml_status s = rt_config_load_file(ctx, job->paths.config_dir, "hyperparameters.json", 0,
                                         parse_hyperparameters, job);
    if (s != OPTML_OK)
        return s;
    char *provided = rt_hparams_provided_json(&job->hp);
    rt_log(OPTML_LOG_INFO, "Reading provided configuration from %s/hyperparameters.json: %s",
           job->paths.config_dir, provided ? provided : "{}");
    free(provided);
    ctx->hp = &job->hp;
    ctx->hp_hash = rt_hparams_shape_hash(&job->hp);
    /* The module decides what is left (conditional autos, cross-key rules);
     * then the line shows the values train() will use. */
    if ((s = rt_hparams_resolve(ctx, &job->hp)) != OPTML_OK)
        return s;
    char *final = rt_hparams_final_json(&job->hp);
    rt_log(OPTML_LOG_INFO, "Final configuration: %s", final ? final : "{}");
    free(final);
    return OPTML_OK;
}

static optml_status load_resource_config(optml_ctx *ctx, struct rt_job *job)
{
    optml_status s = rt_config_load_file(ctx, job->paths.config_dir, "resourceconfig.json", 1,
                                         parse_resource_config, job);
    if (s != OPTML_OK)
        return s;
    if (job->resource.n_hosts > 1 && !job->alg->multi_host)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "resourceconfig.json lists %zu hosts, but module %s does not support "
                           "multi-host training; use InstanceCount=1",
                           job->resource.n_hosts, job->alg->name);
    return OPTML_OK;
}

static optml_status load_checkpoint_config(optml_ctx *ctx, struct rt_job *job)
{
    char *local = NULL;
    optml_status s = rt_config_load_file(ctx, job->paths.config_dir, "checkpointconfig.json", 0,
                                         parse_checkpoint_config, &local);
    if (s != OPTML_OK)
        return s;
    if (local && *local) {
        if (rt_mkdirs(local, 0777) != 0) {
            s = optml_error(ctx, OPTML_E_CLIENT, "cannot create checkpoint directory %s: %s", local,
                            strerror(errno));
            free(local);
            return s;
        }
        job->paths.checkpoint_dir = local;
    } else {
        free(local);
        char *def = rt_path_join(job->paths.base, "checkpoints");
        struct stat st;
        if (def && stat(def, &st) == 0 && S_ISDIR(st.st_mode))
            job->paths.checkpoint_dir = def;
        else
            free(def);
    }
    const char *keep = getenv("OPTML_KEEP_CHECKPOINTS");
    ctx->keep_checkpoints = keep && atoi(keep) > 0 ? atoi(keep) : 3;
    if (job->paths.checkpoint_dir)
        rt_log(OPTML_LOG_INFO, "Checkpoints: %s (newest %d kept)", job->paths.checkpoint_dir,
               ctx->keep_checkpoints);
    return OPTML_OK;
}

static const struct optml_channel_decl *find_decl(const struct optml_algorithm *alg,
                                                  const char *name)
{
    for (size_t i = 0; i < alg->n_channels; i++)
        if (strcmp(alg->channels[i].name, name) == 0)
            return &alg->channels[i];
    return NULL;
}

static char *declared_channel_names(const struct optml_algorithm *alg)
{
    const char *names[64];
    size_t n = alg->n_channels < 64 ? alg->n_channels : 64;
    for (size_t i = 0; i < n; i++)
        names[i] = alg->channels[i].name;
    return rt_join(names, n);
}

static optml_status check_content_type(optml_ctx *ctx, const struct rt_channel_config *cfg,
                                       const struct optml_channel_decl *decl)
{
    if (!cfg->content_type || !decl->content_types)
        return OPTML_OK;
    for (size_t i = 0; decl->content_types[i]; i++)
        if (strcmp(decl->content_types[i], cfg->content_type) == 0)
            return OPTML_OK;
    char *ok = rt_join(decl->content_types, RT_JOIN_UNTIL_NULL);
    optml_status s = optml_error(ctx, OPTML_E_CLIENT,
                                 "channel '%s': ContentType '%s' is not supported; use one of: %s",
                                 cfg->name, cfg->content_type, ok ? ok : "?");
    free(ok);
    return s;
}

/* Build job->channels from the input configuration and the module's
 * declarations: unknown channels and content types are refused, required
 * ones must exist and (in File mode) hold files, empty optional ones are
 * dropped. */
static optml_status setup_channels(optml_ctx *ctx, struct rt_job *job)
{
    const struct optml_algorithm *alg = job->alg;
    job->channels = calloc(job->input.n ? job->input.n : 1, sizeof(*job->channels));
    if (!job->channels)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    for (size_t i = 0; i < job->input.n; i++) {
        const struct rt_channel_config *cfg = &job->input.channels[i];
        const struct optml_channel_decl *decl = find_decl(alg, cfg->name);
        if (!decl) {
            char *names = declared_channel_names(alg);
            optml_status s = optml_error(ctx, OPTML_E_CLIENT,
                                         "unknown channel '%s': %s trains on channels %s", cfg->name,
                                         alg->name, names ? names : "?");
            free(names);
            return s;
        }
        optml_status s = check_content_type(ctx, cfg, decl);
        if (s != OPTML_OK)
            return s;
        struct optml_channel *ch = &job->channels[job->n_channels];
        s = rt_channel_init(ctx, ch, cfg, decl, job->paths.data_dir);
        if (s != OPTML_OK) {
            rt_channel_free(ch);
            return s;
        }
        job->n_channels++;
        if (cfg->mode == OPTML_MODE_PIPE) {
            rt_log(OPTML_LOG_INFO, "The channel '%s' is in pipe input mode under %s.", cfg->name,
                   ch->path);
            continue;
        }
        s = rt_channel_list(ctx, ch);
        if (s != OPTML_OK)
            return s;
        rt_log(OPTML_LOG_INFO, "The channel '%s' is in %s mode under %s: %zu files, %llu bytes, %s",
               cfg->name, cfg->mode == OPTML_MODE_FASTFILE ? "FastFile" : "File", ch->path,
               ch->n_files, (unsigned long long)ch->total_bytes, optml_channel_content_type(ch));
        if (ch->n_files == 0) {
            if (decl->flags & OPTML_CHANNEL_REQUIRED)
                return optml_error(ctx, OPTML_E_CLIENT,
                                   "required channel '%s' is empty: no files under %s", cfg->name,
                                   ch->path);
            rt_log(OPTML_LOG_WARNING, "Channel '%s' is empty: ignoring it", cfg->name);
            job->n_channels--;
            rt_channel_free(ch);
        }
    }
    for (size_t i = 0; i < alg->n_channels; i++) {
        if (!(alg->channels[i].flags & OPTML_CHANNEL_REQUIRED))
            continue;
        size_t j;
        for (j = 0; j < job->input.n && strcmp(job->input.channels[j].name, alg->channels[i].name); j++)
            ;
        if (j == job->input.n)
            return optml_error(ctx, OPTML_E_CLIENT,
                               "required channel '%s' is missing: expected the directory %s/%s "
                               "(File mode) or the FIFO %s/%s_0 (Pipe mode)",
                               alg->channels[i].name, job->paths.data_dir, alg->channels[i].name,
                               job->paths.data_dir, alg->channels[i].name);
    }
    return OPTML_OK;
}

static optml_status load_input_config(optml_ctx *ctx, struct rt_job *job)
{
    optml_status s = rt_config_load_file(ctx, job->paths.config_dir, "inputdataconfig.json", 0,
                                         parse_input_config, job);
    if (s == OPTML_OK)
        s = setup_channels(ctx, job);
    ctx->channels = job->channels;
    ctx->n_channels = job->n_channels;
    return s;
}

static void open_metrics(struct rt_job *job)
{
    char *path = rt_path_join(job->paths.output_data_dir, "metrics.jsonl");
    errno = ENOMEM;
    if (path)
        job->metrics = fopen(path, "w");
    /* No output/data at all was said at start (rt_paths_prepare_training). */
    if (!job->metrics && errno != ENOENT && errno != ENOTDIR)
        rt_log(OPTML_LOG_WARNING, "cannot write %s: %s; metrics are only logged",
               path ? path : "output/data/metrics.jsonl", strerror(errno));
    free(path);
}

/* The last buffered bytes of metrics.jsonl are written by fclose: checked
 * like every line (one warning, unless one was said already). */
static void close_metrics(struct rt_job *job)
{
    if (!job->metrics)
        return;
    int bad = fclose(job->metrics) != 0;
    job->metrics = NULL;
    if (bad && !__atomic_exchange_n(&job->metrics_failed, 1, __ATOMIC_RELAXED))
        rt_log(OPTML_LOG_WARNING, "cannot write %s/metrics.jsonl: %s", job->paths.output_data_dir,
               strerror(errno));
}

static void job_free(struct rt_job *job)
{
    for (size_t i = 0; i < job->n_channels; i++)
        rt_channel_free(&job->channels[i]);
    free(job->channels);
    rt_input_config_free(&job->input);
    rt_resource_config_free(&job->resource);
    rt_hparams_free(&job->hp);
    close_metrics(job);
    rt_report_free(&job->report);
    rt_paths_free(&job->paths);
}

static optml_status prepare(optml_ctx *ctx, struct rt_job *job, struct rt_module *mod)
{
    optml_status s = rt_paths_prepare_training(ctx, &job->paths);
    if (s == OPTML_OK)
        s = rt_module_find(ctx, mod);
    if (s != OPTML_OK)
        return s;
    job->alg = ctx->alg = mod->alg;
    rt_log(OPTML_LOG_INFO, "optml %s: training with module %s %s (%s, module API %d.%d), base directory %s",
           OPTML_VERSION, mod->alg->name, mod->alg->version ? mod->alg->version : "", mod->path,
           mod->alg->api_version, mod->alg->api_minor, job->paths.base);
    if ((s = load_hyperparameters(ctx, job)) != OPTML_OK)
        return s;
    if ((s = load_resource_config(ctx, job)) != OPTML_OK)
        return s;
    if ((s = load_checkpoint_config(ctx, job)) != OPTML_OK)
        return s;
    /* A run killed mid-write left temp files: gone before anything is
     * written, so they reach neither model.tar.gz nor the checkpoint sync. */
    const char *dirs[] = {job->paths.model_dir, job->paths.checkpoint_dir, job->paths.output_data_dir};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        size_t n = rt_remove_stale_temps(dirs[i]);
        if (n)
            rt_log(OPTML_LOG_INFO, "Removed %zu temporary file%s left in %s by an interrupted run", n,
                   n == 1 ? "" : "s", dirs[i]);
    }
    return load_input_config(ctx, job);
}

int rt_train_main(void)
{
    struct rt_job job;
    struct rt_module mod;
    struct optml_ctx ctx;
    memset(&job, 0, sizeof(job));
    memset(&mod, 0, sizeof(mod));
    rt_ctx_init(&ctx);
    ctx.job = &job;
    ctx.paths = &job.paths;
    rt_report_init(&job.report);
    double t0 = rt_now();
    struct rt_report_outcome outcome = {.start_wall = rt_wall_now(), .start_mono = t0};

    optml_status s = rt_paths_init(&ctx, &job.paths);
    if (s == OPTML_OK)
        s = prepare(&ctx, &job, &mod);
    /* More than one host: this process supervises (dist/launch.c) and
     * mpirun starts the rank that trains, which joins the job here. */
    int multi = s == OPTML_OK && job.resource.n_hosts > 1;
    if (multi && !rt_dist_is_rank()) {
        int sup = rt_dist_supervise(&ctx, &job.resource, &job.paths);
        if (ctx.errmsg[0])
            report_failure(&job.paths, &ctx, ctx.errcode);
        job_free(&job);
        rt_module_release(&mod);
        return sup;
    }
    if (multi) {
        s = rt_dist_rank_start(&ctx, &job.resource);
        /* model/, checkpoints and the report are rank 0's */
        ctx.rank = optml_dist_rank(&ctx);
        ctx.share_from_leader = rt_dist_share_from_leader;
    }
    if (s == OPTML_OK && rt_stop_requested())
        s = OPTML_STOPPED;
    if (s == OPTML_OK) {
        open_metrics(&job);
        s = job.alg->train(&ctx);
        /* A collective that failed fails the job, even when the module
         * took it for a stop (optml_dist_should_stop). */
        if (multi && rt_dist_failed() && (s == OPTML_OK || s == OPTML_STOPPED || s == OPTML_END))
            s = OPTML_E_INTERNAL;
    }
    double secs = rt_now() - t0;
    int code = rt_status_exit_code(s);
    char *failure = code != 0 ? failure_line(&ctx, s) : NULL;
    if (code != 0)
        report_failure(&job.paths, &ctx, s);
    else if (s == OPTML_OK && !rt_stop_requested())
        rt_log(OPTML_LOG_INFO, "Training complete in %.3f s; model in %s", secs, job.paths.model_dir);
    else
        rt_log(OPTML_LOG_INFO, "Training stopped on request after %.3f s; what was saved is in %s",
               secs, job.paths.model_dir ? job.paths.model_dir : "model/");
    /* The report, whatever the outcome, once the output directory exists:
     * a failure to write it is a warning, never the job's. */
    struct stat od;
    int have_out = job.paths.output_data_dir && stat(job.paths.output_data_dir, &od) == 0 && S_ISDIR(od.st_mode);
    if (ctx.rank != 0) {
        /* several hosts: rank 0 writes the report */
    } else if (have_out && access(job.paths.output_data_dir, W_OK | X_OK) == 0) {
        outcome.status = s;
        outcome.failure = failure;
        outcome.stopped = code == 0 && (s == OPTML_STOPPED || rt_stop_requested());
        outcome.end_mono = rt_now();
        rt_report_write(&job, &outcome);
    } else if (have_out) { /* no output/data at all: said at start, or no tree at all */
        rt_log(OPTML_LOG_WARNING, "could not write the training report: %s is not writable: %s",
               job.paths.output_data_dir, strerror(errno));
    }
    free(failure);
    if (multi)
        rt_dist_rank_end(s);
    job_free(&job);
    rt_module_release(&mod); /* the library itself stays loaded */
    return code;
}
