/*
 * params.h: a network's parameter block (STYLE.md 4.4): every parameter
 * tensor of a model in one allocation, every gradient in a second, the
 * optimizer state (struct optim_state, common/optim.h) in a third, with a
 * named view per tensor into each; zeroing all gradients is one call, an
 * optimizer step over every tensor is one call, and the whole block (with
 * or without its optimizer state) serialises into one byte string that the
 * module hands to optml_model_write / optml_checkpoint_save.  No I/O here.
 *
 * Use, in two phases (one allocation per family needs every size first):
 *
 *   struct nn_params p;
 *   nn_params_init(&p);
 *   int hW = nn_params_add(&p, "dense_1.kernel", 2, (size_t[]){I, O}, NULL, err, sizeof(err));
 *   int hb = nn_params_add(&p, "dense_1.bias", 1, (size_t[]){O}, NN_PARAM_BIAS, err, sizeof(err));
 *   nn_params_alloc(&p, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, OPTIM_ADAM, err, sizeof(err));
 *   struct nn_view W = nn_params_view(&p, hW);      W.w (I, O), W.g (I, O)
 *   ... each step:
 *   nn_params_zero_grad(&p);
 *   (forward; backward accumulates into W.g, ...)
 *   nn_params_step(&p, &cfg, lr);
 *   ... save / load:
 *   nn_params_save(&p, 0, &buf, err, sizeof(err));            model file
 *   nn_params_save(&p, NN_PARAMS_OPTIM, &buf, err, ...);      checkpoint
 *   nn_params_load(&q, bytes, len, flags, err, sizeof(err));  q built alike
 *   nn_params_free(&p);
 *
 * Layout: a tensor's slice in each family starts on a multiple of
 * NN_PARAMS_ALIGN bytes (the families themselves are so aligned); the
 * padding between slices is zero and belongs to nobody.  Parameters of every
 * tensor are in the parameter family in the order they were added; only the
 * tensors with a gradient (not NN_PARAM_FROZEN, not NN_PARAM_SPARSE) are in
 * the gradient family, and only those with optimizer state (not
 * NN_PARAM_FROZEN) in the optimizer's.
 *
 * Ownership: the block owns the four arrays (params, grads, the optimizer's
 * m and v); views point into them and are valid until nn_params_free.
 * Errors: functions that can fail return an enum nn_params_err (0 on
 * success) and, when err is not NULL, write a one-line message naming the
 * tensor at fault into err[errsz].  None of them keeps global state; none is
 * thread-safe on the same block (distinct blocks are independent).
 *
 * Serialised form (all little-endian; nn_params_save writes it, nn_params_load
 * validates all of it before changing anything):
 *   "NNPB"  u32 version (1)  u32 flags (bit 0: optimizer state follows)
 *   u32 n_tensors  u32 optimizer kind (enum optim_kind; 0 without state)
 *   i64 step count t of the optimizer (0 without state)
 *   per tensor:  u32 name length (1..NN_PARAM_NAME_MAX), the name's bytes,
 *                u32 tensor flags (bit 0: its optimizer state follows),
 *                u32 ndim (1..NN_PARAM_MAX_DIMS), u64 shape[ndim]
 *   f32 parameters of each tensor in turn (n = product of its shape), packed
 *   with state: for each tensor whose flag bit 0 is set, f32 m[n] (SGD, Adam)
 *               then f32 v[n] (Adam, RMSprop)
 * and nothing after.  The alignment padding is not written.
 */
#ifndef OPTML_NN_PARAMS_H
#define OPTML_NN_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "common/optim.h"

#define NN_PARAMS_ALIGN 64      /* bytes: each slice starts on a multiple */
#define NN_PARAM_NAME_MAX 63    /* bytes of a tensor name */
#define NN_PARAM_MAX_DIMS 4
#define NN_PARAMS_MAGIC "NNPB"
#define NN_PARAMS_VERSION 1u

