/*
 * test_object_detection.c: the object-detection module through
 * build/bin/optml on Fashion-MNIST scenes (tests/fixtures/od_scenes: real
 * images pasted with exact boxes) written here as RecordIO and as image +
 * JSON channels.  Training: the built-in's log lines checked with its
 * metric regexes (ALGORITHMS.md D.4), the artifact (hyperparams.json and
 * the model file), validation images drawn to output/data/, Pipe mode,
 * freeze_layer_pattern, early stopping, a SIGTERM stop and its resume, the
 * data against num_classes / num_training_samples, the
 * use_pretrained_model refusal, incremental training through the `model`
 * channel (files and model.tar.gz), a corrupt model refused.  Serving: JSON
 * rows, the annotation layout, PNG with boxes drawn, bad bodies answered
 * 4xx, concurrent requests.  The end-to-end proof: validation mAP@0.5
 * far above a trivial detector's, and the served boxes on a held-out
 * scene matching its objects.
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "codec/im2rec.h"
#include "codec/image_decode.h"
#include "codec/image_encode.h"
#include "fixtures/od_scenes.h"
#include "object_detection/box.h"
#include "object_detection/draw.h"
#include "object_detection/map.h"
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

/* n scenes of side pixels with 1 to max_obj items of the classes below
 * `classes` (Fashion-MNIST labels 0 .. classes - 1). */
static struct scenes make_scenes_of(size_t n, size_t side, uint64_t seed, const char *stem, int classes,
                                    unsigned max_obj)
{
    struct od_fixture_items items;
    if (od_fixture_items_load(OD_FIXTURE_FMNIST, stem, 2000, &items) != 0)
        test_fail(__FILE__, __LINE__, "dataset-fashion-mnist is not installed (bash .ci/deps.sh)");
    size_t kept = 0;
    for (size_t i = 0; i < items.n; i++)
        if (items.label[i] < classes) {
            memmove(items.px + kept * 784, items.px + i * 784, 784);
            items.label[kept++] = items.label[i];
        }
    items.n = kept;
    struct scenes s = {n, calloc(n, sizeof(struct od_fixture_scene))};
    ASSERT(s.sc != NULL);
    uint64_t rng = seed;
    for (size_t k = 0; k < n; k++)
        ASSERT_EQ_INT(od_fixture_scene(&rng, &items, side, max_obj, &s.sc[k]), 0);
    od_fixture_items_free(&items);
    return s;
}

static struct scenes make_scenes(size_t n, size_t side, uint64_t seed, const char *stem)
{
    return make_scenes_of(n, side, seed, stem, 10, 3);
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

/* The value group 1 of `rx` captures on the last (or first) line it
 * matches (NAN when none). */
static double capture(const char *log, const char *rx, int first)
{
    regex_t re;
    ASSERT_EQ_INT(regcomp(&re, rx, REG_EXTENDED), 0);
    double v = NAN;
    const char *line = log;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        char *l = strndup(line, nl ? (size_t)(nl - line) : strlen(line));
        regmatch_t m[2];
        if (regexec(&re, l, 2, m, 0) == 0 && m[1].rm_so >= 0 && (!first || isnan(v)))
            v = strtod(l + m[1].rm_so, NULL);
        free(l);
        line = nl ? nl + 1 : NULL;
    }
    regfree(&re);
    return v;
}

