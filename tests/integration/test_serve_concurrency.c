/*
 * test_serve_concurrency.c: `optml serve` under load: worker counts, /ping
 * while every worker is busy, SIGTERM draining in-flight requests, and
 * clients that misbehave (garbage, silence, half a body, huge headers) or
 * just come in numbers.  Timing checks are loose: the machine is shared.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include "support/harness.h"
#include "serve_helpers.h"

static const char CSV[] = "1,2\n3,4,5\n";
static const char LINES[] = "{\"bytes\": 3}\n{\"bytes\": 5}\n";

struct slow_call {
    int port;
    const char *attrs;
    pthread_t thread;
    int status;
    char *body;
    double done_at;
};

static void *slow_call_run(void *arg)
{
    struct slow_call *c = arg;
    const char *h[] = {"Content-Type: text/csv", "Accept: application/jsonlines", NULL,
                       NULL};
    char *attr = NULL;
    if (c->attrs) {
        attr = strf("X-Amzn-SageMaker-Custom-Attributes: %s", c->attrs);
        h[2] = attr;
    }
    struct http_response *r = http_request(c->port, "POST", "/invocations", h, CSV, strlen(CSV), 30000);
    c->status = r->status;
    c->body = strdup(r->body ? r->body : r->error);
    c->done_at = serve_now();
    http_response_free(r);
    free(attr);
    return NULL;
}

static void slow_call_start(struct slow_call *c, int port, const char *attrs)
{
    memset(c, 0, sizeof(*c));
    c->port = port;
    c->attrs = attrs;
    if (pthread_create(&c->thread, NULL, slow_call_run, c) != 0)
        test_fail(__FILE__, __LINE__, "pthread_create failed");
}

static void slow_call_join(struct slow_call *c)
{
    pthread_join(c->thread, NULL);
}

/* Time for two slow requests sent at once; both must succeed. */
static double two_in_parallel(struct served *s, const char *attrs)
{
    struct slow_call a, b;
    double t0 = serve_now();
    slow_call_start(&a, s->port, attrs);
    slow_call_start(&b, s->port, attrs);
    slow_call_join(&a);
    slow_call_join(&b);
    SRV_ASSERT_EQ_INT(s, a.status, 200);
    SRV_ASSERT_EQ_INT(s, b.status, 200);
    SRV_ASSERT_EQ_STR(s, a.body, LINES);
    SRV_ASSERT_EQ_STR(s, b.body, LINES);
    free(a.body);
    free(b.body);
    double end = a.done_at > b.done_at ? a.done_at : b.done_at;
    return end - t0;
}

static double one_call(struct served *s, const char *attrs)
{
    struct slow_call a;
    double t0 = serve_now();
    slow_call_start(&a, s->port, attrs);
    slow_call_join(&a);
    SRV_ASSERT_EQ_INT(s, a.status, 200);
    free(a.body);
    return a.done_at - t0;
}

TEST(serve_one_worker_runs_requests_one_at_a_time)
{
    char *base = serve_trained_tree();
    const char *env[] = {"SAGEMAKER_MODEL_SERVER_WORKERS=1", NULL};
    struct served *s = serve_start_ready(base, env);
    double single = one_call(s, "sleep_ms=1000");
    SRV_ASSERT(s, single >= 0.95);
    double both = two_in_parallel(s, "sleep_ms=1000");
    /* Serialized: at least twice the work (a lower bound, never flaky). */
    if (both < 1.9)
        serve_fail(s, NULL, __FILE__, __LINE__, "1 worker: two 1 s requests took %.2f s (single %.2f s)", both,
                   single);
    serve_stop(s);
}

TEST(serve_two_workers_run_requests_in_parallel)
{
    char *base = serve_trained_tree();
    const char *env[] = {"MODEL_SERVER_WORKERS=2", NULL};
    struct served *s = serve_start_ready(base, env);
    double single = one_call(s, "sleep_ms=1500");
    SRV_ASSERT(s, single >= 1.45);
    double both = two_in_parallel(s, "sleep_ms=1500");
    /* Serialized would be >= 3.0 s; in parallel about `single`. */
    if (both > 1.75 * single)
        serve_fail(s, NULL, __FILE__, __LINE__, "2 workers: two 1.5 s requests took %.2f s (single %.2f s)", both,
                   single);
    serve_stop(s);
}

