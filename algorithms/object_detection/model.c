/*
 * model.c: what object-detection keeps on disk (ALGORITHMS.md D.7) and the
 * served model.  model/ holds `hyperparams.json` (the job's hyperparameters
 * as strings, as the built-in's artifact carries them) and
 * `object-detection.model`: the runtime's versioned, CRC-checked model file
 * (one atomic write) whose payload is a 32-byte header (magic "ODMD",
 * base_network, num_classes, image_shape, width, nms_threshold, nms_topk,
 * all little-endian) and the network's parameter block (nn_params_save,
 * no optimizer state).  model_load builds the inference network from the
 * header and loads the block (every byte checked); requests run on a pool
 * of inference networks copied from it, one per concurrent request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "object_detection/od.h"

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void putf(unsigned char *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put32(p, v);
}

static float getf(const unsigned char *p)
{
    uint32_t v = get32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

struct od_net_cfg od_info_net_cfg(const struct od_model_info *mi, size_t max_batch, uint64_t seed)
{
    /* enum od_base_network and enum od_backbone number the networks alike
     * (od_hparams_backbone_numbers_match_the_network's) */
    return (struct od_net_cfg){mi->image_shape, mi->num_classes, mi->width, max_batch, seed,
                               (enum od_backbone)mi->base_network};
}

int od_model_serialise(const struct od_model_info *mi, const struct od_net *net, struct nn_buf *out, char *err,
                       size_t errsz)
{
    unsigned char h[OD_MODEL_HEADER] = {0};
    memcpy(h, OD_MODEL_MAGIC, 4);
    put32(h + 4, mi->base_network);
    put32(h + 8, mi->num_classes);
    put32(h + 12, mi->image_shape);
    putf(h + 16, mi->width);
    putf(h + 20, mi->nms_threshold);
    put32(h + 24, mi->nms_topk);
    if (out->cap < out->len + OD_MODEL_HEADER) {
        unsigned char *d = realloc(out->data, out->len + OD_MODEL_HEADER);
        if (!d) {
            snprintf(err, errsz, "out of memory");
            return -1;
        }
        out->data = d;
        out->cap = out->len + OD_MODEL_HEADER;
    }
    memcpy(out->data + out->len, h, OD_MODEL_HEADER);
    out->len += OD_MODEL_HEADER;
    return nn_params_save(&net->params, 0, out, err, errsz) == 0 ? 0 : -1;
}

int od_model_peek(const void *data, size_t len, struct od_model_info *mi, char *err, size_t errsz)
{
    const unsigned char *p = data;
    if (len < OD_MODEL_HEADER || memcmp(p, OD_MODEL_MAGIC, 4) != 0) {
        snprintf(err, errsz, "not an object-detection model (no ODMD header)");
        return -1;
    }
    mi->base_network = get32(p + 4);
    mi->num_classes = get32(p + 8);
    mi->image_shape = get32(p + 12);
    mi->width = getf(p + 16);
    mi->nms_threshold = getf(p + 20);
    mi->nms_topk = get32(p + 24);
    if (mi->base_network > OD_NET_RESNET50 || mi->num_classes < 1 || mi->num_classes > 10000 ||
        mi->image_shape < OD_NET_MIN_SIZE || mi->image_shape > 4096 || !(mi->width > 0 && mi->width <= 1) ||
        !(mi->nms_threshold > 0 && mi->nms_threshold <= 1) || mi->nms_topk < 1 || mi->nms_topk > 100000) {
        snprintf(err, errsz, "the model header is corrupt (network %u, %u classes, image_shape %u)",
                 mi->base_network, mi->num_classes, mi->image_shape);
        return -1;
    }
    return 0;
}

/* hyperparams.json: every hyperparameter that has a value, as a string. */
static optml_status write_hyperparams(optml_ctx *ctx)
{
    json_t *o = json_object();
    if (!o)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory writing hyperparams.json");
    for (size_t i = 0; i < OD_N_HPARAMS; i++) {
        const struct optml_hparam_decl *d = &od_hparams[i];
        if (!optml_hp_is_set(ctx, d->name))
            continue;
        char v[64];
        const char *s = v;
        if (optml_hp_is_auto(ctx, d->name))
            s = "auto";
        else if (d->type == OPTML_HP_INT)
            snprintf(v, sizeof(v), "%lld", (long long)optml_hp_int(ctx, d->name));
        else if (d->type == OPTML_HP_FLOAT) {
            double x = optml_hp_float(ctx, d->name);
            for (int prec = 6; prec <= 17; prec++) { /* the shortest text that reads back as x */
                snprintf(v, sizeof(v), "%.*g", prec, x);
                if (strtod(v, NULL) == x)
                    break;
            }
        }
        else if (d->type == OPTML_HP_BOOL)
            s = optml_hp_bool(ctx, d->name) ? "True" : "False";
        else
            s = optml_hp_string(ctx, d->name);
        json_object_set_new(o, d->name, json_string(s ? s : ""));
    }
    char *text = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));
    json_decref(o);
    if (!text)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory writing hyperparams.json");
    optml_status s = optml_file_write_atomic(ctx, "hyperparams.json", text, strlen(text));
    free(text);
    return s;
}