static double last_capture(const char *log, const char *rx)
{
    return capture(log, rx, 0);
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
    ASSERT_EQ_STR(json_string_value(json_object_get(h, "nms_threshold")), "0.45");
    ASSERT_EQ_STR(json_string_value(json_object_get(h, "weight_decay")), "0.0005");
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

/* base_network=vgg-16 and resnet-50 (slow on a CPU: small_job's two epochs of
 * 24 scenes at 64 px, the smallest size each builds): the job trains,
 * hyperparams.json and the model's header name the network, and optml
 * serve builds the same network from the model and answers. */
static void backbone_trains_and_serves(const char *name)
{
    char *base = small_job(strf(", \"base_network\": \"%s\"", name));
    struct run_result r = od_run(base, 300);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "training %s: exit %d\n%s", name, r.exit_code, r.output);
    ASSERT_CONTAINS(r.output, strf("Network %s width", name));
    ASSERT_EQ_INT(count_matches(r.output, RX_MAP), 2); /* small_job's 2 epochs */
    json_error_t je;
    json_t *h = json_loads(tree_file(base, "model/hyperparams.json"), 0, &je);
    ASSERT(h != NULL);
    ASSERT_EQ_STR(json_string_value(json_object_get(h, "base_network")), name);
    json_decref(h);
    struct scenes va = make_scenes(1, 64, 99, "t10k");
    size_t len;
    uint8_t *png = scene_png(&va.sc[0], &len);
    const char *extra[] = {module_path_env(), "OPTML_ALGORITHM=object-detection", NULL};
    struct served *s = serve_start_ready(base, extra);
    struct http_response *hr = serve_invoke(s, "image/png", NULL, NULL, png, len);
    EXPECT_STATUS(s, hr, 200);
    json_t *j = EXPECT_JSON(s, hr);
    SRV_ASSERT(s, json_is_array(json_object_get(j, "prediction")));
    json_decref(j);
    http_response_free(hr);
    SRV_ASSERT_CONTAINS(s, serve_log_text(s), strf("object-detection model: %s", name));
    serve_stop(s);
    free(png);
    scenes_free(&va);
}

TEST_TIMEOUT(od_train_and_serve_vgg16, 400)
{
    backbone_trains_and_serves("vgg-16");
}

TEST_TIMEOUT(od_train_and_serve_resnet50, 400)
{
    backbone_trains_and_serves("resnet-50");
}

TEST(od_train_use_pretrained_model_without_a_model_channel)
{
    char *base = small_job(", \"use_pretrained_model\": \"1\"");
    struct run_result r = od_run(base, 60);
    expect_client_error(base, r, "use_pretrained_model=1: no pretrained weights ship with optml");
    expect_client_error(base, r, "'model' channel");
}

/* The end-to-end proof (issue #16): Fashion-MNIST scenes of 128 px with 1
 * or 2 items of three classes (T-shirt, trouser, pullover), the training
 * ones as RecordIO, the held-out validation ones as image + JSON; the
 * default backbone trained for a bounded budget (8 epochs of 600 scenes:
 * about 40 s on 2 quiet cores, twice that on a loaded machine); validation
 * mAP@0.5 far above a trivial detector's (computed here: for every image
 * and class a centred box of a typical object's size), then the served
 * model's best box on held-out scenes is one of their objects. */