TEST(serve_ping_answers_while_every_worker_is_busy)
{
    char *base = serve_trained_tree();
    const char *env[] = {"SAGEMAKER_MODEL_SERVER_WORKERS=1", NULL};
    struct served *s = serve_start_ready(base, env);
    struct slow_call a, b;
    slow_call_start(&a, s->port, "sleep_ms=4000");
    slow_call_start(&b, s->port, "sleep_ms=1000"); /* queued behind a */
    usleep(400000);
    for (int i = 0; i < 3; i++) {
        double t0 = serve_now();
        struct http_response *r = http_request(s->port, "GET", "/ping", NULL, NULL, 0, 2000);
        double took = serve_now() - t0;
        EXPECT_STATUS(s, r, 200);
        http_response_free(r);
        SRV_ASSERT(s, took < 2.0);
        usleep(200000);
    }
    /* Other cheap endpoints too. */
    struct http_response *r = http_request(s->port, "GET", "/execution-parameters", NULL, NULL, 0, 2000);
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    slow_call_join(&a);
    slow_call_join(&b);
    SRV_ASSERT_EQ_INT(s, a.status, 200);
    SRV_ASSERT_EQ_INT(s, b.status, 200);
    free(a.body);
    free(b.body);
    serve_stop(s);
}

TEST(serve_sigterm_finishes_in_flight_requests_and_exits_0)
{
    char *base = serve_trained_tree();
    const char *env[] = {"SAGEMAKER_MODEL_SERVER_WORKERS=2", NULL};
    struct served *s = serve_start_ready(base, env);
    struct slow_call a;
    slow_call_start(&a, s->port, "sleep_ms=1500");
    usleep(400000); /* the request is in a worker now */
    double t0 = serve_now();
    kill(s->pid, SIGTERM);
    /* Stops accepting: a new request made while draining gets no prediction. */
    usleep(300000);
    const char *hdr[] = {"Content-Type: text/csv", "Accept: application/jsonlines", NULL};
    struct http_response *late = http_request(s->port, "POST", "/invocations", hdr, CSV, strlen(CSV), 3000);
    int late_status = late->status;
    http_response_free(late);
    slow_call_join(&a);
    SRV_ASSERT_EQ_INT(s, a.status, 200);
    SRV_ASSERT_EQ_STR(s, a.body, LINES);
    free(a.body);
    int code = serve_terminate(s, 20); /* already signalled: just waits */
    double took = serve_now() - t0;
    SRV_ASSERT_EQ_INT(s, code, 0);
    SRV_ASSERT(s, took < 10.0);
    SRV_ASSERT(s, late_status != 200);
    /* Gone: nothing listens any more. */
    struct http_conn *c = http_connect(s->port, 500);
    SRV_ASSERT(s, c == NULL);
}

/* GET /ping answers 200 within 2 s, and the process is alive. */
static void ping_ok(struct served *s)
{
    SRV_ASSERT(s, serve_running(s));
    double t0 = serve_now();
    struct http_response *r = http_request(s->port, "GET", "/ping", NULL, NULL, 0, 2000);
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    SRV_ASSERT(s, serve_now() - t0 < 2.0);
}

static struct http_conn *raw_client(struct served *s, const void *bytes, size_t len)
{
    struct http_conn *c = http_connect(s->port, 2000);
    SRV_ASSERT(s, c != NULL);
    if (len)
        http_send_raw(c, bytes, len, 2000); /* the server may close early: fine */
    return c;
}

