/*
 * test_train.c: the linear learner's training internals in process: the
 * hyperparameter table and its resolution (auto values, cross-key errors),
 * the minibatch gradient through the folded scaler against finite
 * differences (logistic, squared, softmax), convergence of the parallel
 * models, the checkpoint payload, row parsing, and the metrics and
 * threshold calibration of eval.c.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/ll_alg.h"
#include "support/harness.h"
#include "support/gradcheck.h"
#include "support/module_ctx.h"
#include "config/hparams.h"
#include "core/ctx.h"
#include "linear_learner/eval.h"
#include "linear_learner/parse.h"
#include "codec/protobuf_record.h"
#include "linear_learner/state.h"

#define LL_ALG fixture_ll_alg

/* Parse, bind and resolve hyperparameters as `optml train` does; returns
 * the first failing step's status (the parser's or ll_resolve's), the
 * message in err, a copy of the config in *cfg (its strings not kept). */
static optml_status config(const char *json, struct ll_config *cfg, char *err, size_t errsz)
{
    struct module_ctx mc;
    optml_status s = module_ctx_init(&mc, &LL_ALG, json, NULL);
    if (s == OPTML_OK) {
        *cfg = *(const struct ll_config *)optml_config(&mc.ctx);
        cfg->positive_example_weight_mult = NULL;
    }
    snprintf(err, errsz, "%.250s", optml_error_message(&mc.ctx));
    module_ctx_free(&mc);
    return s;
}

