/*
 * optml/algorithm.h: the one header an algorithm module includes.
 *
 * A module is a shared library (`<name>.so`) that the `optml` runtime loads
 * with dlopen().  It exports exactly one data symbol, `optml_module`, a
 * constant `struct optml_algorithm` that declares the module's name, its
 * hyperparameters, the channels and content types it trains on, the content
 * types it serves, and its functions.  Use OPTML_MODULE() to define it.
 *
 * The runtime owns everything that is not math: the /opt/ml directory
 * contract, hyperparameter parsing and validation, channel reading (File and
 * Pipe mode, gzip, line / RecordIO / TFRecord / whole-file framing), the stop
 * flag, checkpoint and model files, logging, metric lines, failure files and
 * exit codes, and (for `serve`) HTTP.  A module calls back into the runtime
 * through the optml_* functions declared below; they are exported by the
 * `optml` executable and resolved when the module is loaded.
 *
 * Conventions
 *  - Every function that can fail returns an optml_status.  Use optml_error()
 *    to record a message and return a status in one expression:
 *        return optml_error(ctx, OPTML_E_CLIENT, "epochs must be >= 1");
 *    The first message recorded is the one reported (failure file, HTTP body).
 *  - Pointers passed to a module are borrowed unless a function's comment says
 *    otherwise; strings are NUL-terminated UTF-8.
 *  - Never exit(), abort() or assert() on user data: return a status.
 *
 * Versioning (major.minor, as SQLite versions its extension structs):
 *  - OPTML_ALGORITHM_API_VERSION, the major version, changes only when this
 *    header changes in a way that breaks modules already built.  The runtime
 *    refuses a module of another major version, naming both.
 *  - OPTML_ALGORITHM_API_MINOR counts the additions since: within a major
 *    version the interface only grows.  A minor version may append members
 *    at the END of struct optml_algorithm (never insert, reorder or change
 *    one), append members at the end of a struct the runtime fills and hands
 *    to a module (optml_request, optml_record, optml_lines: an older module
 *    reads the prefix it knows), and add functions.  It never changes a
 *    struct a module fills for the runtime to read in arrays or by pointer
 *    (optml_hparam_decl, optml_channel_decl, optml_metric, optml_media),
 *    nor the meaning of anything that exists.
 *  - OPTML_MODULE() records the major and minor versions the module was
 *    built against and the size of its table.  A module built against an
 *    older minor version keeps loading in a newer runtime: the runtime reads
 *    only the members the module's table holds and treats the later ones as
 *    absent (NULL / 0).  A module built against a NEWER minor version than
 *    the runtime's is refused with a message naming both (it may call
 *    functions this runtime does not have).
 *  - api_version, api_minor and table_size are and stay the first three
 *    members of struct optml_algorithm, in every version.
 * History: 4.0 bound hyperparameters (config_size, resolve), media indices
 * and the status table of this file.  4.1 the training report: the
 * optml_report_* functions, through which a module adds its own tables
 * (rows per channel, confusion matrices, residuals, facts such as a chosen
 * threshold, any table) to output/data/report.html; a module built against
 * 4.0 gets the report without tables of its own.  4.2 optml_scratch_dir,
 * the directory for a module's temporary files.  4.3 OPTML_FRAME_FIXED and
 * optml_reader_set_record_size: fixed-size binary records (IDX, CIFAR-10
 * binary batches), gzip and offsets handled by the runtime as for the
 * other framings; optml_tfrecord_header_valid to recognise TFRecord data.
 * 4.4 multi-host training: the optml_dist_* functions (rank, world size,
 * allreduce, broadcast, barrier, an agreed stop) and the table's
 * `multi_host` flag.  4.5 optml_channel_sharded (a channel's
 * S3DistributionType, for splitting rows across hosts).
 */
#ifndef OPTML_ALGORITHM_H
#define OPTML_ALGORITHM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OPTML_ALGORITHM_API_VERSION 4 /* major */
#define OPTML_ALGORITHM_API_MINOR 5   /* additions within the major version */

/* ------------------------------------------------------------------------ */
/* Status codes                                                             */
/* ------------------------------------------------------------------------ */

/*
 * OPTML_STATUS_MAP(XX): XX(NAME, http status, failure kind, description).
 * Failure kind decides how training reports it: 'C' is a ClientError (the
 * user's input is wrong, exit code 2), 'A' an AlgorithmError (our fault, exit
 * code 1), '-' not a failure.  The server answers every status with the HTTP
 * code given here (a status under 400 that still ends a request is 500).
 * E_MODEL is 422: the model the client pointed at (the multi-model API's
 * POST /models) is missing, corrupt or incompatible; the request itself was
 * well formed.
 */
#define OPTML_STATUS_MAP(XX)                                                   \
    XX(OK,                 200, '-', "ok")                                     \
    XX(END,                200, '-', "end of stream")                          \
    XX(STOPPED,            503, '-', "stop requested")                         \
    XX(E_CLIENT,           400, 'C', "invalid input")                          \
    XX(E_UNSUPPORTED_MEDIA, 415, 'C', "unsupported content type")              \
    XX(E_NOT_ACCEPTABLE,   406, 'C', "unsupported accept type")                \
    XX(E_TOO_LARGE,        413, 'C', "payload too large")                      \
    XX(E_NOT_FOUND,        404, 'C', "not found")                              \
    XX(E_CONFLICT,         409, 'C', "conflicts with what exists (e.g. a model of that name is loaded)") \
    XX(E_MODEL,            422, 'C', "model file is missing, corrupt or incompatible") \
    XX(E_TIMEOUT,          504, 'A', "timed out")                              \
    XX(E_NOMEM,            507, 'A', "out of memory")                          \
    XX(E_IO,               500, 'A', "I/O error")                              \
    XX(E_INTERNAL,         500, 'A', "internal error")