#define PROOF_SIDE 128
#define PROOF_CLASSES 3
#define PROOF_VAL 100
TEST_TIMEOUT(od_proof_fashion_mnist_scenes_map_and_served_boxes, 400)
{
#ifdef __SANITIZE_ADDRESS__
    enum { N_TRAIN = 16, EPOCHS = 1 };
#else
    enum { N_TRAIN = 600, EPOCHS = 8 };
#endif
    char *base = optml_tree_new(strf("{\"num_classes\": \"%d\", \"num_training_samples\": \"%d\", \"image_shape\": "
                                     "\"%d\", \"mini_batch_size\": \"16\", \"epochs\": \"%d\", \"optimizer\": "
                                     "\"adam\", \"learning_rate\": \"0.002\", \"lr_scheduler_step\": \"6\", "
                                     "\"lr_scheduler_factor\": \"0.5\"}",
                                     PROOF_CLASSES, N_TRAIN, PROOF_SIDE, EPOCHS));
    struct scenes tr = make_scenes_of(N_TRAIN, PROOF_SIDE, 2026, "train", PROOF_CLASSES, 2);
    struct scenes va = make_scenes_of(PROOF_VAL, PROOF_SIDE, 16, "t10k", PROOF_CLASSES, 2);
    write_rec(base, "train", &tr);
    write_image_json(base, "validation", &va);
    write_file(base, "input/config/inputdataconfig.json", "{" IDC_REC_TRAIN ", " IDC_IMG_VAL "}", (size_t)-1);
    /* the trivial detector */
    struct od_eval_det *dets = malloc(PROOF_VAL * PROOF_CLASSES * sizeof(*dets));
    struct od_eval_gt *gts = malloc(PROOF_VAL * OD_FIXTURE_MAX_OBJECTS * sizeof(*gts));
    size_t nd = 0, ng = 0;
    for (size_t k = 0; k < PROOF_VAL; k++) {
        for (int c = 0; c < PROOF_CLASSES; c++)
            dets[nd++] = (struct od_eval_det){k, c, 0.5f, {0.325f, 0.325f, 0.675f, 0.675f}};
        for (size_t o = 0; o < va.sc[k].n; o++)
            gts[ng++] = (struct od_eval_gt){k, va.sc[k].obj[o].cls, va.sc[k].obj[o].box};
    }
    double trivial;
    ASSERT_EQ_INT(od_map(dets, nd, gts, ng, PROOF_CLASSES, 0.5f, OD_AP_VOC07, NULL, &trivial), 0);
    free(dets);
    free(gts);
    struct run_result r = od_run(base, 380);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "training: exit %d\n%s", r.exit_code, r.output);
    double map = last_capture(r.output, RX_MAP);
    fprintf(stderr, "    validation mAP@0.5 (VOC07) after %d epochs of %d scenes: %.4f (trivial detector %.4f)\n",
            EPOCHS, N_TRAIN, map, trivial);
#ifdef __SANITIZE_ADDRESS__
    fprintf(stderr, "    mAP not asserted under ASan: its budget is one epoch of 16 scenes (make test asserts it)\n");
#else
    ASSERT(map > 0.25 && map > 10 * trivial);
#endif
    const char *extra[] = {module_path_env(), "OPTML_ALGORITHM=object-detection", NULL};
    struct served *s = serve_start_ready(base, extra);
    size_t hits = 0, tried = 0;
    for (size_t k = 0; k < 20; k++) {
        const struct od_fixture_scene *sc = &va.sc[k];
        size_t len;
        uint8_t *png = scene_png(sc, &len);
        struct http_response *h = serve_invoke(s, "image/png", NULL, NULL, png, len);
        free(png);
        EXPECT_STATUS(s, h, 200);
        json_t *j = EXPECT_JSON(s, h);
        json_t *rows = json_object_get(j, "prediction");
        SRV_ASSERT(s, json_is_array(rows));
        tried++;
        /* the best row: an object of its class at IoU > 0.5 */
        json_t *row = json_array_get(rows, 0);
        if (row) {
            struct od_box b = {(float)json_number_value(json_array_get(row, 2)),
                               (float)json_number_value(json_array_get(row, 3)),
                               (float)json_number_value(json_array_get(row, 4)),
                               (float)json_number_value(json_array_get(row, 5))};
            int cls = (int)json_number_value(json_array_get(row, 0));
            for (size_t o = 0; o < sc->n; o++)
                if (sc->obj[o].cls == cls && od_iou(&b, &sc->obj[o].box) > 0.5f) {
                    hits++;
                    break;
                }
        }
        json_decref(j);
        http_response_free(h);
    }
    fprintf(stderr, "    served: the best box is one of the objects in %zu of %zu held-out scenes\n", hits, tried);
#ifndef __SANITIZE_ADDRESS__
    SRV_ASSERT(s, hits >= 5);
#endif
    serve_stop(s);
    scenes_free(&tr);
    scenes_free(&va);
}