TEST(ll_hparams_table_and_defaults)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_hparams_check_decls(&ctx, &LL_ALG), OPTML_OK);
    const char *shaping[] = {"predictor_type", "feature_dim", "num_classes"};
    for (size_t i = 0; i < 3; i++) {
        int found = 0;
        for (size_t k = 0; k < LL_N_HPARAMS; k++)
            if (strcmp(ll_hparams[k].name, shaping[i]) == 0)
                found = (ll_hparams[k].flags & OPTML_HP_SHAPES_MODEL) != 0;
        ASSERT(found);
    }
    struct ll_config c;
    char err[256];
    ASSERT_EQ_INT(config("{\"predictor_type\": \"binary_classifier\"}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.predictor_type, LL_BINARY);
    ASSERT_EQ_INT(c.K, 1);
    ASSERT_EQ_INT(c.loss, LOSS_LOGISTIC);
    ASSERT_EQ_INT(c.optimizer, OPTIM_ADAM);
    ASSERT_EQ_INT(c.num_models, 8);
    ASSERT_EQ_INT(c.mini_batch_size, 1000);
    ASSERT_EQ_INT(c.epochs, 15);
    ASSERT(OPTML_IS_UNSET(c.feature_dim)); /* auto: from the data */
    ASSERT_EQ_INT(c.num_calibration_samples, 10000);
    ASSERT(c.learning_rate > 0 && c.wd_auto && c.l1_auto && c.normalize_data && !c.normalize_label);
    ASSERT_EQ_INT(c.early_stopping_patience, 3);
    ASSERT_EQ_INT(c.criterion, LL_CRIT_ACCURACY);

    ASSERT_EQ_INT(config("{\"predictor_type\": \"regressor\", \"loss\": \"huber_loss\", \"optimizer\": \"sgd\", "
                         "\"feature_dim\": \"7\", \"num_models\": \"2\", \"wd\": \"0.5\", \"use_bias\": \"False\", "
                         "\"binary_classifier_model_selection_criteria\": \"f1\"}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.loss, LOSS_HUBER);
    ASSERT_EQ_INT(c.optimizer, OPTIM_SGD);
    ASSERT_EQ_INT(c.feature_dim, 7);
    ASSERT(c.normalize_label && !c.unbias_label && !c.use_bias && !c.wd_auto && c.wd == 0.5f);
    ASSERT_EQ_INT(c.criterion, LL_CRIT_F_BETA);
    ASSERT_EQ_INT(config("{\"predictor_type\": \"multiclass_classifier\", \"num_classes\": \"10\"}", &c, err,
                         sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.K, 10);
    ASSERT_EQ_INT(c.loss, LOSS_SOFTMAX);
    ASSERT_EQ_INT(config("{\"predictor_type\": \"binary_classifier\", \"positive_example_weight_mult\": \"balanced\"}",
                         &c, err, sizeof(err)), OPTML_OK);
    ASSERT(c.pos_weight_balanced);
    ASSERT_EQ_INT(config("{\"predictor_type\": \"binary_classifier\", \"positive_example_weight_mult\": \"2.5\"}",
                         &c, err, sizeof(err)), OPTML_OK);
    ASSERT_NEAR(c.pos_weight, 2.5, 0);
}

TEST(ll_hparams_errors_name_the_key)
{
    struct ll_config c;
    char err[256];
    static const char *const cases[][2] = {
        {"{\"predictor_type\": \"multiclass_classifier\"}", "num_classes"},
        {"{\"predictor_type\": \"multiclass_classifier\", \"num_classes\": \"2\"}", "num_classes"},
        {"{\"predictor_type\": \"regressor\", \"loss\": \"logistic\"}", "loss"},
        {"{\"predictor_type\": \"binary_classifier\", \"loss\": \"softmax_loss\"}", "loss"},
        {"{\"predictor_type\": \"binary_classifier\", \"positive_example_weight_mult\": \"-1\"}",
         "positive_example_weight_mult"},
        {"{\"predictor_type\": \"regressor\", \"loss\": \"huber_loss\", \"huber_delta\": \"0\"}", "huber_delta"},
        {"{}", "predictor_type"},
        {"{\"predictor_type\": \"ranker\"}", "predictor_type"},
        {"{\"predictor_type\": \"regressor\", \"mini_batch_siz\": \"10\"}", "mini_batch_siz"},
        {"{\"predictor_type\": \"regressor\", \"feature_dim\": \"0\"}", "feature_dim"},
        {"{\"predictor_type\": \"regressor\", \"learning_rate\": \"0\"}", "learning_rate"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        optml_status s = config(cases[i][0], &c, err, sizeof(err));
        if (s != OPTML_E_CLIENT || !strstr(err, cases[i][1]))
            test_fail(__FILE__, __LINE__, "%s: %s '%s'", cases[i][0], optml_status_name(s), err);
    }
}

static float frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((*s >> 40) & 0xffff) / 32768.0f - 1.0f;
}

struct fd {
    struct ll_state *st;
    const struct ll_config *cfg;
    struct ll_rows *batch;
    size_t m;          /* the model whose weights vary */
};

/* Mean weighted loss of model m with its weights = x. */
static double fd_loss(const float *x, void *vctx)
{
    struct fd *f = vctx;
    struct ll_state *st = f->st;
    size_t KD = st->K * st->D;
    float *save = malloc(KD * sizeof(float));
    memcpy(save, st->W + f->m * KD, KD * sizeof(float));
    memcpy(st->W + f->m * KD, x, KD * sizeof(float));
    float *P = malloc(f->batch->n * st->R * sizeof(float));
    double loss[4] = {0}, sw = 0;
    ll_state_scores(st, st->W, st->b, f->batch, P);
    ll_state_loss(st, f->cfg, f->batch, P, loss, NULL);
    for (size_t i = 0; i < f->batch->n; i++)
        sw += f->batch->w[i];
    memcpy(st->W + f->m * KD, save, KD * sizeof(float));
    free(save);
    free(P);
    return loss[f->m] / sw;
}

/* The gradient ll_state_step computes (left in st->G, with a zero learning
 * rate so the weights stay) against central differences. */
static void check_gradient(enum ll_predictor type, enum loss_kind loss, size_t K, int sparse)
{
    struct ll_config cfg = {.predictor_type = type, .K = K, .num_models = 2, .loss = loss,
                            .optimizer = OPTIM_SGD, .learning_rate = 0.0f, .use_bias = 1, .init_scale = 0.5f, .seed = 9,
                            .lp = {.eps = 0.01f, .quantile = 0.3f, .huber_delta = 1.0f, .margin = 1.0f}};
    size_t D = 6, n = 20;
    struct ll_state st;
    ASSERT(ll_state_init(&st, &cfg, D) == 0 && ll_state_scratch(&st, n) == 0);
    uint64_t seed = 5;
    for (size_t j = 0; j < D; j++) {
        st.sc.mean[j] = frand(&seed);
        st.sc.inv_std[j] = 0.5f + (frand(&seed) + 1.0f);
    }
    struct ll_rows batch;
    ASSERT(ll_rows_init(&batch, D, sparse, n) == 0);
    float x[6];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < D; j++)
            x[j] = sparse && frand(&seed) < 0 ? 0.0f : 2.0f * frand(&seed);
        float y = type == LL_MULTICLASS ? (float)(i % K) : type == LL_BINARY ? (float)(i % 2) : frand(&seed) * 3;
        struct ll_row r = {y, D, NULL, x};
        ASSERT(ll_rows_add(&batch, &r, 0.5f + (float)(i % 3)) == 0);
    }
    double lsum[2] = {0}, wsum = 0;
    ll_state_step(&st, &cfg, &batch, lsum, &wsum);
    for (size_t m = 0; m < 2; m++) {
        struct fd f = {&st, &cfg, &batch, m};
        float *w = malloc(K * D * sizeof(float));
        memcpy(w, st.W + m * K * D, K * D * sizeof(float));
        double err = gradcheck(fd_loss, &f, w, st.G + m * K * D, K * D, 1e-2);
        free(w);
        if (!(err < 2e-2))
            test_fail(__FILE__, __LINE__, "loss %d K=%zu sparse=%d model %zu: relative error %g", (int)loss, K,
                      sparse, m, err);
    }
    ll_rows_free(&batch);
    ll_state_free(&st);
}

TEST(ll_step_gradient_matches_finite_differences)
{
    check_gradient(LL_BINARY, LOSS_LOGISTIC, 1, 0);
    check_gradient(LL_BINARY, LOSS_LOGISTIC, 1, 1);
    check_gradient(LL_REGRESSOR, LOSS_SQUARED, 1, 0);
    check_gradient(LL_REGRESSOR, LOSS_HUBER, 1, 1);
    check_gradient(LL_MULTICLASS, LOSS_SOFTMAX, 3, 0);
    check_gradient(LL_MULTICLASS, LOSS_SOFTMAX, 3, 1);
}

/* Rows of a noisy linear rule: y = [w . x > 0]. */
static void separable(struct ll_rows *r, size_t n, size_t D, uint64_t seed)
{
    ASSERT(ll_rows_init(r, D, 0, n) == 0);
    float *x = malloc(D * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        double z = 0.3;
        for (size_t j = 0; j < D; j++) {
            x[j] = frand(&seed) * (float)(j + 1) + (float)j;
            z += (j % 2 ? -1.0 : 1.0) * (x[j] - (double)j) / (double)(j + 1);
        }
        struct ll_row row = {z > 0 ? 1.0f : 0.0f, D, NULL, x};
        ASSERT(ll_rows_add(r, &row, 1.0f) == 0);
    }
    free(x);
}

TEST(ll_parallel_models_learn_a_linear_rule)
{
    struct ll_config cfg = {.predictor_type = LL_BINARY, .K = 1, .num_models = 4, .loss = LOSS_LOGISTIC,
                            .optimizer = OPTIM_ADAM, .learning_rate = 0.05f, .beta_1 = 0.9f, .beta_2 = 0.999f,
                            .eps = 1e-8f, .use_bias = 1, .bias_lr_mult = 1, .normalize_data = 1,
                            .unbias_data = OPTML_UNSET_INT, .init_scale = 0.07f, .wd_auto = 1, .l1_auto = 1,
                            .seed = 1};
    size_t D = 5, n = 64;
    struct ll_rows data;
    separable(&data, 2048, D, 42);
    struct ll_state st;
    ASSERT(ll_state_init(&st, &cfg, D) == 0 && ll_state_scratch(&st, n) == 0);
    ll_scaler_free(&st.sc);
    ASSERT(ll_scaler_fit(&st.sc, &data, &cfg, 0) == 0);
    double first[4] = {0}, last[4] = {0};
    for (int epoch = 0; epoch < 20; epoch++) {
        double loss[4] = {0}, w = 0;
        for (size_t i0 = 0; i0 < data.n; i0 += n) {
            struct ll_rows part = data;
            part.n = n;
            part.x = data.x + i0 * D;
            part.y = data.y + i0;
            part.w = data.w + i0;
            ll_state_step(&st, &cfg, &part, loss, &w);
        }
        for (size_t m = 0; m < 4; m++)
            (epoch == 0 ? first : last)[m] = loss[m] / w;
    }
    float *P = malloc(data.n * st.R * sizeof(float));
    ll_state_scores(&st, st.W, st.b, &data, P);
    for (size_t m = 0; m < 4; m++) {
        double right = 0;
        for (size_t i = 0; i < data.n; i++)
            right += (P[i * st.R + m] > 0) == (data.y[i] > 0.5f);
        if (!(last[m] < first[m] * 0.5 && right / (double)data.n > 0.97))
            test_fail(__FILE__, __LINE__, "model %zu: loss %g -> %g, accuracy %g", m, first[m], last[m],
                      right / (double)data.n);
    }
    /* Model 0 has the given settings; the others differ. */
    float lr, wd, l1;
    ll_model_settings(&cfg, 0, &lr, &wd, &l1);
    ASSERT(lr == cfg.learning_rate && wd == 0 && l1 == 0);
    ll_model_settings(&cfg, 1, &lr, &wd, &l1);
    ASSERT(lr != cfg.learning_rate);
    free(P);
    ll_rows_free(&data);
    ll_state_free(&st);
}

/* Multiclass models big enough for two groups: `steps` minibatches, the
 * second group on a helper thread or not; the weights and losses. */
static float *grouped_run(int threads, size_t steps, double *loss)
{
    struct ll_config cfg = {.predictor_type = LL_MULTICLASS, .K = 10, .num_models = 5, .loss = LOSS_SOFTMAX,
                            .optimizer = OPTIM_ADAM, .learning_rate = 0.02f, .beta_1 = 0.9f, .beta_2 = 0.999f,
                            .eps = 1e-8f, .use_bias = 1, .bias_lr_mult = 1, .init_scale = 0.07f, .wd_auto = 1,
                            .l1_auto = 1, .seed = 3};
    size_t D = 400, n = 50;
    struct ll_state st;
    ASSERT(ll_state_init(&st, &cfg, D) == 0 && ll_state_scratch(&st, n) == 0);
    ASSERT_EQ_INT((int)ll_state_groups(&st), 2);
    ASSERT_EQ_INT(ll_state_threads(&st, threads), threads > 1);
    uint64_t seed = 11;
    float *x = malloc(D * sizeof(float));
    double w = 0;
    for (size_t s = 0; s < steps; s++) {
        struct ll_rows batch;
        ASSERT(ll_rows_init(&batch, D, 0, n) == 0);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < D; j++)
                x[j] = frand(&seed);
            struct ll_row r = {(float)((i * 7 + s) % 10), D, NULL, x};
            ASSERT(ll_rows_add(&batch, &r, 1.0f) == 0);
        }
        ll_state_step(&st, &cfg, &batch, loss, &w);
        ll_rows_free(&batch);
    }
    float *W = malloc(st.R * D * sizeof(float));
    memcpy(W, st.W, st.R * D * sizeof(float));
    free(x);
    ll_state_free(&st);
    return W;
}