typedef enum optml_status {
#define OPTML__STATUS_ENUM(name, http, kind, text) OPTML_##name,
    OPTML_STATUS_MAP(OPTML__STATUS_ENUM)
#undef OPTML__STATUS_ENUM
    OPTML_STATUS_COUNT
} optml_status;

/* Short name ("E_CLIENT"), description, HTTP code and failure kind of a status. */
const char *optml_status_name(optml_status s);
const char *optml_status_text(optml_status s);
int optml_status_http(optml_status s);
char optml_status_kind(optml_status s);

/* ------------------------------------------------------------------------ */
/* Context, logging, errors                                                 */
/* ------------------------------------------------------------------------ */

/* Opaque: a training job, or one prediction request while serving. */
typedef struct optml_ctx optml_ctx;

enum optml_log_level {
    OPTML_LOG_DEBUG = 10,
    OPTML_LOG_INFO = 20,
    OPTML_LOG_WARNING = 30,
    OPTML_LOG_ERROR = 40
};

/* Log one line with SageMaker's built-in prefix
 * `[MM/DD/YYYY HH:MM:SS LEVEL <thread>] `.  ctx may be NULL.  Thread-safe. */
void optml_log(optml_ctx *ctx, enum optml_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record an error message for `ctx` (the first one wins) and return `code`.
 * Training reports it as `ClientError: <msg>` or `AlgorithmError: <msg>` in
 * output/failure; serving returns it in a JSON error body. */
optml_status optml_error(optml_ctx *ctx, optml_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The message recorded by optml_error(), or "" when none. */
const char *optml_error_message(const optml_ctx *ctx);

/* Training: nonzero once SIGTERM or SIGINT has arrived.  Poll it between
 * batches (and inside long ones); then save a checkpoint and the model so far
 * and return OPTML_STOPPED (or OPTML_OK).  The runtime exits 0 with no
 * failure file.
 * Serving (the ctx given to predict): nonzero once the request is past its
 * deadline and the client has had its 504: stop and return OPTML_E_TIMEOUT;
 * the worker is then free for other requests.  SIGTERM does not cancel a
 * prediction: the server lets requests in flight finish. */
int optml_should_stop(const optml_ctx *ctx);

/* This host's name in the job (`current_host` of resourceconfig.json,
 * "algo-1" by default), for log lines that carry it. */
const char *optml_host_name(const optml_ctx *ctx);

/* Number of CPUs this process may use (cgroup quota, affinity, CPU count). */
int optml_cpu_count(void);

/* ------------------------------------------------------------------------ */
/* Hyperparameters                                                          */
/* ------------------------------------------------------------------------ */

/*
 * A module declares its hyperparameters in a table of struct
 * optml_hparam_decl rows.  The runtime parses and validates
 * hyperparameters.json against it before any data is read, and *binds* each
 * value into the module's own config struct: every row made with
 * OPTML_HP_ROW() names a member of that struct (checked by the compiler: a
 * misspelt member or a member of the wrong type does not compile), and the
 * module reads the typed values from there (optml_config()).  In short:
 *
 *     struct my_config { int32_t epochs; double learning_rate; int optimizer; };
 *     static const char *const OPTIMIZERS[] = {"sgd", "adam", NULL};
 *     static const struct optml_hparam_decl HP[] = {
 *         OPTML_HP_ROW(struct my_config, epochs, I32, "10", OPTML_MIN, 1, 0, "passes"),
 *         OPTML_HP_ROW(struct my_config, optimizer, ENUM, "auto", OPTML_AUTO, 0, 0,
 *                      "sgd or adam (auto: adam)", .choices = OPTIMIZERS, .auto_value = "adam"),
 *         OPTML_HP_ROW(struct my_config, learning_rate, F64, "auto", OPTML_AUTO | OPTML_GT_MIN,
 *                      0, 0, "step size (auto: by optimizer)"),
 *     };
 *     OPTML_MODULE(..., .hparams = HP, .n_hparams = OPTML_COUNTOF(HP),
 *                  .config_size = sizeof(struct my_config), .resolve = my_resolve, ...);
 *
 * `auto`: a row may say what auto stands for (.auto_value, text parsed like
 * a value of the row); otherwise an auto value leaves its member *unset*
 * (below) and the module's resolve() decides it, usually from other keys.
 * After resolve() the runtime logs the "Final configuration" line from the
 * config struct: resolved values appear as such, members still unset as
 * "auto".
 */

enum optml_hp_type {
    OPTML_HP_INT,    /* 64-bit integer, decimal text */
    OPTML_HP_FLOAT,  /* double, C-locale text; NaN and Inf are refused */
    OPTML_HP_BOOL,   /* true/True/TRUE/1 or false/False/FALSE/0 */
    OPTML_HP_STRING, /* any text */
    OPTML_HP_ENUM,   /* one of `choices` */
    OPTML_HP_JSON    /* JSON text (object, list, ...), validated as JSON */
};

/* Flags for struct optml_hparam_decl. */
#define OPTML_HP_REQUIRED     0x1u /* the user must give it */
#define OPTML_HP_ALLOW_AUTO   0x2u /* "auto" is accepted besides typed values */
#define OPTML_HP_SHAPES_MODEL 0x4u /* part of the hash stored in checkpoints and
                                      model files: a different value makes them
                                      incompatible (e.g. feature_dim, layers) */
#define OPTML_HP_HAS_MIN      0x8u /* INT/FLOAT: value >= min */
#define OPTML_HP_HAS_MAX      0x10u /* INT/FLOAT: value <= max */
#define OPTML_HP_MIN_EXCLUSIVE 0x20u /* with HAS_MIN: value > min */

/* The same, short, for tables. */
#define OPTML_AUTO    OPTML_HP_ALLOW_AUTO
#define OPTML_SHAPES  OPTML_HP_SHAPES_MODEL
#define OPTML_MIN     OPTML_HP_HAS_MIN                            /* >= min */
#define OPTML_GT_MIN  (OPTML_HP_HAS_MIN | OPTML_HP_MIN_EXCLUSIVE) /* > min */
#define OPTML_MAX     OPTML_HP_HAS_MAX                            /* <= max */

/* Where a row's value goes in the module's config struct, and as what C
 * type.  The value of a bound member when its key has no value is *unset*
 * (OPTML_IS_UNSET below). */
enum optml_hp_bind {
    OPTML_BIND_NONE,  /* not bound (API 3 style: read with optml_hp_*) */
    OPTML_BIND_I64,   /* INT   -> int64_t; unset OPTML_UNSET_I64 */
    OPTML_BIND_I32,   /* INT   -> int32_t; unset OPTML_UNSET_INT.  Values
                         outside [-(2^31 - 1), 2^31 - 1] are refused */
    OPTML_BIND_SIZE,  /* INT   -> size_t; unset OPTML_UNSET_SIZE.  The row
                         must declare a min >= 0 */
    OPTML_BIND_F64,   /* FLOAT -> double; unset NaN */
    OPTML_BIND_F32,   /* FLOAT -> float (values beyond FLT_MAX are refused);
                         unset NaN */
    OPTML_BIND_BOOL,  /* BOOL  -> int, 1 or 0; unset OPTML_UNSET_INT */
    OPTML_BIND_TEXT,  /* STRING, JSON, ENUM -> const char * (ENUM: the
                         declared spelling of the choice); owned by the
                         runtime for the job's life; unset NULL */
    OPTML_BIND_INDEX  /* ENUM  -> int, the index of the value in `choices`
                         (switch on it); unset OPTML_UNSET_INT */
};

/* Unset members.  A bound member is unset when its key has no value for the
 * module: the value is auto and the row has no auto_value, or the key is
 * optional (no default, not REQUIRED) and was not given.  The values are
 * outside what the runtime ever binds (user values equal to them are
 * refused). */
#define OPTML_UNSET_INT  INT32_MIN          /* I32, BOOL, INDEX */
#define OPTML_UNSET_I64  INT64_MIN
#define OPTML_UNSET_SIZE SIZE_MAX
/* F64, F32: NaN; TEXT: NULL. */

#ifndef __cplusplus
static inline int optml__unset_i32(int32_t x) { return x == OPTML_UNSET_INT; }
static inline int optml__unset_i64(int64_t x) { return x == OPTML_UNSET_I64; }
static inline int optml__unset_size(size_t x) { return x == OPTML_UNSET_SIZE; }
static inline int optml__unset_f32(float x) { return x != x; }
static inline int optml__unset_f64(double x) { return x != x; }
static inline int optml__unset_text(const char *x) { return x == NULL; }
/* Nonzero when bound member x is unset: OPTML_IS_UNSET(cfg->num_classes). */
#define OPTML_IS_UNSET(x)                                                      \
    _Generic((x), int32_t: optml__unset_i32, int64_t: optml__unset_i64,        \
             size_t: optml__unset_size, float: optml__unset_f32,               \
             double: optml__unset_f64, const char *: optml__unset_text)(x)
#endif

/* One declared hyperparameter.  The runtime rejects keys that are not
 * declared (except keys starting with `_` or `sagemaker_`), values of the
 * wrong type and values out of range, before any data is read.  Write rows
 * with OPTML_HP_ROW() (bound) rather than by hand. */
struct optml_hparam_decl {
    const char *name;
    enum optml_hp_type type;
    const char *default_value;   /* text form; NULL = unset unless given */
    unsigned flags;              /* OPTML_HP_* flags above */
    double min, max;             /* with OPTML_HP_HAS_MIN / OPTML_HP_HAS_MAX */
    const char *const *choices;  /* ENUM: NULL-terminated list of values */
    const char *help;            /* one line, shown by `optml help` */
    /* Binding (API 4). */
    enum optml_hp_bind bind;     /* OPTML_BIND_NONE: not bound */
    size_t offset;               /* of the member in the config struct */
    const char *auto_value;      /* with OPTML_HP_ALLOW_AUTO: what auto stands
                                    for, parsed like a value of the row ("8");
                                    NULL: auto leaves the member unset for
                                    resolve().  Only on bound rows. */
};

/*
 * OPTML_HP_ROW(T, member, KIND, default, flags, min, max, help, extras...)
 *   A row for the key spelt like the member, bound to it.  KIND is one of
 *     I64 I32 SIZE   INT   -> int64_t / int32_t / size_t
 *     F64 F32        FLOAT -> double / float
 *     BOOL           BOOL  -> int
 *     STRING JSON    text  -> const char *
 *     ENUM           ENUM  -> int (index in choices)
 *     ENUM_TEXT      ENUM  -> const char *
 *   and the member must have exactly that type.  `extras` are designated
 *   initializers: .choices = X (ENUM kinds: required), .auto_value = "8".
 * OPTML_HP_ROW_NAMED("key", T, member, KIND, ...)
 *   The same with the key spelt out: for keys that are not C identifiers
 *   ("learning-rate"), or a value that lives in a nested member (lp.margin).
 * Both use C11 _Generic: C only.
 */
#define OPTML__HPT_I64 OPTML_HP_INT
#define OPTML__HPT_I32 OPTML_HP_INT
#define OPTML__HPT_SIZE OPTML_HP_INT
#define OPTML__HPT_F64 OPTML_HP_FLOAT
#define OPTML__HPT_F32 OPTML_HP_FLOAT
#define OPTML__HPT_BOOL OPTML_HP_BOOL
#define OPTML__HPT_STRING OPTML_HP_STRING
#define OPTML__HPT_JSON OPTML_HP_JSON
#define OPTML__HPT_ENUM OPTML_HP_ENUM
#define OPTML__HPT_ENUM_TEXT OPTML_HP_ENUM
#define OPTML__BIND_I64 OPTML_BIND_I64
#define OPTML__BIND_I32 OPTML_BIND_I32
#define OPTML__BIND_SIZE OPTML_BIND_SIZE
#define OPTML__BIND_F64 OPTML_BIND_F64
#define OPTML__BIND_F32 OPTML_BIND_F32
#define OPTML__BIND_BOOL OPTML_BIND_BOOL
#define OPTML__BIND_STRING OPTML_BIND_TEXT
#define OPTML__BIND_JSON OPTML_BIND_TEXT
#define OPTML__BIND_ENUM OPTML_BIND_INDEX
#define OPTML__BIND_ENUM_TEXT OPTML_BIND_TEXT
#define OPTML__CTYPE_I64 int64_t
#define OPTML__CTYPE_I32 int32_t
#define OPTML__CTYPE_SIZE size_t
#define OPTML__CTYPE_F64 double
#define OPTML__CTYPE_F32 float
#define OPTML__CTYPE_BOOL int
#define OPTML__CTYPE_STRING const char *
#define OPTML__CTYPE_JSON const char *
#define OPTML__CTYPE_ENUM int
#define OPTML__CTYPE_ENUM_TEXT const char *
/* offsetof(T, member), which does not compile unless the member exists and
 * has the C type of KIND. */
#define OPTML_HP_OFFSET(T, member, KIND)                                       \
    (offsetof(T, member) +                                                     \
     0 * sizeof(_Generic(((T *)0)->member, OPTML__CTYPE_##KIND: 1)))
#define OPTML_HP_ROW_NAMED(key, T, member, KIND, dflt, flags_, min_, max_, help_, ...) \
    {.name = (key), .type = OPTML__HPT_##KIND, .default_value = (dflt),        \
     .flags = (flags_), .min = (min_), .max = (max_), .help = (help_),         \
     .bind = OPTML__BIND_##KIND, .offset = OPTML_HP_OFFSET(T, member, KIND),   \
     __VA_ARGS__}
#define OPTML_HP_ROW(T, member, KIND, ...)                                     \
    OPTML_HP_ROW_NAMED(#member, T, member, KIND, __VA_ARGS__)

/* Training: the module's config struct (config_size bytes), owned by the
 * runtime for the job's life: bound members filled from the validated
 * hyperparameters, every other byte zero before resolve(), then as resolve()
 * left it.  NULL outside training (serving has no hyperparameters: what a
 * model needs is in its files) and when config_size is 0. */
const void *optml_config(const optml_ctx *ctx);

/* Typed hyperparameter access by name (API 3; prefer the bound config).
 * `name` must be declared by the module; an undeclared name is a
 * programming error and returns 0 / NULL.  Values are validated already. */
int optml_hp_is_set(const optml_ctx *ctx, const char *name);  /* given or defaulted */
int optml_hp_is_auto(const optml_ctx *ctx, const char *name); /* value is "auto" */
int optml_hp_was_given(const optml_ctx *ctx, const char *name); /* by the user */
int64_t optml_hp_int(const optml_ctx *ctx, const char *name);
double optml_hp_float(const optml_ctx *ctx, const char *name);
int optml_hp_bool(const optml_ctx *ctx, const char *name);
const char *optml_hp_string(const optml_ctx *ctx, const char *name); /* also ENUM, JSON */

/* ------------------------------------------------------------------------ */
/* Channels and record streams                                              */
/* ------------------------------------------------------------------------ */

#define OPTML_CHANNEL_REQUIRED 0x1u

/* A channel the module trains on.  `content_types` is a NULL-terminated list
 * of media types (no parameters); the first is the default when the channel
 * has no ContentType in inputdataconfig.json.  A channel whose ContentType is
 * not in the list, or a channel the module does not declare, is a ClientError. */
struct optml_channel_decl {
    const char *name;
    unsigned flags;
    const char *const *content_types;
};

enum optml_input_mode { OPTML_MODE_FILE, OPTML_MODE_FASTFILE, OPTML_MODE_PIPE };

/* How a byte stream is cut into records. */
enum optml_framing {
    OPTML_FRAME_LINES,    /* text lines; '\n' or "\r\n" ends a line, which is
                             returned without it; a record never spans files */
    OPTML_FRAME_RECORDIO, /* MXNet/dmlc RecordIO: magic 0xCED7230A, cflag +
                             29-bit length, fragments reassembled, padded to 4 */
    OPTML_FRAME_TFRECORD, /* TFRecord: u64 length, masked CRC32C of length,
                             payload, masked CRC32C of payload; both checked */
    OPTML_FRAME_FILE,     /* each file (or each Pipe-mode RecordIO-wrapped
                             object) is one record */
    OPTML_FRAME_FIXED     /* (4.3) records of the size last given to
                             optml_reader_set_record_size (1 until then); the
                             last record of a source may be shorter: rec.len
                             says how much was left, and the caller decides
                             whether that is a truncation */
};

typedef struct optml_channel optml_channel;
typedef struct optml_reader optml_reader;

/* One record.  `data` stays valid until the next optml_reader_next() or
 * optml_reader_close() on the same reader. */
struct optml_record {
    const unsigned char *data;
    size_t len;
    const char *source;    /* file name relative to the channel, or FIFO name */
    uint64_t number;       /* 1-based: line number (lines) or record number
                              within `source` */
    uint64_t offset;       /* byte offset of the record in `source`
                              (after decompression) */
};

/* The channel called `name`, or NULL when the job has no such channel. */
const optml_channel *optml_channel_get(optml_ctx *ctx, const char *name);
const char *optml_channel_name(const optml_channel *ch);
/* Media type from inputdataconfig.json (lower case, parameters dropped), or
 * the declared default. */
const char *optml_channel_content_type(const optml_channel *ch);
enum optml_input_mode optml_channel_mode(const optml_channel *ch);
/* Since 4.5: nonzero when the channel's S3DistributionType is
 * ShardedByS3Key (each host holds a different subset of the files), 0 for
 * FullyReplicated (every host holds all of them; the default). */
int optml_channel_sharded(const optml_channel *ch);

/* Regular files of a File-mode channel, recursively, sorted, hidden files
 * (any path component starting with '.') skipped.  Paths are relative to the
 * channel directory.  Pipe mode has no files: *count = 0.  The array is owned
 * by the runtime and lives as long as ctx. */
optml_status optml_channel_files(optml_ctx *ctx, const optml_channel *ch,
                                 const char *const **paths, size_t *count);
/* Absolute path of a file listed by optml_channel_files (owned by ctx). */
const char *optml_channel_file_path(const optml_channel *ch, size_t index);

/* Open the next pass over a channel: File mode reads every file again; Pipe
 * mode opens the FIFO `<channel>_<pass>` (pass counted from 0 per channel),
 * waiting for it to appear, and unwraps RecordWrapperType=RecordIO.  Gzip is
 * detected by its magic bytes and decompressed on the fly. */
optml_status optml_channel_open(optml_ctx *ctx, const optml_channel *ch,
                                enum optml_framing framing, optml_reader **out);

/* Open one file (absolute path or one from optml_channel_file_path). */
optml_status optml_file_open(optml_ctx *ctx, const char *path,
                             enum optml_framing framing, optml_reader **out);

/* Records from memory (for example a request body).  `data` is borrowed and
 * must outlive the reader. */
optml_status optml_memory_open(optml_ctx *ctx, const void *data, size_t len,
                               enum optml_framing framing, optml_reader **out);

/* Next record: OPTML_OK and *rec filled, OPTML_END at the end of the stream,
 * OPTML_STOPPED when a stop was requested while waiting on a pipe, or an
 * error (truncated or corrupt record: OPTML_E_CLIENT naming file and offset). */
optml_status optml_reader_next(optml_reader *r, struct optml_record *rec);

/* A run of whole lines from a line-framed reader (optml_reader_next_lines):
 * `len` bytes at `data`, the lines one after the other, each ending in
 * '\n' except perhaps the last of the run (the last line of a source, or
 * one longer than the window, which comes alone); a '\r' before a '\n' is
 * left in place.  Lines are not numbered: a caller that needs line numbers
 * counts the '\n' itself, from 1 again whenever `offset` is 0. */
struct optml_lines {
    const char *data;
    size_t len;
    const char *source;    /* file name relative to the channel, or FIFO name */
    uint64_t offset;       /* byte offset of data in `source` (after
                              decompression); 0: the source's first run */
};

/* OPTML_FRAME_LINES readers: the next run of whole lines, about `max`
 * bytes at most (always at least one line, up to the record limit),
 * valid until the next call on the reader.  Far less work per line than
 * optml_reader_next, for callers that split lines themselves; do not mix
 * the two on one reader (optml_reader_next's line numbers would not count
 * these).  Statuses as optml_reader_next; OPTML_E_INTERNAL for another
 * framing. */
optml_status optml_reader_next_lines(optml_reader *r, size_t max, struct optml_lines *out);

/* OPTML_FRAME_FIXED readers (since 4.3): the size in bytes (1 up to the
 * record limit, OPTML_MAX_RECORD_MB) of the records optml_reader_next
 * returns from now on; it may change between records (a header, then
 * items).  OPTML_E_INTERNAL for another framing or a size out of range. */
optml_status optml_reader_set_record_size(optml_reader *r, size_t size);

/* Nonzero when the 12 bytes at `header` are a TFRecord record header (a
 * length and the masked CRC32C of it that matches), for a module that
 * recognises TFRecord data by its first bytes (since 4.3); *len (may be
 * NULL) receives the payload length. */
int optml_tfrecord_header_valid(const unsigned char header[12], uint64_t *len);

/* Fraction of the pass read so far, in [0, 1], or -1 when the size is not
 * known (Pipe mode, memory of unknown origin). */
double optml_reader_progress(const optml_reader *r);
/* Bytes consumed so far from the underlying files (compressed size). */
uint64_t optml_reader_bytes(const optml_reader *r);
void optml_reader_close(optml_reader *r);

/* ------------------------------------------------------------------------ */
/* Progress and metrics                                                     */
/* ------------------------------------------------------------------------ */

/* Call at the start of each epoch (0-based) of `epochs` (0 when unknown). */
void optml_epoch_begin(optml_ctx *ctx, int epoch, int epochs);

/* Call as work advances (per batch is fine: the runtime rate-limits output to
 * one progress line every 10 s).  `fraction` is the fraction of the epoch
 * done (from optml_reader_progress, or -1 unknown); `records` counts records
 * done in this epoch. */
void optml_progress(optml_ctx *ctx, double fraction, uint64_t records);

/* Call at the end of each epoch: prints the epoch line, `#progress_metric`
 * and `#throughput_metric` lines. */
void optml_epoch_end(optml_ctx *ctx, int epoch, uint64_t records);

/* A metric: printed as
 *   #quality_metric: host=<host>, [epoch=E, ][batch=B, ]<split> <name> <kind>=V
 * (the shape SageMaker's built-in algorithms print) and appended to
 * output/data/metrics.jsonl.  `kind` is "loss" or "score". */
struct optml_metric {
    const char *split;  /* "train", "validation" or "test" */
    const char *name;   /* e.g. "binary_classification_accuracy" */
    const char *kind;   /* "loss" or "score" */
    double value;
    int epoch;          /* < 0: omitted */
    int batch;          /* < 0: omitted */
};
void optml_metric(optml_ctx *ctx, const struct optml_metric *m);

/* ------------------------------------------------------------------------ */
/* The training report (API 4.1)                                            */
/* ------------------------------------------------------------------------ */

/*
 * At the end of every training job, also after a stop or a failure, the
 * runtime writes output/data/report.html, one self-contained page (inline
 * SVG, nothing loaded from the network) that SageMaker packs into
 * output.tar.gz: the configuration, the data read per channel, each
 * metric's curve over epochs (from optml_metric), timings and throughput
 * (from optml_epoch_end), and the module's own final tables, added with the
 * functions below during or at the end of train().
 *
 * These functions copy what they are given, are thread-safe, keep memory
 * bounded (a table beyond the page's caps is cut, with a note saying so) and
 * cannot fail the job: a call the runtime cannot honour (out of memory,
 * NULL arguments) is logged as a warning and dropped.  Outside training
 * they do nothing.  `split` is "train", "validation" or "test"; a second
 * call for the same channel, split or name replaces the first.  Added in
 * API 4.1: a module that calls them needs a 4.1 runtime.
 */

/* The rows the module took from `channel` in one pass, and the rows it
 * rejected (malformed, missing fields), for the page's data table (the
 * runtime counts passes, bytes and records itself). */
void optml_report_rows(optml_ctx *ctx, const char *channel, uint64_t rows, uint64_t bad_rows);

/* A classifier's confusion matrix on `split`: `k` classes named
 * `classes[0..k-1]` (shown escaped; NULL: "0".."k-1"), `counts[t * k + p]`
 * rows of true class t predicted as p.  The page shows it with per-class
 * precision and recall (computed over all k classes) and accuracy; only
 * the 50 classes with the most rows are shown as rows and columns. */
void optml_report_confusion(optml_ctx *ctx, const char *split, size_t k, const char *const *classes,
                            const uint64_t *counts);

/* A regressor's predictions against the labels of `split`, `n` rows at a
 * time (call as often as needed): the page shows the residuals' (predicted
 * minus actual) count, mean, standard deviation, MAE, RMSE, extremes and
 * quantiles (from a bounded sample). */
void optml_report_residuals(optml_ctx *ctx, const char *split, const float *predicted, const float *actual,
                            size_t n);

/* One line of the page's model section, e.g.
 *     optml_report_fact(ctx, "Decision threshold", "%.6g", threshold);  */
void optml_report_fact(optml_ctx *ctx, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Any table: `header` has n_cols cells, `cells` n_rows * n_cols (row-major;
 * NULL cells are empty); `note` (may be NULL) is printed under it. */
void optml_report_table(optml_ctx *ctx, const char *title, size_t n_cols, const char *const *header,
                        size_t n_rows, const char *const *cells, const char *note);

/* ------------------------------------------------------------------------ */
/* Checkpoints and model files                                              */
/* ------------------------------------------------------------------------ */

/* Nonzero when the job checkpoints (checkpoints/ exists under the base
 * directory, or checkpointconfig.json names a LocalPath). */
int optml_checkpoint_enabled(const optml_ctx *ctx);

/* Save a checkpoint for `step` (e.g. the epoch just finished).  The file
 * carries the module name, its model_format_version and a hash of the
 * OPTML_HP_SHAPES_MODEL hyperparameters; it is written to a temp name,
 * fsynced and renamed.  Only the newest few are kept.  A no-op returning
 * OPTML_OK when checkpointing is off. */
optml_status optml_checkpoint_save(optml_ctx *ctx, uint64_t step,
                                   const void *data, size_t len);

/* Load the newest complete checkpoint.  OPTML_E_NOT_FOUND when there is none
 * (or checkpointing is off); OPTML_E_CLIENT when the newest one was written
 * by another module or with other model-shaping hyperparameters.  On success
 * *data is malloc()ed and owned by the caller.  On several hosts only rank
 * 0 saves (elsewhere optml_checkpoint_save does nothing) and the load is a
 * collective: every rank gets rank 0's checkpoint, so every rank must call
 * it (every host has the same checkpoint configuration on SageMaker). */
optml_status optml_checkpoint_load(optml_ctx *ctx, uint64_t *step,
                                   void **data, size_t *len);

/* Write `model/<filename>` with the versioned header (module name, format
 * version, hyperparameter hash, length, CRC32C), atomically.  On several
 * hosts model/ is rank 0's: elsewhere this does nothing. */
optml_status optml_model_write(optml_ctx *ctx, const char *filename,
                               const void *data, size_t len);

/* Read a file written by optml_model_write from `model_dir`, checking every
 * header field.  On success *data is malloc()ed and owned by the caller. */
optml_status optml_model_read(optml_ctx *ctx, const char *model_dir,
                              const char *filename, void **data, size_t *len);

/* Write any file (e.g. a readable model.json) atomically: temp name, fsync,
 * rename.  `path` is relative to model/ when not absolute (on several hosts
 * such a write does nothing on ranks other than 0). */
optml_status optml_file_write_atomic(optml_ctx *ctx, const char *path,
                                     const void *data, size_t len);

/* Directory where the final model goes (`<base>/model`). */
const char *optml_model_dir(const optml_ctx *ctx);

/* The directory for a module's temporary files (since 4.2), e.g. a cache of
 * parsed rows: $OPTML_SCRATCH_DIR, else $TMPDIR, else /tmp.  Its existence
 * and room are not checked (a module that cannot write there should do
 * without).  OPTML_E_CLIENT, naming the setting, when it is or resolves to a
 * place inside model/, output/ or the checkpoint directory, which SageMaker
 * uploads.  *dir stays valid for the life of the process. */
optml_status optml_scratch_dir(optml_ctx *ctx, const char **dir);

/* ------------------------------------------------------------------------ */
/* Multi-host training (API 4.4)                                            */
/* ------------------------------------------------------------------------ */

/*
 * When resourceconfig.json lists more than one host, the runtime starts one
 * rank of the job per host (Open MPI underneath; a module never includes
 * mpi.h) and a module that declares `.multi_host = 1` in its table
 * coordinates through these functions.  On one host they are no-ops: rank
 * 0 of 1, the collectives return OPTML_OK leaving the buffers as they are.
 * Every rank must call the collectives (allreduce, broadcast, barrier,
 * optml_dist_should_stop) in the same order with the same sizes.  A
 * failure (a peer host gone, the network cut, or no progress for
 * OPTML_DIST_TIMEOUT seconds: a frozen host) is an OPTML_E_INTERNAL error
 * whose message names the hosts; the job then fails on every host with an
 * AlgorithmError naming the host that failed, and any later collective of
 * the rank fails at once (optml_dist_should_stop answers nonzero).  Only rank
 * 0 writes model/, checkpoints and the training report: the runtime's
 * writers do nothing on the other ranks, and optml_checkpoint_load gives
 * every rank rank 0's checkpoint.
 */
enum optml_dist_type { OPTML_DIST_FLOAT, OPTML_DIST_DOUBLE };
enum optml_dist_op { OPTML_DIST_SUM, OPTML_DIST_MAX };

/* This host's rank, 0 .. size-1 (0 is the first host in sorted order). */
int optml_dist_rank(const optml_ctx *ctx);
/* The number of ranks in the job (1 on one host). */
int optml_dist_size(const optml_ctx *ctx);
/* In place: buf[0..n-1] (float or double) becomes the sum or the maximum
 * over all ranks of their buf; any n. */
optml_status optml_dist_allreduce(optml_ctx *ctx, void *buf, size_t n, enum optml_dist_type type,
                                  enum optml_dist_op op);
/* `bytes` bytes at buf are replaced on every rank by those of rank `root`. */
optml_status optml_dist_broadcast(optml_ctx *ctx, void *buf, size_t bytes, int root);
/* Returns once every rank has called it. */
optml_status optml_dist_barrier(optml_ctx *ctx);
/* optml_should_stop agreed by all ranks (a collective: call it at the same
 * points on every rank, e.g. between batches): nonzero on every rank when
 * a stop was requested on any, so all stop at the same step and none waits
 * in a collective.  On one host, optml_should_stop. */
int optml_dist_should_stop(optml_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Serving                                                                  */
/* ------------------------------------------------------------------------ */

/* A media type split into its type and parameters.  `type` is lower case
 * without parameters ("application/json"); `params` is the raw parameter text
 * after the first ';' with leading spaces removed ("verbose=1; charset=utf-8"),
 * or "". */
struct optml_media {
    const char *type;
    const char *params;
};

/* Value of parameter `name` (case-insensitive) in `m`, copied into `buf`
 * (quotes removed).  Returns 1 when present, 0 otherwise. */
int optml_media_param(const struct optml_media *m, const char *name,
                      char *buf, size_t bufsize);

/* One request.  The runtime negotiates Content-Type and Accept once, against
 * the module's request_types and response_types, and hands predict the
 * position of each in those arrays: a module switches on content_index and
 * accept_index (named by an enum in the order of its arrays), never on the
 * type's text.  The parameters the client sent with each type ("verbose=1")
 * stay in content_type.params and accept.params (optml_media_param). */
struct optml_request {
    const unsigned char *body;
    size_t len;
    int content_index;                /* request_types[content_index] was negotiated */
    int accept_index;                 /* response_types[accept_index] was negotiated */
    struct optml_media content_type;  /* .type is request_types[content_index] */
    struct optml_media accept;        /* .type is response_types[accept_index] */
    const char *custom_attributes;    /* X-Amzn-SageMaker-Custom-Attributes or NULL */
};

typedef struct optml_response optml_response;

/* Append bytes to the response body (grows as needed). */
optml_status optml_response_append(optml_response *resp, const void *data, size_t len);
optml_status optml_response_printf(optml_response *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append a number as JSON text: the shortest form that reads back as the
 * same double, or `null` when it is NaN or infinite (JSON has neither). */
optml_status optml_response_number(optml_response *resp, double value);
/* Override the response Content-Type (default: the negotiated Accept type). */
void optml_response_set_type(optml_response *resp, const char *content_type);
/* Return X-Amzn-SageMaker-Custom-Attributes to the caller. */
void optml_response_set_custom_attributes(optml_response *resp, const char *value);

/* ------------------------------------------------------------------------ */
/* The module table                                                         */
/* ------------------------------------------------------------------------ */

struct optml_algorithm {
    int api_version;                  /* OPTML_ALGORITHM_API_VERSION, always first */
    int api_minor;                    /* OPTML_ALGORITHM_API_MINOR, always second */
    size_t table_size;                /* sizeof(struct optml_algorithm) as the
                                         module was built, always third */
    const char *name;                 /* "linear-learner": matches the .so name */
    const char *version;              /* the module's own version, e.g. "1.0.0" */
    uint32_t model_format_version;    /* bump when model/checkpoint payloads change */
    const char *description;          /* one line for `optml help` */

    const struct optml_hparam_decl *hparams;
    size_t n_hparams;
    /* sizeof the struct the bound rows point into (optml_config); 0 when
     * no row is bound.  Added in API 4. */
    size_t config_size;
    const struct optml_channel_decl *channels;
    size_t n_channels;

    /* Serving: NULL-terminated media types (lower case, no parameters)
     * accepted in requests and produced in responses; predict receives the
     * index of the negotiated entry of each (struct optml_request).  Build
     * them with designated initializers from an enum, [MY_IN_CSV] =
     * "text/csv", so the indexes cannot drift.  `default_accept`, used when
     * Accept is absent or * / *, must be one of response_types (NULL: the
     * first); a module that serves declares at least one type of each. */
    const char *const *request_types;
    const char *const *response_types;
    const char *default_accept;

    /* Resolve the bound config before train() (optional; added in API 4):
     * decide the members left unset (conditional autos: a value that
     * depends on other keys, or on the machine), fill derived members and
     * check rules that span keys, as ClientErrors naming the key.  Called
     * once per job, before any channel is opened, with the struct
     * optml_config() then returns (NULL when config_size is 0); members the
     * runtime bound should only change from unset to a value, so the logged
     * configuration says what is used. */
    optml_status (*resolve)(optml_ctx *ctx, void *config);

    /* Train: read channels, write the model with optml_model_write (and any
     * other files under optml_model_dir).  Return OPTML_OK, OPTML_STOPPED
     * after a requested stop (model so far saved), or an error. */
    optml_status (*train)(optml_ctx *ctx);

    /* Load the model from `model_dir` into *model.  Hyperparameters are not
     * available: everything needed must be in the model files.  (optional:
     * NULL means the module cannot serve.) */
    optml_status (*model_load)(optml_ctx *ctx, const char *model_dir, void **model);

    /* Predict one request; called concurrently from several threads on the
     * same read-only model.  (optional, with model_load.) */
    optml_status (*predict)(optml_ctx *ctx, const void *model,
                            const struct optml_request *req, optml_response *resp);

    /* Free what model_load returned; accepts NULL.  (optional) */
    void (*model_free)(void *model);

    /* Serving: the first words of the 415 answer to a request whose
     * Content-Type is not in request_types, before the runtime's own
     * "Content-Type '...' is not supported; this model accepts ..." (optional,
     * e.g. the message of the container the module replaces).  Added in API 2. */
    const char *unsupported_media_message;

    /* Nonzero: train() works as one rank of a multi-host job through the
     * optml_dist_* functions.  A job over more than one host with a module
     * that leaves it 0 is a ClientError naming the module.  Added in 4.4. */
    int multi_host;
};

/* Define the module's exported table:
 *     OPTML_MODULE(.name = "my-algo", .version = "1.0.0", ...);           */
#define OPTML_MODULE(...)                                                      \
    __attribute__((visibility("default"))) const struct optml_algorithm        \
        optml_module = {.api_version = OPTML_ALGORITHM_API_VERSION,           \
                        .api_minor = OPTML_ALGORITHM_API_MINOR,               \
                        .table_size = sizeof(struct optml_algorithm), __VA_ARGS__}

#define OPTML_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

#ifdef __cplusplus
}
#endif
#endif /* OPTML_ALGORITHM_H */
