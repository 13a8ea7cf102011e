/*
 * test_model.c: the news classifier's serving side
 * (algorithms/news_classifier/model.c, request.c, glove.c): the model
 * payload round trip for both architectures (same probabilities, summing to
 * one), its refusals (every truncation, NaN, bad magic, k = 1, unsorted
 * buckets, trailing bytes), request parsing for the three content types and
 * its errors, and GloVe vectors read from memory.
 */
#include <math.h>
#include <stdint.h>

#include "support/harness.h"
#include "core/ctx.h"
#include "fixtures/news_labels.h"
#include "news_classifier/nc.h"
#include "news_classifier/request.h"

static const char *const TEXTS[] = {
    "Fed official says weak data caused by weather, should not slow taper",
    "Apple unveils new iPhone with bigger screen",
    "Kim Kardashian and Kanye West wedding photos",
    "Ebola outbreak spreads in West Africa",
    "",
    "!!! ???",
    "completely unseen words zyxw qqq",
};
#define N_TEXTS (sizeof(TEXTS) / sizeof(TEXTS[0]))

static float frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((*s >> 40) & 0xffff) / 32768.0f - 1.0f;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : (x > y);
}

/* An ngram model whose `used` buckets are the features of TEXTS[0..3],
 * every third left out (so some are unknown at serving time). */
static void build_ngram(struct nc_model *m, uint32_t dim, enum nc_loss loss)
{
    memset(m, 0, sizeof(*m));
    m->arch = NC_ARCH_NGRAM;
    m->loss = loss;
    fixture_news_labels(m, 3);
    m->feat = (struct nc_featcfg){1u << 16, 2, 2, 4};
    m->dim = dim;
    m->temperature = 1.5f;
    struct nc_sparse s = {0};
    uint32_t *all = NULL;
    size_t n = 0;
    for (size_t t = 0; t < 4; t++) {
        size_t nw;
        ASSERT(nc_features(&m->feat, TEXTS[t], strlen(TEXTS[t]), &s, &nw) == 0);
        all = realloc(all, (n + s.n) * sizeof(uint32_t));
        memcpy(all + n, s.id, s.n * sizeof(uint32_t));
        n += s.n;
    }
    nc_sparse_free(&s);
    qsort(all, n, sizeof(uint32_t), cmp_u32);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if ((!u || all[u - 1] != all[i]) && i % 3 != 2)
            all[u++] = all[i];
    m->used = all;
    m->n_used = (uint32_t)u;
    uint64_t seed = 42 + dim;
    m->idf = malloc((u + 1) * sizeof(float));
    for (size_t i = 0; i <= u; i++)
        m->idf[i] = 1.0f + 0.1f * (float)(i % 5);
    size_t width = dim ? dim : m->k;
    m->E = malloc(u * width * sizeof(float));
    for (size_t i = 0; i < u * width; i++)
        m->E[i] = frand(&seed);
    if (dim) {
        m->W = malloc((size_t)dim * m->k * sizeof(float));
        for (size_t i = 0; i < (size_t)dim * m->k; i++)
            m->W[i] = frand(&seed);
    }
    m->b = malloc(m->k * sizeof(float));
    for (uint32_t c = 0; c < m->k; c++)
        m->b[c] = 0.1f * (float)c;
}

static void build_workshop(struct nc_model *m)
{
    memset(m, 0, sizeof(*m));
    m->arch = NC_ARCH_WORKSHOP;
    m->loss = NC_LOSS_SOFTMAX;
    fixture_news_labels(m, 4);
    m->temperature = 1.0f;
    m->max_words = 12;
    m->max_len = 6;
    m->emb_dim = 3;
    m->units = 5;
    ASSERT(nc_vocab_build(&m->vocab, (char *const *)TEXTS, 4, 0, m->max_words) == 0);
    ASSERT_EQ_INT(m->vocab.n_kept, 11);
    uint64_t seed = 7;
    size_t ne = (size_t)m->max_words * m->emb_dim, n1 = (size_t)m->max_len * m->emb_dim * m->units;
    /* the network's parameter block (zeroed: b1 and b2 stay zero) */
    ASSERT(nc_workshop_declare(m, 0, NULL, 0) == 0);
    ASSERT(nc_workshop_alloc(m, 0, OPTIM_SGD, NULL, 0) == 0);
    for (size_t i = 0; i < ne; i++)
        m->emb[i] = i < m->emb_dim ? 0.0f : frand(&seed);
    for (size_t i = 0; i < n1; i++)
        m->W1[i] = frand(&seed);
    for (size_t i = 0; i < (size_t)m->units * m->k; i++)
        m->W2[i] = frand(&seed);
}