optml_status od_model_save(optml_ctx *ctx, const struct od_model_info *mi, const struct od_net *net)
{
    struct nn_buf b = {0};
    char err[256];
    if (od_model_serialise(mi, net, &b, err, sizeof(err)) != 0) {
        free(b.data);
        return optml_error(ctx, OPTML_E_NOMEM, "writing the model: %s", err);
    }
    optml_status s = optml_model_write(ctx, OD_MODEL_FILE, b.data, b.len);
    free(b.data);
    return s == OPTML_OK ? write_hyperparams(ctx) : s;
}

/* ---------------------------------------------------------------- serving */

optml_status od_model_load(optml_ctx *ctx, const char *model_dir, void **out)
{
    void *data;
    size_t len;
    optml_status s = optml_model_read(ctx, model_dir, OD_MODEL_FILE, &data, &len);
    if (s != OPTML_OK)
        return s;
    struct od_served *sv = calloc(1, sizeof(*sv));
    char err[256];
    if (!sv) {
        free(data);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory loading the model");
    }
    struct od_net_cfg nc;
    if (od_model_peek(data, len, &sv->mi, err, sizeof(err)) != 0 ||
        (nc = od_info_net_cfg(&sv->mi, 1, 1), od_net_create(&sv->proto, &nc, 0, err, sizeof(err))) != 0 ||
        nn_params_load(&sv->proto.params, (const unsigned char *)data + OD_MODEL_HEADER, len - OD_MODEL_HEADER, 0,
                       err, sizeof(err)) != 0 ||
        !(sv->anchors = malloc(sv->proto.A * sizeof(*sv->anchors)))) {
        free(data);
        od_net_free(&sv->proto);
        free(sv->anchors);
        free(sv);
        return optml_error(ctx, OPTML_E_MODEL, "%s: %s", OD_MODEL_FILE, err);
    }
    free(data);
    od_net_anchors(&sv->proto, sv->anchors);
    pthread_mutex_init(&sv->mu, NULL);
    optml_log(ctx, OPTML_LOG_INFO,
              "object-detection model: %s width %g, %u classes, %ux%u input, %zu default boxes, nms_threshold %g, "
              "nms_topk %u", od_backbone_name((enum od_backbone)sv->mi.base_network), (double)sv->mi.width, sv->mi.num_classes, sv->mi.image_shape,
              sv->mi.image_shape, sv->proto.A, (double)sv->mi.nms_threshold, sv->mi.nms_topk);
    *out = sv;
    return OPTML_OK;
}

struct od_net *od_served_take(struct od_served *sv, char *err, size_t errsz)
{
    struct od_net *net = NULL;
    pthread_mutex_lock(&sv->mu);
    if (sv->n_idle)
        net = sv->idle[--sv->n_idle];
    pthread_mutex_unlock(&sv->mu);
    if (net)
        return net;
    if (!(net = malloc(sizeof(*net)))) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    struct od_net_cfg nc = od_info_net_cfg(&sv->mi, 1, 1);
    if (od_net_create(net, &nc, 0, err, errsz) != 0) {
        free(net);
        return NULL;
    }
    memcpy(net->params.param, sv->proto.params.param, sv->proto.params.n_param * sizeof(float));
    return net;
}

void od_served_give(struct od_served *sv, struct od_net *net)
{
    pthread_mutex_lock(&sv->mu);
    if (sv->n_idle < OD_POOL_KEEP) {
        sv->idle[sv->n_idle++] = net;
        net = NULL;
    }
    pthread_mutex_unlock(&sv->mu);
    if (net) {
        od_net_free(net);
        free(net);
    }
}

void od_model_free(void *model)
{
    struct od_served *sv = model;
    if (!sv)
        return;
    for (size_t i = 0; i < sv->n_idle; i++) {
        od_net_free(sv->idle[i]);
        free(sv->idle[i]);
    }
    pthread_mutex_destroy(&sv->mu);
    od_net_free(&sv->proto);
    free(sv->anchors);
    free(sv);
}
