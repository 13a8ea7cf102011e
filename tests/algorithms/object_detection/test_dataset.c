/*
 * test_dataset.c: object-detection channels read as samples
 * (algorithms/object_detection/dataset.c) through the runtime's channels
 * and readers with the module's resolved hyperparameters: Fashion-MNIST
 * scenes (tests/fixtures/od_scenes) written as RecordIO files (File mode,
 * .idx and .lst beside them not read; Pipe mode) and as an image + JSON
 * tree, with PNG or JPEG images, come back with their pixels, classes and
 * boxes; unpaired files are skipped and counted; a truncated
 * record, a corrupt image byte, a grayscale image, a box outside the image
 * and a JSON of another image size are ClientErrors naming the file or
 * record.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>


#include "od_test_alg.h"
#include "codec/im2rec.h"
#include "codec/image_decode.h"
#include "codec/image_encode.h"
#include "data/channel.h"
#include "fixtures/od_scenes.h"
#include "object_detection/dataset.h"
#include "object_detection/hparams.h"
#include "support/datagen.h"
#include "support/harness.h"
#include "support/imagegen.h"
#include "support/module_ctx.h"
#include "support/support.h"


#define SIDE 96
#define N_SCENES 5

/* A job: the module's context with its hyperparameters, up to three
 * channels under a fresh data directory, and scenes to write into them. */
struct odfx {
    struct module_ctx mc;
    struct optml_channel ch[3];
    size_t n_ch;
    char *data_dir;
    struct od_dataset_opts o;
    struct od_fixture_scene sc[N_SCENES];
};

static void fx_init(struct odfx *fx, int image_shape)
{
    memset(fx, 0, sizeof(*fx));
    char *hp = strf("{\"num_classes\": \"10\", \"num_training_samples\": \"%d\", \"image_shape\": \"%d\"}",
                    N_SCENES, image_shape);
    ASSERT_EQ_INT(module_ctx_init(&fx->mc, &od_test_alg, hp, NULL), OPTML_OK);
    const struct od_config *c = optml_config(&fx->mc.ctx);
    fx->o = (struct od_dataset_opts){.image_shape = (size_t)c->image_shape, .num_classes = c->num_classes,
                                     .label_width = (size_t)c->label_width};
    ASSERT_EQ_INT(fx->o.image_shape, image_shape);
    fx->data_dir = tmpdir_new();
    struct od_fixture_items items;
    if (od_fixture_items_load(OD_FIXTURE_FMNIST, "t10k", 100, &items) != 0)
        test_fail(__FILE__, __LINE__, "dataset-fashion-mnist is not installed (bash .ci/deps.sh)");
    uint64_t rng = 7;
    for (int k = 0; k < N_SCENES; k++)
        ASSERT_EQ_INT(od_fixture_scene(&rng, &items, SIDE, 3, &fx->sc[k]), 0);
    od_fixture_items_free(&items);
}

static const optml_channel *fx_channel(struct odfx *fx, const char *name, const char *type,
                                       enum optml_input_mode mode)
{
    ASSERT(fx->n_ch < 3);
    struct rt_channel_config cfg = {.name = (char *)name, .content_type = (char *)type, .mode = mode};
    ASSERT_EQ_INT(rt_channel_init(&fx->mc.ctx, &fx->ch[fx->n_ch], &cfg, NULL, fx->data_dir), OPTML_OK);
    fx->n_ch++;
    fx->mc.ctx.channels = fx->ch;
    fx->mc.ctx.n_channels = fx->n_ch;
    return &fx->ch[fx->n_ch - 1];
}

static void fx_free(struct odfx *fx)
{
    for (size_t i = 0; i < fx->n_ch; i++)
        rt_channel_free(&fx->ch[i]);
    fx->mc.ctx.channels = NULL;
    fx->mc.ctx.n_channels = 0;
    module_ctx_free(&fx->mc);
    for (int k = 0; k < N_SCENES; k++)
        od_fixture_scene_free(&fx->sc[k]);
    free(fx->data_dir);
}

/* Scene k as an im2rec payload (record id k). */
static uint8_t *payload(const struct odfx *fx, int k, size_t *len)
{
    uint8_t *p = od_fixture_im2rec(&fx->sc[k], (uint64_t)k, len);
    ASSERT(p != NULL);
    return p;
}