TEST(ll_step_two_groups_same_bits_on_one_or_two_threads)
{
    double l1[5] = {0}, l2[5] = {0};
    float *a = grouped_run(1, 12, l1), *b = grouped_run(2, 12, l2);
    ASSERT(memcmp(a, b, 5 * 10 * 400 * sizeof(float)) == 0);
    ASSERT(memcmp(l1, l2, sizeof(l1)) == 0);
    /* The groups did train: the weights moved from their start. */
    double l0[5] = {0};
    float *c = grouped_run(1, 1, l0);
    ASSERT(memcmp(a, c, 5 * 10 * 400 * sizeof(float)) != 0);
    free(a);
    free(b);
    free(c);
}

TEST(ll_checkpoint_payload_round_trip)
{
    struct ll_config cfg = {.predictor_type = LL_MULTICLASS, .K = 3, .num_models = 2, .loss = LOSS_SOFTMAX,
                            .optimizer = OPTIM_ADAM, .learning_rate = 0.1f, .init_scale = 0.07f, .seed = 4};
    struct ll_state a, b;
    ASSERT(ll_state_init(&a, &cfg, 4) == 0 && ll_state_init(&b, &cfg, 4) == 0);
    for (size_t i = 0; i < a.R * a.D; i++) {
        a.ow.m[i] = (float)i;
        a.ow.v[i] = (float)i * 2;
        a.bestW[i] = -(float)i;
    }
    a.epoch = 3;
    a.step = 77;
    a.ow.t = 77;
    a.have_scaler = 1;
    a.sc.mean[2] = 1.5f;
    a.sc.y_std = 2.0f;
    a.mc_w[1] = 3.0f;
    a.best_loss[1] = 0.25;
    a.bad_epochs = 2;
    unsigned char *buf;
    size_t len;
    ASSERT(ll_state_encode(&a, &buf, &len) == 0);
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    size_t M, K, D;
    ASSERT_EQ_INT(ll_state_peek(&ctx, buf, len, &M, &K, &D), OPTML_OK);
    ASSERT(M == 2 && K == 3 && D == 4);
    ASSERT_EQ_INT(ll_state_decode(&ctx, &b, buf, len), OPTML_OK);
    ASSERT(memcmp(a.W, b.W, a.R * a.D * sizeof(float)) == 0);
    ASSERT(memcmp(a.ow.v, b.ow.v, a.R * a.D * sizeof(float)) == 0);
    ASSERT(memcmp(a.bestW, b.bestW, a.R * a.D * sizeof(float)) == 0);
    ASSERT(b.epoch == 3 && b.step == 77 && b.ow.t == 77 && b.have_scaler && b.bad_epochs == 2);
    ASSERT(b.sc.mean[2] == 1.5f && b.sc.y_std == 2.0f && b.mc_w[1] == 3.0f && b.best_loss[1] == 0.25);
    ll_state_free(&b);
    struct ll_config other = cfg;
    other.num_models = 3;
    ASSERT(ll_state_init(&b, &other, 4) == 0);
    ASSERT_EQ_INT(ll_state_decode(&ctx, &b, buf, len), OPTML_E_CLIENT);
    ASSERT_CONTAINS(ctx.errmsg, "num_models");
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(ll_state_peek(&ctx, buf, 10, &M, &K, &D), OPTML_E_CLIENT);
    free(buf);
    ll_state_free(&a);
    ll_state_free(&b);
}