/* A PNG header (signature and IHDR) of w x h RGB pixels and nothing else. */
static size_t png_header(uint8_t *out, uint32_t w, uint32_t h)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(out, sig, 8);
    uint8_t ihdr[17] = {'I', 'H', 'D', 'R', (uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w,
                        (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h, 8, 2, 0, 0, 0};
    out[8] = 0, out[9] = 0, out[10] = 0, out[11] = 13;
    memcpy(out + 12, ihdr, 17);
    uLong crc = crc32(0, ihdr, 17);
    out[29] = (uint8_t)(crc >> 24), out[30] = (uint8_t)(crc >> 16), out[31] = (uint8_t)(crc >> 8);
    out[32] = (uint8_t)crc;
    return 33;
}

TEST_TIMEOUT(od_serve_json_annotation_png_and_bad_bodies, 120)
{
    char *base = small_job(NULL);
    struct run_result r = od_run(base, 100);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "training: exit %d\n%s", r.exit_code, r.output);
    struct scenes va = make_scenes(1, 80, 99, "t10k");
    size_t len;
    uint8_t *png = scene_png(&va.sc[0], &len);
    const char *extra[] = {module_path_env(), "OPTML_ALGORITHM=object-detection", NULL};
    struct served *s = serve_start_ready(base, extra);
    /* JSON rows: [class, score, xmin, ymin, xmax, ymax], normalised, best first */
    struct http_response *h = serve_invoke(s, "image/png", NULL, NULL, png, len);
    EXPECT_STATUS(s, h, 200);
    json_t *j = EXPECT_JSON(s, h);
    json_t *rows = json_object_get(j, "prediction");
    SRV_ASSERT(s, json_is_array(rows) && json_array_size(rows) > 0 && json_array_size(rows) <= 400);
    SRV_ASSERT_CONTAINS(s, h->body, ".0, "); /* the class as a float, as the built-in writes it */
    double prev = 2;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *row = json_array_get(rows, i);
        SRV_ASSERT(s, json_array_size(row) == 6);
        double c = json_number_value(json_array_get(row, 0)), sc = json_number_value(json_array_get(row, 1));
        SRV_ASSERT(s, c >= 0 && c < 10 && c == floor(c) && sc <= prev && sc >= 0.01);
        prev = sc;
        for (int k = 2; k < 6; k++) {
            double v = json_number_value(json_array_get(row, k));
            SRV_ASSERT(s, v >= 0 && v <= 1);
        }
    }
    size_t n_rows = json_array_size(rows);
    double c0 = json_number_value(json_array_get(json_array_get(rows, 0), 0));
    json_decref(j);
    http_response_free(h);
    /* application/x-image: the same answer */
    h = serve_invoke(s, "application/x-image", "application/json", NULL, png, len);
    EXPECT_STATUS(s, h, 200);
    j = EXPECT_JSON(s, h);
    SRV_ASSERT_EQ_INT(s, json_array_size(json_object_get(j, "prediction")), n_rows);
    json_decref(j);
    http_response_free(h);
    /* annotation=1: pixel boxes of the 80 x 80 image sent */
    h = serve_invoke(s, "image/png", "application/json;annotation=1", NULL, png, len);
    EXPECT_STATUS(s, h, 200);
    j = EXPECT_JSON(s, h);
    json_t *size = json_array_get(json_object_get(j, "image_size"), 0);
    SRV_ASSERT_EQ_INT(s, serve_json_int(size, "width"), 80);
    SRV_ASSERT_EQ_INT(s, serve_json_int(size, "height"), 80);
    SRV_ASSERT_EQ_INT(s, serve_json_int(size, "depth"), 3);
    json_t *ann = json_object_get(j, "annotations");
    SRV_ASSERT_EQ_INT(s, json_array_size(ann), n_rows);
    json_t *a0 = json_array_get(ann, 0);
    SRV_ASSERT(s, serve_json_int(a0, "class_id") == (long long)c0 && json_is_number(json_object_get(a0, "score")));
    SRV_ASSERT(s, serve_json_int(a0, "left") >= 0 && serve_json_int(a0, "left") + serve_json_int(a0, "width") <= 80);
    SRV_ASSERT(s, serve_json_int(a0, "top") >= 0 && serve_json_int(a0, "top") + serve_json_int(a0, "height") <= 80);
    json_decref(j);
    http_response_free(h);
    /* image/png: the image sent, with the boxes drawn in their class colour */
    h = serve_invoke(s, "image/png", "image/png;min_score=0", NULL, png, len);
    EXPECT_STATUS(s, h, 200);
    SRV_ASSERT(s, serve_type_is(h, "image/png"));
    struct img_u8 drawn;
    char err[128];
    SRV_ASSERT(s, img_decode((const uint8_t *)h->body, h->body_len, 1u << 20, 3, &drawn, err, sizeof(err)) == 0);
    SRV_ASSERT(s, drawn.w == 80 && drawn.h == 80);
    uint8_t rgb[3];
    od_class_color((int)c0, rgb);
    size_t changed = 0, coloured = 0;
    for (size_t p = 0; p < 80 * 80; p++) {
        const uint8_t *d = drawn.px + 3 * p, *o = va.sc[0].img.px + 3 * p;
        changed += memcmp(d, o, 3) != 0;
        coloured += memcmp(d, o, 3) != 0 && memcmp(d, rgb, 3) == 0;
    }
    SRV_ASSERT(s, changed > 0 && coloured > 0);
    img_free(&drawn);
    http_response_free(h);
    /* bad bodies: 4xx with a clear message, and the server stays up */
    h = serve_invoke(s, "image/jpeg", NULL, NULL, "", 0);
    EXPECT_JSON_ERROR(s, h, 400, "empty");
    http_response_free(h);
    h = serve_invoke(s, "image/jpeg", NULL, NULL, "not an image at all", 19);
    EXPECT_JSON_ERROR(s, h, 400, "not an image");
    http_response_free(h);
    uint8_t big[64];
    size_t blen = png_header(big, 20000, 20000);
    h = serve_invoke(s, "image/png", NULL, NULL, big, blen);
    SRV_ASSERT(s, h->status >= 400 && h->status < 500);
    SRV_ASSERT_CONTAINS(s, h->body, "not an image this model reads");
    http_response_free(h);
    h = serve_invoke(s, "image/png", NULL, NULL, png, len / 2);
    SRV_ASSERT(s, h->status == 400);
    http_response_free(h);
    h = serve_invoke(s, "image/png", NULL, NULL, png, len);
    EXPECT_STATUS(s, h, 200);
    http_response_free(h);
    serve_stop(s);
    free(png);
    scenes_free(&va);
}