enum nn_params_err {
    NN_PARAMS_OK = 0,
    NN_PARAMS_E_NOMEM = -1,  /* out of memory (the block is left as it was) */
    NN_PARAMS_E_USAGE = -2,  /* a wrong call: bad name or shape, duplicate name, add after alloc,
                                step without gradients or state, optimizer kind mismatch */
    NN_PARAMS_E_FORMAT = -3, /* nn_params_load: the bytes are corrupt, or describe another network */
};

/* Tensor flags (struct nn_param_opts.flags). */
#define NN_PARAM_FROZEN 1u      /* never trained: no gradient, no optimizer state */
#define NN_PARAM_SPARSE 2u      /* trained by the caller row by row (e.g. an embedding table):
                                   optimizer state but no gradient slice; nn_params_step skips it */

/* How nn_params_step treats a tensor: lr * lr_mult is its learning rate, and
 * the L2 / L1 strengths of the optimizer are multiplied by reg_mult (see
 * optim_update). */
struct nn_param_opts {
    float lr_mult;
    float reg_mult;
    unsigned flags;             /* NN_PARAM_FROZEN, NN_PARAM_SPARSE or 0 */
};
/* Pointers to options for nn_params_add (compound literals: no globals).
 * NULL opts means NN_PARAM_DEFAULT. */
#define NN_PARAM_DEFAULT (&(const struct nn_param_opts){1.0f, 1.0f, 0})
#define NN_PARAM_BIAS (&(const struct nn_param_opts){1.0f, 0.0f, 0})   /* no weight decay */
#define NN_PARAM_FROZEN_OPTS (&(const struct nn_param_opts){0.0f, 0.0f, NN_PARAM_FROZEN})
#define NN_PARAM_SPARSE_OPTS (&(const struct nn_param_opts){1.0f, 0.0f, NN_PARAM_SPARSE})

/* One tensor of the block (read-only for callers). */
struct nn_tensor {
    char name[NN_PARAM_NAME_MAX + 1];
    uint32_t ndim;
    size_t shape[NN_PARAM_MAX_DIMS]; /* shape[i] for i < ndim; 1 beyond */
    size_t n;                        /* elements: the product of the shape */
    size_t p_off;                    /* float offset of its slice in params (set by alloc) */
    size_t g_off;                    /* ... in grads, or SIZE_MAX when it has no gradient */
    size_t s_off;                    /* ... in the optimizer state, or SIZE_MAX when it has none */
    struct nn_param_opts opts;
};

struct nn_params {
    struct nn_tensor *t;        /* n_tensors, in the order they were added */
    size_t n_tensors, cap;
    size_t n_param, n_grad, n_state; /* floats in each family, padding included (set by alloc) */
    float *param;               /* n_param, NN_PARAMS_ALIGN-aligned; NULL before nn_params_alloc */
    float *grad;                /* n_grad, aligned; NULL unless allocated with NN_PARAMS_GRADS */
    struct optim_state opt;     /* n_state; m, v aligned and owned by the block (opt.owned is 0);
                                   empty unless allocated with NN_PARAMS_OPTIM */
    enum optim_kind kind;       /* the optimizer the state is for */
    unsigned have;              /* NN_PARAMS_GRADS | NN_PARAMS_OPTIM as allocated */
    int allocated;
};

/* What nn_params_alloc allocates besides the parameters, and what
 * nn_params_save / nn_params_load include. */
#define NN_PARAMS_GRADS 1u
#define NN_PARAMS_OPTIM 2u

/* A tensor's slices.  w and g have the tensor's shape, row-major. */
struct nn_view {
    float *w;                   /* n parameters */
    float *g;                   /* n gradients, or NULL (frozen, sparse, or no gradients allocated) */
    struct optim_state opt;     /* its optimizer state (optim_state_view): empty when it has none.
                                   Its step count is a snapshot: take it after nn_params_step */
    size_t n;
    const struct nn_tensor *t;
};

/* An empty block: no tensors, nothing allocated. */
void nn_params_init(struct nn_params *p);
/* Free what the block owns and leave it empty (as nn_params_init); accepts
 * an empty, half-built or zeroed block.  Views into it become invalid. */