TEST(ll_parse_csv_and_protobuf_rows)
{
    size_t D = 0;
    struct ll_parser p;
    ll_parser_init(&p, LL_FMT_CSV, 1, &D);
    struct ll_row row;
    ASSERT_EQ_INT(ll_parse_record(&p, (const unsigned char *)"1,2.5,3", 7, &row), LL_PARSE_OK);
    ASSERT(D == 2 && row.label == 1.0f && row.nnz == 2 && row.val[1] == 3.0f && !row.idx);
    ASSERT_EQ_INT(ll_parse_record(&p, (const unsigned char *)"  \r", 3, &row), LL_PARSE_SKIP);
    ASSERT_EQ_INT(ll_parse_record(&p, (const unsigned char *)"0,1,2,3", 7, &row), LL_PARSE_BAD);
    ASSERT(p.dim_mismatch);
    ASSERT_CONTAINS(p.err, "3 features, expected 2");
    ASSERT_EQ_INT(ll_parse_record(&p, (const unsigned char *)"0,1,x", 5, &row), LL_PARSE_BAD);
    ASSERT(!p.dim_mismatch);
    ASSERT_EQ_INT(ll_parse_record(&p, (const unsigned char *)"7", 1, &row), LL_PARSE_BAD);
    ll_parser_free(&p);

    D = 0;
    ll_parser_init(&p, LL_FMT_PROTOBUF, 1, &D);
    struct pb_out pb = {0};
    uint64_t keys[] = {4, 1};
    float vals[] = {2.0f, -1.0f};
    ASSERT(pb_write_sparse_example(&pb, keys, vals, 2, 6, 1.0f) == 0);
    /* Skip the 8-byte RecordIO head: the parser gets the payload. */
    uint32_t plen;
    memcpy(&plen, pb.data + 4, 4);
    ASSERT_EQ_INT(ll_parse_record(&p, pb.data + 8, plen & ((1u << 29) - 1), &row), LL_PARSE_OK);
    ASSERT(D == 6 && row.label == 1.0f && row.nnz == 2 && row.idx && row.idx[0] == 4 && row.val[1] == -1.0f);
    ASSERT(p.sparse_seen);
    pb_out_free(&pb);
    float dense[3] = {1, 2, 3};
    ASSERT(pb_write_example(&pb, dense, 3, 0.0f) == 0);
    memcpy(&plen, pb.data + 4, 4);
    ASSERT_EQ_INT(ll_parse_record(&p, pb.data + 8, plen & ((1u << 29) - 1), &row), LL_PARSE_BAD);
    ASSERT_CONTAINS(p.err, "expected 6");
    pb_out_free(&pb);
    ll_parser_free(&p);
}