/* The PNG bytes of scene k (those inside its im2rec payload; malloc). */
static uint8_t *png_of(const struct odfx *fx, int k, size_t *len)
{
    size_t n;
    uint8_t *p = payload(fx, k, &n);
    struct im2rec_record r;
    char err[256];
    ASSERT_EQ_INT(im2rec_parse(p, n, &r, err, sizeof(err)), 0);
    uint8_t *png = malloc(r.image_len);
    ASSERT(png != NULL);
    memcpy(png, r.image, r.image_len);
    *len = r.image_len;
    free(p);
    return png;
}

/* Scene k's pixels as JPEG bytes (quality 90; malloc). */
static uint8_t *jpeg_of(const struct odfx *fx, int k, size_t *len)
{
    const struct img_u8 *im = &fx->sc[k].img;
    return imagegen_jpeg(im->px, (unsigned)im->w, (unsigned)im->h, 3, 90, len);
}

/* The scenes as one RecordIO stream, payload k changed by `edit` when given. */
static struct buf recordio_of(const struct odfx *fx, void (*edit)(int k, uint8_t *p, size_t *len))
{
    struct buf b = {0};
    for (int k = 0; k < N_SCENES; k++) {
        size_t n;
        uint8_t *p = payload(fx, k, &n);
        if (edit)
            edit(k, p, &n);
        buf_put_recordio(&b, 0, p, (uint32_t)n);
        free(p);
    }
    return b;
}

/* Sample s is scene k: objects, and pixels equal to the scene resized. */
static void expect_scene(const struct odfx *fx, const struct od_sample *s, int k)
{
    const struct od_fixture_scene *sc = &fx->sc[k];
    ASSERT(s->width == SIDE && s->height == SIDE && s->side == fx->o.image_shape);
    ASSERT_EQ_INT(s->n_obj, sc->n);
    for (size_t i = 0; i < sc->n; i++) {
        ASSERT_EQ_INT(s->obj[i].cls, sc->obj[i].cls);
        ASSERT_NEAR(s->obj[i].box.xmin, sc->obj[i].box.xmin, 1e-6);
        ASSERT_NEAR(s->obj[i].box.ymin, sc->obj[i].box.ymin, 1e-6);
        ASSERT_NEAR(s->obj[i].box.xmax, sc->obj[i].box.xmax, 1e-6);
        ASSERT_NEAR(s->obj[i].box.ymax, sc->obj[i].box.ymax, 1e-6);
    }
    struct img_u8 want;
    ASSERT_EQ_INT(img_resize_bilinear(&sc->img, s->side, s->side, &want), 0);
    ASSERT(memcmp(s->px, want.px, s->side * s->side * 3) == 0);
    img_free(&want);
}

/* Reads a pass to its end: the status that ended it, samples counted. */
static optml_status read_pass(struct odfx *fx, struct od_dataset *ds, size_t *count)
{
    struct od_pass *p;
    optml_status s = od_pass_open(&fx->mc.ctx, ds, &p);
    *count = 0;
    if (s != OPTML_OK)
        return s;
    struct od_sample smp;
    while ((s = od_pass_next(p, &smp)) == OPTML_OK)
        (*count)++;
    od_pass_close(p);
    return s;
}

/* ------------------------------------------------------------ RecordIO */

TEST(od_dataset_recordio_file_mode_gives_the_scenes)
{
    struct odfx fx;
    fx_init(&fx, 64);
    const optml_channel *ch = fx_channel(&fx, "train", "application/x-recordio", OPTML_MODE_FILE);
    struct buf b = recordio_of(&fx, NULL);
    write_file(fx.data_dir, "train/train.rec", b.p, b.n);
    struct od_dataset *ds;
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, ch, NULL, &fx.o, &ds), OPTML_OK);
    ASSERT_EQ_INT(od_dataset_layout(ds), OD_LAYOUT_RECORDIO);
    for (int pass = 0; pass < 2; pass++) {   /* File mode reads the file again */
        struct od_pass *p;
        ASSERT_EQ_INT(od_pass_open(&fx.mc.ctx, ds, &p), OPTML_OK);
        struct od_sample s;
        for (int k = 0; k < N_SCENES; k++) {
            ASSERT_EQ_INT(od_pass_next(p, &s), OPTML_OK);
            ASSERT_EQ_STR(s.source, "train.rec");
            ASSERT_EQ_INT(s.number, k + 1);
            ASSERT_EQ_INT(s.id, k);
            expect_scene(&fx, &s, k);
        }
        ASSERT_EQ_INT(od_pass_next(p, &s), OPTML_END);
        od_pass_close(p);
    }
    od_dataset_close(ds);
    free(b.p);
    fx_free(&fx);
}