static optml_status decode(const unsigned char *buf, size_t len, struct nc_model *m, char *msg, size_t msgsz)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_status s = nc_model_decode(&ctx, buf, len, m);
    if (msg)
        snprintf(msg, msgsz, "%s", optml_error_message(&ctx));
    return s;
}

/* Probabilities of every text by both models are bit-identical, sum to 1
 * and are not all the same across texts. */
static void same_probs(const struct nc_model *a, const struct nc_model *b)
{
    struct nc_scratch sa = {0}, sb = {0};
    float pa[8], pb[8], first[8];
    int varied = 0;
    for (size_t t = 0; t < N_TEXTS; t++) {
        ASSERT(nc_model_probs(a, TEXTS[t], strlen(TEXTS[t]), &sa, pa) == 0);
        ASSERT(nc_model_probs(b, TEXTS[t], strlen(TEXTS[t]), &sb, pb) == 0);
        ASSERT(memcmp(pa, pb, a->k * sizeof(float)) == 0);
        double sum = 0;
        for (uint32_t c = 0; c < a->k; c++) {
            ASSERT(pa[c] >= 0 && pa[c] <= 1);
            sum += pa[c];
        }
        ASSERT_NEAR(sum, 1.0, 1e-5);
        if (t == 0)
            memcpy(first, pa, sizeof(first));
        else if (memcmp(first, pa, a->k * sizeof(float)) != 0)
            varied = 1;
    }
    ASSERT(varied);
    nc_scratch_free(&sa);
    nc_scratch_free(&sb);
}

static void round_trip(struct nc_model *src)
{
    unsigned char *buf;
    size_t len;
    ASSERT(nc_model_encode(src, &buf, &len) == 0);
    struct nc_model m;
    char msg[512];
    ASSERT_EQ_INT(decode(buf, len, &m, msg, sizeof(msg)), OPTML_OK);
    ASSERT_EQ_INT(m.arch, src->arch);
    ASSERT_EQ_INT(m.k, src->k);
    for (uint32_t c = 0; c < m.k; c++) {
        ASSERT_EQ_STR(m.label_code[c], src->label_code[c]);
        ASSERT_EQ_STR(m.label_name[c], src->label_name[c]);
    }
    same_probs(src, &m);
    /* re-encoding the decoded model gives the same bytes */
    unsigned char *buf2;
    size_t len2;
    ASSERT(nc_model_encode(&m, &buf2, &len2) == 0);
    ASSERT_EQ_INT(len2, len);
    ASSERT(memcmp(buf, buf2, len) == 0);
    free(buf2);
    nc_model_free(&m);
    free(buf);
}

TEST(news_model_round_trip_ngram_linear_and_embedding)
{
    struct nc_model m;
    build_ngram(&m, 0, NC_LOSS_SOFTMAX);
    ASSERT(m.n_used > 50);
    round_trip(&m);
    nc_model_free(&m);
    build_ngram(&m, 4, NC_LOSS_HINGE);
    round_trip(&m);
    nc_model_free(&m);
}

TEST(news_model_round_trip_workshop)
{
    struct nc_model m;
    build_workshop(&m);
    round_trip(&m);
    nc_model_free(&m);
}

/* Every prefix (stride `stride`, plus the last 64) of a valid payload is
 * refused with OPTML_E_MODEL; ASan's leak check covers the partial models. */
