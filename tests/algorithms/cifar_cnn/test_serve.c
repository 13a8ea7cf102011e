/*
 * test_serve.c: cifar-cnn serving in process (algorithms/cifar_cnn/model.c):
 * a model written through the runtime and read back by model_load; the
 * answers of predict with the images split over the model's team equal
 * to one thread's forward; requests of different batch sizes run concurrently on the
 * workspace pool giving the answers they give one at a time; the
 * application/json fast path (json_fast.c) reading what the jansson path
 * reads, and leaving what it does not take to it.
 */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "support/module_ctx.h"
#include "support/support.h"
#include "cifar_cnn/cc.h"
#include "cifar_cnn/net.h"
#include "cifar_cnn/request.h"
#include "common/parallel.h"
#include "nn/nn.h"
#include "core/ctx.h"
#include "serve/response.h"

/* The module table as far as model files need it (name, format version). */
static const struct optml_algorithm CC_ALG = {.api_version = OPTML_ALGORITHM_API_VERSION,
                                              .api_minor = OPTML_ALGORITHM_API_MINOR,
                                              .table_size = sizeof(struct optml_algorithm),
                                              .name = CC_MODULE_NAME, .version = "0.1.0",
                                              .model_format_version = CC_FORMAT_VERSION};

/* A model directory holding a freshly initialised network (biases drawn
 * too, so that every output depends on every layer). */
static char *model_dir(int arch, struct cc_shape s, size_t k, uint64_t seed)
{
    char *dir = tmpdir_new();
    struct module_ctx mc;
    ASSERT_EQ_INT(module_ctx_init(&mc, &CC_ALG, NULL, dir), OPTML_OK);
    struct cc_net net;
    char err[256];
    ASSERT(cc_net_build(&net, arch, &s, k, 0, OPTIM_ADAM, err, sizeof(err)) == 0);
    cc_net_init(&net, &seed);
    for (size_t i = 0; i < net.n_layers; i++)
        if (net.L[i].hb >= 0) {
            struct nn_view b = nn_params_view(&net.p, net.L[i].hb);
            for (size_t j = 0; j < b.n; j++)
                b.w[j] = 0.05f * (float)((j * 7 + i) % 11) - 0.2f;
        }
    ASSERT_EQ_INT(cc_model_save(&mc.ctx, &net), OPTML_OK);
    cc_net_free(&net);
    module_ctx_free(&mc);
    return dir;
}

static void *load(const char *dir)
{
    struct module_ctx mc;
    module_ctx_init(&mc, &CC_ALG, NULL, NULL);
    void *model = NULL;
    ASSERT_EQ_INT(cc_model_load(&mc.ctx, dir, &model), OPTML_OK);
    module_ctx_free(&mc);
    return model;
}

/* n images of shape s, values in [0, 1) from `seed`. */
static float *images(const struct cc_shape *s, size_t n, uint32_t seed)
{
    size_t cnt = n * s->h * s->w * s->c;
    float *x = malloc(cnt * sizeof(float));
    for (size_t i = 0; i < cnt; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / 16777216.0f;
    }
    return x;
}

/* x as a .npy body (float32, (n, h, w, c)). */
static unsigned char *npy(const struct cc_shape *s, const float *x, size_t n, size_t *len)
{
    char hdr[128];
    int hl = snprintf(hdr, sizeof(hdr), "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %u, %u, %u), }", n,
                      s->h, s->w, s->c);
    size_t pad = 64 - (size_t)(10 + hl + 1) % 64, h = (size_t)hl + pad + 1, cnt = n * s->h * s->w * s->c;
    unsigned char *b = malloc(10 + h + cnt * 4);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (unsigned char)(h & 0xff), b[9] = (unsigned char)(h >> 8);
    memcpy(b + 10, hdr, (size_t)hl);
    memset(b + 10 + hl, ' ', pad);
    b[10 + h - 1] = '\n';
    memcpy(b + 10 + h, x, cnt * 4);
    *len = 10 + h + cnt * 4;
    return b;
}

/* predict() on a body; the answer's probabilities (n * k) or NULL with the
 * status in *st. */
static float *predict(void *model, int type, const void *body, size_t len, size_t n, size_t k, optml_status *st)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ctx.alg = &CC_ALG;
    struct optml_response resp;
    rt_response_init(&resp);
    struct optml_request req = {.body = body, .len = len, .content_index = type, .accept_index = CC_OUT_JSON,
                                .content_type = {cc_request_types[type], ""}, .accept = {"application/json", ""}};
    *st = cc_predict(&ctx, model, &req, &resp);
    float *p = NULL;
    if (*st == OPTML_OK) {
        json_t *j = json_loadb(resp.body, resp.len, 0, NULL), *rows = json_object_get(j, "predictions");
        if (json_array_size(rows) != n)
            test_fail(__FILE__, __LINE__, "%zu rows answered, %zu sent", json_array_size(rows), n);
        p = malloc(n * k * sizeof(float));
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < k; c++)
                p[r * k + c] = (float)json_number_value(json_array_get(json_array_get(rows, r), c));
        json_decref(j);
    }
    rt_response_deinit(&resp);
    return p;
}