TEST(od_dataset_recordio_reads_every_rec_file_but_idx_and_lst)
{
    struct odfx fx;
    fx_init(&fx, 64);
    const optml_channel *ch = fx_channel(&fx, "validation", "application/x-recordio", OPTML_MODE_FILE);
    struct buf a = {0}, b = {0};
    for (int k = 0; k < N_SCENES; k++) {
        size_t n;
        uint8_t *p = payload(&fx, k, &n);
        buf_put_recordio(k < 2 ? &a : &b, 0, p, (uint32_t)n);
        free(p);
    }
    write_file(fx.data_dir, "validation/a.rec", a.p, a.n);
    write_file(fx.data_dir, "validation/b.rec", b.p, b.n);
    write_file(fx.data_dir, "validation/a.idx", "0\t0\n1\t24028\n", (size_t)-1);
    write_file(fx.data_dir, "validation/a.lst", "0\t2\t5\t1\t0.1\t0.1\t0.5\t0.5\tx.png\n", (size_t)-1);
    struct od_dataset *ds;
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, ch, NULL, &fx.o, &ds), OPTML_OK);
    ASSERT_EQ_INT(od_dataset_skipped_images(ds), 2);
    struct od_pass *p;
    ASSERT_EQ_INT(od_pass_open(&fx.mc.ctx, ds, &p), OPTML_OK);
    struct od_sample s;
    for (int k = 0; k < N_SCENES; k++) {
        ASSERT_EQ_INT(od_pass_next(p, &s), OPTML_OK);
        ASSERT_EQ_STR(s.source, k < 2 ? "a.rec" : "b.rec");
        ASSERT_EQ_INT(s.number, k < 2 ? k + 1 : k - 1);
        expect_scene(&fx, &s, k);
    }
    ASSERT_EQ_INT(od_pass_next(p, &s), OPTML_END);
    od_pass_close(p);
    od_dataset_close(ds);
    /* only index files: nothing to read */
    rt_ctx_clear_error(&fx.mc.ctx);
    const optml_channel *bare = fx_channel(&fx, "train", "application/x-recordio", OPTML_MODE_FILE);
    write_file(fx.data_dir, "train/train.idx", "0\t0\n", (size_t)-1);
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, bare, NULL, &fx.o, &ds), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&fx.mc.ctx), "channel train has no RecordIO file");
    free(a.p);
    free(b.p);
    fx_free(&fx);
}

TEST(od_dataset_recordio_pipe_mode_one_fifo_a_pass)
{
    struct odfx fx;
    fx_init(&fx, SIDE);
    const optml_channel *ch = fx_channel(&fx, "train", "application/x-recordio", OPTML_MODE_PIPE);
    struct buf b = recordio_of(&fx, NULL);
    struct od_dataset *ds;
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, ch, NULL, &fx.o, &ds), OPTML_OK);
    for (unsigned pass = 0; pass < 2; pass++) {
        char *fifo = rt_channel_fifo_path(ch, pass);
        ASSERT(mkfifo(fifo, 0600) == 0);
        fflush(NULL);
        pid_t pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
            signal(SIGPIPE, SIG_IGN);
            int fd = open(fifo, O_WRONLY);
            size_t off = 0;
            while (fd >= 0 && off < b.n) {
                ssize_t w = write(fd, b.p + off, b.n - off);
                if (w <= 0)
                    _exit(5);
                off += (size_t)w;
            }
            _exit(fd >= 0 ? 0 : 4);
        }
        struct od_pass *p;
        ASSERT_EQ_INT(od_pass_open(&fx.mc.ctx, ds, &p), OPTML_OK);
        struct od_sample s;
        for (int k = 0; k < N_SCENES; k++) {
            ASSERT_EQ_INT(od_pass_next(p, &s), OPTML_OK);
            ASSERT_EQ_INT(s.id, k);
            expect_scene(&fx, &s, k);   /* image_shape = the scenes' side: the same pixels */
            ASSERT(memcmp(s.px, fx.sc[k].img.px, SIDE * SIDE * 3) == 0);
        }
        ASSERT_EQ_INT(od_pass_next(p, &s), OPTML_END);
        od_pass_close(p);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        free(fifo);
    }
    od_dataset_close(ds);
    free(b.p);
    fx_free(&fx);
}

