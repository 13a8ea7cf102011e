/*
 * serve.c: `optml serve`: configuration from the environment, the module,
 * the worker pool, the libmicrohttpd daemon, loading the model in the
 * background, the connection deadlines swept from the main loop, and a
 * graceful stop on SIGTERM (stop accepting, drain requests in flight for up
 * to 25 s, exit 0).
 */
#define _GNU_SOURCE
#include "serve/serve.h"

#include <dlfcn.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/ctx.h"
#include "core/log.h"
#include "loader/module.h"
#include "core/paths.h"
#include "core/status.h"
#include "core/stop.h"
#include "artifact/model_dir.h"

#define DRAIN_SECONDS 25.0

/* First of the variables that is set and not empty. */
static const char *env2(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (v && *v)
        return v;
    v = b ? getenv(b) : NULL;
    return v && *v ? v : NULL;
}

static optml_status env_long(optml_ctx *ctx, const char *name, const char *value, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < lo || v > hi)
        return optml_error(ctx, OPTML_E_CLIENT, "%s='%s' must be a whole number in [%ld, %ld]", name,
                           value, lo, hi);
    *out = v;
    return OPTML_OK;
}

static int supports(const char *const *types, const char *t)
{
    for (size_t i = 0; types && types[i]; i++)
        if (strcasecmp(types[i], t) == 0)
            return 1;
    return 0;
}