/* The model directory as a model.tar.gz (tar through the shell). */
static void tar_model(const char *model_dir, const char *out)
{
    int status;
    char *o = run_capture(strf("tar -czf '%s' -C '%s' . 2>&1", out, model_dir), &status);
    if (status != 0)
        test_fail(__FILE__, __LINE__, "tar: %s", o);
    free(o);
}

TEST_TIMEOUT(od_train_incremental_from_the_model_channel, 180)
{
    char *first = small_job(NULL);
    struct run_result r = od_run(first, 100);
    ASSERT_EQ_INT(r.exit_code, 0);
    char *first_log = r.output;
    /* model.tar.gz as SageMaker hands it over, with use_pretrained_model=1 */
    char *base = small_job(", \"use_pretrained_model\": \"1\"");
    mkdirs(path_join(base, "input/data/model"));
    tar_model(path_join(first, "model"), path_join(base, "input/data/model/model.tar.gz"));
    write_file(base, "input/config/inputdataconfig.json",
               "{" IDC_REC_TRAIN ", " IDC_IMG_VAL ", \"model\": {\"ContentType\": \"application/x-sagemaker-model\"}}",
               (size_t)-1);
    r = od_run(base, 100);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "incremental training: exit %d\n%s", r.exit_code, r.output);
    ASSERT_CONTAINS(r.output, "Starting from the model channel's model (incremental training)");
    /* it starts where the first job ended: its first epoch's cross-entropy
     * is below the first job's first one */
    ASSERT(count_matches(r.output, RX_MAP) == 2);
    fprintf(stderr, "    first epoch cross-entropy: %.3f from scratch, %.3f from the model channel\n",
            capture(first_log, RX_CE, 1), capture(r.output, RX_CE, 1));
    ASSERT(capture(r.output, RX_CE, 1) < capture(first_log, RX_CE, 1));
    /* the unpacked files work too */
    char *third = small_job(NULL);
    size_t mlen;
    char *bytes = read_file(path_join(first, "model/object-detection.model"), &mlen);
    write_file(third, "input/data/model/object-detection.model", bytes, mlen);
    write_file(third, "input/config/inputdataconfig.json",
               "{" IDC_REC_TRAIN ", " IDC_IMG_VAL ", \"model\": {\"ContentType\": \"application/x-sagemaker-model\"}}",
               (size_t)-1);
    r = od_run(third, 100);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "incremental training");
    /* another num_classes: a ClientError naming both */
    char *other = small_job(NULL);
    write_file(other, "input/config/hyperparameters.json",
               "{\"num_classes\": \"12\", \"num_training_samples\": \"24\", \"image_shape\": \"64\", "
               "\"mini_batch_size\": \"8\", \"epochs\": \"1\", \"width_multiplier\": \"0.25\"}", (size_t)-1);
    write_file(other, "input/data/model/object-detection.model", bytes, mlen);
    write_file(other, "input/config/inputdataconfig.json",
               "{" IDC_REC_TRAIN ", " IDC_IMG_VAL ", \"model\": {\"ContentType\": \"application/x-sagemaker-model\"}}",
               (size_t)-1);
    r = od_run(other, 60);
    expect_client_error(other, r, "num_classes 10; this job has mobilenet-ssdlite and 12");
    /* a truncated model file: a clear ClientError */
    char *trunc = small_job(NULL);
    write_file(trunc, "input/data/model/object-detection.model", bytes, mlen / 2);
    write_file(trunc, "input/config/inputdataconfig.json",
               "{" IDC_REC_TRAIN ", " IDC_IMG_VAL ", \"model\": {\"ContentType\": \"application/x-sagemaker-model\"}}",
               (size_t)-1);
    r = od_run(trunc, 60);
    expect_client_error(trunc, r, "object-detection.model");
    free(bytes);
}