/* One RecordIO file whose payloads went through `edit`: the pass reads
 * `good` samples, then fails with a ClientError containing `want`. */
static void expect_recordio_error(void (*edit)(int, uint8_t *, size_t *), size_t cut, size_t good,
                                  const char *want)
{
    struct odfx fx;
    fx_init(&fx, 64);
    const optml_channel *ch = fx_channel(&fx, "train", "application/x-recordio", OPTML_MODE_FILE);
    struct buf b = recordio_of(&fx, edit);
    write_file(fx.data_dir, "train/train.rec", b.p, b.n - cut);
    struct od_dataset *ds;
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, ch, NULL, &fx.o, &ds), OPTML_OK);
    size_t n;
    ASSERT_EQ_INT(read_pass(&fx, ds, &n), OPTML_E_CLIENT);
    ASSERT_EQ_INT(n, good);
    ASSERT_CONTAINS(optml_error_message(&fx.mc.ctx), want);
    od_dataset_close(ds);
    free(b.p);
    fx_free(&fx);
}

/* Payload 2's image: a byte in the middle of the PNG changed. */
static void corrupt_image(int k, uint8_t *p, size_t *len)
{
    if (k != 2)
        return;
    struct im2rec_record r;
    char err[256];
    ASSERT_EQ_INT(im2rec_parse(p, *len, &r, err, sizeof(err)), 0);
    size_t at = (size_t)(r.image - p) + r.image_len / 2;
    p[at] ^= 0x5a;
}

/* Payload 1: the first object's xmax (label 5) moved to 1.25. */
static void box_outside(int k, uint8_t *p, size_t *len)
{
    (void)len;
    if (k != 1)
        return;
    float v = 1.25f;
    memcpy(p + IM2REC_HEADER_BYTES + 5 * 4, &v, 4);
}

/* Payload 3: its PNG replaced by a grayscale PNG. */
static void grayscale(int k, uint8_t *p, size_t *len)
{
    if (k != 3)
        return;
    struct im2rec_record r;
    char err[256];
    ASSERT_EQ_INT(im2rec_parse(p, *len, &r, err, sizeof(err)), 0);
    uint8_t gray[32 * 32];
    memset(gray, 128, sizeof(gray));
    struct img_u8 g = {gray, 32, 32, 1};
    uint8_t *png;
    size_t n;
    ASSERT_EQ_INT(img_encode_png(&g, &png, &n, err, sizeof(err)), 0);
    size_t head = (size_t)(r.image - p);
    ASSERT(n <= r.image_len);   /* fits in the payload's buffer */
    memcpy(p + head, png, n);
    *len = head + n;
    free(png);
}

/* Sample s holds scene k's objects and the pixels of `jpeg` decoded and
 * resized. */
static void expect_jpeg_scene(const struct odfx *fx, const struct od_sample *s, int k, const uint8_t *jpeg, size_t n)
{
    ASSERT_EQ_INT(s->n_obj, fx->sc[k].n);
    for (size_t i = 0; i < s->n_obj; i++) {
        ASSERT_EQ_INT(s->obj[i].cls, fx->sc[k].obj[i].cls);
        ASSERT_NEAR(s->obj[i].box.xmax, fx->sc[k].obj[i].box.xmax, 1e-6);
    }
    struct img_u8 full, want;
    char err[256];
    ASSERT_EQ_INT(img_decode(jpeg, n, 1u << 20, 3, &full, err, sizeof(err)), 0);
    ASSERT_EQ_INT(img_resize_bilinear(&full, s->side, s->side, &want), 0);
    ASSERT(s->width == SIDE && s->height == SIDE && memcmp(s->px, want.px, s->side * s->side * 3) == 0);
    img_free(&full);
    img_free(&want);
}

