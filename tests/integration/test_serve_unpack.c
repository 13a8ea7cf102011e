/*
 * test_serve_unpack.c: where `optml serve` unpacks a lone model.tar.gz and
 * what it leaves behind: private copies under $TMPDIR removed on unload and
 * at SIGTERM, an unchanged archive reused, a changed one unpacked afresh,
 * copies of a server killed with SIGKILL removed by the next one, and two
 * multi-model loads of one directory at the same time.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/harness.h"
#include "serve_helpers.h"
#include "train_helpers.h"

static const char CSV[] = "1,2\n3,4,5\n";

/* base/model packed into `dir`/model.tar.gz (dir created; nothing else in it). */
static void pack_into(const char *base, const char *dir)
{
    mkdirs(dir);
    char *cmd = strf("tar czf '%s/model.tar.gz' -C '%s/model' .", dir, base);
    ASSERT_EQ_INT(system(cmd), 0);
    free(cmd);
}

/* Entries of `dir` whose name starts with "optml-model-"; the first one's
 * name in *first (malloc'd) when first is not NULL. */
static int count_unpacked(const char *dir, char **first)
{
    DIR *d = opendir(dir);
    ASSERT(d != NULL);
    int n = 0;
    struct dirent *de;
    if (first)
        *first = NULL;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, "optml-model-", 12) == 0) {
            if (first && !*first)
                *first = strdup(de->d_name);
            n++;
        }
    closedir(d);
    return n;
}

static int count_in_log(const struct served *s, const char *needle)
{
    char *log = serve_log_text(s);
    int n = 0;
    for (const char *p = log; (p = strstr(p, needle)) != NULL; p++)
        n++;
    free(log);
    return n;
}

static struct http_response *load_model(const struct served *s, const char *name, const char *url)
{
    char *body = strf("{\"model_name\": \"%s\", \"url\": \"%s\"}", name, url);
    struct http_response *r = serve_call(s, "POST", "/models", body);
    free(body);
    return r;
}

static void expect_call(struct served *s, const char *method, const char *path, const char *body, int code)
{
    struct http_response *r = serve_call(s, method, path, body);
    EXPECT_STATUS(s, r, code);
    http_response_free(r);
}

static void expect_load(struct served *s, const char *name, const char *url)
{
    struct http_response *r = load_model(s, name, url);
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
}