TEST_TIMEOUT(od_serve_refuses_a_corrupt_model, 60)
{
    char *base = small_job(NULL);
    struct run_result r = od_run(base, 100);
    ASSERT_EQ_INT(r.exit_code, 0);
    size_t mlen;
    char *bytes = read_file(path_join(base, "model/object-detection.model"), &mlen);
    bytes[mlen - 10] ^= 0x55;
    write_file(base, "model/object-detection.model", bytes, mlen);
    free(bytes);
    /* the server stays up and /ping says why the model is not there */
    const char *extra[] = {module_path_env(), "OPTML_ALGORITHM=object-detection", NULL};
    struct served *s = serve_start(base, extra);
    int seen = 0;
    for (int i = 0; i < 80 && !seen; i++) {
        struct http_response *h = serve_get(s, "/ping");
        seen = h->status >= 400 && strstr(h->body, "object-detection.model") != NULL;
        http_response_free(h);
        if (!seen)
            usleep(250 * 1000);
    }
    SRV_ASSERT(s, seen);
    serve_stop(s);
}


TEST_TIMEOUT(od_train_pipe_mode_one_fifo_an_epoch_and_progress_with_eta, 120)
{
    char *base = optml_tree_new("{\"num_classes\": \"10\", \"num_training_samples\": \"24\", \"image_shape\": \"64\", "
                                "\"mini_batch_size\": \"4\", \"epochs\": \"2\", \"optimizer\": \"rmsprop\", "
                                "\"learning_rate\": \"0.0005\", \"width_multiplier\": \"0.25\", "
                                "\"freeze_layer_pattern\": \"^(stem|block[1-9]|block1[0-3])\\\\.\"}");
    struct scenes tr = make_scenes(24, 64, 11, "train"), va = make_scenes(4, 64, 12, "t10k");
    struct buf b = {0};
    for (size_t k = 0; k < tr.n; k++) {
        size_t len;
        uint8_t *p = od_fixture_im2rec(&tr.sc[k], k, &len);
        buf_put_recordio(&b, 0, p, (uint32_t)len);
        free(p);
    }
    write_rec(base, "validation", &va);
    write_file(base, "input/config/inputdataconfig.json",
               "{\"train\": {\"ContentType\": \"application/x-recordio\", \"TrainingInputMode\": \"Pipe\"}, "
               "\"validation\": {\"ContentType\": \"application/x-recordio\"}}",
               (size_t)-1);
    pid_t w0 = fifo_feed(base, "train_0", b.p, b.n, 0), w1 = fifo_feed(base, "train_1", b.p, b.n, 0);
    const char *env[] = {strf("SAGEMAKER_BASE_DIR=%s", base), module_path_env(), "OPTML_ALGORITHM=object-detection",
                         "OPTML_PROGRESS_SECONDS=0.001", NULL};
    const char *args[] = {"train", NULL};
    struct run_result r = run_optml(args, env, 100);
    int status;
    waitpid(w0, &status, 0);
    waitpid(w1, &status, 0);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "training: exit %d\n%s", r.exit_code, r.output);
    ASSERT_EQ_INT(count_matches(r.output, RX_MAP), 2);
    ASSERT_CONTAINS(r.output, "Epoch[1] Train-smooth_l1=");
    ASSERT_CONTAINS(r.output, "(6 batches, lr 0.0005)");
    /* the backbone frozen: stem and block1 .. block13 (dw and pw), a kernel and a bias each */
    ASSERT_CONTAINS(r.output, "freeze_layer_pattern '^(stem|block[1-9]|block1[0-3])\\.': 54 of");
    ASSERT(has_line_matching(r.output, "records, [0-9.]+ records/s, elapsed [0-9:]+, ETA [0-9:]+"));
    free(b.p);
    scenes_free(&tr);
    scenes_free(&va);
}