void nn_params_free(struct nn_params *p);

/* Declare a tensor of ndim (1..NN_PARAM_MAX_DIMS) dimensions shape[ndim],
 * each >= 1, named `name` (1..NN_PARAM_NAME_MAX bytes of [A-Za-z0-9_.:/-],
 * unique in the block), with opts (NULL: NN_PARAM_DEFAULT).  Before
 * nn_params_alloc only.  Returns the tensor's handle (its index, >= 0), or
 * NN_PARAMS_E_USAGE / NN_PARAMS_E_NOMEM. */
int nn_params_add(struct nn_params *p, const char *name, size_t ndim, const size_t *shape,
                  const struct nn_param_opts *opts, char *err, size_t errsz);

/* Lay the tensors out and allocate, zeroed: the parameters, and the
 * gradients (what & NN_PARAMS_GRADS) and optimizer state of `kind` (what &
 * NN_PARAMS_OPTIM) of the trained tensors.  Once per block.  The caller then
 * initialises the parameters through the views. */
int nn_params_alloc(struct nn_params *p, unsigned what, enum optim_kind kind, char *err, size_t errsz);

/* Handle of the tensor named `name`, or -1. */
int nn_params_find(const struct nn_params *p, const char *name);
/* The slices of tensor `h` (a handle from nn_params_add; after
 * nn_params_alloc).  An invalid handle gives an all-empty view. */
struct nn_view nn_params_view(const struct nn_params *p, int h);

/* Zero every gradient: one memset of the gradient family (no-op without
 * gradients). */
void nn_params_zero_grad(struct nn_params *p);

/* One optimizer step over every tensor with a gradient: optim_tick once,
 * then optim_update(c, view, w, g, n, lr, lr_mult, reg_mult) per tensor.
 * Gradients are taken as they are (already averaged over the batch).
 * NN_PARAM_SPARSE tensors are the caller's to update, after this call,
 * through nn_params_view(p, h).opt (whose step count is then this step's).
 * NN_PARAMS_E_USAGE without gradients and state, or when c->kind is not the
 * kind the state was allocated for. */
int nn_params_step(struct nn_params *p, const struct optim_cfg *c, float lr);

/* A caller-owned growable byte buffer: nn_params_save appends to it,
 * growing it with realloc.  Start zeroed; free(data) when done. */
struct nn_buf {
    unsigned char *data;
    size_t len, cap;
};

/* Bytes nn_params_save writes for this block with these flags; needs only
 * the tensors declared (no allocation), so a loader can compare it with the
 * bytes it has before allocating.  SIZE_MAX when it would overflow. */
size_t nn_params_save_size(const struct nn_params *p, unsigned flags);

/* Append the serialised block to *out: its parameters and, with flags &
 * NN_PARAMS_OPTIM, its optimizer state and step count (for a checkpoint that
 * resumes exactly).  NN_PARAMS_E_USAGE before alloc, or when the state is
 * asked for but was not allocated; NN_PARAMS_E_NOMEM (out->len unchanged). */
int nn_params_save(const struct nn_params *p, unsigned flags, struct nn_buf *out, char *err, size_t errsz);

/* Load bytes [data, data + len) (exactly one serialised block, nothing
 * after) into p, which the module has built (nn_params_add, nn_params_alloc)
 * the same way as the block that was saved.  Checked before anything is
 * written, with NN_PARAMS_E_FORMAT and a message naming the tensor on any
 * failure: magic, version, flags, the tensor count, each name and shape
 * against p's, the exact length, every float finite (second moments >= 0).
 * With flags & NN_PARAMS_OPTIM the bytes must carry optimizer state of p's
 * kind, with state for exactly p's trained tensors, and it is restored with
 * the step count; without, they must carry none.  Never reads outside the
 * range; p is unchanged on failure. */
int nn_params_load(struct nn_params *p, const void *data, size_t len, unsigned flags, char *err,
                   size_t errsz);

#endif