TEST(od_dataset_jpeg_images_in_both_layouts)
{
    struct odfx fx;
    fx_init(&fx, 64);
    const optml_channel *rec = fx_channel(&fx, "validation", "application/x-recordio", OPTML_MODE_FILE);
    const optml_channel *img = fx_channel(&fx, "train", "image/jpeg", OPTML_MODE_FILE);
    size_t n, jn;
    uint8_t *jpeg = jpeg_of(&fx, 1, &jn);
    /* a RecordIO record: scene 1's header and labels, then JPEG bytes */
    uint8_t *p = payload(&fx, 1, &n);
    struct im2rec_record r;
    char err[256];
    ASSERT_EQ_INT(im2rec_parse(p, n, &r, err, sizeof(err)), 0);
    struct buf b = {0}, one = {0};
    buf_put(&one, p, (size_t)(r.image - p));
    buf_put(&one, jpeg, jn);
    buf_put_recordio(&b, 0, one.p, (uint32_t)one.n);
    write_file(fx.data_dir, "validation/val.rec", b.p, b.n);
    struct od_dataset *ds;
    struct od_pass *ps;
    struct od_sample s;
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, rec, NULL, &fx.o, &ds), OPTML_OK);
    ASSERT_EQ_INT(od_pass_open(&fx.mc.ctx, ds, &ps), OPTML_OK);
    ASSERT_EQ_INT(od_pass_next(ps, &s), OPTML_OK);
    expect_jpeg_scene(&fx, &s, 1, jpeg, jn);
    ASSERT_EQ_INT(od_pass_next(ps, &s), OPTML_END);
    od_pass_close(ps);
    od_dataset_close(ds);
    /* the same image as x.jpg with its JSON, read through the annotation channel */
    const optml_channel *ann = fx_channel(&fx, "train_annotation", "application/json", OPTML_MODE_FILE);
    write_file(fx.data_dir, "train/x.jpg", jpeg, jn);
    char *json = od_fixture_json(&fx.sc[1], "x.jpg");
    write_file(fx.data_dir, "train_annotation/x.json", json, (size_t)-1);
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, img, ann, &fx.o, &ds), OPTML_OK);
    ASSERT_EQ_INT(od_pass_open(&fx.mc.ctx, ds, &ps), OPTML_OK);
    ASSERT_EQ_INT(od_pass_next(ps, &s), OPTML_OK);
    ASSERT_EQ_STR(s.source, "train/x.jpg");
    expect_jpeg_scene(&fx, &s, 1, jpeg, jn);
    ASSERT_EQ_INT(od_pass_next(ps, &s), OPTML_END);
    od_pass_close(ps);
    od_dataset_close(ds);
    free(json);
    free(b.p);
    free(one.p);
    free(p);
    free(jpeg);
    fx_free(&fx);
}

TEST(od_dataset_recordio_errors_name_the_record)
{
    /* the last record cut short: the reader's error names the file */
    expect_recordio_error(NULL, 100, N_SCENES - 1, "truncated record: the data ends inside a RecordIO payload");
    expect_recordio_error(NULL, 100, N_SCENES - 1, "train/train.rec'");
    expect_recordio_error(corrupt_image, 0, 2, "train.rec record 3 (id 2): image: PNG");
    expect_recordio_error(box_outside, 0, 1, "train.rec record 2: record id 1 object 0: box");
    expect_recordio_error(grayscale, 0, 3, "train.rec record 4 (id 3): image: a 1-channel (grayscale) 32 x 32 image: "
                                           "only 3-channel (RGB) images are supported");
}

/* -------------------------------------------------------- image + JSON */

/* train/<dir>scene_k.png and train_annotation/scene_k.json for every
 * scene; returns the image channel. */
static const optml_channel *write_tree(struct odfx *fx, const optml_channel **ann)
{
    const optml_channel *img = fx_channel(fx, "train", "image/png", OPTML_MODE_FILE);
    *ann = fx_channel(fx, "train_annotation", "application/json", OPTML_MODE_FILE);
    for (int k = 0; k < N_SCENES; k++) {
        size_t n;
        uint8_t *png = png_of(fx, k, &n);
        char *name = strf("%sscene_%d.png", k % 2 ? "part2/" : "part1/", k);
        write_file(fx->data_dir, strf("train/%s", name), png, n);
        char *json = od_fixture_json(&fx->sc[k], name);
        write_file(fx->data_dir, strf("train_annotation/scene_%d.json", k), json, (size_t)-1);
        free(json);
        free(png);
    }
    return img;
}