/* The probabilities one thread's inference forward gives. */
static float *reference(void *model, const float *x, size_t n)
{
    struct cc_net *net = &((struct cc_served *)model)->net;
    struct cc_work w;
    ASSERT(cc_work_init(&w, net, n, 0, NULL) == 0);
    float *p = malloc(n * net->classes * sizeof(float));
    nn_softmax(cc_net_forward(net, &w, x, n, 0, NULL), p, n, net->classes);
    cc_work_free(&w);
    return p;
}

static void expect_close(const float *a, const float *b, size_t cnt, const char *what)
{
    for (size_t i = 0; i < cnt; i++)
        if (!(fabsf(a[i] - b[i]) <= 1e-5f))
            test_fail(__FILE__, __LINE__, "%s: value %zu is %.9g, one thread gives %.9g", what, i, (double)a[i],
                      (double)b[i]);
}

/* Batches of 1 and 2 (fewer images than the 3 threads: on the caller), 3,
 * 5, 64 and 70 (split by images, unevenly; 70 is two forwards of the
 * 64-image chunk) against one thread, for both networks, on a 3-thread
 * team (the machine's may be 1 thread). */
static void team_matches_one_thread(int arch, struct cc_shape s, size_t k)
{
    char *dir = model_dir(arch, s, k, 11);
    struct cc_served *sv = load(dir);
    parallel_team_free(sv->team);
    sv->team = parallel_team_new(3);
    ASSERT(sv->team != NULL);
    static const size_t N[] = {1, 2, 3, 5, 64, 70};
    for (size_t t = 0; t < sizeof(N) / sizeof(N[0]); t++) {
        float *x = images(&s, N[t], 100 + (uint32_t)t);
        size_t len;
        unsigned char *body = npy(&s, x, N[t], &len);
        optml_status st;
        float *got = predict(sv, CC_IN_NPY, body, len, N[t], k, &st);
        ASSERT_EQ_INT(st, OPTML_OK);
        float *want = reference(sv, x, N[t]);
        expect_close(got, want, N[t] * k, strf("batch %zu", N[t]));
        free(got), free(want), free(body), free(x);
    }
    cc_model_free(sv);
}

TEST(cifar_predict_on_the_team_matches_one_thread_keras)
{
    team_matches_one_thread(CC_ARCH_KERAS, (struct cc_shape){32, 32, 3}, 10);
}

TEST(cifar_predict_on_the_team_matches_one_thread_sagemaker_odd_shape)
{
    team_matches_one_thread(CC_ARCH_SAGEMAKER, (struct cc_shape){29, 27, 1}, 3);
}

/* Concurrent requests: each thread sends batches of 1, 7, 33 and 70 (two
 * chunks) images in its own order; every answer must be the one the same body got
 * alone (to rounding: a request that finds the team busy runs on its own
 * thread, whose sums run in another order). */
#define CONC_THREADS 4
#define CONC_ROUNDS 2
static const size_t CONC_N[4] = {1, 7, 33, 70};

struct conc {
    void *model;
    unsigned char *body[4];
    size_t len[4];
    float *want[4];
    int t;
    int bad;
};

static void *conc_run(void *arg)
{
    struct conc *c = arg;
    for (int r = 0; r < CONC_ROUNDS; r++)
        for (int b = 0; b < 4; b++) {
            int i = (b + c->t + r) % 4;
            optml_status st;
            float *got = predict(c->model, CC_IN_NPY, c->body[i], c->len[i], CONC_N[i], 10, &st);
            if (st != OPTML_OK) {
                c->bad = 1;
                return NULL;
            }
            for (size_t j = 0; j < CONC_N[i] * 10; j++)
                if (!(fabsf(got[j] - c->want[i][j]) <= 1e-5f))
                    c->bad = 1;
            free(got);
        }
    return NULL;
}

TEST_TIMEOUT(cifar_predict_concurrent_batches_answer_as_one_at_a_time, 120)
{
    struct cc_shape s = {32, 32, 3};
    char *dir = model_dir(CC_ARCH_KERAS, s, 10, 5);
    void *model = load(dir);
    struct conc c[CONC_THREADS];
    unsigned char *body[4];
    size_t len[4];
    float *want[4];
    for (int i = 0; i < 4; i++) {
        float *x = images(&s, CONC_N[i], 7 + (uint32_t)i);
        body[i] = npy(&s, x, CONC_N[i], &len[i]);
        free(x);
        optml_status st;
        want[i] = predict(model, CC_IN_NPY, body[i], len[i], CONC_N[i], 10, &st);
        ASSERT_EQ_INT(st, OPTML_OK);
    }
    pthread_t th[CONC_THREADS];
    for (int t = 0; t < CONC_THREADS; t++) {
        c[t] = (struct conc){.model = model, .t = t};
        memcpy(c[t].body, body, sizeof(body));
        memcpy(c[t].len, len, sizeof(len));
        memcpy(c[t].want, want, sizeof(want));
        ASSERT(pthread_create(&th[t], NULL, conc_run, &c[t]) == 0);
    }
    for (int t = 0; t < CONC_THREADS; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < CONC_THREADS; t++)
        if (c[t].bad)
            test_fail(__FILE__, __LINE__, "thread %d got an answer that differs from the sequential one", t);
    /* the pool kept at most CC_POOL_KEEP workspaces, one of them big
     * enough for the largest chunk */
    struct cc_served *sv = model;
    ASSERT(sv->n_idle >= 1 && sv->n_idle <= CC_POOL_KEEP);
    size_t big = 0;
    for (size_t i = 0; i < sv->n_idle; i++)
        big = sv->idle[i]->cap > big ? sv->idle[i]->cap : big;
    ASSERT_EQ_INT(big, 64);
    for (int i = 0; i < 4; i++)
        free(body[i]), free(want[i]);
    cc_model_free(model);
}

