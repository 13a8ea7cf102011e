/*
 * nc.h: internal interfaces of the news-classifier module (ALGORITHMS.md
 * section A: the Keras news-headline workshop container).  Two
 * architectures share the data path:
 *   ngram     (default, ours) hashed word and character n-grams, TF-IDF
 *             weighted, an embedding bag (or a linear layer) and softmax /
 *             squared-hinge outputs, SGD over both cores.
 *   workshop  the workshop's network: Keras tokenizer (max_words), sequences
 *             of max_len, embedding (GloVe-initialised and frozen when GloVe
 *             is given), flatten, dense(relu), dense(softmax), RMSprop.
 * Everything is prefixed nc_; module.c holds only the exported table.
 */
#ifndef OPTML_NEWS_CLASSIFIER_NC_H
#define OPTML_NEWS_CLASSIFIER_NC_H

#include <stddef.h>
#include <stdint.h>

#include <optml/algorithm.h>

#include "nn/params.h"

#define NC_MODULE_NAME "news-classifier"
#define NC_FORMAT_VERSION 2u   /* 2: the workshop network as a parameter block (nn/params.h) */
#define NC_MAX_CLASSES 1024
#define NC_MAX_TEXT 65536          /* bytes of one headline that are used */
#define NC_MAX_FIELD_SPAN (1u << 20) /* a quoted field may not run past 1 MiB */

/* ------------------------------------------------------------ hashing */

/* FNV-1a 64 of `len` bytes, continuing from `h` (start: NC_FNV_SEED). */
#define NC_FNV_SEED 0xcbf29ce484222325ull
uint64_t nc_fnv(uint64_t h, const void *data, size_t len);

/* A string -> uint32 map (open addressing, keys copied).  Grows as needed. */
struct nc_strmap {
    char **keys;
    uint32_t *vals;
    uint64_t *hashes;
    size_t cap, n;
};
void nc_strmap_free(struct nc_strmap *m);
/* Value of key, or NULL when absent. */
uint32_t *nc_strmap_get(const struct nc_strmap *m, const char *key, size_t len);
/* Insert key with value v when absent; *slot (may be NULL) receives the
 * value's address (existing or new).  Returns 1 inserted, 0 present, -1 OOM. */
int nc_strmap_put(struct nc_strmap *m, const char *key, size_t len, uint32_t v, uint32_t **slot);

/* ------------------------------------------------------------- corpus */

/* One training row: the TITLE text and the CATEGORY label id. */
struct nc_corpus {
    char **text;
    uint32_t *label;
    size_t n, cap;
    uint64_t dropped;        /* rows with a missing or empty field */
};
void nc_corpus_free(struct nc_corpus *c);
int nc_corpus_add(struct nc_corpus *c, const char *text, size_t len, uint32_t label);
/* Append a malloc()ed text the corpus then owns; -1 (text not taken) on OOM. */
int nc_corpus_take(struct nc_corpus *c, char *text, uint32_t label);

/* The label strings seen (CATEGORY values) and their served names. */
struct nc_labels {
    char **code;             /* as in the file ("b") */
    char **name;             /* served ("Business") */
    size_t k;
    struct nc_strmap index;  /* code -> id */
};
void nc_labels_free(struct nc_labels *l);
/* Id of `code`, adding it when new (order of first appearance). -1 OOM or
 * more than NC_MAX_CLASSES. */
int64_t nc_labels_intern(struct nc_labels *l, const char *code, size_t len);

/* Streaming parser of the newsCorpora.csv layout: TAB-separated, no header,
 * 8 fields (ID TITLE URL PUBLISHER CATEGORY STORY HOSTNAME TIMESTAMP); a
 * field starting with '"' runs to its closing quote ("" is a quote) across
 * TABs and newlines, like pandas.  Rows with a missing or empty field are
 * dropped and counted.  Feed bytes in any chunking; nc_tsv_finish at the end. */