TEST(od_dataset_image_json_pairs_by_stem_and_skips_the_unpaired)
{
    struct odfx fx;
    fx_init(&fx, 64);
    const optml_channel *ann, *img = write_tree(&fx, &ann);
    /* an image without JSON, a JSON without image, a file that is no JSON */
    size_t n;
    uint8_t *png = png_of(&fx, 0, &n);
    write_file(fx.data_dir, "train/lonely.png", png, n);
    free(png);
    write_file(fx.data_dir, "train_annotation/orphan.json", "{}", (size_t)-1);
    write_file(fx.data_dir, "train_annotation/README.txt", "notes", (size_t)-1);
    struct od_dataset *ds;
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, img, ann, &fx.o, &ds), OPTML_OK);
    ASSERT_EQ_INT(od_dataset_layout(ds), OD_LAYOUT_IMAGE_JSON);
    ASSERT_EQ_INT(od_dataset_pairs(ds), N_SCENES);
    ASSERT_EQ_INT(od_dataset_skipped_images(ds), 1);
    ASSERT_EQ_INT(od_dataset_skipped_annotations(ds), 2);
    /* in the image channel's order: part1/ (scenes 0, 2, 4), then part2/ */
    static const int order[N_SCENES] = {0, 2, 4, 1, 3};
    struct od_pass *p;
    ASSERT_EQ_INT(od_pass_open(&fx.mc.ctx, ds, &p), OPTML_OK);
    struct od_sample s;
    for (int i = 0; i < N_SCENES; i++) {
        ASSERT_EQ_INT(od_pass_next(p, &s), OPTML_OK);
        int k = order[i];
        ASSERT_EQ_STR(s.source, strf("train/part%d/scene_%d.png", k % 2 ? 2 : 1, k));
        expect_scene(&fx, &s, k);
    }
    ASSERT_EQ_INT(od_pass_next(p, &s), OPTML_END);
    od_pass_close(p);
    od_dataset_close(ds);
    fx_free(&fx);
}

/* The tree with file `rel` replaced by data (len (size_t)-1: a string):
 * the pass fails with a ClientError containing `want` after `good` samples. */
static void expect_tree_error(const char *rel, const void *data, size_t len, size_t good, const char *want)
{
    struct odfx fx;
    fx_init(&fx, 64);
    const optml_channel *ann, *img = write_tree(&fx, &ann);
    write_file(fx.data_dir, rel, data, len);
    struct od_dataset *ds;
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, img, ann, &fx.o, &ds), OPTML_OK);
    size_t n;
    ASSERT_EQ_INT(read_pass(&fx, ds, &n), OPTML_E_CLIENT);
    ASSERT_EQ_INT(n, good);
    ASSERT_CONTAINS(optml_error_message(&fx.mc.ctx), want);
    od_dataset_close(ds);
    fx_free(&fx);
}

TEST(od_dataset_image_json_errors_name_the_file)
{
    /* scene 2 is the second pair (part1/ holds 0, 2, 4) */
    expect_tree_error("train/part1/scene_2.png", "\x89PNG\r\n\x1a\nbroken", (size_t)-1, 1,
                      "train/part1/scene_2.png: PNG");
    expect_tree_error("train_annotation/scene_4.json",
                      "{\"file\": \"scene_4.png\", \"image_size\": [{\"width\": 96, \"height\": 96, \"depth\": 3}], "
                      "\"annotations\": [{\"class_id\": 1, \"left\": 80, \"top\": 10, \"width\": 30, \"height\": 20}]}",
                      (size_t)-1, 2, "train_annotation/scene_4.json: annotation 0 (class 1)");
    expect_tree_error("train_annotation/scene_0.json",
                      "{\"file\": \"scene_0.png\", \"image_size\": [{\"width\": 100, \"height\": 96}], "
                      "\"annotations\": []}",
                      (size_t)-1, 0,
                      "train/part1/scene_0.png is 96 x 96 pixels but train_annotation/scene_0.json gives image_size "
                      "100 x 96");
    /* a grayscale image */
    uint8_t gray[96 * 96];
    memset(gray, 7, sizeof(gray));
    struct img_u8 g = {gray, 96, 96, 1};
    uint8_t *png;
    size_t n;
    char err[256];
    ASSERT_EQ_INT(img_encode_png(&g, &png, &n, err, sizeof(err)), 0);
    expect_tree_error("train/part2/scene_3.png", png, n, 4,
                      "train/part2/scene_3.png: a 1-channel (grayscale) 96 x 96 image: only 3-channel");
    free(png);
}

