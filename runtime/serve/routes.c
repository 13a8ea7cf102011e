/*
 * routes.c: the HTTP side of `optml serve`: the per-connection state
 * machine (first call: set up and check Content-Length; middle calls: append
 * the body up to the limit, a chunked body past it cut with a 413; last call:
 * route), which tells the connection deadlines (deadlines.h) where each
 * request is; the handlers; and the route table ROUTES (method, path with an
 * optional {name} segment, the servers it exists in, handler) that route()
 * alone dispatches on.  Errors that are an
 * optml_status get the status table's HTTP code.  Predictions and model
 * loads run in the worker pool while the connection is suspended, so the
 * I/O thread keeps answering /ping.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "core/clock.h"
#include "core/ctx.h"
#include "core/log.h"
#include "serve/negotiate.h"
#include "serve/response.h"
#include "serve/serve.h"

#define SINGLE_MODEL "model"

enum work_kind { WORK_PREDICT, WORK_LOAD };

struct server_work {
    struct rt_work w;               /* first: the pool sees this */
    enum work_kind kind;
    struct rt_server *srv;
    struct MHD_Connection *conn;
    struct rt_model *model;         /* referenced */
    unsigned char *body;            /* owned: the request body */
    size_t len;
    struct rt_media_choice content_type, accept;
    char *custom_attributes;
    struct optml_response resp;
    optml_status status;
};

struct request {
    struct rt_server *srv;
    struct MHD_Connection *conn;
    uint64_t id;                    /* for the access log and X-Request-Id */
    double start;                   /* monotonic seconds at the first byte */
    char method[16];
    char path[256];
    unsigned status;                /* of the queued response */
    size_t bytes;                   /* body bytes sent */
    unsigned char *body;
    size_t len, cap;
    int too_large;
    int cut;                        /* a chunked body cut at the limit (413 written directly) */
    struct server_work *work;       /* set while a worker has it */
};

/* ---- responses ---- */