TEST(ll_eval_binary_metrics_auc_and_calibration)
{
    float y[8] = {0, 0, 1, 0, 1, 1, 1, 0};
    float s[8] = {0.1f, 0.2f, 0.35f, 0.4f, 0.6f, 0.7f, 0.8f, 0.3f};
    double auc;
    ASSERT(ll_auc(s, y, 8, &auc) == 0);
    /* Pairs (pos, neg) ranked right: 0.35 beats 0.1, 0.2, 0.3 but not 0.4. */
    ASSERT_NEAR(auc, 15.0 / 16.0, 1e-12);
    float tie[4] = {0.5f, 0.5f, 0.5f, 0.5f}, ty[4] = {0, 1, 0, 1};
    ASSERT(ll_auc(tie, ty, 4, &auc) == 0);
    ASSERT_NEAR(auc, 0.5, 1e-12);
    struct ll_binary_metrics m;
    ll_binary_at(s, y, 8, 0.5f, 1.0f, &m);
    ASSERT_NEAR(m.accuracy, 7.0 / 8, 1e-12);
    ASSERT_NEAR(m.precision, 1.0, 1e-12);
    ASSERT_NEAR(m.recall, 0.75, 1e-12);
    ASSERT_NEAR(m.f_beta, 2 * 0.75 / 1.75, 1e-12);
    struct ll_config c = {.predictor_type = LL_BINARY, .criterion = LL_CRIT_ACCURACY, .f_beta = 1.0f,
                          .target_recall = 1.0f, .target_precision = 0.8f};
    float thr;
    double v;
    ASSERT(ll_calibrate(s, y, 8, &c, 0.5f, &thr, &v) == 0);
    /* Best accuracy (7/8) is reached by any threshold in [0.4, 0.6) and by
     * [0.3, 0.35): the one nearest 0.5 is 0.5 itself. */
    ASSERT_NEAR(v, 7.0 / 8, 1e-12);
    ASSERT_NEAR(thr, 0.5, 0);
    c.criterion = LL_CRIT_PRECISION_AT_RECALL;
    ASSERT(ll_calibrate(s, y, 8, &c, 0.5f, &thr, &v) == 0);
    ll_binary_at(s, y, 8, thr, 1.0f, &m);
    ASSERT(m.recall >= 1.0 && thr < 0.35f && thr >= 0.3f);
    ASSERT_NEAR(v, 0.8, 1e-12);
    ASSERT_NEAR(ll_criterion_at(s, y, 8, &c, thr), 0.8, 1e-12);
}