TEST(od_dataset_refusals_when_opening)
{
    struct odfx fx;
    fx_init(&fx, 64);
    const optml_channel *ann, *img = write_tree(&fx, &ann);
    struct od_dataset *ds = NULL;
    /* images without their annotation channel */
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, img, NULL, &fx.o, &ds), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&fx.mc.ctx), "channel train is image/png: it needs the channel "
                                                     "train_annotation");
    ASSERT(ds == NULL);
    /* two images of one stem */
    rt_ctx_clear_error(&fx.mc.ctx);
    size_t n;
    uint8_t *png = png_of(&fx, 1, &n);
    write_file(fx.data_dir, "train/part1/scene_1.png", png, n);
    free(png);
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, img, ann, &fx.o, &ds), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&fx.mc.ctx), "part1/scene_1.png and part2/scene_1.png have the same name "
                                                     "stem 'scene_1'");
    fx_free(&fx);

    /* no pair at all; a content type neither layout */
    fx_init(&fx, 64);
    img = fx_channel(&fx, "validation", "image/jpeg", OPTML_MODE_FILE);
    ann = fx_channel(&fx, "validation_annotation", "application/json", OPTML_MODE_FILE);
    write_file(fx.data_dir, "validation/a.jpg", "x", 1);
    write_file(fx.data_dir, "validation_annotation/b.json", "{}", 2);
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, img, ann, &fx.o, &ds), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&fx.mc.ctx), "channel validation: no image has its annotation in channel "
                                                     "validation_annotation");
    rt_ctx_clear_error(&fx.mc.ctx);
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, ann, NULL, &fx.o, &ds), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&fx.mc.ctx), "content type 'application/json' is not one object detection "
                                                     "reads");
    fx_free(&fx);
}

/* ------------------------------------------------- augmented manifest */

/* Scene k's label attribute as a Ground Truth manifest holds it: the
 * annotation JSON without "file" (malloc). */
static char *label_json(const struct odfx *fx, int k)
{
    char *full = od_fixture_json(&fx->sc[k], "unused.png");
    json_error_t je;
    json_t *root = json_loads(full, 0, &je);
    ASSERT(root != NULL);
    json_object_del(root, "file");
    json_object_set_new(root, "bounding-box-metadata-like", json_string("ignored"));
    char *out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    free(full);
    return out;
}

enum manifest_edit { M_NONE, M_SWAP_ROW_2, M_NO_LAST_LABEL, M_BAD_JSON_ROW_3, M_SIZE_ROW_1, M_GRAY_ROW_4, M_IM2REC_ROW_2 };

/* The scenes as augmented-manifest records (image PNG, then label JSON),
 * with one mistake when asked. */
static struct buf manifest_of(const struct odfx *fx, enum manifest_edit e)
{
    struct buf b = {0};
    for (int k = 0; k < N_SCENES; k++) {
        size_t n;
        uint8_t *img = png_of(fx, k, &n);
        char *js = label_json(fx, k);
        if (e == M_BAD_JSON_ROW_3 && k == 2)
            js[strlen(js) - 1] = ',';
        if (e == M_SIZE_ROW_1 && k == 0) {
            char *w = strstr(js, "\"width\": 96");
            if (!w)
                w = strstr(js, "\"width\":96");
            ASSERT(w != NULL);
            char *nine = strchr(w, '9');
            nine[0] = '8', nine[1] = '0';
        }
        if (e == M_GRAY_ROW_4 && k == 3) {
            uint8_t gray[SIDE * SIDE];
            memset(gray, 100, sizeof(gray));
            struct img_u8 g = {gray, SIDE, SIDE, 1};
            char err[128];
            free(img);
            ASSERT_EQ_INT(img_encode_png(&g, &img, &n, err, sizeof(err)), 0);
        }
        if (e == M_IM2REC_ROW_2 && k == 1) {
            free(img);
            img = payload(fx, k, &n);
        }
        if (e == M_SWAP_ROW_2 && k == 1) {
            buf_put_recordio(&b, 0, js, (uint32_t)strlen(js));
            buf_put_recordio(&b, 0, img, (uint32_t)n);
        } else {
            buf_put_recordio(&b, 0, img, (uint32_t)n);
            if (!(e == M_NO_LAST_LABEL && k == N_SCENES - 1))
                buf_put_recordio(&b, 0, js, (uint32_t)strlen(js));
        }
        free(img);
        free(js);
    }
    return b;
}

/* Pipe mode, as SageMaker delivers an AugmentedManifestFile channel with
 * RecordWrapperType RecordIO: each row's image record then its label
 * record, one FIFO a pass; the samples are the scenes, numbered by their
 * image record and row. */
