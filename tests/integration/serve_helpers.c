/*
 * serve_helpers.c: see serve_helpers.h.
 */
#define _GNU_SOURCE
#include "serve_helpers.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/harness.h"
#include "train_helpers.h"

double serve_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *serve_trained_tree(void)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_file(base, "input/data/train/a.csv", "1,2,3\n4,5,6\n7,8,9\n", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "optml train failed (exit %d):\n%s", r.exit_code, r.output);
    free(r.output);
    if (!tree_has(base, "model/echo.model"))
        test_fail(__FILE__, __LINE__, "optml train wrote no model/echo.model in %s", base);
    return base;
}

/* Variables that change how serve behaves: never inherit them from the
 * environment the tests run in. */
static const char *const serve_vars[] = {
    "SAGEMAKER_BIND_TO_PORT", "SAGEMAKER_MODEL_SERVER_WORKERS", "MODEL_SERVER_WORKERS",
    "SAGEMAKER_MODEL_SERVER_TIMEOUT", "MODEL_SERVER_TIMEOUT", "SAGEMAKER_MAX_PAYLOAD_IN_MB",
    "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "SAGEMAKER_MULTI_MODEL", "SAGEMAKER_BATCH_STRATEGY",
    "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS", "SAGEMAKER_BATCH", "OPTML_MME_MEMORY_MB",
    "SAGEMAKER_MODEL_SERVER_TIMEOUT_SECONDS", NULL};

/* Reap without blocking; 1 when the process has exited. */
static int reap_nohang(struct served *s)
{
    if (s->reaped)
        return 1;
    int status = 0;
    pid_t r = waitpid(s->pid, &status, WNOHANG);
    if (r == s->pid || (r < 0 && errno == ECHILD)) {
        s->reaped = 1;
        if (r == s->pid) {
            s->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            s->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        } else {
            s->exit_code = -1;
        }
        return 1;
    }
    return 0;
}

int serve_running(struct served *s)
{
    return s && !reap_nohang(s);
}

char *serve_log_text(const struct served *s)
{
    char *t = s && s->log ? read_file(s->log, NULL) : NULL;
    return t ? t : strdup("");
}

static pid_t spawn_serve(struct served *s, const char *const *extra)
{
    const char *env[64];
    size_t n = 0;
    env[n++] = strf("SAGEMAKER_BASE_DIR=%s", s->base);
    env[n++] = strf("OPTML_MODULE_PATH=%s/tests/modules", build_dir());
    env[n++] = "OPTML_ALGORITHM=echo";
    env[n++] = strf("SAGEMAKER_BIND_TO_PORT=%d", s->port);
    for (size_t i = 0; extra && extra[i] && n < 63; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    const char *args[] = {"serve", NULL};
    return spawn_optml(args, env, s->log);
}

struct served *serve_start(const char *base, const char *const *extra)
{
    for (size_t i = 0; serve_vars[i]; i++)
        unsetenv(serve_vars[i]);
    struct served *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    s->base = strdup(base);
    for (int attempt = 0; attempt < 3; attempt++) {
        s->port = http_free_port();
        if (s->port <= 0)
            test_fail(__FILE__, __LINE__, "no free port");
        free(s->log);
        s->log = strf("%s/serve-%d.log", base, attempt);
        s->reaped = 0;
        s->pid = spawn_serve(s, extra);
        if (s->pid <= 0)
            test_fail(__FILE__, __LINE__, "fork failed");
        double end = serve_now() + 15.0;
        while (serve_now() < end) {
            struct http_conn *c = http_connect(s->port, 250);
            if (c) {
                http_close(c);
                return s;
            }
            if (reap_nohang(s))
                break;
            usleep(20000);
        }
        if (!s->reaped) {
            serve_fail(s, NULL, __FILE__, __LINE__, "optml serve did not accept connections on port %d within 15 s",
                       s->port);
        }
        char *log = serve_log_text(s);
        int port_taken = strcasestr(log, "in use") != NULL;
        if (!port_taken || attempt == 2)
            test_fail(__FILE__, __LINE__, "optml serve exited (code %d, signal %d) before accepting connections:\n%s",
                      s->exit_code, s->signal, log);
        free(log);
    }
    test_fail(__FILE__, __LINE__, "optml serve could not start");
}

struct served *serve_start_ready(const char *base, const char *const *extra)
{
    struct served *s = serve_start(base, extra);
    double end = serve_now() + 20.0;
    int st = 0;
    while (serve_now() < end) {
        struct http_response *r = http_request(s->port, "GET", "/ping", NULL, NULL, 0, 2000);
        st = r->status;
        http_response_free(r);
        if (st == 200)
            return s;
        if (!serve_running(s))
            serve_fail(s, NULL, __FILE__, __LINE__, "optml serve exited while waiting for /ping 200");
        usleep(50000);
    }
    serve_fail(s, NULL, __FILE__, __LINE__, "GET /ping never answered 200 within 20 s (last status %d)", st);
}

int serve_terminate(struct served *s, int timeout_s)
{
    if (!s)
        return -1;
    if (reap_nohang(s))
        return s->exit_code;
    kill(s->pid, SIGTERM);
    double end = serve_now() + timeout_s;
    while (serve_now() < end) {
        if (reap_nohang(s))
            return s->exit_code;
        usleep(10000);
    }
    kill(s->pid, SIGKILL);
    int status = 0;
    waitpid(s->pid, &status, 0);
    s->reaped = 1;
    s->exit_code = -1;
    s->signal = SIGKILL;
    return -1;
}

void serve_stop(struct served *s)
{
    int code = serve_terminate(s, 15);
    if (code != 0)
        serve_fail(s, NULL, __FILE__, __LINE__,
                   "optml serve did not exit 0 after SIGTERM: exit code %d, signal %d", code, s->signal);
}

void serve_kill(struct served *s)
{
    if (!s || reap_nohang(s))
        return;
    kill(s->pid, SIGKILL);
    int status = 0;
    waitpid(s->pid, &status, 0);
    s->reaped = 1;
    s->exit_code = -1;
    s->signal = SIGKILL;
}

void serve_fail(struct served *s, const struct http_response *r, const char *file, int line,
                const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (r) {
        const char *ct = http_header_get(r, "Content-Type");
        fprintf(stderr, "    response: status %d, Content-Type %s, error \"%s\", body (%zu bytes): %.600s\n",
                r->status, ct ? ct : "(none)", r->error, r->body_len, r->body ? r->body : "");
    }
    if (s) {
        serve_kill(s);
        char *log = serve_log_text(s);
        size_t n = strlen(log);
        const char *tail = n > 3000 ? log + n - 3000 : log;
        fprintf(stderr, "    --- optml serve (port %d, exit %d, signal %d) log tail:\n%s\n    ---\n",
                s->port, s->exit_code, s->signal, tail);
        free(log);
    }
    test_fail(file, line, "%s", msg);
}

void expect_status_(struct served *s, const struct http_response *r, int code, const char *file, int line)
{
    if (!r || r->status != code)
        serve_fail(s, r, file, line, "expected status %d, got %d%s%s", code, r ? r->status : -1,
                   r && r->error[0] ? ": " : "", r ? r->error : "");
}

json_t *expect_json_(struct served *s, const struct http_response *r, const char *file, int line)
{
    const char *ct = r ? http_header_get(r, "Content-Type") : NULL;
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] != 0 && ct[16] != ';' && ct[16] != ' '))
        serve_fail(s, r, file, line, "expected Content-Type application/json, got %s", ct ? ct : "(none)");
    json_error_t err;
    json_t *j = json_loadb(r->body, r->body_len, 0, &err);
    if (!j)
        serve_fail(s, r, file, line, "body is not JSON: %s (line %d, column %d)", err.text, err.line, err.column);
    return j;
}

