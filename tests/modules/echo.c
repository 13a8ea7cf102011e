/*
 * echo.c: a module that exists only for the tests.  It reads every record of
 * its channels for `epochs` passes, counts records and bytes and hashes the
 * data, reports metrics and progress, checkpoints after every epoch, resumes
 * from the newest checkpoint, honours the stop flag, and writes a model file
 * whose text says what it saw.  Hyperparameters let tests make it slow
 * (`sleep_ms`) or fail (`fail`).  It serves a trivial prediction so the
 * model-file reader is exercised too; its JSON answer names the media type
 * indexes and parameters the runtime handed it.  Its hyperparameters are
 * not bound (no config struct): it reads them by name with optml_hp_*, as
 * modules did before API 4.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "optml/algorithm.h"

static const char *const frame_choices[] = {"auto", "lines", "recordio", "tfrecord", "file", NULL};
static const char *const fail_choices[] = {"none", "client", "algorithm", NULL};

static const struct optml_hparam_decl hparams[] = {
    {.name = "epochs", .type = OPTML_HP_INT, .default_value = "2",
     .flags = OPTML_HP_HAS_MIN | OPTML_HP_HAS_MAX, .min = 1, .max = 1000, .help = "passes over the data"},
    {.name = "framing", .type = OPTML_HP_ENUM, .default_value = "auto", .choices = frame_choices,
     .help = "record framing (auto: from the content type)"},
    {.name = "sleep_ms", .type = OPTML_HP_INT, .default_value = "0", .flags = OPTML_HP_HAS_MIN,
     .help = "sleep per record"},
    {.name = "fail", .type = OPTML_HP_ENUM, .default_value = "none", .choices = fail_choices,
     .help = "fail on purpose after the first epoch"},
    {.name = "learning_rate", .type = OPTML_HP_FLOAT, .default_value = "0.1",
     .flags = OPTML_HP_HAS_MIN | OPTML_HP_MIN_EXCLUSIVE | OPTML_HP_HAS_MAX, .max = 10, .help = "unused"},
    {.name = "verbose", .type = OPTML_HP_BOOL, .default_value = "false", .help = "log every record"},
    {.name = "feature_dim", .type = OPTML_HP_INT, .default_value = "auto",
     .flags = OPTML_HP_ALLOW_AUTO | OPTML_HP_SHAPES_MODEL | OPTML_HP_HAS_MIN, .min = 1,
     .help = "shapes the model"},
    {.name = "label_names", .type = OPTML_HP_JSON, .help = "unused JSON"},
};

static const char *const data_types[] = {"text/csv", "application/jsonlines", "application/x-recordio",
                                         "application/x-recordio-protobuf", "application/x-tfrecord",
                                         "application/octet-stream", NULL};
static const struct optml_channel_decl channels[] = {
    {"train", OPTML_CHANNEL_REQUIRED, data_types},
    {"validation", 0, data_types},
};

struct state {
    uint64_t epochs_done, records, bytes, hash;
};

static enum optml_framing framing_for(optml_ctx *ctx, const optml_channel *ch)
{
    const char *f = optml_hp_string(ctx, "framing");
    const char *t = optml_channel_content_type(ch);
    if (strcmp(f, "lines") == 0 || (strcmp(f, "auto") == 0 && (strcmp(t, "text/csv") == 0 ||
                                                                strcmp(t, "application/jsonlines") == 0)))
        return OPTML_FRAME_LINES;
    if (strcmp(f, "recordio") == 0 || (strcmp(f, "auto") == 0 && strstr(t, "recordio")))
        return OPTML_FRAME_RECORDIO;
    if (strcmp(f, "tfrecord") == 0 || (strcmp(f, "auto") == 0 && strstr(t, "tfrecord")))
        return OPTML_FRAME_TFRECORD;
    return OPTML_FRAME_FILE;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One pass over a channel; adds to *st.  Returns OK, STOPPED or an error. */
