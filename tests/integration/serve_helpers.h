/*
 * serve_helpers.h: run `optml serve` with the echo module against a
 * temporary /opt/ml tree on a free port, talk to it, check its JSON answers
 * and stop it.
 *
 * A failed check made through the SRV_ / EXPECT_ macros prints what the
 * server answered and the end of its log, kills it, then fails the test.
 * (A plain ASSERT that fails leaves the server to the test runner, which
 * kills the test's whole process group.)
 */
#ifndef OPTML_TEST_SERVE_HELPERS_H
#define OPTML_TEST_SERVE_HELPERS_H

#include <jansson.h>
#include <sys/types.h>

#include "support/http_client.h"
#include "support/support.h"

struct served {
    pid_t pid;
    int port;
    char *base;
    char *log;        /* stdout + stderr of the server */
    int reaped;       /* exited and waited for */
    int exit_code;    /* when reaped: -1 when killed by a signal */
    int signal;
};

/* A fresh /opt/ml tree where `optml train` (echo, 1 epoch, a small CSV) has
 * written model/echo.model. */
char *serve_trained_tree(void);

/* Start `optml serve` for `base` with SAGEMAKER_BIND_TO_PORT on a free port
 * and `extra` environment entries ("NAME=value", NULL-terminated, may be
 * NULL).  Returns once the port accepts connections (fails the test after
 * 15 s, or when the process exits first). */
struct served *serve_start(const char *base, const char *const *extra);
/* serve_start, then wait until GET /ping answers 200 (at most 20 s). */
struct served *serve_start_ready(const char *base, const char *const *extra);

/* Nonzero while the server process has not exited. */
int serve_running(struct served *s);
/* SIGTERM, then wait at most timeout_s; returns the exit code (-1 when
 * killed by a signal; SIGKILL after the timeout). */
int serve_terminate(struct served *s, int timeout_s);
/* SIGTERM and require exit code 0 within 15 s. */
void serve_stop(struct served *s);
/* SIGKILL if still running (cleanup). */
void serve_kill(struct served *s);
/* The server's log so far (malloc'd, never NULL). */
char *serve_log_text(const struct served *s);

/* Print `fmt`, the server's log tail, kill it, fail the test. */
void serve_fail(struct served *s, const struct http_response *r, const char *file, int line,
                const char *fmt, ...) __attribute__((format(printf, 5, 6), noreturn));

#define SRV_ASSERT(s, cond)                                                    \
    do { if (!(cond)) serve_fail((s), NULL, __FILE__, __LINE__, "assertion failed: %s", #cond); } while (0)
#define SRV_ASSERT_R(s, r, cond)                                               \
    do { if (!(cond)) serve_fail((s), (r), __FILE__, __LINE__, "assertion failed: %s", #cond); } while (0)
#define SRV_ASSERT_EQ_INT(s, a, b)                                             \
    do { long long a_ = (long long)(a), b_ = (long long)(b);                   \
         if (a_ != b_) serve_fail((s), NULL, __FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_); } while (0)
#define SRV_ASSERT_EQ_STR(s, a, b)                                             \
    do { const char *a_ = (a), *b_ = (b);                                      \
         if (!a_ || !b_ || strcmp(a_, b_) != 0)                                \
             serve_fail((s), NULL, __FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
                        a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
#define SRV_ASSERT_CONTAINS(s, hay, needle)                                    \
    do { const char *h_ = (hay), *n_ = (needle);                               \
         if (!h_ || !strstr(h_, n_))                                           \
             serve_fail((s), NULL, __FILE__, __LINE__, "%s does not contain \"%s\": \"%s\"", #hay, n_, \
                        h_ ? h_ : "(null)"); } while (0)

/* Require status `code`. */
#define EXPECT_STATUS(s, r, code) expect_status_((s), (r), (code), __FILE__, __LINE__)
/* Require a JSON body (Content-Type application/json); returns it. */
#define EXPECT_JSON(s, r) expect_json_((s), (r), __FILE__, __LINE__)
/* Require status `code` and the error shape {"error": "...", "code": code}
 * with Content-Type application/json; `substr` (may be NULL) must occur in
 * the message.  Returns the message. */
#define EXPECT_JSON_ERROR(s, r, code, substr) expect_json_error_((s), (r), (code), (substr), __FILE__, __LINE__)

void expect_status_(struct served *s, const struct http_response *r, int code, const char *file, int line);
json_t *expect_json_(struct served *s, const struct http_response *r, const char *file, int line);
const char *expect_json_error_(struct served *s, const struct http_response *r, int code,
                               const char *substr, const char *file, int line);

/* POST /invocations (or `path` for the _at form) with the given
 * Content-Type, Accept and custom attributes (each NULL: header omitted),
 * timeout 30 s. */
struct http_response *serve_invoke(const struct served *s, const char *content_type, const char *accept,
                             const char *attrs, const void *body, size_t len);
struct http_response *serve_invoke_at(const struct served *s, const char *path, const char *content_type,
                                const char *accept, const char *attrs, const void *body, size_t len);
/* GET `path`, timeout 10 s. */
struct http_response *serve_get(const struct served *s, const char *path);
/* Any method with a JSON (or empty when NULL) body, timeout 10 s. */
struct http_response *serve_call(const struct served *s, const char *method, const char *path,
                                 const char *json_body);

/* The "bytes" of every element of j["predictions"], comma-separated
 * ("3,5"); "?" for an element without it; NULL when there is no array. */
char *serve_pred_bytes(json_t *j);
/* String member `key` of object j, or NULL. */
const char *serve_json_str(json_t *j, const char *key);
/* Integer member `key` of object j, or -999999 when missing / not an integer. */
long long serve_json_int(json_t *j, const char *key);

/* Seconds on the monotonic clock. */
double serve_now(void);

/* Whether the response's Content-Type is `type` (parameters ignored). */
int serve_type_is(const struct http_response *r, const char *type);

#endif