TEST(od_dataset_augmented_manifest_pipe_mode)
{
    struct odfx fx;
    fx_init(&fx, 64);
    const optml_channel *ch = fx_channel(&fx, "train", "application/x-recordio", OPTML_MODE_PIPE);
    struct buf b = manifest_of(&fx, M_NONE);
    struct od_dataset *ds;
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, ch, NULL, &fx.o, &ds), OPTML_OK);
    for (unsigned pass = 0; pass < 2; pass++) {
        char *fifo = rt_channel_fifo_path(ch, pass);
        ASSERT(mkfifo(fifo, 0600) == 0);
        fflush(NULL);
        pid_t pid = fork();
        ASSERT(pid >= 0);
        if (pid == 0) {
            signal(SIGPIPE, SIG_IGN);
            int fd = open(fifo, O_WRONLY);
            size_t off = 0;
            while (fd >= 0 && off < b.n) {
                ssize_t w = write(fd, b.p + off, b.n - off);
                if (w <= 0)
                    _exit(5);
                off += (size_t)w;
            }
            _exit(fd >= 0 ? 0 : 4);
        }
        struct od_pass *p;
        ASSERT_EQ_INT(od_pass_open(&fx.mc.ctx, ds, &p), OPTML_OK);
        struct od_sample s;
        for (int k = 0; k < N_SCENES; k++) {
            ASSERT_EQ_INT(od_pass_next(p, &s), OPTML_OK);
            ASSERT_EQ_INT(s.number, 2 * k + 1);
            ASSERT_EQ_INT(s.id, k + 1);
            expect_scene(&fx, &s, k);
        }
        ASSERT_EQ_INT(od_pass_next(p, &s), OPTML_END);
        od_pass_close(p);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        free(fifo);
    }
    od_dataset_close(ds);
    free(b.p);
    fx_free(&fx);
}

/* Manifest records in a RecordIO file (File mode reads them the same
 * way): `good` samples, then a ClientError containing `want`. */
static void expect_manifest_error(enum manifest_edit e, size_t good, const char *want)
{
    struct odfx fx;
    fx_init(&fx, 64);
    const optml_channel *ch = fx_channel(&fx, "train", "application/x-recordio", OPTML_MODE_FILE);
    struct buf b = manifest_of(&fx, e);
    write_file(fx.data_dir, "train/train.rec", b.p, b.n);
    struct od_dataset *ds;
    ASSERT_EQ_INT(od_dataset_open(&fx.mc.ctx, ch, NULL, &fx.o, &ds), OPTML_OK);
    size_t n;
    ASSERT_EQ_INT(read_pass(&fx, ds, &n), e == M_NONE ? OPTML_END : OPTML_E_CLIENT);
    ASSERT_EQ_INT(n, good);
    if (want)
        ASSERT_CONTAINS(optml_error_message(&fx.mc.ctx), want);
    od_dataset_close(ds);
    free(b.p);
    fx_free(&fx);
}

TEST(od_dataset_augmented_manifest_errors_name_the_record)
{
    expect_manifest_error(M_NONE, N_SCENES, NULL);
    expect_manifest_error(M_SWAP_ROW_2, 1,
                          "train.rec records 3 and 4 (augmented manifest row 2): the label JSON comes before the "
                          "image: AttributeNames must list the image attribute first");
    expect_manifest_error(M_NO_LAST_LABEL, N_SCENES - 1,
                          "train.rec record 9 (augmented manifest row 5): the stream ends after the image, without "
                          "its label record");
    expect_manifest_error(M_BAD_JSON_ROW_3, 2, "train.rec records 5 and 6 (augmented manifest row 3): label JSON: "
                                               "not valid JSON");
    expect_manifest_error(M_SIZE_ROW_1, 0, "train.rec records 1 and 2 (augmented manifest row 1): the image is 96 x 96 "
                                           "pixels but the label JSON gives image_size 80 x 96");
    expect_manifest_error(M_GRAY_ROW_4, 3, "train.rec records 7 and 8 (augmented manifest row 4): image: a 1-channel "
                                           "(grayscale) 96 x 96 image");
    expect_manifest_error(M_IM2REC_ROW_2, 1, "train.rec records 3 and 4 (augmented manifest row 2): the image record "
                                             "(the row's first attribute, e.g. source-ref) is neither an image nor JSON");
}