static optml_status pass(optml_ctx *ctx, const optml_channel *ch, struct state *st, uint64_t *count)
{
    optml_reader *r = NULL;
    optml_status s = optml_channel_open(ctx, ch, framing_for(ctx, ch), &r);
    if (s != OPTML_OK)
        return s;
    struct optml_record rec;
    int64_t nap = optml_hp_int(ctx, "sleep_ms");
    int verbose = optml_hp_bool(ctx, "verbose");
    *count = 0;
    while ((s = optml_reader_next(r, &rec)) == OPTML_OK) {
        for (size_t i = 0; i < rec.len; i++)
            st->hash = (st->hash ^ rec.data[i]) * 1099511628211ULL;
        st->hash = (st->hash ^ 0xff) * 1099511628211ULL; /* record boundary */
        st->bytes += rec.len;
        (*count)++;
        if (verbose)
            optml_log(ctx, OPTML_LOG_INFO, "record %s:%llu (%zu bytes)", rec.source,
                      (unsigned long long)rec.number, rec.len);
        optml_progress(ctx, optml_reader_progress(r), *count);
        if (nap)
            sleep_ms(nap);
        if (optml_should_stop(ctx)) {
            s = OPTML_STOPPED;
            break;
        }
    }
    optml_reader_close(r);
    return s == OPTML_END ? OPTML_OK : s;
}

static optml_status save_model(optml_ctx *ctx, const struct state *st)
{
    char text[256];
    int n = snprintf(text, sizeof(text), "epochs=%llu records=%llu bytes=%llu hash=%016llx\n",
                     (unsigned long long)st->epochs_done, (unsigned long long)st->records,
                     (unsigned long long)st->bytes, (unsigned long long)st->hash);
    optml_status s = optml_model_write(ctx, "echo.model", text, (size_t)n);
    if (s == OPTML_OK)
        s = optml_file_write_atomic(ctx, "model.json", text, (size_t)n);
    return s;
}

/* The training report's module tables (API 4.1): built against the
 * frozen 4.0 header this compiles to nothing, and the report has none.
 * The class names carry markup, as user data may. */
static void report_tables(optml_ctx *ctx, const struct state *st)
{
#if OPTML_ALGORITHM_API_MINOR >= 1
    optml_report_rows(ctx, "train", st->records / (st->epochs_done ? st->epochs_done : 1), 0);
    optml_report_fact(ctx, "Records seen", "%llu in %llu epochs", (unsigned long long)st->records,
                      (unsigned long long)st->epochs_done);
    static const char *const classes[] = {"<b>cats & dogs</b>", "\"quoted\" 'x'"};
    const uint64_t counts[] = {7, 1, 2, 5};
    optml_report_confusion(ctx, "validation", 2, classes, counts);
    const float predicted[] = {1, 2, 3, 4}, actual[] = {1, 1, 4, 4};
    optml_report_residuals(ctx, "test", predicted, actual, 4);
    static const char *const header[] = {"key", "value"};
    static const char *const cells[] = {"hash", "<script>alert(1)</script>"};
    optml_report_table(ctx, "Echo's own table", 2, header, 1, cells, "a note from echo");
#else
    (void)ctx;
    (void)st;
#endif
}