/* ----------------------------------------------------- the JSON fast path */

static const struct cc_shape TINY = {2, 2, 3};

static optml_status parse(const char *body, struct cc_inputs *in, char *err, size_t errsz)
{
    size_t len = strlen(body);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    struct optml_request req = {.body = (unsigned char *)copy, .len = len, .content_index = CC_IN_JSON,
                                .accept_index = CC_OUT_JSON, .content_type = {"application/json", ""},
                                .accept = {"application/json", ""}};
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_status st = cc_parse_request(&ctx, &req, &TINY, in);
    snprintf(err, errsz, "%s", optml_error_message(&ctx));
    free(copy);
    return st;
}

TEST(cifar_json_fast_path_reads_what_jansson_reads)
{
    static const char *img[] = {
        "[[[0,1,2],[3,4,5]],[[6,7,8],[9,10,11]]]",
        " [ [ [ -0.5 , 1e-3,2.5E+2 ] , [3.25,0,-0] ] ,\n [[6e0,7.125,8],[9,10,1.17549435e-38]]]",
        "[[[0.1,0.2,0.3],[0.4,0.5,0.6]],[[0.7,0.8,0.9],[255,254.99999,1e10]]]",
    };
    for (size_t i = 0; i < sizeof(img) / sizeof(img[0]); i++) {
        /* fast path: {"instances": [...]} and a bare list; jansson path:
         * the same with a signature name, which only jansson takes */
        const char *fast[] = {strf("{\"instances\": [%s, %s]}", img[i], img[0]), strf(" [%s,%s] ", img[i], img[0])};
        struct cc_inputs want, got;
        char err[512];
        ASSERT(cc_json_fast(fast[0], strlen(fast[0]), &TINY, &got) == 0);
        cc_inputs_free(&got);
        ASSERT_EQ_INT(parse(strf("{\"signature_name\": \"serving_default\", \"instances\": [%s, %s]}", img[i], img[0]),
                            &want, err, sizeof(err)), OPTML_OK);
        for (int f = 0; f < 2; f++) {
            ASSERT_EQ_INT(parse(fast[f], &got, err, sizeof(err)), OPTML_OK);
            ASSERT_EQ_INT(got.n, 2);
            ASSERT_EQ_INT(got.columnar, 0);
            for (size_t v = 0; v < 24; v++)
                ASSERT_NEAR(got.x[v], want.x[v], fabsf(want.x[v]) * 1.2e-7f);
            cc_inputs_free(&got);
        }
        cc_inputs_free(&want);
    }
    /* what the fast path leaves to jansson keeps jansson's answers: JSON's
     * number grammar, the float range, 64-bit integers, a wrong shape */
    static const char *bad[][2] = {
        {"[[[01,1,2],[3,4,5]],[[6,7,8],[9,10,11]]]", "not JSON"},
        {"[[[1.,1,2],[3,4,5]],[[6,7,8],[9,10,11]]]", "not JSON"},
        {"[[[+1,1,2],[3,4,5]],[[6,7,8],[9,10,11]]]", "not JSON"},
        {"[[[.5,1,2],[3,4,5]],[[6,7,8],[9,10,11]]]", "not JSON"},
        {"[[[1e39,1,2],[3,4,5]],[[6,7,8],[9,10,11]]]", "value [0][0][0] is not a finite number"},
        {"[[[99999999999999999999,1,2],[3,4,5]],[[6,7,8],[9,10,11]]]", "not JSON"},
        {"[[[1,2],[3,4,5]],[[6,7,8],[9,10,11]]]", "instance 1: pixel [0][0]"},
        {"[[[0,1,2],[3,4,5]],[[6,7,8],[9,10,11]]],", "not JSON"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *body = strf("{\"instances\": [[[[0,1,2],[3,4,5]],[[6,7,8],[9,10,11]]], %s]}", bad[i][0]);
        struct cc_inputs in;
        char err[512];
        ASSERT(cc_json_fast(body, strlen(body), &TINY, &in) == -1);
        ASSERT_EQ_INT(parse(body, &in, err, sizeof(err)), OPTML_E_CLIENT);
        ASSERT_CONTAINS(err, bad[i][1]);
    }
}