static void truncations_refused(struct nc_model *src, size_t stride)
{
    unsigned char *buf;
    size_t len;
    ASSERT(nc_model_encode(src, &buf, &len) == 0);
    for (size_t n = 0; n < len; n++) {
        if (n % stride && n + 64 < len)
            continue;
        unsigned char *cut = malloc(n ? n : 1); /* exact size: ASan sees over-reads */
        memcpy(cut, buf, n);
        struct nc_model m;
        char msg[512];
        if (decode(cut, n, &m, msg, sizeof(msg)) != OPTML_E_MODEL)
            test_fail(__FILE__, __LINE__, "prefix of %zu of %zu bytes accepted", n, len);
        ASSERT_CONTAINS(msg, "news-classifier model is corrupt");
        free(cut);
    }
    /* one byte too many */
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    struct nc_model m;
    char msg[512];
    ASSERT_EQ_INT(decode(longer, len + 1, &m, msg, sizeof(msg)), OPTML_E_MODEL);
    ASSERT_CONTAINS(msg, "trailing");
    free(longer);
    free(buf);
}

TEST(news_model_every_truncation_refused)
{
    struct nc_model m;
    build_workshop(&m);
    truncations_refused(&m, 1);
    nc_model_free(&m);
    build_ngram(&m, 0, NC_LOSS_SOFTMAX);
    truncations_refused(&m, 3);
    nc_model_free(&m);
    build_ngram(&m, 4, NC_LOSS_SOFTMAX);
    truncations_refused(&m, 5);
    nc_model_free(&m);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Offset of the first byte after the labels. */
static size_t after_labels(const unsigned char *buf)
{
    size_t o = 20;
    uint32_t k = get_u32(buf + 12);
    for (uint32_t i = 0; i < 2 * k; i++)
        o += 4 + get_u32(buf + o);
    return o;
}

static void expect_refused(const unsigned char *orig, size_t len, void (*damage)(unsigned char *, size_t),
                           const char *what)
{
    unsigned char *b = malloc(len);
    memcpy(b, orig, len);
    damage(b, len);
    struct nc_model m;
    char msg[512];
    ASSERT_EQ_INT(decode(b, len, &m, msg, sizeof(msg)), OPTML_E_MODEL);
    ASSERT_CONTAINS(msg, what);
    free(b);
}

/* The last weight: the end of a workshop payload, or the last bias before
 * an ngram payload's feature-id permutation. */
static void nan_last(unsigned char *b, size_t len)
{
    float f = NAN;
    size_t tail = get_u32(b + 4) == NC_ARCH_NGRAM ? 4 * (size_t)get_u32(b + after_labels(b) + 20) : 0;
    memcpy(b + len - tail - 4, &f, 4);
}
static void fid_repeated(unsigned char *b, size_t len)
{
    put_u32(b + len - 4, get_u32(b + len - 8)); /* the last two feature ids equal */
}
static void inf_first_weight(unsigned char *b, size_t len)
{
    (void)len;
    size_t o = after_labels(b) + 24; /* ngram: 6 settings, then used[] */
    uint32_t n_used = get_u32(b + o - 4);
    float f = INFINITY;
    memcpy(b + o + 4 * (size_t)n_used + 4 * ((size_t)n_used + 1), &f, 4); /* E[0] */
}
static void bad_magic(unsigned char *b, size_t len)
{
    (void)len;
    b[3] = '2';
}
static void k_one(unsigned char *b, size_t len)
{
    (void)len;
    put_u32(b + 12, 1);
}
static void k_huge(unsigned char *b, size_t len)
{
    (void)len;
    put_u32(b + 12, NC_MAX_CLASSES + 1);
}
static void temp_zero(unsigned char *b, size_t len)
{
    (void)len;
    float f = 0;
    memcpy(b + 16, &f, 4);
}
static void arch_two(unsigned char *b, size_t len)
{
    (void)len;
    put_u32(b + 4, 2);
}
static void unsorted_used(unsigned char *b, size_t len)
{
    (void)len;
    size_t o = after_labels(b) + 24;
    uint32_t x = get_u32(b + o), y = get_u32(b + o + 4);
    put_u32(b + o, y);
    put_u32(b + o + 4, x);
}
static void repeated_used(unsigned char *b, size_t len)
{
    (void)len;
    size_t o = after_labels(b) + 24;
    put_u32(b + o + 4, get_u32(b + o));
}
static void used_past_buckets(unsigned char *b, size_t len)
{
    (void)len;
    size_t o = after_labels(b);
    uint32_t n_used = get_u32(b + o + 20);
    put_u32(b + o + 24 + 4 * ((size_t)n_used - 1), get_u32(b + o)); /* = buckets */
}
static void label_with_nul(unsigned char *b, size_t len)
{
    (void)len;
    b[24] = 0; /* first label code "b" (length 1 at offset 20) */
}
static void repeated_word(unsigned char *b, size_t len)
{
    (void)len;
    size_t o = after_labels(b) + 20; /* workshop: 5 sizes, then the words */
    uint32_t l1 = get_u32(b + o);
    /* make word 2 equal to word 1 when they have the same length */
    uint32_t l2 = get_u32(b + o + 4 + l1);
    if (l1 == l2)
        memcpy(b + o + 8 + l1, b + o + 4, l1);
    else
        put_u32(b + o, 0xffffffffu); /* else: a length past the end */
}
static void vocab_too_big(unsigned char *b, size_t len)
{
    (void)len;
    size_t o = after_labels(b);
    put_u32(b + o + 16, get_u32(b + o)); /* n_words = max_words */
}

TEST(news_model_damage_refused)
{
    struct nc_model m;
    unsigned char *buf;
    size_t len;
    build_ngram(&m, 0, NC_LOSS_SOFTMAX);
    ASSERT(nc_model_encode(&m, &buf, &len) == 0);
    expect_refused(buf, len, nan_last, "not finite");
    expect_refused(buf, len, inf_first_weight, "not finite");
    expect_refused(buf, len, bad_magic, "not a news-classifier payload");
    expect_refused(buf, len, k_one, "header");
    expect_refused(buf, len, k_huge, "header");
    expect_refused(buf, len, temp_zero, "header");
    expect_refused(buf, len, arch_two, "header");
    expect_refused(buf, len, unsorted_used, "not ascending");
    expect_refused(buf, len, fid_repeated, "not a permutation");
    expect_refused(buf, len, repeated_used, "not ascending");
    expect_refused(buf, len, used_past_buckets, "out of range");
    expect_refused(buf, len, label_with_nul, "labels");
    free(buf);
    nc_model_free(&m);

    build_workshop(&m);
    ASSERT(nc_model_encode(&m, &buf, &len) == 0);
    expect_refused(buf, len, nan_last, "not finite");
    expect_refused(buf, len, k_one, "header");
    expect_refused(buf, len, repeated_word, "vocabulary");
    expect_refused(buf, len, vocab_too_big, "out of range");
    free(buf);
    nc_model_free(&m);

    struct nc_model d;
    ASSERT_EQ_INT(decode((const unsigned char *)"NCM", 3, &d, NULL, 0), OPTML_E_MODEL);
    ASSERT_EQ_INT(decode((const unsigned char *)"", 0, &d, NULL, 0), OPTML_E_MODEL);
}

TEST(news_model_probs_are_a_softmax_with_temperature)
{
    struct nc_model m;
    build_ngram(&m, 0, NC_LOSS_SOFTMAX);
    struct nc_scratch s = {0};
    float p1[3], p2[3];
    const char *t = TEXTS[0];
    ASSERT(nc_model_probs(&m, t, strlen(t), &s, p1) == 0);
    m.temperature = 3.0f; /* twice as sharp: log-odds double */
    ASSERT(nc_model_probs(&m, t, strlen(t), &s, p2) == 0);
    ASSERT_NEAR(log(p2[1] / p2[0]), 2.0 * log(p1[1] / p1[0]), 1e-4);
    ASSERT_NEAR(log(p2[2] / p2[0]), 2.0 * log(p1[2] / p1[0]), 1e-4);
    /* an empty text scores the biases only: softmax(T * b) */
    ASSERT(nc_model_probs(&m, "", 0, &s, p1) == 0);
    double z = exp(0.0) + exp(0.3) + exp(0.6);
    ASSERT_NEAR(p1[0], 1.0 / z, 1e-6);
    ASSERT_NEAR(p1[2], exp(0.6) / z, 1e-6);
    nc_scratch_free(&s);
    nc_model_free(&m);
}

/* ------------------------------------------------------------ requests */

/* Index of `type` in a module's NULL-terminated list, or -1. */
static int type_index(const char *const *types, const char *type)
{
    for (int i = 0; types[i]; i++)
        if (strcmp(types[i], type) == 0)
            return i;
    return -1;
}

/* The served types: every enum value names a distinct type, in order. */
TEST(news_media_type_lists_follow_the_enums)
{
    ASSERT_EQ_STR(nc_request_types[NC_IN_JSON], "application/json");
    ASSERT_EQ_STR(nc_request_types[NC_IN_TEXT], "text/plain");
    ASSERT_EQ_STR(nc_response_types[NC_OUT_JSONLINES], "application/jsonlines");
    for (int i = 0; i < NC_N_IN; i++) {
        ASSERT(nc_request_types[i] != NULL);
        ASSERT_EQ_INT(type_index(nc_request_types, nc_request_types[i]), i);
    }
    ASSERT(nc_request_types[NC_N_IN] == NULL);
    for (int i = 0; i < NC_N_OUT; i++) {
        ASSERT(nc_response_types[i] != NULL);
        ASSERT_EQ_INT(type_index(nc_response_types, nc_response_types[i]), i);
    }
    ASSERT(nc_response_types[NC_N_OUT] == NULL);
}

static optml_status req(const char *ctype, const char *aparams, const char *body, size_t len, struct nc_inputs *in,
                        char *msg, size_t msgsz)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct optml_request r = {
        .body = (const unsigned char *)body,
        .len = len,
        .content_index = type_index(nc_request_types, ctype),
        .accept_index = NC_OUT_JSON,
        .content_type = {ctype, ""},
        .accept = {"application/json", aparams ? aparams : ""},
    };
    optml_status s = nc_parse_request(&ctx, &r, in);
    snprintf(msg, msgsz, "%s", optml_error_message(&ctx));
    return s;
}