struct nc_tsv {
    struct nc_corpus *out;
    struct nc_labels *labels;
    char *row;               /* current row's bytes, fields split by \0 later */
    size_t len, cap;
    int in_quote;            /* inside a quoted field */
    int field_start;         /* next byte starts a field */
    int quote_pending;       /* saw '"' inside a quoted field: closing or doubled */
    size_t field_begin;      /* offset of the current field in row */
    size_t fields;           /* fields completed in the current row */
    size_t off[8];           /* start and length of the fields we keep */
    size_t flen[8];
    uint64_t line;           /* 1-based line of the current row's start */
    uint64_t lines_seen;
    uint64_t rows;           /* rows accepted */
    int header;              /* line 1 was a header row (skipped) */
    uint64_t comma_rows;     /* rows dropped with no TAB but commas */
    char err[256];
};
void nc_tsv_init(struct nc_tsv *p, struct nc_corpus *out, struct nc_labels *labels);
void nc_tsv_free(struct nc_tsv *p);
/* 0, or -1 with p->err set (OOM, a quoted field longer than
 * NC_MAX_FIELD_SPAN). */
int nc_tsv_feed(struct nc_tsv *p, const char *data, size_t len);
int nc_tsv_finish(struct nc_tsv *p);

/* ---------------------------------------------------------- tokenizers */

/* Callback per token: bytes [s, s+len).  Return nonzero to stop. */
typedef int (*nc_token_fn)(void *ctx, const char *s, size_t len);

/* Keras Tokenizer text_to_word_sequence: lower case (ASCII), the default
 * filter characters and TAB/LF to spaces, split on spaces.  Writes the
 * lowered, filtered text into buf (at least len + 1 bytes) and calls fn for
 * each token (pointers into buf). */
void nc_keras_tokens(const char *text, size_t len, char *buf, nc_token_fn fn, void *ctx);
/* The workshop's training-time normalisation (lower case; "\s\W" and
 * "\W\s" to a space; runs of whitespace to one space), into buf (len + 1).
 * Returns the new length. */
size_t nc_workshop_normalise(const char *text, size_t len, char *buf);
/* Our tokenizer (ngram architecture): lower case ASCII; a token is a run of
 * letters, digits, '_' or non-ASCII bytes (UTF-8 letters); everything else
 * separates. */
void nc_word_tokens(const char *text, size_t len, char *buf, nc_token_fn fn, void *ctx);

/* Keras word index: words by descending count, ties in first-seen order,
 * ids from 1; only ids < max_words are kept. */
struct nc_vocab {
    struct nc_strmap index;  /* word -> id (1..max_words-1) */
    char **words;            /* words[id] for id in [1, n_kept]; words[0] NULL */
    size_t n_kept;           /* kept ids: 1..n_kept */
    size_t n_unique;         /* unique tokens in the corpus ("Found N unique tokens.") */
};
void nc_vocab_free(struct nc_vocab *v);
/* Build from texts (normalised with nc_workshop_normalise first when
 * `normalise`).  0, or -1 on OOM. */
int nc_vocab_build(struct nc_vocab *v, char *const *texts, size_t n, int normalise, size_t max_words);
/* Sequence of ids of `text`, pre-padded / pre-truncated to max_len (keras
 * pad_sequences defaults) into ids[max_len].  0, or -1 on OOM. */
int nc_vocab_sequence(const struct nc_vocab *v, const char *text, size_t len, int normalise,
                       size_t max_len, uint32_t *ids);

/* GloVe text vectors ("word f1 ... fD" per line): fills rows of E (n_rows x
 * dim) for words the vocabulary keeps.  *dim is detected from the first line
 * when 0.  Returns OPTML_OK, or a ClientError naming file and line. */
struct nc_glove_stats {
    uint64_t lines, matched;
};

/* ------------------------------------------------------------ features */

/* Hashed TF-IDF features of the ngram architecture. */
struct nc_featcfg {
    uint32_t buckets;        /* hash space */
    uint32_t word_ngrams;    /* 1 = unigrams, 2 = + bigrams, ... */
    uint32_t char_min, char_max; /* character n-grams of " word " (0 = none) */
};
/* A sparse vector: ids (bucket numbers) and weights. */
struct nc_sparse {
    uint32_t *id;
    float *w;
    size_t n, cap;
};
void nc_sparse_free(struct nc_sparse *s);
/* Raw feature counts of one text: ids with weight = count (merged), the
 * word group first then the char group; *n_word = entries of the word group. */
int nc_features(const struct nc_featcfg *cfg, const char *text, size_t len, struct nc_sparse *out,
                size_t *n_word);