const char *expect_json_error_(struct served *s, const struct http_response *r, int code,
                               const char *substr, const char *file, int line)
{
    expect_status_(s, r, code, file, line);
    json_t *j = expect_json_(s, r, file, line);
    json_t *e = json_object_get(j, "error");
    json_t *c = json_object_get(j, "code");
    if (!json_is_object(j) || !json_is_string(e))
        serve_fail(s, r, file, line, "error body has no string \"error\"");
    if (!json_is_integer(c) || json_integer_value(c) != code)
        serve_fail(s, r, file, line, "error body has no \"code\": %d", code);
    const char *msg = json_string_value(e);
    if (substr && !strstr(msg, substr))
        serve_fail(s, r, file, line, "error message \"%s\" does not contain \"%s\"", msg, substr);
    return msg;
}

struct http_response *serve_invoke_at(const struct served *s, const char *path, const char *content_type,
                                const char *accept, const char *attrs, const void *body, size_t len)
{
    const char *h[4];
    size_t n = 0;
    if (content_type)
        h[n++] = strf("Content-Type: %s", content_type);
    if (accept)
        h[n++] = strf("Accept: %s", accept);
    if (attrs)
        h[n++] = strf("X-Amzn-SageMaker-Custom-Attributes: %s", attrs);
    h[n] = NULL;
    struct http_response *r = http_request(s->port, "POST", path, h, body, len, 30000);
    for (size_t i = 0; i < n; i++)
        free((char *)h[i]);
    return r;
}

struct http_response *serve_invoke(const struct served *s, const char *content_type, const char *accept,
                             const char *attrs, const void *body, size_t len)
{
    return serve_invoke_at(s, "/invocations", content_type, accept, attrs, body, len);
}

struct http_response *serve_get(const struct served *s, const char *path)
{
    return http_request(s->port, "GET", path, NULL, NULL, 0, 10000);
}

struct http_response *serve_call(const struct served *s, const char *method, const char *path,
                                 const char *json_body)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    return http_request(s->port, method, path, json_body ? h : NULL, json_body,
                        json_body ? strlen(json_body) : 0, 10000);
}

char *serve_pred_bytes(json_t *j)
{
    json_t *p = json_object_get(j, "predictions");
    if (!json_is_array(p))
        return NULL;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        abort();
    for (size_t i = 0; i < json_array_size(p); i++) {
        json_t *b = json_object_get(json_array_get(p, i), "bytes");
        if (json_is_integer(b))
            fprintf(f, "%s%lld", i ? "," : "", (long long)json_integer_value(b));
        else
            fprintf(f, "%s?", i ? "," : "");
    }
    fclose(f);
    return out;
}

const char *serve_json_str(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

long long serve_json_int(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -999999;
}

int serve_type_is(const struct http_response *r, const char *type)
{
    const char *ct = http_header_get(r, "Content-Type");
    size_t n = strlen(type);
    return ct && strncasecmp(ct, type, n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}