TEST(ll_eval_multiclass_and_regression_accumulators)
{
    struct ll_config c = {.predictor_type = LL_MULTICLASS, .K = 3, .accuracy_top_k = 2, .f_beta = 1.0f};
    struct ll_eval e;
    ASSERT(ll_eval_init(&e, &c) == 0);
    float rows[4][3] = {{0.7f, 0.2f, 0.1f}, {0.1f, 0.3f, 0.6f}, {0.3f, 0.5f, 0.2f}, {0.2f, 0.2f, 0.6f}};
    float labels[4] = {0, 1, 1, 0};
    for (int i = 0; i < 4; i++)
        ASSERT(ll_eval_add(&e, rows[i], labels[i]) == 0);
    ASSERT_NEAR(e.correct, 2, 0);
    ASSERT_NEAR(e.topk, 4, 0); /* row 4: class 0 ties with class 1 behind 0.6: in the top 2 */
    ASSERT_NEAR(e.dcg, 1 + 1 / log2(3.0) + 1 + 1 / log2(3.0), 1e-12);
    ASSERT_NEAR(e.tp[0], 1, 0);
    ASSERT_NEAR(e.fp[2], 2, 0);
    ASSERT_NEAR(e.fn[1], 1, 0);
    ll_eval_free(&e);
    c.predictor_type = LL_REGRESSOR;
    c.K = 1;
    ASSERT(ll_eval_init(&e, &c) == 0);
    float p1 = 3.0f, p2 = -1.0f;
    ASSERT(ll_eval_add(&e, &p1, 1.0f) == 0 && ll_eval_add(&e, &p2, 0.0f) == 0);
    ASSERT_NEAR(e.sq, 5, 0);
    ASSERT_NEAR(e.abs, 3, 0);
    ll_eval_free(&e);
}