/* The bucket of a single word (lowered, as nc_word_tokens gives it). */
uint32_t nc_word_bucket(const struct nc_featcfg *cfg, const char *word, size_t len);
/* Turn counts into sublinear TF-IDF, each group L2-normalised: w = (1 +
 * ln c) * idf[id], then scaled to unit norm within its group. */
void nc_tfidf(struct nc_sparse *s, size_t n_word, const float *idf);
/* Replace bucket numbers by feature ids: fid[i] (i itself when fid is
 * NULL) for the bucket used[i] (used ascending), or n_used for a bucket
 * training never saw (its weights are zero; it still counts in the TF-IDF
 * norm, with idf[n_used]). */
void nc_compact(const uint32_t *used, const uint32_t *fid, uint32_t n_used, struct nc_sparse *s);

/* A CSR matrix of feature rows. */
struct nc_rows {
    size_t n;
    size_t *off;             /* n + 1 */
    uint32_t *id;
    float *w;
    size_t nnz, cap;
};
void nc_rows_free(struct nc_rows *r);
int nc_rows_append(struct nc_rows *r, const struct nc_sparse *s);

/* ------------------------------------------------------------- config */

enum nc_arch { NC_ARCH_NGRAM, NC_ARCH_WORKSHOP };
enum nc_loss { NC_LOSS_SOFTMAX, NC_LOSS_HINGE };

/* The configuration of a training job: the runtime binds every
 * hyperparameter into the member named after it (hparams.c's table);
 * nc_resolve() decides the autos that depend on the architecture and fills
 * `feat`.  ENUM members hold the index of the choice, the value of the C
 * enum (architecture: enum nc_arch, loss: enum nc_loss). */
struct nc_config {
    int architecture;
    int32_t epochs;
    int32_t batch_size;
    double learning_rate;
    double l2;
    int loss;
    int32_t embedding_dim;   /* ngram: 0 = linear on the features; workshop:
                                unset = GloVe's dimension, else 100 */
    int32_t max_words, max_len;
    int32_t ngrams, char_ngram_min, char_ngram_max, buckets;
    int32_t min_df;          /* ngram: buckets in fewer training rows get no weight */
    int32_t dense_units;
    int64_t seed;
    double validation_split;
    const char *label_names; /* JSON object or NULL */
    int32_t threads;

    /* Derived by nc_resolve. */
    struct nc_featcfg feat;  /* buckets, ngrams, char_ngram_min/max */
};
#define NC_N_HPARAMS 19
extern const struct optml_hparam_decl nc_hparams[NC_N_HPARAMS];
/* The module's resolve() hook: the autos by architecture (epochs,
 * batch_size, learning_rate, loss, embedding_dim) and threads, and the
 * checks across keys, as ClientErrors naming them. */
optml_status nc_resolve(optml_ctx *ctx, void *config);

/* -------------------------------------------------------------- model */

struct nc_model {
    enum nc_arch arch;
    enum nc_loss loss;
    uint32_t k;              /* classes */
    char **label_code, **label_name;
    /* ngram */
    struct nc_featcfg feat;
    uint32_t dim;            /* embedding dim, 0 = linear */
    uint32_t n_used;         /* buckets seen in training: the model's feature ids */
    uint32_t *used;          /* n_used bucket numbers, ascending */
    uint32_t *fid;           /* n_used: the feature id (row of idf and E) of used[i];
                                training numbers features by descending frequency,
                                so the rows most rows touch share the cache */
    float *idf;              /* n_used + 1: the last is for buckets never seen */
    float *E;                /* n_used x (dim ? dim : k), row-major */
    float *W, *b;            /* dim x k (dim > 0), k */
    float temperature;       /* probabilities = softmax(temperature * scores) */
    /* workshop */
    struct nc_vocab vocab;
    uint32_t max_words, max_len, emb_dim, units;
    struct nn_params net;    /* the workshop network's tensors (nc_workshop_declare) */
    float *emb;              /* max_words x emb_dim: views into net.param, */
    float *W1, *b1, *W2, *b2; /* (max_len emb_dim) x units, units, units x k, k  (nc_workshop_alloc) */
};
void nc_model_free(struct nc_model *m);
/* The workshop network's parameter block, from the sizes in m (max_words,
 * max_len, emb_dim, units, k): declare its tensors in m->net ("embedding"
 * with emb_flags, NN_PARAM_FROZEN or NN_PARAM_SPARSE or 0; "dense_1.kernel",
 * "dense_1.bias", "dense_2.kernel", "dense_2.bias"), then allocate it (what,
 * kind: see nn_params_alloc) and point m->emb, W1, b1, W2, b2 at the
 * parameters.  0, or an enum nn_params_err with a message in err. */