static void expect_invoke(struct served *s, const char *name)
{
    char *path = strf("/models/%s/invoke", name);
    struct http_response *r = serve_invoke_at(s, path, "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    json_t *j = EXPECT_JSON(s, r);
    SRV_ASSERT_EQ_STR(s, serve_pred_bytes(j), "3,5");
    json_decref(j);
    http_response_free(r);
    free(path);
}

/* A read-only directory holding only model.tar.gz, loaded and unloaded 25
 * times: at most one unpacked copy exists at any time, it is the same one
 * each time (the archive did not change: unpacked once), and SIGTERM
 * removes it. */
TEST_TIMEOUT(serve_mme_load_unload_cycles_leave_no_unpacked_copies, 120)
{
    char *base = serve_trained_tree();
    char *tmp = tmpdir_new();
    char *dir = strf("%s/models/a/model", base);
    pack_into(base, dir);
    ASSERT_EQ_INT(chmod(dir, 0555), 0);
    char *tmpenv = strf("TMPDIR=%s", tmp);
    const char *env[] = {"SAGEMAKER_MULTI_MODEL=true", tmpenv, NULL};
    struct served *s = serve_start_ready(base, env);
    char *first = NULL;
    for (int i = 0; i < 25; i++) {
        expect_load(s, "a", dir);
        char *name = NULL;
        SRV_ASSERT_EQ_INT(s, count_unpacked(tmp, &name), 1);
        if (!first)
            first = strdup(name);
        SRV_ASSERT_EQ_STR(s, name, first);
        free(name);
        if (i % 5 == 0)
            expect_invoke(s, "a");
        expect_call(s, "DELETE", "/models/a", NULL, 200);
        SRV_ASSERT(s, count_unpacked(tmp, NULL) <= 1);
    }
    SRV_ASSERT_EQ_INT(s, count_in_log(s, "unpacked model archive"), 1);
    SRV_ASSERT_EQ_INT(s, count_in_log(s, "reusing the unpacked copy"), 24);
    SRV_ASSERT_EQ_INT(s, count_unpacked(dir, NULL), 0); /* the model directory is untouched */
    /* Loaded at exit: SIGTERM removes it too. */
    expect_load(s, "a", dir);
    SRV_ASSERT_EQ_INT(s, count_unpacked(tmp, NULL), 1);
    serve_stop(s);
    ASSERT_EQ_INT(count_unpacked(tmp, NULL), 0);
    chmod(dir, 0755);
    free(first);
}

/* Two names for one archive share one copy; a changed archive (new bytes,
 * new mtime) is unpacked afresh and serves the new model, and the old copy
 * goes once no model uses it. */
TEST_TIMEOUT(serve_mme_changed_archive_is_unpacked_afresh, 120)
{
    char *base = serve_trained_tree();
    char *tmp = tmpdir_new();
    char *dir = strf("%s/models/a/model", base);
    pack_into(base, dir);
    char *tmpenv = strf("TMPDIR=%s", tmp);
    const char *env[] = {"SAGEMAKER_MULTI_MODEL=true", tmpenv, NULL};
    struct served *s = serve_start_ready(base, env);
    expect_load(s, "a", dir);
    expect_load(s, "b", dir);
    char *old = NULL;
    SRV_ASSERT_EQ_INT(s, count_unpacked(tmp, &old), 1);
    SRV_ASSERT_EQ_INT(s, count_in_log(s, "unpacked model archive"), 1);
    expect_call(s, "DELETE", "/models/a", NULL, 200);
    expect_call(s, "DELETE", "/models/b", NULL, 200);

    /* Another archive at the same path (packed afresh from another trained
     * tree, with an mtime clearly different from the first). */
    char *base2 = serve_trained_tree();
    char *cmd = strf("cd '%s/model' && tar czf '%s/model.tar.gz.new' . && touch -d '2001-01-01' "
                     "'%s/model.tar.gz.new' && mv '%s/model.tar.gz.new' '%s/model.tar.gz'",
                     base2, dir, dir, dir, dir);
    ASSERT_EQ_INT(system(cmd), 0);
    free(cmd);
    expect_load(s, "a", dir);
    expect_invoke(s, "a");
    char *now = NULL;
    SRV_ASSERT_EQ_INT(s, count_unpacked(tmp, &now), 1);
    SRV_ASSERT(s, strcmp(old, now) != 0);
    SRV_ASSERT_EQ_INT(s, count_in_log(s, "unpacked model archive"), 2);
    serve_stop(s);
    ASSERT_EQ_INT(count_unpacked(tmp, NULL), 0);
    free(old);
    free(now);
}

/* A server killed with SIGKILL cannot clean up: the next one started with
 * the same TMPDIR removes its copies (and only dirs of the exact
 * optml-model-<pid>-XXXXXX pattern whose pid is gone). */
TEST_TIMEOUT(serve_start_removes_copies_of_a_killed_server, 120)
{
    char *base = serve_trained_tree();
    char *tmp = tmpdir_new();
    char *dir = strf("%s/models/a/model", base);
    pack_into(base, dir);
    mkdirs(strf("%s/optml-model-keepme", tmp));          /* not the pattern */
    mkdirs(strf("%s/optml-model-%d-abcdef", tmp, (int)getpid())); /* a live pid */
    char *tmpenv = strf("TMPDIR=%s", tmp);
    const char *env[] = {"SAGEMAKER_MULTI_MODEL=true", tmpenv, NULL};
    struct served *s = serve_start_ready(base, env);
    expect_load(s, "a", dir);
    SRV_ASSERT_EQ_INT(s, count_unpacked(tmp, NULL), 3);
    serve_kill(s);
    ASSERT_EQ_INT(count_unpacked(tmp, NULL), 3);

    struct served *s2 = serve_start_ready(base, env);
    SRV_ASSERT_EQ_INT(s2, count_unpacked(tmp, NULL), 2);
    SRV_ASSERT(s2, file_exists(strf("%s/optml-model-keepme", tmp)));
    SRV_ASSERT(s2, file_exists(strf("%s/optml-model-%d-abcdef", tmp, (int)getpid())));
    SRV_ASSERT_EQ_INT(s2, count_in_log(s2, "left by a server that is gone"), 1);
    serve_stop(s2);
}

/* Single-model mode, a writable model/ holding only model.tar.gz: unpacked
 * in place, as SageMaker's local mode does, and nothing goes to TMPDIR
 * (only a read-only model/ gets a private copy there). */
TEST(serve_single_model_unpacks_in_place_when_writable)
{
    char *base = serve_trained_tree();
    char *tmp = tmpdir_new();
    char *cmd = strf("cd '%s' && tar czf model.tar.gz -C model . && rm -rf model && mkdir model && "
                     "mv model.tar.gz model/",
                     base);
    ASSERT_EQ_INT(system(cmd), 0);
    free(cmd);
    char *tmpenv = strf("TMPDIR=%s", tmp);
    const char *env[] = {tmpenv, NULL};
    struct served *s = serve_start_ready(base, env);
    struct http_response *r = serve_invoke(s, "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    SRV_ASSERT(s, tree_has(base, "model/echo.model"));
    SRV_ASSERT_EQ_INT(s, count_unpacked(tmp, NULL), 0);
    serve_stop(s);
}

struct loader {
    int port;
    const char *name;
    const char *url;
    pthread_t thread;
    int status;
    char body[512];
};

static void *loader_run(void *arg)
{
    struct loader *l = arg;
    char *body = strf("{\"model_name\": \"%s\", \"url\": \"%s\"}", l->name, l->url);
    const char *h[] = {"Content-Type: application/json", NULL};
    struct http_response *r = http_request(l->port, "POST", "/models", h, body, strlen(body), 30000);
    l->status = r->status;
    snprintf(l->body, sizeof(l->body), "%s", r->status ? r->body : r->error);
    http_response_free(r);
    free(body);
    return NULL;
}

/* Two POST /models at once, two names, one writable directory holding only
 * model.tar.gz (a fresh one each trial, so each trial unpacks): both load,
 * both answer, in every one of 20 trials. */
TEST_TIMEOUT(serve_mme_concurrent_loads_of_one_directory_both_succeed, 180)
{
    char *base = serve_trained_tree();
    char *tmp = tmpdir_new();
    char *tmpenv = strf("TMPDIR=%s", tmp);
    const char *env[] = {"SAGEMAKER_MULTI_MODEL=true", "SAGEMAKER_MODEL_SERVER_WORKERS=4", tmpenv, NULL};
    struct served *s = serve_start_ready(base, env);
    for (int t = 0; t < 20; t++) {
        char *dir = strf("%s/models/t%d/model", base, t);
        pack_into(base, dir);
        struct loader l[2];
        memset(l, 0, sizeof(l));
        l[0].name = strf("a%d", t);
        l[1].name = strf("b%d", t);
        for (int i = 0; i < 2; i++) {
            l[i].port = s->port;
            l[i].url = dir;
            if (pthread_create(&l[i].thread, NULL, loader_run, &l[i]) != 0)
                test_fail(__FILE__, __LINE__, "pthread_create failed");
        }
        for (int i = 0; i < 2; i++)
            pthread_join(l[i].thread, NULL);
        for (int i = 0; i < 2; i++)
            if (l[i].status != 200)
                serve_fail(s, NULL, __FILE__, __LINE__, "trial %d: POST /models %s: %d %s", t, l[i].name,
                           l[i].status, l[i].body);
        expect_invoke(s, l[0].name);
        expect_invoke(s, l[1].name);
        expect_call(s, "DELETE", strf("/models/%s", l[0].name), NULL, 200);
        expect_call(s, "DELETE", strf("/models/%s", l[1].name), NULL, 200);
    }
    serve_stop(s);
    ASSERT_EQ_INT(count_unpacked(tmp, NULL), 0);
}