TEST_TIMEOUT(od_train_sigterm_stops_with_a_checkpoint_and_resumes, 120)
{
    char *base = optml_tree_new("{\"num_classes\": \"10\", \"num_training_samples\": \"200\", \"image_shape\": "
                                "\"64\", \"mini_batch_size\": \"4\", \"epochs\": \"1000\", \"width_multiplier\": "
                                "\"0.25\"}");
    struct scenes tr = make_scenes(200, 64, 11, "train");
    write_rec(base, "train", &tr);
    scenes_free(&tr);
    mkdirs(path_join(base, "checkpoints"));
    char *log = path_join(base, "train.log");
    const char *env[] = {strf("SAGEMAKER_BASE_DIR=%s", base), module_path_env(), "OPTML_ALGORITHM=object-detection",
                         NULL};
    const char *args[] = {"train", NULL};
    pid_t pid = spawn_optml(args, env, log);
    for (int i = 0; i < 600; i++) { /* until training has begun: at most 30 s */
        char *t = read_file(log, NULL);
        int ready = t && strstr(t, "train smooth_l1");
        free(t);
        if (ready)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGTERM);
    int sig = 0, code = wait_exit(pid, 20, &sig);
    char *text = read_file(log, NULL);
    if (code != 0)
        test_fail(__FILE__, __LINE__, "exit %d (signal %d)\n%s", code, sig, text ? text : "");
    ASSERT_CONTAINS(text, "Stopping in epoch");
    ASSERT(tree_has(base, "model/object-detection.model"));
    ASSERT(tree_has(base, "model/hyperparams.json"));
    ASSERT(!tree_has(base, "output/failure"));
    free(text);
    /* the next job of the same tree resumes from the checkpoint */
    write_file(base, "input/config/hyperparameters.json",
               "{\"num_classes\": \"10\", \"num_training_samples\": \"200\", \"image_shape\": \"64\", "
               "\"mini_batch_size\": \"4\", \"epochs\": \"1\", \"width_multiplier\": \"0.25\"}",
               (size_t)-1);
    struct run_result r = od_run(base, 100);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "resumed training: exit %d\n%s", r.exit_code, r.output);
    ASSERT_CONTAINS(r.output, "Resuming from the checkpoint after epoch");
}