static optml_status reqs(const char *ctype, const char *aparams, const char *body, struct nc_inputs *in, char *msg)
{
    return req(ctype, aparams, body, strlen(body), in, msg, 512);
}

#define JSON "application/json"
#define JSONL "application/jsonlines"
#define TEXT "text/plain"

TEST(news_request_json_single_and_list)
{
    struct nc_inputs in;
    char msg[512];
    ASSERT_EQ_INT(reqs(JSON, NULL, "{\"input\": \"Why Exercise Alone May Not Be the Key\"}", &in, msg), OPTML_OK);
    ASSERT_EQ_INT(in.n, 1);
    ASSERT_EQ_INT(in.list, 0);
    ASSERT_EQ_INT(in.verbose, 0);
    ASSERT_EQ_STR(in.text[0], "Why Exercise Alone May Not Be the Key");
    ASSERT_EQ_INT(in.len[0], strlen(in.text[0]));
    nc_inputs_free(&in);

    ASSERT_EQ_INT(reqs(JSON, NULL, "{\"input\": [\"a\", \"b \\u00e9\"], \"other\": 1}", &in, msg), OPTML_OK);
    ASSERT_EQ_INT(in.n, 2);
    ASSERT_EQ_INT(in.list, 1);
    ASSERT_EQ_STR(in.text[1], "b \xc3\xa9");
    nc_inputs_free(&in);

    ASSERT_EQ_INT(reqs(JSON, NULL, "{\"input\": [\"only\"]}", &in, msg), OPTML_OK);
    ASSERT_EQ_INT(in.n, 1);
    ASSERT_EQ_INT(in.list, 1); /* a list in, a list out */
    nc_inputs_free(&in);

    /* an escaped NUL is refused (jansson without JSON_ALLOW_NUL) */
    ASSERT_EQ_INT(reqs(JSON, NULL, "{\"input\": \"a\\u0000b\"}", &in, msg), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "malformed JSON");
    ASSERT_EQ_INT(in.n, 0);
}

