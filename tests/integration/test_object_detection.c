/*
 * test_object_detection.c: the object-detection module through
 * build/bin/optml on Fashion-MNIST scenes (tests/fixtures/od_scenes: real
 * images pasted with exact boxes) written here as RecordIO and as image +
 * JSON channels.  Training: the built-in's log lines checked with its
 * metric regexes (ALGORITHMS.md D.4), the artifact (hyperparams.json and
 * the model file), validation images drawn to output/data/, the
 * use_pretrained_model refusal, incremental training through the `model`
 * channel (files and model.tar.gz), a corrupt model refused, a SIGTERM
 * stop.  Serving: JSON rows, the annotation layout, PNG with boxes drawn,
 * and bad bodies answered 4xx.  The end-to-end proof: validation mAP@0.5
 * far above a trivial detector's, and the served boxes on a held-out
 * scene matching its objects.
 */
#define _GNU_SOURCE
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "codec/im2rec.h"
#include "codec/image_decode.h"
#include "codec/image_encode.h"
#include "fixtures/od_scenes.h"
#include "object_detection/box.h"
#include "object_detection/draw.h"
#include "serve_helpers.h"
#include "support/datagen.h"
#include "support/harness.h"
#include "train_helpers.h"

/* The built-in's metric regexes (ALGORITHMS.md D.4), POSIX spelling. */
#define RX_MAP "#quality_metric: host=[^ ]+, epoch=[^ ]+, validation mAP <score>=[(]([^ ]+)[)]"
#define RX_L1 "#quality_metric: host=[^ ]+, epoch=[^ ]+, batch=[^ ]+ train smooth_l1 <loss>=([^ ]+)"
#define RX_CE "#quality_metric: host=[^ ]+, epoch=[^ ]+, batch=[^ ]+ train cross_entropy <loss>=([^ ]+)"
#define RX_TP "#throughput_metric: host=[^ ]+, train throughput=([^ ]+) records/second"

struct scenes {
    size_t n;
    struct od_fixture_scene *sc;
};

static struct scenes make_scenes(size_t n, size_t side, uint64_t seed, const char *stem)
{
    struct od_fixture_items items;
    if (od_fixture_items_load(OD_FIXTURE_FMNIST, stem, 2000, &items) != 0)
        test_fail(__FILE__, __LINE__, "dataset-fashion-mnist is not installed (bash .ci/deps.sh)");
    struct scenes s = {n, calloc(n, sizeof(struct od_fixture_scene))};
    ASSERT(s.sc != NULL);
    uint64_t rng = seed;
    for (size_t k = 0; k < n; k++)
        ASSERT_EQ_INT(od_fixture_scene(&rng, &items, side, 3, &s.sc[k]), 0);
    od_fixture_items_free(&items);
    return s;
}

/* input/data/<channel>/<channel>.rec: the scenes as im2rec records. */
static void write_rec(const char *base, const char *channel, const struct scenes *s)
{
    struct buf b = {0};
    for (size_t k = 0; k < s->n; k++) {
        size_t len;
        uint8_t *p = od_fixture_im2rec(&s->sc[k], k, &len);
        ASSERT(p != NULL);
        buf_put_recordio(&b, 0, p, (uint32_t)len);
        free(p);
    }
    write_file(base, strf("input/data/%s/%s.rec", channel, channel), b.p, b.n);
    free(b.p);
}

static uint8_t *scene_png(const struct od_fixture_scene *sc, size_t *len)
{
    uint8_t *png = NULL;
    char err[128];
    ASSERT_EQ_INT(img_encode_png(&sc->img, &png, len, err, sizeof(err)), 0);
    return png;
}

/* input/data/<channel>/img_<k>.png and <channel>_annotation/img_<k>.json. */
static void write_image_json(const char *base, const char *channel, const struct scenes *s)
{
    for (size_t k = 0; k < s->n; k++) {
        size_t len;
        uint8_t *png = scene_png(&s->sc[k], &len);
        char *name = strf("img_%zu.png", k);
        write_file(base, strf("input/data/%s/%s", channel, name), png, len);
        char *json = od_fixture_json(&s->sc[k], name);
        write_file(base, strf("input/data/%s_annotation/img_%zu.json", channel, k), json, (size_t)-1);
        free(json);
        free(png);
    }
}

static void scenes_free(struct scenes *s)
{
    for (size_t k = 0; k < s->n; k++)
        od_fixture_scene_free(&s->sc[k]);
    free(s->sc);
}

#define IDC_REC_TRAIN "\"train\": {\"ContentType\": \"application/x-recordio\", \"TrainingInputMode\": \"File\"}"
#define IDC_IMG_VAL                                                                                               \
    "\"validation\": {\"ContentType\": \"image/png\"}, \"validation_annotation\": {\"ContentType\": "              \
    "\"application/json\"}"

static struct run_result od_run(const char *base, int timeout)
{
    const char *env[] = {strf("SAGEMAKER_BASE_DIR=%s", base), module_path_env(), "OPTML_ALGORITHM=object-detection",
                         NULL};
    const char *args[] = {"train", NULL};
    return run_optml(args, env, timeout);
}