optml_status rt_serve_config_from_env(optml_ctx *ctx, const struct optml_algorithm *alg,
                                      struct rt_serve_config *c)
{
    memset(c, 0, sizeof(*c));
    long v;
    optml_status s;
    const char *e;
    c->port = 8080;
    if ((e = env2("SAGEMAKER_BIND_TO_PORT", NULL))) {
        if ((s = env_long(ctx, "SAGEMAKER_BIND_TO_PORT", e, 1, 65535, &v)) != OPTML_OK)
            return s;
        c->port = (unsigned)v;
    }
    /* OPTML_BIND_ADDRESS: one address to listen on (an IPv4 or IPv6
     * literal) instead of every interface, e.g. 127.0.0.1 behind a proxy. */
    if ((e = getenv("OPTML_BIND_ADDRESS")) && *e) {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&c->bind_addr;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&c->bind_addr;
        if (strlen(e) < sizeof(c->bind_text) && inet_pton(AF_INET, e, &a4->sin_addr) == 1) {
            a4->sin_family = AF_INET;
            a4->sin_port = htons((uint16_t)c->port);
        } else if (strlen(e) < sizeof(c->bind_text) && inet_pton(AF_INET6, e, &a6->sin6_addr) == 1) {
            a6->sin6_family = AF_INET6;
            a6->sin6_port = htons((uint16_t)c->port);
            c->bind_ipv6 = 1;
        } else {
            return optml_error(ctx, OPTML_E_CLIENT,
                               "OPTML_BIND_ADDRESS='%.80s' is not an IPv4 or IPv6 address (e.g. 127.0.0.1, ::1); "
                               "unset it to listen on every interface",
                               e);
        }
        c->has_bind_addr = 1;
        snprintf(c->bind_text, sizeof(c->bind_text), "%s", e);
    }
    c->workers = optml_cpu_count();
    if ((e = env2("SAGEMAKER_MODEL_SERVER_WORKERS", "MODEL_SERVER_WORKERS"))) {
        if ((s = env_long(ctx, "SAGEMAKER_MODEL_SERVER_WORKERS", e, 1, 1024, &v)) != OPTML_OK)
            return s;
        c->workers = (int)v;
    }
    c->timeout_s = 60;
    if ((e = env2("SAGEMAKER_MODEL_SERVER_TIMEOUT", "MODEL_SERVER_TIMEOUT"))) {
        char *end = NULL;
        double t = strtod(e, &end);
        if (end == e || *end || !(t > 0 && t <= 86400))
            return optml_error(ctx, OPTML_E_CLIENT,
                               "SAGEMAKER_MODEL_SERVER_TIMEOUT='%s' must be a number of seconds in (0, 86400]", e);
        c->timeout_s = t;
    }
    c->max_payload_mb = 6;
    if ((e = env2("SAGEMAKER_MAX_PAYLOAD_IN_MB", NULL))) {
        if ((s = env_long(ctx, "SAGEMAKER_MAX_PAYLOAD_IN_MB", e, 1, 100, &v)) != OPTML_OK)
            return s;
        c->max_payload_mb = (int)v;
    }
    c->max_body = (size_t)c->max_payload_mb << 20;
    c->max_concurrent = c->workers;
    if ((e = env2("SAGEMAKER_MAX_CONCURRENT_TRANSFORMS", NULL))) {
        if ((s = env_long(ctx, "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS", e, 1, 1024, &v)) != OPTML_OK)
            return s;
        c->max_concurrent = (int)v;
    }
    c->batch_strategy = "MultiRecord";
    if ((e = env2("SAGEMAKER_BATCH_STRATEGY", NULL))) {
        if (strcasecmp(e, "SINGLE_RECORD") == 0 || strcasecmp(e, "SingleRecord") == 0)
            c->batch_strategy = "SingleRecord";
        else if (strcasecmp(e, "MULTI_RECORD") != 0 && strcasecmp(e, "MultiRecord") != 0)
            return optml_error(ctx, OPTML_E_CLIENT,
                               "SAGEMAKER_BATCH_STRATEGY='%s' must be MULTI_RECORD or SINGLE_RECORD", e);
    }
    e = env2("SAGEMAKER_MULTI_MODEL", NULL);
    c->multi_model = e && (strcasecmp(e, "true") == 0 || strcmp(e, "1") == 0);
    const char *fallback = alg->default_accept ? alg->default_accept
                           : alg->response_types && alg->response_types[0] ? alg->response_types[0]
                                                                           : "application/json";
    e = env2("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", NULL);
    if (e && !supports(alg->response_types, e)) {
        rt_log(OPTML_LOG_WARNING, "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT='%s' is not a type %s returns; using %s",
               e, alg->name, fallback);
        e = NULL;
    }
    snprintf(c->default_accept, sizeof(c->default_accept), "%s", e ? e : fallback);
    for (char *p = c->default_accept; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    c->idle_timeout_s = 60;
    if ((e = env2("OPTML_HTTP_IDLE_TIMEOUT", NULL))) {
        if ((s = env_long(ctx, "OPTML_HTTP_IDLE_TIMEOUT", e, 1, 3600, &v)) != OPTML_OK)
            return s;
        c->idle_timeout_s = (unsigned)v;
    }
    e = env2("OPTML_ACCESS_LOG", NULL);
    c->access_log = !(e && (strcmp(e, "0") == 0 || strcasecmp(e, "false") == 0 || strcasecmp(e, "off") == 0));
    c->max_connections = 1024;
    if ((e = env2("OPTML_HTTP_MAX_CONNECTIONS", NULL))) {
        if ((s = env_long(ctx, "OPTML_HTTP_MAX_CONNECTIONS", e, 1, 100000, &v)) != OPTML_OK)
            return s;
        c->max_connections = (unsigned)v;
    }
    /* One address may hold at most half the slots by default, so a single
     * client can never take them all (on SageMaker all traffic comes from
     * the platform's front end: keep this high). */
    c->max_per_client = c->max_connections > 1 ? c->max_connections / 2 : 1;
    if ((e = env2("OPTML_HTTP_MAX_CONNECTIONS_PER_CLIENT", NULL))) {
        if ((s = env_long(ctx, "OPTML_HTTP_MAX_CONNECTIONS_PER_CLIENT", e, 0, 100000, &v)) != OPTML_OK)
            return s;
        c->max_per_client = (unsigned)v;
    }
    c->header_timeout_s = 20;
    if ((e = env2("OPTML_HTTP_HEADER_TIMEOUT", NULL))) {
        if ((s = env_long(ctx, "OPTML_HTTP_HEADER_TIMEOUT", e, 1, 3600, &v)) != OPTML_OK)
            return s;
        c->header_timeout_s = (unsigned)v;
    }
    c->min_body_rate = 1024;
    if ((e = env2("OPTML_HTTP_MIN_BODY_RATE", NULL))) {
        if ((s = env_long(ctx, "OPTML_HTTP_MIN_BODY_RATE", e, 0, 1000000000, &v)) != OPTML_OK)
            return s;
        c->min_body_rate = (unsigned)v;
    }
    return OPTML_OK;
}

/* A request's media types reach the module as indexes into its lists: a
 * module that serves declares at least one type of each, and its
 * default_accept is one of its response types. */
static optml_status check_media_types(optml_ctx *ctx, const struct optml_algorithm *alg)
{
    if (!alg->request_types || !alg->request_types[0] || !alg->response_types || !alg->response_types[0])
        return optml_error(ctx, OPTML_E_INTERNAL,
                           "module %s cannot serve: it declares no request_types or no response_types",
                           alg->name);
    for (size_t i = 0; alg->default_accept && alg->response_types[i]; i++)
        if (strcmp(alg->response_types[i], alg->default_accept) == 0)
            return OPTML_OK;
    if (alg->default_accept)
        return optml_error(ctx, OPTML_E_INTERNAL,
                           "module %s cannot serve: its default_accept '%s' is not one of its response_types",
                           alg->name, alg->default_accept);
    return OPTML_OK;
}

/* OpenBLAS must not start its own threads in every worker: the workers are
 * the parallelism.  The module is dlopen'ed RTLD_LOCAL, so its OpenBLAS is
 * found through the module's handle (dlsym searches the module's
 * dependencies), not RTLD_DEFAULT, which sees only the global scope. */
static void one_blas_thread_per_worker(void *module_handle)
{
    void *sym = module_handle ? dlsym(module_handle, "openblas_set_num_threads") : NULL;
    if (!sym)
        sym = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    if (sym) {
        void (*set)(int) = (void (*)(int))sym;
        set(1);
        rt_log(OPTML_LOG_INFO, "OpenBLAS: one thread in each worker (the workers are the parallelism)");
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = 0;
    rt_log(OPTML_LOG_DEBUG, "libmicrohttpd: %s", msg);
}

static void *load_single_model(void *arg)
{
    struct rt_server *srv = arg;
    struct rt_model *m = rt_models_get(&srv->models, "model");
    if (!m)
        return NULL;
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ctx.alg = srv->alg;
    rt_models_load(&srv->models, &ctx, m);
    rt_models_release(&srv->models, m);
    return NULL;
}

static optml_status start_daemon(optml_ctx *ctx, struct rt_server *srv)
{
    /* poll(), not epoll: with epoll libmicrohttpd noticed a client that
     * closed mid-body only at the idle timeout, holding a request open. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | (srv->cfg.bind_ipv6 ? MHD_USE_IPv6 : 0);
    /* MHD_OPTION_SOCK_ADDR with a NULL address is ignored: every interface. */
    const struct sockaddr *addr = srv->cfg.has_bind_addr ? (const struct sockaddr *)&srv->cfg.bind_addr : NULL;
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)srv->cfg.port, NULL, NULL, rt_serve_access, srv,
        MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, rt_serve_completed, srv,
        MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg.idle_timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, srv->cfg.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->cfg.max_per_client,
        MHD_OPTION_NOTIFY_CONNECTION, rt_deadlines_notify, &srv->deadlines,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
        MHD_OPTION_END);
    if (!srv->daemon)
        return optml_error(ctx, OPTML_E_IO, "cannot listen on %s port %u: %s",
                           srv->cfg.has_bind_addr ? srv->cfg.bind_text : "every interface,", srv->cfg.port,
                           strerror(errno ? errno : EADDRINUSE));
    return OPTML_OK;
}