TEST(news_request_verbose_from_body_or_accept)
{
    struct nc_inputs in;
    char msg[512];
    const char *cases[][3] = {
        /* body, accept params, verbose */
        {"{\"input\": \"x\", \"verbose\": true}", NULL, "1"},
        {"{\"input\": \"x\", \"verbose\": 1}", NULL, "1"},
        {"{\"input\": \"x\", \"verbose\": false}", NULL, "0"},
        {"{\"input\": \"x\", \"verbose\": 0}", NULL, "0"},
        {"{\"input\": \"x\", \"verbose\": \"yes\"}", NULL, "0"},
        {"{\"input\": \"x\"}", "verbose=1", "1"},
        {"{\"input\": \"x\"}", "charset=utf-8; verbose=true", "1"},
        {"{\"input\": \"x\"}", "verbose=0", "0"},
        {"{\"input\": \"x\"}", "verbose=false", "0"},
        {"{\"input\": \"x\"}", "charset=utf-8", "0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ASSERT_EQ_INT(reqs(JSON, cases[i][1], cases[i][0], &in, msg), OPTML_OK);
        if (in.verbose != (cases[i][2][0] == '1'))
            test_fail(__FILE__, __LINE__, "case %zu: verbose %d", i, in.verbose);
        nc_inputs_free(&in);
    }
    /* the Accept parameter works for the line formats too */
    ASSERT_EQ_INT(reqs(TEXT, "verbose=1", "headline\n", &in, msg), OPTML_OK);
    ASSERT_EQ_INT(in.verbose, 1);
    nc_inputs_free(&in);
}

TEST(news_request_jsonlines_objects_and_strings)
{
    struct nc_inputs in;
    char msg[512];
    ASSERT_EQ_INT(reqs(JSONL, NULL, "{\"input\": \"a\"}\n\"b\"\n  {\"input\": [\"c\", \"d\"]}  \n\"e\"\n\n", &in, msg),
                  OPTML_OK);
    ASSERT_EQ_INT(in.n, 5);
    const char *want[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++)
        ASSERT_EQ_STR(in.text[i], want[i]);
    ASSERT_EQ_INT(in.list, 1);
    nc_inputs_free(&in);
    /* one line: still a list (JSON Lines answers line by line) */
    ASSERT_EQ_INT(reqs(JSONL, NULL, "{\"input\": \"only\"}\n", &in, msg), OPTML_OK);
    ASSERT_EQ_INT(in.n, 1);
    ASSERT_EQ_INT(in.list, 1);
    nc_inputs_free(&in);
    /* verbose on a line */
    ASSERT_EQ_INT(reqs(JSONL, NULL, "\"a\"\n{\"input\": \"b\", \"verbose\": true}\n", &in, msg), OPTML_OK);
    ASSERT_EQ_INT(in.verbose, 1);
    nc_inputs_free(&in);
}

TEST(news_request_text_plain_lines)
{
    struct nc_inputs in;
    char msg[512];
    ASSERT_EQ_INT(reqs(TEXT, NULL, "first headline\r\n\t second  \nthird\n \r\n", &in, msg), OPTML_OK);
    ASSERT_EQ_INT(in.n, 3);
    ASSERT_EQ_STR(in.text[0], "first headline");
    ASSERT_EQ_STR(in.text[1], "second");
    ASSERT_EQ_STR(in.text[2], "third");
    ASSERT_EQ_INT(in.list, 1);
    nc_inputs_free(&in);
    /* A blank line before a headline would shift every later answer
     * against its line: a 400 naming it (trailing blank lines are fine). */
    ASSERT_EQ_INT(reqs(TEXT, NULL, "first headline\n\n   \n\t second  \nthird", &in, msg), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "line 2 is blank: every line of a text/plain request is one headline and gets one answer "
                         "in its place");
    ASSERT_EQ_INT(reqs(JSONL, NULL, "\"a\"\n\r\n\"b\"\n", &in, msg), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "line 2 is blank: every line of a application/jsonlines request");
    ASSERT_EQ_INT(reqs(TEXT, NULL, "\n\n", &in, msg), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "the body has no headline");
    ASSERT_EQ_INT(reqs(TEXT, NULL, "just one\n", &in, msg), OPTML_OK);
    ASSERT_EQ_INT(in.n, 1);
    ASSERT_EQ_INT(in.list, 0);
    ASSERT_EQ_STR(in.text[0], "just one");
    nc_inputs_free(&in);
    /* JSON-looking text is text */
    ASSERT_EQ_INT(reqs(TEXT, NULL, "{\"input\": \"x\"}", &in, msg), OPTML_OK);
    ASSERT_EQ_STR(in.text[0], "{\"input\": \"x\"}");
    nc_inputs_free(&in);
}

TEST(news_request_errors)
{
    struct nc_inputs in;
    char msg[512];
    const char *cases[][3] = {
        /* content type, body, message part */
        {JSON, "{\"input\": ", "malformed JSON"},
        {JSON, "", "malformed JSON"},
        {JSON, "{\"text\": \"x\"}", "no \"input\" key"},
        {JSON, "[\"x\"]", "not a JSON object"},
        {JSON, "\"x\"", "malformed JSON"},
        {JSON, "{\"input\": 5}", "must be a string or a non-empty list"},
        {JSON, "{\"input\": null}", "must be a string or a non-empty list"},
        {JSON, "{\"input\": {\"a\": 1}}", "must be a string or a non-empty list"},
        {JSON, "{\"input\": []}", "must be a string or a non-empty list"},
        {JSON, "{\"input\": [\"a\", 1]}", "\"input\"[1] is not a string"},
        {JSON, "{\"input\": [\"a\", [\"b\"]]}", "\"input\"[1] is not a string"},
        {JSONL, "", "no headline"},
        {JSONL, "\n  \n", "no headline"},
        {JSONL, "\"a\"\n{bad\n", "line 2: malformed JSON"},
        {JSONL, "\"a\"\n\"b\"\n7\n", "line 3: the body is not a JSON object"},
        {JSONL, "{\"nope\": 1}", "line 1: no \"input\" key"},
        {JSONL, "{\"input\": [1]}", "line 1: \"input\"[0] is not a string"},
        {TEXT, "", "no headline"},
        {TEXT, "\n \t \n", "no headline"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        optml_status s = reqs(cases[i][0], NULL, cases[i][1], &in, msg);
        if (s != OPTML_E_CLIENT || !strstr(msg, cases[i][2]))
            test_fail(__FILE__, __LINE__, "case %zu (%s %s): status %d, message \"%s\"", i, cases[i][0],
                      cases[i][1], (int)s, msg);
        ASSERT_EQ_INT(in.n, 0);
        ASSERT(in.text == NULL);
    }
}

/* --------------------------------------------------------------- GloVe */

struct glove_run {
    struct nc_vocab v;
    uint32_t dim;
    float *E;
    struct nc_glove_stats st;
    char msg[512];
};

static optml_status glove(struct glove_run *g, const char *text, uint32_t dim, size_t n_rows)
{
    char *texts[] = {"the cat sat", "the cat", "the"}; /* the=1 cat=2 sat=3 */
    memset(g, 0, sizeof(*g));
    ASSERT(nc_vocab_build(&g->v, texts, 3, 0, 10) == 0);
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_reader *rd;
    ASSERT_EQ_INT(optml_memory_open(&ctx, text, strlen(text), OPTML_FRAME_LINES, &rd), OPTML_OK);
    g->dim = dim;
    optml_status s = nc_glove_read(&ctx, rd, "glove.test.txt", &g->v, n_rows, &g->dim, &g->E, &g->st);
    optml_reader_close(rd);
    snprintf(g->msg, sizeof(g->msg), "%s", optml_error_message(&ctx));
    return s;
}

static void glove_free(struct glove_run *g)
{
    nc_vocab_free(&g->v);
    free(g->E);
}

TEST(news_glove_fills_vocabulary_rows)
{
    struct glove_run g;
    ASSERT_EQ_INT(glove(&g, "the 0.1 0.2 0.3\nzebra 1 2 3\n\ncat -0.5 1e-3 4\nsat\n", 0, 10), OPTML_OK);
    ASSERT_EQ_INT(g.dim, 3);
    ASSERT_EQ_INT(g.st.lines, 5);
    ASSERT_EQ_INT(g.st.matched, 2);
    float want[10 * 3] = {0};
    want[3] = 0.1f, want[4] = 0.2f, want[5] = 0.3f;
    want[6] = -0.5f, want[7] = 1e-3f, want[8] = 4.0f;
    for (int i = 0; i < 30; i++)
        ASSERT(g.E[i] == want[i]);
    glove_free(&g);
    /* rows past n_rows are skipped (the matrix has only n_rows) */
    ASSERT_EQ_INT(glove(&g, "sat 1 2\nthe 3 4\n", 0, 2), OPTML_OK);
    ASSERT_EQ_INT(g.dim, 2);
    ASSERT_EQ_INT(g.st.matched, 1);
    ASSERT(g.E[2] == 3.0f && g.E[3] == 4.0f && g.E[0] == 0.0f);
    glove_free(&g);
    /* a preset dimension (a second GloVe file) is kept */
    ASSERT_EQ_INT(glove(&g, "cat 5 6\n", 2, 10), OPTML_OK);
    ASSERT_EQ_INT(g.dim, 2);
    ASSERT(g.E[4] == 5.0f && g.E[5] == 6.0f);
    glove_free(&g);
    /* CRLF line ends */
    ASSERT_EQ_INT(glove(&g, "the 1 2\r\ncat 3 4\r\n", 0, 10), OPTML_OK);
    ASSERT_EQ_INT(g.dim, 2);
    ASSERT_EQ_INT(g.st.matched, 2);
    ASSERT(g.E[5] == 4.0f);
    glove_free(&g);
}

TEST(news_glove_errors_name_file_and_line)
{
    struct glove_run g;
    ASSERT_EQ_INT(glove(&g, "the 1 2 3\nzebra 1\ncat 1 2\n", 0, 10), OPTML_E_CLIENT);
    ASSERT_CONTAINS(g.msg, "glove.test.txt, line 3");
    ASSERT_CONTAINS(g.msg, "3 numbers");
    glove_free(&g);
    ASSERT_EQ_INT(glove(&g, "the 1 2 3\ncat 1 2 3 4\n", 0, 10), OPTML_E_CLIENT);
    ASSERT_CONTAINS(g.msg, "line 2");
    glove_free(&g);
    ASSERT_EQ_INT(glove(&g, "the 1 x 3\n", 0, 10), OPTML_E_CLIENT);
    ASSERT_CONTAINS(g.msg, "line 1");
    glove_free(&g);
    const char *bad[] = {"the 1 2 nan\n", "the 1 2 1e99\n", "the 1 2 3x\n", "the 1 2 inf\n", "the 1 2 -inf\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (glove(&g, bad[i], 0, 10) != OPTML_E_CLIENT)
            test_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
        glove_free(&g);
    }
    /* a first line without numbers */
    ASSERT_EQ_INT(glove(&g, "lonely\n", 0, 10), OPTML_E_CLIENT);
    ASSERT_CONTAINS(g.msg, "line 1");
    glove_free(&g);
}