static enum MHD_Result send_buffer(struct request *rq, unsigned code, char *body, size_t len,
                                   const char *type, const char *custom_attributes)
{
    struct MHD_Connection *conn = rq->conn;
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (custom_attributes)
        MHD_add_response_header(r, "X-Amzn-SageMaker-Custom-Attributes", custom_attributes);
    char id[24];
    snprintf(id, sizeof(id), "%llu", (unsigned long long)rq->id);
    MHD_add_response_header(r, "X-Request-Id", id);
    rq->status = code;
    rq->bytes = len;
    enum MHD_Result ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* Send `doc` (reference stolen) as JSON. */
static enum MHD_Result send_json(struct request *rq, unsigned code, json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (!text)
        return MHD_NO;
    return send_buffer(rq, code, text, strlen(text), "application/json", NULL);
}

/* The JSON error body {"error": msg, "code": code}.  The reason is logged:
 * 5xx at WARNING (ours), 4xx at INFO (the client's: the endpoint's owner
 * sees why a caller was refused without turning on debug logs). */
static enum MHD_Result send_error_body(struct request *rq, unsigned code, const char *msg)
{
    if (code >= 500)
        rt_log(OPTML_LOG_WARNING, "HTTP %u: %s", code, msg);
    else
        rt_log(OPTML_LOG_INFO, "HTTP %u: %s", code, msg);
    return send_json(rq, code, json_pack("{s:s, s:i}", "error", msg, "code", (int)code));
}

/* An error that is an optml_status: the HTTP code is the status table's
 * (OPTML_STATUS_MAP), never chosen here. */
static unsigned status_http(optml_status s)
{
    int code = optml_status_http(s);
    return code < 400 ? 500u : (unsigned)code;
}

static enum MHD_Result send_status_error(struct request *rq, optml_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result send_status_error(struct request *rq, optml_status s, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return send_error_body(rq, status_http(s), msg);
}

/* The status with the message recorded in ctx (or the status's text). */
static enum MHD_Result send_status(struct request *rq, const optml_ctx *ctx, optml_status s)
{
    return send_error_body(rq, status_http(s), ctx->errmsg[0] ? ctx->errmsg : optml_status_text(s));
}

/* An answer of the HTTP layer itself, with no status behind it: a method
 * the route does not take (405), a model still loading (503 / 429), a
 * single-model server whose model failed to load (500: the server is
 * unhealthy, whatever the cause). */
static enum MHD_Result send_http_error(struct request *rq, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result send_http_error(struct request *rq, unsigned code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return send_error_body(rq, code, msg);
}

/* A chunked body passed the limit.  libmicrohttpd (0.9.75) takes a
 * response only before the body or after all of it (MHD_queue_response
 * refuses one in between), and reading on to the end of a body that need
 * never end is no answer.  So the 413 with its JSON body is written on the
 * socket here, from libmicrohttpd's own thread and before anything else was
 * sent, and the caller closes the connection (MHD_NO): the rest of the body
 * is never read. */
static enum MHD_Result refuse_rest_of_body(struct request *rq, const char *version)
{
    struct rt_server *srv = rq->srv;
    char msg[256];
    snprintf(msg, sizeof(msg),
             "the body passed the limit of %zu bytes (SAGEMAKER_MAX_PAYLOAD_IN_MB): the rest was not read",
             srv->cfg.max_body);
    rt_log(OPTML_LOG_INFO, "HTTP 413: %s", msg);
    json_t *doc = json_pack("{s:s, s:i}", "error", msg, "code", MHD_HTTP_CONTENT_TOO_LARGE);
    char *body = doc ? json_dumps(doc, JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (body && ci) {
        char head[512];
        int n = snprintf(head, sizeof(head),
                         "%s 413 %s\r\nConnection: close\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\nX-Request-Id: %llu\r\n\r\n",
                         version && strcmp(version, "HTTP/1.0") == 0 ? "HTTP/1.0" : "HTTP/1.1",
                         MHD_get_reason_phrase_for(MHD_HTTP_CONTENT_TOO_LARGE), strlen(body),
                         (unsigned long long)rq->id);
        struct iovec iov[2] = {{head, (size_t)n}, {body, strlen(body)}};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
        /* A few hundred bytes on a socket that has sent nothing: the send
         * buffer takes them at once (a short write just loses the answer). */
        if (sendmsg(ci->connect_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
            shutdown(ci->connect_fd, SHUT_WR);
    }
    rq->status = MHD_HTTP_CONTENT_TOO_LARGE;
    rq->bytes = body ? strlen(body) : 0;
    rq->cut = 1;
    free(body);
    rt_deadlines_answering(&srv->deadlines, rq->conn);
    return MHD_NO;
}

/* ---- work items ---- */

static void work_finished(struct rt_work *w)
{
    struct server_work *sw = (struct server_work *)w;
    MHD_resume_connection(sw->conn);
}

static void work_destroy(struct rt_work *w)
{
    struct server_work *sw = (struct server_work *)w;
    if (sw->model)
        rt_models_release(&sw->srv->models, sw->model);
    rt_response_deinit(&sw->resp);
    free(sw->body);
    free(sw->custom_attributes);
    free(sw);
}

static void run_predict(struct rt_work *w)
{
    struct server_work *sw = (struct server_work *)w;
    struct optml_request req = {
        .body = sw->body,
        .len = sw->len,
        .content_index = sw->content_type.index,
        .accept_index = sw->accept.index,
        .content_type = {sw->content_type.type, sw->content_type.params},
        .accept = {sw->accept.type, sw->accept.params},
        .custom_attributes = sw->custom_attributes,
    };
    sw->status = sw->srv->alg->predict(&w->ctx, sw->model->model, &req, &sw->resp);
}

static void run_load(struct rt_work *w)
{
    struct server_work *sw = (struct server_work *)w;
    sw->status = rt_models_load(&sw->srv->models, &w->ctx, sw->model);
}

static struct server_work *work_new(struct rt_server *srv, struct MHD_Connection *conn,
                                    enum work_kind kind, struct rt_model *model)
{
    struct server_work *sw = calloc(1, sizeof(*sw));
    if (!sw)
        return NULL;
    sw->w.run = kind == WORK_PREDICT ? run_predict : run_load;
    sw->w.finished = work_finished;
    sw->w.destroy = work_destroy;
    sw->w.refs = 1; /* the connection's */
    rt_ctx_init(&sw->w.ctx);
    sw->w.ctx.alg = srv->alg;
    sw->kind = kind;
    sw->srv = srv;
    sw->conn = conn;
    sw->model = model;
    rt_response_init(&sw->resp);
    return sw;
}

static enum MHD_Result submit(struct request *rq, struct server_work *sw, double timeout_s)
{
    sw->w.deadline = timeout_s > 0 ? rt_now() + timeout_s : 0;
    rq->work = sw;
    MHD_suspend_connection(sw->conn);
    rt_pool_submit(rq->srv->pool, &sw->w);
    return MHD_YES;
}

/* The connection was resumed: answer from the finished work item. */
static enum MHD_Result answer_work(struct request *rq)
{
    struct server_work *sw = rq->work;
    struct rt_server *srv = rq->srv;
    if (rt_work_state(srv->pool, &sw->w) == RT_WORK_TIMED_OUT) {
        if (sw->kind == WORK_PREDICT)
            return send_status_error(rq, OPTML_E_TIMEOUT,
                              "the prediction did not finish within %g s (SAGEMAKER_MODEL_SERVER_TIMEOUT)",
                              srv->cfg.timeout_s);
        return send_status_error(rq, OPTML_E_TIMEOUT, "timed out");
    }
    if (sw->kind == WORK_LOAD) {
        if (sw->status != OPTML_OK) {
            rt_models_remove(&srv->models, sw->model->name);
            return send_status(rq, &sw->w.ctx, sw->status);
        }
        return send_json(rq, MHD_HTTP_OK, json_pack("{s:s, s:s}", "status", "loaded", "modelName",
                                                      sw->model->name));
    }
    if (sw->status != OPTML_OK)
        return send_status(rq, &sw->w.ctx, sw->status);
    char *body = sw->resp.body ? sw->resp.body : strdup("");
    sw->resp.body = NULL;
    return send_buffer(rq, MHD_HTTP_OK, body, sw->resp.len,
                       sw->resp.content_type ? sw->resp.content_type : sw->accept.type,
                       sw->resp.custom_attributes);
}

/* ---- handlers: each takes the request and the path's {name} segment
 * (NULL when its route has none) ---- */

static const char *header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result handle_ping(struct request *rq, const char *name)
{
    struct rt_server *srv = rq->srv;
    if (srv->cfg.multi_model)
        return send_json(rq, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
    struct rt_model *m = rt_models_get(&srv->models, SINGLE_MODEL);
    enum MHD_Result r;
    if (!m)
        r = send_json(rq, MHD_HTTP_SERVICE_UNAVAILABLE, json_pack("{s:s}", "status", "loading"));
    else if (m->state == RT_MODEL_READY)
        r = send_json(rq, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
    else if (m->state == RT_MODEL_LOADING)
        r = send_json(rq, MHD_HTTP_SERVICE_UNAVAILABLE, json_pack("{s:s}", "status", "loading"));
    else
        r = send_json(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
                      json_pack("{s:s, s:s}", "status", "failed", "error", m->error));
    rt_models_release(&srv->models, m);
    return r;
}

static enum MHD_Result handle_execution_parameters(struct request *rq, const char *name)
{
    const struct rt_serve_config *c = &rq->srv->cfg;
    return send_json(rq, MHD_HTTP_OK,
                     json_pack("{s:i, s:s, s:i}", "MaxConcurrentTransforms", c->max_concurrent,
                               "BatchStrategy", c->batch_strategy, "MaxPayloadInMB", c->max_payload_mb));
}

static enum MHD_Result handle_predict(struct request *rq, const char *name)
{
    struct rt_server *srv = rq->srv;
    struct rt_model *m = rt_models_get(&srv->models, name);
    if (!m || m->state != RT_MODEL_READY) {
        enum MHD_Result r;
        if (srv->cfg.multi_model && (!m || m->state == RT_MODEL_FAILED))
            r = send_status_error(rq, OPTML_E_NOT_FOUND, "model '%s' is not loaded", name);
        else if (m && m->state == RT_MODEL_FAILED)
            r = send_http_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "the model failed to load: %s", m->error);
        else
            r = send_http_error(rq, srv->cfg.multi_model ? MHD_HTTP_TOO_MANY_REQUESTS : MHD_HTTP_SERVICE_UNAVAILABLE,
                                "model '%s' is still loading", name);
        rt_models_release(&srv->models, m);
        return r;
    }
    struct server_work *sw = work_new(srv, rq->conn, WORK_PREDICT, m);
    if (!sw) {
        rt_models_release(&srv->models, m);
        return send_status_error(rq, OPTML_E_NOMEM, "out of memory");
    }
    optml_ctx *ctx = &sw->w.ctx;
    optml_status s = rt_negotiate_content_type(ctx, header(rq->conn, MHD_HTTP_HEADER_CONTENT_TYPE),
                                               srv->alg->request_types, srv->alg->unsupported_media_message,
                                               &sw->content_type);
    if (s == OPTML_OK)
        s = rt_negotiate_accept(ctx, header(rq->conn, MHD_HTTP_HEADER_ACCEPT), srv->alg->response_types,
                                srv->cfg.default_accept, &sw->accept);
    const char *attrs = header(rq->conn, "X-Amzn-SageMaker-Custom-Attributes");
    if (s == OPTML_OK && attrs && !(sw->custom_attributes = strndup(attrs, 1024)))
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    /* An empty body is never a request for nothing: say so, for every
     * module, instead of a parser's message or an empty answer. */
    if (s == OPTML_OK && rq->len == 0)
        s = optml_error(ctx, OPTML_E_CLIENT, "the request body is empty: send one or more records as %s",
                        sw->content_type.type);
    if (s != OPTML_OK) {
        enum MHD_Result r = send_status(rq, ctx, s);
        work_destroy(&sw->w);
        return r;
    }
    sw->body = rq->body; /* the work item owns the body from here */
    sw->len = rq->len;
    rq->body = NULL;
    rq->len = rq->cap = 0;
    return submit(rq, sw, srv->cfg.timeout_s);
}

static enum MHD_Result handle_load(struct request *rq, const char *name)
{
    struct rt_server *srv = rq->srv;
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)rq->body, rq->len, 0, &jerr);
    const char *model_name = NULL, *url = NULL;
    if (!doc || json_unpack(doc, "{s:s, s:s}", "model_name", &model_name, "url", &url) != 0 ||
        !*model_name) {
        json_decref(doc);
        return send_status_error(rq, OPTML_E_CLIENT,
                                 "the body must be {\"model_name\": \"<name>\", \"url\": \"<directory>\"}");
    }
    if (strchr(model_name, '/')) {
        json_decref(doc);
        return send_status_error(rq, OPTML_E_CLIENT, "model_name must not contain '/'");
    }
    struct server_work *sw = work_new(srv, rq->conn, WORK_LOAD, NULL);
    if (!sw) {
        json_decref(doc);
        return send_status_error(rq, OPTML_E_NOMEM, "out of memory");
    }
    optml_status s = rt_models_add(&srv->models, &sw->w.ctx, model_name, url, &sw->model);
    json_decref(doc);
    if (s != OPTML_OK) {
        enum MHD_Result r = send_status(rq, &sw->w.ctx, s); /* 409, 404, 507 */
        work_destroy(&sw->w);
        return r;
    }
    return submit(rq, sw, 0);
}

static enum MHD_Result handle_describe(struct request *rq, const char *name)
{
    struct rt_model *m = rt_models_get(&rq->srv->models, name);
    if (!m)
        return send_status_error(rq, OPTML_E_NOT_FOUND, "model '%s' is not loaded", name);
    enum MHD_Result r = send_json(rq, MHD_HTTP_OK,
                                  json_pack("{s:s, s:s}", "modelName", m->name, "modelUrl", m->url));
    rt_models_release(&rq->srv->models, m);
    return r;
}

static enum MHD_Result handle_unload(struct request *rq, const char *name)
{
    if (rt_models_remove(&rq->srv->models, name) != OPTML_OK)
        return send_status_error(rq, OPTML_E_NOT_FOUND, "model '%s' is not loaded", name);
    rt_log(OPTML_LOG_INFO, "Model '%s' unloaded", name);
    return send_json(rq, MHD_HTTP_OK, json_pack("{s:s, s:s}", "status", "unloaded", "modelName", name));
}

static enum MHD_Result handle_list(struct request *rq, const char *name)
{
    char *text = rt_models_list_json(&rq->srv->models);
    if (!text)
        return send_status_error(rq, OPTML_E_NOMEM, "out of memory");
    return send_buffer(rq, MHD_HTTP_OK, text, strlen(text), "application/json", NULL);
}

static enum MHD_Result handle_invocations(struct request *rq, const char *name)
{
    return handle_predict(rq, SINGLE_MODEL);
}

static enum MHD_Result handle_invocations_multi_model(struct request *rq, const char *name)
{
    return send_status_error(rq, OPTML_E_NOT_FOUND,
                             "multi-model mode: invoke a model with POST /models/<name>/invoke");
}

/* ---- the route table ---- */

/* Route flags: the servers a route exists in, and whether the path may end
 * in one extra '/'. */
#define IN_SINGLE 0x1u       /* the single-model server */
#define IN_MULTI  0x2u       /* SAGEMAKER_MULTI_MODEL=true */
#define IN_BOTH   (IN_SINGLE | IN_MULTI)
#define SLASH_OK  0x4u       /* "/models/" is "/models" */

/* `name` is the path's {name} segment, or NULL when the path has none. */
typedef enum MHD_Result (*route_handler)(struct request *rq, const char *name);

struct route {
    const char *method;
    const char *path;        /* exact, except that "{name}" matches one non-empty segment */
    unsigned flags;
    route_handler handler;
};

/* Every path the server answers.  A path that matches with another method
 * is 405 listing the methods it takes; no match at all is 404. */
static const struct route ROUTES[] = {
    {"GET",    "/ping",                 IN_BOTH,             handle_ping},
    {"HEAD",   "/ping",                 IN_BOTH,             handle_ping},
    {"POST",   "/invocations",          IN_SINGLE,           handle_invocations},
    {"POST",   "/invocations",          IN_MULTI,            handle_invocations_multi_model},
    {"GET",    "/execution-parameters", IN_BOTH,             handle_execution_parameters},
    {"GET",    "/models",               IN_MULTI | SLASH_OK, handle_list},
    {"POST",   "/models",               IN_MULTI | SLASH_OK, handle_load},
    {"GET",    "/models/{name}",        IN_MULTI,            handle_describe},
    {"DELETE", "/models/{name}",        IN_MULTI,            handle_unload},
    {"POST",   "/models/{name}/invoke", IN_MULTI,            handle_predict},
};

#define NAME_SEGMENT "{name}"

/* Whether `url` is route r's path; the {name} segment is copied into
 * name[size] (a longer one does not match). */
static int path_matches(const struct route *r, const char *url, char *name, size_t size)
{
    const char *p = r->path, *u = url;
    name[0] = 0;
    while (*p) {
        if (strncmp(p, NAME_SEGMENT, strlen(NAME_SEGMENT)) == 0) {
            size_t n = strcspn(u, "/");
            if (n == 0 || n >= size)
                return 0;
            memcpy(name, u, n);
            name[n] = 0;
            u += n;
            p += strlen(NAME_SEGMENT);
        } else if (*p++ != *u++) {
            return 0;
        }
    }
    return *u == 0 || ((r->flags & SLASH_OK) && u[0] == '/' && u[1] == 0);
}

/* route r's path as messages show it: "/models/<name>". */
static void shown_path(const struct route *r, char *buf, size_t size)
{
    const char *hole = strstr(r->path, NAME_SEGMENT);
    if (hole)
        snprintf(buf, size, "%.*s<name>%s", (int)(hole - r->path), r->path, hole + strlen(NAME_SEGMENT));
    else
        snprintf(buf, size, "%s", r->path);
}

/* The one dispatcher: the first route whose path and method match. */
static enum MHD_Result route(struct request *rq, const char *url, const char *method)
{
    unsigned mode = rq->srv->cfg.multi_model ? IN_MULTI : IN_SINGLE;
    const struct route *path_only = NULL;
    char name[512], allowed[128] = "";
    for (size_t i = 0; i < OPTML_COUNTOF(ROUTES); i++) {
        const struct route *r = &ROUTES[i];
        if (!(r->flags & mode) || !path_matches(r, url, name, sizeof(name)))
            continue;
        if (strcmp(r->method, method) == 0)
            return r->handler(rq, strstr(r->path, NAME_SEGMENT) ? name : NULL);
        size_t n = strlen(allowed);
        snprintf(allowed + n, sizeof(allowed) - n, "%s%s", n ? " or " : "", r->method);
        path_only = r;
    }
    if (path_only) {
        char shown[64];
        shown_path(path_only, shown, sizeof(shown));
        return send_http_error(rq, MHD_HTTP_METHOD_NOT_ALLOWED, "%.16s %s: use %s", method, shown, allowed);
    }
    return send_status_error(rq, OPTML_E_NOT_FOUND, "no such path: %.200s", url);
}

/* ---- the MHD callbacks ---- */

static int append_body(struct request *rq, const char *data, size_t n)
{
    if (rq->too_large || n > rq->srv->cfg.max_body - rq->len) {
        rq->too_large = 1;
        return 0;
    }
    if (rq->len + n > rq->cap) {
        size_t cap = rq->cap ? rq->cap : 16384;
        while (cap < rq->len + n)
            cap *= 2;
        if (cap > rq->srv->cfg.max_body)
            cap = rq->srv->cfg.max_body;
        unsigned char *grown = realloc(rq->body, cap + 1);
        if (!grown)
            return -1;
        rq->body = grown;
        rq->cap = cap;
    }
    memcpy(rq->body + rq->len, data, n);
    rq->len += n;
    return 0;
}

enum MHD_Result rt_serve_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls)
{
    struct rt_server *srv = cls;
    struct request *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        rq->srv = srv;
        rq->conn = conn;
        rq->id = __atomic_add_fetch(&srv->next_request_id, 1, __ATOMIC_RELAXED);
        rq->start = rt_now();
        snprintf(rq->method, sizeof(rq->method), "%s", method);
        snprintf(rq->path, sizeof(rq->path), "%s", url);
        *con_cls = rq;
        __atomic_add_fetch(&srv->in_flight, 1, __ATOMIC_SEQ_CST);
        rt_deadlines_headers_done(&srv->deadlines, conn);
        const char *cl = header(rq->conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end = NULL;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end != cl && n > srv->cfg.max_body) {
                /* Answered before the body: libmicrohttpd reads none of
                 * it and closes the connection after the 413. */
                rq->too_large = 1;
                rt_deadlines_answering(&srv->deadlines, conn);
                return send_status_error(rq, OPTML_E_TOO_LARGE,
                                  "the body is %llu bytes, over the limit of %zu (SAGEMAKER_MAX_PAYLOAD_IN_MB)",
                                  n, srv->cfg.max_body);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        rt_deadlines_body_bytes(&srv->deadlines, conn, *upload_data_size);
        if (append_body(rq, upload_data, *upload_data_size) != 0)
            return MHD_NO;
        if (rq->too_large)
            return refuse_rest_of_body(rq, version);
        *upload_data_size = 0;
        return MHD_YES;
    }
    rt_deadlines_answering(&srv->deadlines, conn);
    if (rq->work)
        return answer_work(rq);
    if (rq->too_large)
        return send_status_error(rq, OPTML_E_TOO_LARGE, "the body is over the limit of %zu bytes "
                          "(SAGEMAKER_MAX_PAYLOAD_IN_MB)", srv->cfg.max_body);
    if (rq->body)
        rq->body[rq->len] = 0;
    return route(rq, url, method);
}

void rt_serve_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    struct rt_server *srv = cls;
    rt_deadlines_request_done(&srv->deadlines, conn);
    struct request *rq = *con_cls;
    if (!rq)
        return;
    if (srv->cfg.access_log)
        rt_log(OPTML_LOG_INFO, "access: id=%llu %s %s %u %zu bytes %.0f us%s",
               (unsigned long long)rq->id, rq->method, rq->path, rq->status, rq->bytes,
               (rt_now() - rq->start) * 1e6,
               rq->cut ? " (body cut at the limit)"
               : toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
    if (rq->work)
        rt_work_unref(srv->pool, &rq->work->w);
    free(rq->body);
    free(rq);
    *con_cls = NULL;
    __atomic_sub_fetch(&srv->in_flight, 1, __ATOMIC_SEQ_CST);
}
