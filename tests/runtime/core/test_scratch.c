/*
 * test_scratch.c: optml_scratch_dir (runtime/core/scratch.c): which setting
 * wins, and a directory inside model/, output/ or the checkpoint directory
 * refused, also through a symbolic link or a part that does not exist yet.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/harness.h"
#include "core/ctx.h"
#include "core/paths.h"
#include "support/support.h"

/* A context whose paths are those of a fresh tree (checkpoints in ck/). */
static void ctx_for(struct optml_ctx *ctx, struct rt_paths *p, const char *base, const char *ck)
{
    rt_ctx_init(ctx);
    setenv("SAGEMAKER_BASE_DIR", base, 1);
    ASSERT_EQ_INT(rt_paths_init(ctx, p), OPTML_OK);
    p->checkpoint_dir = ck ? strdup(ck) : NULL;
    ctx->paths = p;
}

TEST(scratch_dir_setting_then_tmpdir_then_tmp)
{
    char *base = optml_tree_new(NULL), *other = tmpdir_new();
    struct optml_ctx ctx;
    struct rt_paths p;
    ctx_for(&ctx, &p, base, NULL);
    const char *dir = NULL;
    unsetenv("OPTML_SCRATCH_DIR");
    unsetenv("TMPDIR");
    ASSERT_EQ_INT(optml_scratch_dir(&ctx, &dir), OPTML_OK);
    ASSERT_EQ_STR(dir, "/tmp");
    setenv("TMPDIR", other, 1);
    ASSERT_EQ_INT(optml_scratch_dir(&ctx, &dir), OPTML_OK);
    ASSERT_EQ_STR(dir, other);
    setenv("OPTML_SCRATCH_DIR", "/nonexistent/scratch", 1);
    ASSERT_EQ_INT(optml_scratch_dir(&ctx, &dir), OPTML_OK); /* not checked for existence */
    ASSERT_EQ_STR(dir, "/nonexistent/scratch");
    /* The base itself (model/ is below it, not above) is fine. */
    setenv("OPTML_SCRATCH_DIR", base, 1);
    ASSERT_EQ_INT(optml_scratch_dir(&ctx, &dir), OPTML_OK);
    /* A sibling whose name starts like model/ is not inside it. */
    setenv("OPTML_SCRATCH_DIR", strf("%s/model-scratch", base), 1);
    ASSERT_EQ_INT(optml_scratch_dir(&ctx, &dir), OPTML_OK);
    rt_paths_free(&p);
}

TEST(scratch_dir_inside_what_sagemaker_uploads_is_refused)
{
    char *base = optml_tree_new(NULL), *ck = tmpdir_new(), *other = tmpdir_new();
    mkdirs(path_join(base, "output/data"));
    struct optml_ctx ctx;
    struct rt_paths p;
    ctx_for(&ctx, &p, base, ck);
    const char *dir = NULL;
    unsetenv("OPTML_SCRATCH_DIR");
    /* TMPDIR inside output/, through a part that does not exist yet. */
    setenv("TMPDIR", strf("%s/output/data/not/yet", base), 1);
    ASSERT_EQ_INT(optml_scratch_dir(&ctx, &dir), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&ctx), "from TMPDIR");
    ASSERT_CONTAINS(optml_error_message(&ctx), "inside output/");
    /* OPTML_SCRATCH_DIR: a symbolic link elsewhere that leads into the
     * checkpoint directory. */
    rt_ctx_clear_error(&ctx);
    char *link = path_join(other, "link");
    ASSERT_EQ_INT(symlink(ck, link), 0);
    setenv("OPTML_SCRATCH_DIR", strf("%s/sub", link), 1);
    ASSERT_EQ_INT(optml_scratch_dir(&ctx, &dir), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&ctx), "OPTML_SCRATCH_DIR");
    ASSERT_CONTAINS(optml_error_message(&ctx), "the checkpoint directory");
    /* model/ itself, written with a trailing slash and a dot. */
    rt_ctx_clear_error(&ctx);
    setenv("OPTML_SCRATCH_DIR", strf("%s/./model/", base), 1);
    ASSERT_EQ_INT(optml_scratch_dir(&ctx, &dir), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&ctx), "inside model/");
    rt_paths_free(&p);
}