/* The job failed as a ClientError containing `want`. */
static void expect_client_error(const char *base, struct run_result r, const char *want)
{
    char *failure = tree_file(base, "output/failure");
    if (r.exit_code != 2 || !strstr(failure, "ClientError: ") || !strstr(failure, want))
        test_fail(__FILE__, __LINE__, "exit %d, failure '%s', expected a ClientError with '%s'\n%s", r.exit_code,
                  failure, want, r.output);
    free(failure);
}

/* The value group 1 of `rx` captures on the last line it matches (NAN when none). */
static double last_capture(const char *log, const char *rx)
{
    regex_t re;
    ASSERT_EQ_INT(regcomp(&re, rx, REG_EXTENDED), 0);
    double v = NAN;
    const char *line = log;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        char *l = strndup(line, nl ? (size_t)(nl - line) : strlen(line));
        regmatch_t m[2];
        if (regexec(&re, l, 2, m, 0) == 0 && m[1].rm_so >= 0)
            v = strtod(l + m[1].rm_so, NULL);
        free(l);
        line = nl ? nl + 1 : NULL;
    }
    regfree(&re);
    return v;
}

static size_t count_matches(const char *log, const char *rx)
{
    regex_t re;
    ASSERT_EQ_INT(regcomp(&re, rx, REG_EXTENDED | REG_NEWLINE), 0);
    size_t n = 0;
    const char *p = log;
    regmatch_t m[1];
    while (regexec(&re, p, 1, m, 0) == 0) {
        n++;
        p += m[0].rm_eo;
    }
    regfree(&re);
    return n;
}

/* A small job: 24 training scenes (RecordIO), 8 validation (image + JSON), 64 px. */
static char *small_job(const char *extra_hp)
{
    char *base = optml_tree_new(strf("{\"num_classes\": \"10\", \"num_training_samples\": \"24\", \"image_shape\": "
                                     "\"64\", \"mini_batch_size\": \"8\", \"epochs\": \"2\", \"optimizer\": \"adam\", "
                                     "\"width_multiplier\": \"0.25\"%s}",
                                     extra_hp ? extra_hp : ""));
    struct scenes tr = make_scenes(24, 64, 11, "train"), va = make_scenes(8, 64, 12, "t10k");
    write_rec(base, "train", &tr);
    write_image_json(base, "validation", &va);
    write_file(base, "input/config/inputdataconfig.json", "{" IDC_REC_TRAIN ", " IDC_IMG_VAL "}", (size_t)-1);
    scenes_free(&tr);
    scenes_free(&va);
    return base;
}

TEST_TIMEOUT(od_train_log_lines_artifact_and_validation_images, 120)
{
    char *base = small_job(NULL);
    struct run_result r = od_run(base, 100);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "training: exit %d\n%s", r.exit_code, r.output);
    /* the built-in's regexes: one mAP line an epoch, loss lines with batch=, throughput */
    ASSERT_EQ_INT(count_matches(r.output, RX_MAP), 2);
    ASSERT(isfinite(last_capture(r.output, RX_MAP)));
    ASSERT(count_matches(r.output, RX_L1) >= 2 && isfinite(last_capture(r.output, RX_L1)));
    ASSERT(count_matches(r.output, RX_CE) >= 2 && isfinite(last_capture(r.output, RX_CE)));
    ASSERT(count_matches(r.output, RX_TP) >= 2 && last_capture(r.output, RX_TP) > 0);
    ASSERT_CONTAINS(r.output, "#progress_metric: host=algo-1, completed 100.0 % of epochs");
    /* the artifact: hyperparams.json (strings) and the model file */
    char *hp = tree_file(base, "model/hyperparams.json");
    json_error_t je;
    json_t *h = json_loads(hp, 0, &je);
    ASSERT(h != NULL);
    ASSERT_EQ_STR(json_string_value(json_object_get(h, "num_classes")), "10");
    ASSERT_EQ_STR(json_string_value(json_object_get(h, "image_shape")), "64");
    ASSERT_EQ_STR(json_string_value(json_object_get(h, "nms_threshold")), "0.45000000000000001");
    ASSERT_EQ_STR(json_string_value(json_object_get(h, "base_network")), "mobilenet-ssdlite");
    json_decref(h);
    ASSERT(tree_has(base, "model/object-detection.model"));
    /* validation images with boxes drawn: PNGs of image_shape pixels */
    for (int k = 0; k < 4; k++) {
        size_t len;
        char *png = read_file(path_join(base, strf("output/data/validation_%d.png", k)), &len);
        ASSERT(png != NULL);
        struct img_u8 im;
        char err[128];
        ASSERT_EQ_INT(img_decode((const uint8_t *)png, len, 1u << 20, 3, &im, err, sizeof(err)), 0);
        ASSERT(im.w == 64 && im.h == 64);
        img_free(&im);
        free(png);
    }
    ASSERT(!tree_has(base, "output/data/validation_4.png"));
    ASSERT(tree_has(base, "output/data/report.html"));
    ASSERT_CONTAINS(tree_file(base, "output/data/report.html"), "Validation AP per class");
}

TEST(od_train_use_pretrained_model_without_a_model_channel)
{
    char *base = small_job(", \"use_pretrained_model\": \"1\"");
    struct run_result r = od_run(base, 60);
    expect_client_error(base, r, "use_pretrained_model=1: no pretrained weights ship with optml");
    expect_client_error(base, r, "'model' channel");
}