static optml_status echo_train(optml_ctx *ctx)
{
    struct state st = {0};
    void *ck = NULL;
    size_t ck_len = 0;
    uint64_t step = 0;
    optml_status s = optml_checkpoint_load(ctx, &step, &ck, &ck_len);
    if (s == OPTML_OK) {
        if (ck_len != sizeof(st)) {
            free(ck);
            return optml_error(ctx, OPTML_E_CLIENT, "checkpoint has %zu bytes, expected %zu", ck_len,
                               sizeof(st));
        }
        memcpy(&st, ck, sizeof(st));
        free(ck);
    } else if (s != OPTML_E_NOT_FOUND) {
        return s;
    }
    int epochs = (int)optml_hp_int(ctx, "epochs");
    const optml_channel *train = optml_channel_get(ctx, "train");
    const optml_channel *val = optml_channel_get(ctx, "validation");
    for (int e = (int)st.epochs_done; e < epochs; e++) {
        optml_epoch_begin(ctx, e, epochs);
        struct state next = st;
        uint64_t n = 0;
        s = pass(ctx, train, &next, &n);
        if (s == OPTML_STOPPED) {
            optml_log(ctx, OPTML_LOG_INFO, "stop requested in epoch %d: saving", e);
            optml_status w = optml_checkpoint_save(ctx, st.epochs_done, &st, sizeof(st));
            if (w == OPTML_OK)
                w = save_model(ctx, &st);
            return w == OPTML_OK ? OPTML_STOPPED : w;
        }
        if (s != OPTML_OK)
            return s;
        next.records += n;
        next.epochs_done = (uint64_t)e + 1;
        st = next;
        optml_epoch_end(ctx, e, n);
        optml_metric(ctx, &(struct optml_metric){"train", "records", "score", (double)n, e, -1});
        if (val) {
            struct state vs = {0};
            uint64_t vn = 0;
            s = pass(ctx, val, &vs, &vn);
            if (s != OPTML_OK && s != OPTML_STOPPED)
                return s;
            optml_metric(ctx, &(struct optml_metric){"validation", "records", "score", (double)vn, e, -1});
        }
        if ((s = optml_checkpoint_save(ctx, st.epochs_done, &st, sizeof(st))) != OPTML_OK)
            return s;
        const char *fail = optml_hp_string(ctx, "fail");
        if (strcmp(fail, "client") == 0)
            return optml_error(ctx, OPTML_E_CLIENT, "echo was asked to fail (client)");
        if (strcmp(fail, "algorithm") == 0)
            return optml_error(ctx, OPTML_E_INTERNAL, "echo was asked to fail (algorithm)");
    }
    optml_metric(ctx, &(struct optml_metric){"train", "total_records", "score", (double)st.records, -1, -1});
    report_tables(ctx, &st);
    return save_model(ctx, &st);
}

struct model {
    char text[256];
};

static optml_status echo_load(optml_ctx *ctx, const char *dir, void **out)
{
    void *data = NULL;
    size_t len = 0;
    optml_status s = optml_model_read(ctx, dir, "echo.model", &data, &len);
    if (s != OPTML_OK)
        return s;
    struct model *m = calloc(1, sizeof(*m));
    if (!m) {
        free(data);
        return OPTML_E_NOMEM;
    }
    memcpy(m->text, data, len < sizeof(m->text) - 1 ? len : sizeof(m->text) - 1);
    free(data);
    *out = m;
    return OPTML_OK;
}

/* The served media types, by index (the module table's lists). */
enum echo_in { ECHO_IN_JSON, ECHO_IN_CSV, ECHO_IN_JSONLINES, ECHO_IN_PROTOBUF, ECHO_N_IN };
enum echo_out { ECHO_OUT_JSON, ECHO_OUT_JSONLINES, ECHO_N_OUT };
static const char *const req_types[ECHO_N_IN + 1] = {
    [ECHO_IN_JSON] = "application/json",
    [ECHO_IN_CSV] = "text/csv",
    [ECHO_IN_JSONLINES] = "application/jsonlines",
    [ECHO_IN_PROTOBUF] = "application/x-recordio-protobuf",
};
static const char *const resp_types[ECHO_N_OUT + 1] = {
    [ECHO_OUT_JSON] = "application/json",
    [ECHO_OUT_JSONLINES] = "application/jsonlines",
};

/* Custom attributes drive the test behaviours: "sleep_ms=N" works for N ms
 * in 10 ms slices and gives up when optml_should_stop() says the deadline
 * passed; "fail=1" is a module failure; "echo=1" returns the attributes. */