enum nc_workshop_tensor { NC_WS_EMB, NC_WS_W1, NC_WS_B1, NC_WS_W2, NC_WS_B2 }; /* handles in m->net */
int nc_workshop_declare(struct nc_model *m, unsigned emb_flags, char *err, size_t errsz);
int nc_workshop_alloc(struct nc_model *m, unsigned what, enum optim_kind kind, char *err, size_t errsz);
/* Serialise to a malloc()ed buffer / parse one (bounds-checked; ClientError
 * E_MODEL on anything inconsistent). */
int nc_model_encode(const struct nc_model *m, unsigned char **buf, size_t *len);
optml_status nc_model_decode(optml_ctx *ctx, const unsigned char *buf, size_t len, struct nc_model *m);

/* Class probabilities (k floats) of one text. scratch: see nc_scratch. */
struct nc_scratch {
    struct nc_sparse sp;
    uint32_t *ids;
    float *h, *h2;
    char *buf;
    size_t buf_cap;
};
void nc_scratch_free(struct nc_scratch *s);
int nc_model_probs(const struct nc_model *m, const char *text, size_t len, struct nc_scratch *s,
                   float *probs);

/* -------------------------------------------------------- training */

/* Scores z (k) of one feature row of the ngram model (h: dim floats of
 * scratch when dim > 0). */
void nc_bag_scores(const struct nc_model *m, const uint32_t *id, const float *w, size_t nnz, float *z,
                   float *h);
/* Mean loss (as trained) and accuracy over rows, on up to `threads` threads. */
void nc_bag_evaluate(const struct nc_model *m, const struct nc_rows *rows, const uint32_t *y, int threads,
                     double *loss, double *acc);
/* Epochs [first_epoch, cfg->epochs) of the ngram model. */
optml_status nc_bag_fit(optml_ctx *ctx, const struct nc_config *cfg, const struct nc_rows *tr,
                        const uint32_t *ytr, const struct nc_rows *va, const uint32_t *yva, struct nc_model *m,
                        int first_epoch);
/* Pick the temperature that minimises the log loss of softmax(T z) on (the
 * first 4000 of) rows. */
float nc_bag_calibrate(const struct nc_model *m, const struct nc_rows *rows, const uint32_t *y);
/* Save the model as the checkpoint after `epochs` epochs (no-op when
 * checkpointing is off). */
optml_status nc_checkpoint_save(optml_ctx *ctx, const struct nc_model *m, uint64_t epochs);

/* Train the configured architecture on (train, valid) for cfg->epochs,
 * printing Keras-style epoch lines and metrics; fills the model's weights. */
optml_status nc_train_ngram(optml_ctx *ctx, const struct nc_config *cfg, const struct nc_corpus *train,
                            const struct nc_corpus *valid, struct nc_model *m);
optml_status nc_train_workshop(optml_ctx *ctx, const struct nc_config *cfg, const struct nc_corpus *train,
                               const struct nc_corpus *valid, const char *const *glove_paths,
                               size_t n_glove, struct nc_model *m);
optml_status nc_glove_load(optml_ctx *ctx, const char *path, const struct nc_vocab *v, size_t n_rows,
                           uint32_t *dim, float **E, struct nc_glove_stats *st);
/* The same from an open line reader; `name` is used in messages. */
optml_status nc_glove_read(optml_ctx *ctx, optml_reader *rd, const char *name, const struct nc_vocab *v,
                           size_t n_rows, uint32_t *dim, float **E, struct nc_glove_stats *st);

/* Epoch report shared by both architectures: Keras line and metric lines. */
struct nc_epoch_stats {
    double loss, acc, val_loss, val_acc, seconds;
    int has_val;
    uint64_t rows;
};
void nc_report_epoch(optml_ctx *ctx, int epoch, int epochs, const struct nc_epoch_stats *st);

optml_status nc_train(optml_ctx *ctx);
optml_status nc_model_load(optml_ctx *ctx, const char *model_dir, void **model);
void nc_model_release(void *model);
optml_status nc_predict(optml_ctx *ctx, const void *model, const struct optml_request *req,
                        optml_response *resp);

#endif