/* Stop accepting, let requests in flight finish (at most DRAIN_SECONDS). */
static void drain(struct rt_server *srv)
{
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    double give_up = rt_now() + DRAIN_SECONDS;
    int left;
    while ((left = __atomic_load_n(&srv->in_flight, __ATOMIC_SEQ_CST)) > 0 && rt_now() < give_up) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        rt_deadlines_sweep(&srv->deadlines);
    }
    if (left > 0)
        rt_log(OPTML_LOG_WARNING, "%d requests still open after %.0f s: closing them", left, DRAIN_SECONDS);
}

int rt_serve_main(void)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_server srv;
    memset(&srv, 0, sizeof(srv));
    struct rt_module mod;
    memset(&mod, 0, sizeof(mod));
    struct rt_paths paths;
    memset(&paths, 0, sizeof(paths));
    pthread_t loader;
    int have_loader = 0, code = 0;

    optml_status s = rt_paths_init(&ctx, &paths);
    if (s == OPTML_OK)
        s = rt_module_find(&ctx, &mod);
    if (s == OPTML_OK) {
        srv.alg = ctx.alg = mod.alg;
        rt_log(OPTML_LOG_INFO, "optml %s: serving with module %s %s (%s, module API %d.%d)", OPTML_VERSION,
               mod.alg->name, mod.alg->version ? mod.alg->version : "", mod.path, mod.alg->api_version,
               mod.alg->api_minor);
        s = rt_serve_config_from_env(&ctx, mod.alg, &srv.cfg);
    }
    if (s == OPTML_OK && (!mod.alg->model_load || !mod.alg->predict))
        s = optml_error(&ctx, OPTML_E_INTERNAL, "module %s cannot serve: it has no model_load/predict",
                        mod.alg->name);
    if (s == OPTML_OK)
        s = check_media_types(&ctx, mod.alg);
    if (s != OPTML_OK) {
        rt_log(OPTML_LOG_ERROR, "%s: %s", rt_status_failure_prefix(s), ctx.errmsg);
        rt_paths_free(&paths);
        rt_module_release(&mod);
        return rt_status_exit_code(s);
    }
    one_blas_thread_per_worker(mod.handle);
    /* Copies of model.tar.gz a killed server left; then, in multi-model mode,
     * every archive is unpacked privately (never into the shared directory
     * two loads may name at once). */
    rt_model_dir_remove_stale();
    rt_models_init(&srv.models, srv.alg, srv.cfg.multi_model ? rt_models_default_budget() : 0,
                   srv.cfg.multi_model ? RT_UNPACK_PRIVATE : RT_UNPACK_IN_PLACE_FIRST);
    rt_deadlines_init(&srv.deadlines, srv.cfg.header_timeout_s, srv.cfg.min_body_rate, srv.cfg.idle_timeout_s);
    srv.pool = rt_pool_new(srv.cfg.workers);
    if (!srv.pool)
        s = optml_error(&ctx, OPTML_E_NOMEM, "cannot start %d worker threads", srv.cfg.workers);
    if (s == OPTML_OK)
        s = start_daemon(&ctx, &srv);
    if (s == OPTML_OK) {
        rt_log(OPTML_LOG_INFO,
               "optml %s serving module %s %s on %s port %u: model %s, %d workers, %g s timeout, "
               "%zu-byte bodies, default Accept %s%s",
               OPTML_VERSION, srv.alg->name, srv.alg->version ? srv.alg->version : "",
               srv.cfg.has_bind_addr ? srv.cfg.bind_text : "every interface,", srv.cfg.port,
               srv.cfg.multi_model ? "(multi-model mode)" : paths.model_dir, srv.cfg.workers,
               srv.cfg.timeout_s, srv.cfg.max_body, srv.cfg.default_accept,
               srv.cfg.multi_model ? ", multi-model mode" : "");
        char per_client[32] = "any number";
        if (srv.cfg.max_per_client)
            snprintf(per_client, sizeof(per_client), "%u", srv.cfg.max_per_client);
        rt_log(OPTML_LOG_INFO,
               "Connections: at most %u, %s per client address, closed after %u s idle; request headers "
               "within %u s; bodies at %u bytes/s or more (0: no minimum)",
               srv.cfg.max_connections, per_client, srv.cfg.idle_timeout_s, srv.cfg.header_timeout_s,
               srv.cfg.min_body_rate);
        if (srv.cfg.multi_model) {
            rt_log(OPTML_LOG_INFO, "Multi-model budget: %llu MB (OPTML_MME_MEMORY_MB)",
                   (unsigned long long)(srv.models.budget >> 20));
        } else {
            struct rt_model *m = NULL;
            s = rt_models_add(&srv.models, &ctx, "model", paths.model_dir, &m);
            if (s == OPTML_OK) {
                rt_models_release(&srv.models, m);
                have_loader = pthread_create(&loader, NULL, load_single_model, &srv) == 0;
            } else {
                /* Keep serving /ping with the reason instead of exiting. */
                rt_log(OPTML_LOG_ERROR, "cannot load the model: %s", ctx.errmsg);
                rt_models_add_failed(&srv.models, "model", paths.model_dir, ctx.errmsg);
                s = OPTML_OK;
            }
        }
    }
    if (s != OPTML_OK) {
        rt_log(OPTML_LOG_ERROR, "%s: %s", rt_status_failure_prefix(s), ctx.errmsg);
        code = rt_status_exit_code(s);
    } else {
        while (!rt_stop_requested()) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
            rt_deadlines_sweep(&srv.deadlines);
        }
        rt_log(OPTML_LOG_INFO, "Stop requested: finishing requests in flight");
        drain(&srv);
    }
    if (srv.daemon)
        MHD_stop_daemon(srv.daemon);
    rt_deadlines_deinit(&srv.deadlines);
    if (have_loader)
        pthread_join(loader, NULL);
    rt_pool_free(srv.pool);
    rt_models_deinit(&srv.models);
    rt_model_dir_cleanup();
    rt_paths_free(&paths);
    rt_module_release(&mod); /* the library itself stays loaded */
    rt_log(OPTML_LOG_INFO, "Server stopped");
    return code;
}