TEST(serve_survives_garbage_silent_and_half_body_clients)
{
    char *base = serve_trained_tree();
    const char *env[] = {"SAGEMAKER_MODEL_SERVER_WORKERS=1", NULL};
    struct served *s = serve_start_ready(base, env);

    /* Garbage bytes: an error answer or a closed connection, nothing worse. */
    static const char garbage[] = "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 not http at all\r\n\r\n";
    struct http_conn *g = raw_client(s, garbage, sizeof(garbage) - 1);
    struct http_response gr = {0};
    if (http_read_response(g, 3000, &gr) == 0)
        SRV_ASSERT_R(s, &gr, gr.status >= 400 && gr.status < 500);
    http_response_clear(&gr);
    http_close(g);
    ping_ok(s);
    const char *bad_line = "GET\r\n\r\n";
    g = raw_client(s, bad_line, strlen(bad_line));
    http_peer_closed(g, 1000);
    http_close(g);
    ping_ok(s);

    /* A client that connects and sends nothing, one that sends half a body
     * and stops, and one that stops in the middle of its headers: all held
     * open while others are served, even with a single worker. */
    struct http_conn *silent = raw_client(s, NULL, 0);
    const char *half = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                       "Content-Length: 100\r\n\r\n1,2,3\n4,5";
    struct http_conn *halfbody = raw_client(s, half, strlen(half));
    const char *halfhead = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty";
    struct http_conn *halfhdr = raw_client(s, halfhead, strlen(halfhead));
    for (int i = 0; i < 3; i++) {
        ping_ok(s);
        struct http_response *r = serve_invoke(s, "text/csv", "application/jsonlines", NULL, CSV, strlen(CSV));
        EXPECT_STATUS(s, r, 200);
        SRV_ASSERT_EQ_STR(s, r->body, LINES);
        http_response_free(r);
    }
    http_close(silent);
    http_close(halfbody);
    http_close(halfhdr);
    ping_ok(s);

    /* A huge header: refused or closed, not a crash. */
    size_t big = 200 * 1024;
    char *huge = malloc(big + 128);
    SRV_ASSERT(s, huge != NULL);
    int n = snprintf(huge, 128, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ");
    memset(huge + n, 'a', big);
    memcpy(huge + n + big, "\r\n\r\n", 4);
    g = raw_client(s, huge, (size_t)n + big + 4);
    if (http_read_response(g, 3000, &gr) == 0)
        SRV_ASSERT_R(s, &gr, gr.status == 200 || (gr.status >= 400 && gr.status < 500));
    http_response_clear(&gr);
    http_close(g);
    free(huge);
    ping_ok(s);

    /* Chunked request bodies work or are refused cleanly. */
    const char *chunked = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                          "Accept: application/jsonlines\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "4\r\n1,2\n\r\n6\r\n3,4,5\n\r\n0\r\n\r\n";
    g = raw_client(s, chunked, strlen(chunked));
    if (http_read_response(g, 5000, &gr) == 0 && gr.status == 200)
        SRV_ASSERT_EQ_STR(s, gr.body, LINES);
    else
        SRV_ASSERT_R(s, &gr, gr.status == 0 || (gr.status >= 400 && gr.status < 500));
    http_response_clear(&gr);
    http_close(g);
    ping_ok(s);
    serve_stop(s);
}

struct hammer {
    int port, id, requests;
    pthread_t thread;
    int failures;
    char first_failure[256];
};

static void *hammer_run(void *arg)
{
    struct hammer *h = arg;
    const char *hdr[] = {"Content-Type: text/csv", "Accept: application/jsonlines", NULL};
    for (int i = 0; i < h->requests; i++) {
        int ping = (i % 4) == 3;
        struct http_response *r = ping ? http_request(h->port, "GET", "/ping", NULL, NULL, 0, 15000)
                                       : http_request(h->port, "POST", "/invocations", hdr, CSV,
                                                      strlen(CSV), 15000);
        int ok = r->status == 200 && (ping || strcmp(r->body, LINES) == 0);
        if (!ok && h->failures++ == 0)
            snprintf(h->first_failure, sizeof(h->first_failure), "client %d request %d: status %d %s %.100s",
                     h->id, i, r->status, r->error, r->body ? r->body : "");
        http_response_free(r);
    }
    return NULL;
}

TEST(serve_many_sequential_and_concurrent_clients)
{
    char *base = serve_trained_tree();
    struct served *s = serve_start_ready(base, NULL);
    /* 50 requests, each on a fresh connection. */
    for (int i = 0; i < 50; i++) {
        struct http_response *r = serve_invoke(s, "text/csv", "application/jsonlines", NULL, CSV, strlen(CSV));
        EXPECT_STATUS(s, r, 200);
        SRV_ASSERT_EQ_STR(s, r->body, LINES);
        http_response_free(r);
    }
    ping_ok(s);
    /* 8 clients at once, 20 requests each. */
    struct hammer h[8];
    for (int i = 0; i < 8; i++) {
        memset(&h[i], 0, sizeof(h[i]));
        h[i].port = s->port;
        h[i].id = i;
        h[i].requests = 20;
        if (pthread_create(&h[i].thread, NULL, hammer_run, &h[i]) != 0)
            test_fail(__FILE__, __LINE__, "pthread_create failed");
    }
    int failures = 0;
    const char *first = NULL;
    for (int i = 0; i < 8; i++) {
        pthread_join(h[i].thread, NULL);
        failures += h[i].failures;
        if (h[i].failures && !first)
            first = h[i].first_failure;
    }
    if (failures)
        serve_fail(s, NULL, __FILE__, __LINE__, "%d of 160 concurrent requests failed; first: %s", failures, first);
    ping_ok(s);
    serve_stop(s);
}

TEST(serve_sigterm_after_clients_abandon_half_a_body_exits_promptly)
{
    char *base = serve_trained_tree();
    const char *env[] = {"SAGEMAKER_MODEL_SERVER_WORKERS=1", NULL};
    struct served *s = serve_start_ready(base, env);
    /* Headers and part of the body, then the client goes away at once. */
    const char *half = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                       "Content-Length: 100\r\n\r\n1,2,3\n4,5";
    for (int i = 0; i < 3; i++) {
        struct http_conn *g = raw_client(s, half, strlen(half));
        http_close(g);
    }
    usleep(200000);
    ping_ok(s);
    struct http_response *r = serve_invoke(s, "text/csv", "application/jsonlines", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    /* Nothing is in flight: SIGTERM ends the process quickly. */
    double t0 = serve_now();
    int code = serve_terminate(s, 10);
    double took = serve_now() - t0;
    if (code != 0)
        serve_fail(s, NULL, __FILE__, __LINE__, "exit code %d (signal %d) %.1f s after SIGTERM", code, s->signal,
                   took);
    SRV_ASSERT(s, took < 5.0);
}

/* Bytes that are not HTTP, or headers over the connection memory limit, are
 * refused by libmicrohttpd itself before any route runs: its own 400 / 431
 * page (not our JSON shape, which it offers no hook for), then the
 * connection closes.  What matters: a 4xx, and the server carries on. */
TEST(serve_malformed_http_gets_4xx_and_the_server_carries_on)
{
    char *base = serve_trained_tree();
    struct served *s = serve_start_ready(base, NULL);
    /* Garbage instead of a request line. */
    static const char garbage[] = "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 not http at all\r\n\r\n";
    struct http_conn *g = raw_client(s, garbage, sizeof(garbage) - 1);
    struct http_response gr = {0};
    if (http_read_response(g, 3000, &gr) == 0)
        SRV_ASSERT(s, gr.status >= 400 && gr.status < 500);
    http_response_clear(&gr);
    http_close(g);
    /* A header larger than the server takes. */
    size_t big = 200 * 1024;
    char *huge = malloc(big + 128);
    SRV_ASSERT(s, huge != NULL);
    int n = snprintf(huge, 128, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ");
    memset(huge + n, 'a', big);
    memcpy(huge + n + big, "\r\n\r\n", 4);
    g = raw_client(s, huge, (size_t)n + big + 4);
    free(huge);
    if (http_read_response(g, 3000, &gr) == 0)
        SRV_ASSERT(s, gr.status >= 400 && gr.status < 500);
    http_response_clear(&gr);
    http_close(g);
    ping_ok(s);
    serve_stop(s);
}

/* An idle client is disconnected after OPTML_HTTP_IDLE_TIMEOUT seconds, so
 * idle or silent connections cannot pile up. */
TEST(serve_idle_connections_are_closed_after_the_timeout)
{
    char *base = serve_trained_tree();
    const char *env[] = {"OPTML_HTTP_IDLE_TIMEOUT=1", NULL};
    struct served *s = serve_start_ready(base, env);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SRV_ASSERT(s, connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    double t0 = serve_now();
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = poll(&p, 1, 5000); /* the server closes: readable, then EOF */
    char c;
    ssize_t got = ready > 0 ? recv(fd, &c, 1, 0) : -1;
    double waited = serve_now() - t0;
    close(fd);
    SRV_ASSERT(s, ready == 1 && got == 0);
    SRV_ASSERT(s, waited > 0.5 && waited < 4.0);
    ping_ok(s);
    serve_stop(s);
}

/* libmicrohttpd 0.9.75 answers `Content-Length: -1` itself, before any
 * callback of ours runs, and sends its status line and headers twice
 * (then its HTML page): a library bug we cannot reach, pinned here so an
 * upgrade that fixes it (or changes it) is noticed, and documented in
 * docs/serving.md.  What matters to us holds: a 400, the connection closed,
 * the server still answering. */
TEST(content_length_minus_one_is_libmicrohttpds_doubled_400)
{
    char *base = serve_trained_tree();
    struct served *s = serve_start_ready(base, NULL);
    const char *req = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                      "Content-Length: -1\r\n\r\n";
    struct http_conn *c = raw_client(s, req, strlen(req));
    char buf[8192];
    size_t got = 0;
    int fd = http_conn_fd(c);
    double t0 = serve_now();
    while (got + 1 < sizeof(buf) && serve_now() - t0 < 5) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (n <= 0)
            break; /* closed */
        got += (size_t)n;
    }
    buf[got] = 0;
    http_close(c);
    int lines = 0;
    for (const char *p = buf; (p = strstr(p, "HTTP/1.1 400 Bad Request\r\n")) != NULL; p++)
        lines++;
    SRV_ASSERT(s, lines == 2);
    SRV_ASSERT(s, strstr(buf, "wrong value for <b>Content-Length</b>") != NULL);
    ping_ok(s);
    serve_stop(s);
}