static long attr_value(const char *attrs, const char *key)
{
    const char *p = attrs ? strstr(attrs, key) : NULL;
    return p ? strtol(p + strlen(key), NULL, 10) : 0;
}

static optml_status echo_predict(optml_ctx *ctx, const void *model, const struct optml_request *req,
                                 optml_response *resp)
{
    const struct model *m = model;
    const char *attrs = req->custom_attributes;
    for (long waited = 0, nap = attr_value(attrs, "sleep_ms="); waited < nap; waited += 10) {
        if (optml_should_stop(ctx))
            return optml_error(ctx, OPTML_E_TIMEOUT, "echo gave up after %ld ms", waited);
        sleep_ms(10);
    }
    if (attr_value(attrs, "fail="))
        return optml_error(ctx, OPTML_E_INTERNAL, "echo was asked to fail");
    if (attr_value(attrs, "echo="))
        optml_response_set_custom_attributes(resp, attrs);
    if ((unsigned)req->content_index >= ECHO_N_IN || (unsigned)req->accept_index >= ECHO_N_OUT ||
        strcmp(req->content_type.type, req_types[req->content_index]) != 0 ||
        strcmp(req->accept.type, resp_types[req->accept_index]) != 0)
        return optml_error(ctx, OPTML_E_INTERNAL, "echo got indexes %d, %d for %s, %s", req->content_index,
                           req->accept_index, req->content_type.type, req->accept.type);
    int json_body = req->content_index == ECHO_IN_JSON;
    if (json_body && (req->len == 0 || (req->body[0] != '{' && req->body[0] != '[')))
        return optml_error(ctx, OPTML_E_CLIENT, "malformed JSON at byte 0");
    enum optml_framing framing = json_body                                 ? OPTML_FRAME_FILE
                                 : req->content_index == ECHO_IN_PROTOBUF ? OPTML_FRAME_RECORDIO
                                                                          : OPTML_FRAME_LINES;
    optml_reader *r = NULL;
    optml_status s = optml_memory_open(ctx, req->body, req->len, framing, &r);
    if (s != OPTML_OK)
        return s;
    int lines = req->accept_index == ECHO_OUT_JSONLINES;
    if (!lines)
        s = optml_response_printf(resp, "{\"model\": \"%.*s\", \"content_index\": %d, \"accept_index\": %d, "
                                  "\"accept_params\": \"%s\", \"content_type_params\": \"%s\", \"predictions\": [",
                                  (int)strcspn(m->text, "\n"), m->text, req->content_index, req->accept_index,
                                  req->accept.params, req->content_type.params);
    struct optml_record rec;
    uint64_t n = 0;
    while (s == OPTML_OK && (s = optml_reader_next(r, &rec)) == OPTML_OK) {
        if (rec.len == 3 && memcmp(rec.data, "bad", 3) == 0) {
            s = optml_error(ctx, OPTML_E_CLIENT, "line %llu: cannot parse 'bad'",
                            (unsigned long long)rec.number);
            break;
        }
        if (lines)
            s = optml_response_printf(resp, "{\"bytes\": %zu}\n", rec.len);
        else
            s = optml_response_printf(resp, "%s{\"bytes\": %zu}", n ? ", " : "", rec.len);
        n++;
    }
    optml_reader_close(r);
    if (s != OPTML_END)
        return s;
    return lines ? OPTML_OK : optml_response_printf(resp, "]}");
}

OPTML_MODULE(.name = "echo", .version = "1.0.0", .model_format_version = 1,
             .description = "test module: counts and hashes records",
             .hparams = hparams, .n_hparams = OPTML_COUNTOF(hparams),
             .channels = channels, .n_channels = OPTML_COUNTOF(channels),
             .request_types = req_types, .response_types = resp_types,
             .default_accept = "application/json",
             .train = echo_train, .model_load = echo_load, .predict = echo_predict,
             .model_free = free);