TEST_TIMEOUT(od_train_num_classes_and_num_training_samples_against_the_data, 60)
{
    /* class ids 0 .. 9 in the data, num_classes 3: a ClientError naming the record */
    char *base = small_job(NULL);
    write_file(base, "input/config/hyperparameters.json",
               "{\"num_classes\": \"3\", \"num_training_samples\": \"24\", \"image_shape\": \"64\", "
               "\"mini_batch_size\": \"8\", \"epochs\": \"1\", \"width_multiplier\": \"0.25\"}", (size_t)-1);
    struct run_result r = od_run(base, 60);
    expect_client_error(base, r, "train.rec record");
    /* num_training_samples 30 for 24 images: a warning naming both */
    write_file(base, "input/config/hyperparameters.json",
               "{\"num_classes\": \"10\", \"num_training_samples\": \"30\", \"image_shape\": \"64\", "
               "\"mini_batch_size\": \"8\", \"epochs\": \"1\", \"width_multiplier\": \"0.25\"}", (size_t)-1);
    r = od_run(base, 60);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "WARNING");
    ASSERT_CONTAINS(r.output, "num_training_samples is 30 but the train channel holds 24 images");
}

TEST_TIMEOUT(od_train_early_stopping_keeps_the_best_epoch, 60)
{
    /* a learning rate too small to change the detections: the mAP does not
     * improve, so the job stops after min_epochs + patience epochs */
    char *base = small_job(NULL);
    write_file(base, "input/config/hyperparameters.json",
               "{\"num_classes\": \"10\", \"num_training_samples\": \"24\", \"image_shape\": \"64\", "
               "\"mini_batch_size\": \"8\", \"epochs\": \"10\", \"width_multiplier\": \"0.25\", \"optimizer\": "
               "\"adam\", \"learning_rate\": \"1e-9\", \"early_stopping\": \"true\", \"early_stopping_min_epochs\": "
               "\"2\", \"early_stopping_patience\": \"2\", \"early_stopping_tolerance\": \"0.5\"}", (size_t)-1);
    struct run_result r = od_run(base, 60);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "training: exit %d\n%s", r.exit_code, r.output);
    ASSERT_EQ_INT(count_matches(r.output, RX_MAP), 3);
    ASSERT_CONTAINS(r.output, "Early stopping after epoch 2: validation mAP has not improved for 2 epochs; the model "
                              "of epoch 0");
    ASSERT(tree_has(base, "model/object-detection.model"));
}

/* Concurrent requests: each on a network of the model's pool, every answer
 * the same as the one of a lone request. */
struct od_client {
    const struct served *s;
    const uint8_t *png;
    size_t len;
    const char *want;
    int same;
};

static void *od_client_run(void *arg)
{
    struct od_client *c = arg;
    c->same = 0;
    for (int i = 0; i < 5; i++) {
        struct http_response *h = serve_invoke(c->s, "image/png", NULL, NULL, c->png, c->len);
        c->same += h->status == 200 && strcmp(h->body, c->want) == 0;
        http_response_free(h);
    }
    return NULL;
}

TEST_TIMEOUT(od_serve_concurrent_requests_give_the_same_answers, 120)
{
    char *base = small_job(NULL);
    struct run_result r = od_run(base, 100);
    ASSERT_EQ_INT(r.exit_code, 0);
    struct scenes va = make_scenes(1, 64, 5, "t10k");
    size_t len;
    uint8_t *png = scene_png(&va.sc[0], &len);
    const char *extra[] = {module_path_env(), "OPTML_ALGORITHM=object-detection", NULL};
    struct served *s = serve_start_ready(base, extra);
    struct http_response *h = serve_invoke(s, "image/png", NULL, NULL, png, len);
    EXPECT_STATUS(s, h, 200);
    enum { T = 4 };
    struct od_client c[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
        c[i] = (struct od_client){s, png, len, h->body, 0};
        SRV_ASSERT(s, pthread_create(&th[i], NULL, od_client_run, &c[i]) == 0);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        SRV_ASSERT_EQ_INT(s, c[i].same, 5);
    }
    http_response_free(h);
    serve_stop(s);
    free(png);
    scenes_free(&va);
}
