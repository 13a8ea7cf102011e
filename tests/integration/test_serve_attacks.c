/*
 * test_serve_attacks.c: `optml serve` against clients that try to hold it:
 * headers sent a line at a time (slowloris) from more connections than one
 * address may hold, bodies trickled below the minimum rate, chunked uploads
 * that never end; and the settings behind them (OPTML_HTTP_HEADER_TIMEOUT,
 * OPTML_HTTP_MIN_BODY_RATE, OPTML_HTTP_MAX_CONNECTIONS_PER_CLIENT).  The
 * attacker is 127.0.0.1, the honest client 127.0.0.2 (all of 127/8 is
 * loopback on Linux).  Every loop is bounded in count and time; time bounds
 * are generous (the machine is shared).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/harness.h"
#include "serve_helpers.h"

static const char CSV[] = "1,2\n3,4,5\n";
static const char LINES[] = "{\"bytes\": 3}\n{\"bytes\": 5}\n";

/* GET /ping from 127.0.0.2 answers 200 within `bound_s`; returns the time. */
static double ping_from_other_address(struct served *s, double bound_s)
{
    double t0 = serve_now();
    struct http_conn *c = http_connect_from(s->port, "127.0.0.2", 0, (int)(bound_s * 1000));
    SRV_ASSERT(s, c != NULL);
    struct http_response r = {0};
    int rc = http_conn_request(c, "GET", "/ping", NULL, NULL, 0, (int)(bound_s * 1000), &r);
    double took = serve_now() - t0;
    http_close(c);
    if (rc != 0 || r.status != 200 || took > bound_s)
        serve_fail(s, &r, __FILE__, __LINE__, "/ping from 127.0.0.2: status %d after %.2f s (bound %.1f s)",
                   r.status, took, bound_s);
    http_response_clear(&r);
    return took;
}

/* Whether the server's log shows `text` within 5 s (it is written just
 * after the connection is shut down, so a client can see the close first). */
static int log_shows(struct served *s, const char *text)
{
    for (int i = 0; i < 50; i++) {
        char *log = serve_log_text(s);
        int found = strstr(log, text) != NULL;
        free(log);
        if (found)
            return 1;
        usleep(100 * 1000);
    }
    return 0;
}

/* Whether the server has closed c (EOF or reset), waiting at most ms. */
static int closed_by_server(struct http_conn *c, int ms)
{
    return http_peer_closed(c, ms);
}

#define SLOW 24 /* connections from 127.0.0.1: more than the cap of 16 */

/* Slowloris: 24 connections from one address, each sending a header line a
 * second.  The address holds at most 16 (the rest are closed at once), the
 * 16 are closed at the header deadline (2 s) although they never fall
 * silent, and /ping from another address answers all along. */
TEST_TIMEOUT(serve_slowloris_is_capped_per_client_and_cut_at_the_header_deadline, 60)
{
    char *base = serve_trained_tree();
    const char *env[] = {"OPTML_HTTP_MAX_CONNECTIONS=64", "OPTML_HTTP_MAX_CONNECTIONS_PER_CLIENT=16",
                         "OPTML_HTTP_HEADER_TIMEOUT=2", "OPTML_HTTP_IDLE_TIMEOUT=30", NULL};
    struct served *s = serve_start_ready(base, env);
    struct http_conn *slow[SLOW];
    int closed[SLOW], n_closed = 0;
    const char *first = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < SLOW; i++) {
        slow[i] = http_connect_from(s->port, "127.0.0.1", 0, 2000);
        SRV_ASSERT(s, slow[i] != NULL); /* the kernel completes the handshake; the server may then close */
        closed[i] = http_send_raw(slow[i], first, strlen(first), 2000) != 0;
    }
    /* Within 1.5 s the connections over the cap are closed, before the
     * deadline (2 s from the first byte) could have been reached. */
    double t0 = serve_now();
    while (serve_now() - t0 < 1.5) {
        n_closed = 0;
        for (int i = 0; i < SLOW; i++) {
            if (!closed[i] && closed_by_server(slow[i], 0))
                closed[i] = 1;
            n_closed += closed[i];
        }
        if (n_closed >= SLOW - 16)
            break;
        usleep(50 * 1000);
    }
    if (n_closed < SLOW - 16)
        serve_fail(s, NULL, __FILE__, __LINE__, "%d of %d connections from 127.0.0.1 closed (cap 16)", n_closed,
                   SLOW);
    /* A header line a second from every connection still open, for at most
     * 10 s; /ping from 127.0.0.2 answers meanwhile. */
    double worst = 0;
    int line = 0;
    while (n_closed < SLOW && serve_now() - t0 < 10) {
        for (int i = 0; i < SLOW; i++) {
            if (closed[i])
                continue;
            char *h = strf("X-Slow-%d: %d\r\n", line, i);
            if (http_send_raw(slow[i], h, strlen(h), 1000) != 0 || closed_by_server(slow[i], 0)) {
                closed[i] = 1;
                n_closed++;
            }
            free(h);
        }
        line++;
        double took = ping_from_other_address(s, 5.0);
        worst = took > worst ? took : worst;
        usleep(1000 * 1000);
    }
    double elapsed = serve_now() - t0;
    for (int i = 0; i < SLOW; i++)
        http_close(slow[i]);
    if (n_closed < SLOW)
        serve_fail(s, NULL, __FILE__, __LINE__,
                   "%d slow connections still open after %.1f s (header deadline 2 s)", SLOW - n_closed, elapsed);
    /* Not before the deadline: each of the 16 sent lines past the first. */
    SRV_ASSERT(s, line >= 2);
    SRV_ASSERT(s, log_shows(s, "past the header deadline (OPTML_HTTP_HEADER_TIMEOUT=2 s)"));
    ping_from_other_address(s, 5.0);
    struct http_response *r = serve_invoke(s, "text/csv", "application/jsonlines", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    serve_stop(s);
}

/* The header clock starts at a request's first byte: a kept-alive
 * connection, or a fresh one, that stays silent past the header deadline
 * (but within the idle timeout) is served when its request comes. */
TEST(serve_idle_connections_wait_for_the_idle_timeout_not_the_header_deadline)
{
    char *base = serve_trained_tree();
    const char *env[] = {"OPTML_HTTP_HEADER_TIMEOUT=1", "OPTML_HTTP_IDLE_TIMEOUT=30", NULL};
    struct served *s = serve_start_ready(base, env);
    struct http_conn *kept = http_connect(s->port, 2000);
    struct http_conn *fresh = http_connect(s->port, 2000);
    SRV_ASSERT(s, kept && fresh);
    struct http_response r = {0};
    SRV_ASSERT(s, http_conn_request(kept, "GET", "/ping", NULL, NULL, 0, 5000, &r) == 0);
    EXPECT_STATUS(s, &r, 200);
    http_response_clear(&r);
    SRV_ASSERT(s, !closed_by_server(kept, 3000)); /* 3 s: three header deadlines */
    SRV_ASSERT(s, !closed_by_server(fresh, 10));
    const char *h[] = {"Content-Type: text/csv", "Accept: application/jsonlines", NULL};
    SRV_ASSERT(s, http_conn_request(kept, "POST", "/invocations", h, CSV, strlen(CSV), 5000, &r) == 0);
    EXPECT_STATUS(s, &r, 200);
    SRV_ASSERT_EQ_STR(s, r.body, LINES);
    http_response_clear(&r);
    SRV_ASSERT(s, http_conn_request(fresh, "GET", "/ping", NULL, NULL, 0, 5000, &r) == 0);
    EXPECT_STATUS(s, &r, 200);
    http_response_clear(&r);
    http_close(kept);
    http_close(fresh);
    serve_stop(s);
}

/* A body trickled below OPTML_HTTP_MIN_BODY_RATE is cut once the slack
 * (the header timeout) is used up; one sent at a fair rate, with pauses,
 * is served. */
TEST_TIMEOUT(serve_body_below_the_minimum_rate_is_cut, 60)
{
    char *base = serve_trained_tree();
    const char *env[] = {"OPTML_HTTP_HEADER_TIMEOUT=1", "OPTML_HTTP_MIN_BODY_RATE=2000",
                         "OPTML_HTTP_IDLE_TIMEOUT=30", NULL};
    struct served *s = serve_start_ready(base, env);

    /* Fair: 12,000 bytes in 4 pieces 0.5 s apart (about 6,000 bytes/s). */
    size_t fair_len = 12000;
    char *fair = malloc(fair_len);
    SRV_ASSERT(s, fair != NULL);
    for (size_t i = 0; i < fair_len; i += 6)
        memcpy(fair + i, "1,2,3\n", 6);
    struct http_conn *c = http_connect_from(s->port, "127.0.0.2", 0, 2000);
    SRV_ASSERT(s, c != NULL);
    char *head = strf("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                      "Accept: application/jsonlines\r\nContent-Length: %zu\r\n\r\n", fair_len);
    SRV_ASSERT(s, http_send_raw(c, head, strlen(head), 2000) == 0);
    for (size_t off = 0; off < fair_len; off += fair_len / 4) {
        usleep(500 * 1000);
        SRV_ASSERT(s, http_send_raw(c, fair + off, fair_len / 4, 2000) == 0);
    }
    struct http_response r = {0};
    SRV_ASSERT(s, http_read_response(c, 10000, &r) == 0);
    EXPECT_STATUS(s, &r, 200);
    http_response_clear(&r);
    http_close(c);
    free(fair);

    /* Trickled: 10 bytes a second of a 100,000-byte body. */
    c = http_connect(s->port, 2000);
    SRV_ASSERT(s, c != NULL);
    const char *slow_head = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                            "Content-Length: 100000\r\n\r\n";
    SRV_ASSERT(s, http_send_raw(c, slow_head, strlen(slow_head), 2000) == 0);
    double t0 = serve_now();
    int cut = 0;
    while (!cut && serve_now() - t0 < 10) {
        cut = http_send_raw(c, "1,2,3,4,5\n", 10, 1000) != 0 || closed_by_server(c, 1000);
    }
    double took = serve_now() - t0;
    http_close(c);
    if (!cut)
        serve_fail(s, NULL, __FILE__, __LINE__, "a body at 10 bytes/s was still being read after %.1f s", took);
    SRV_ASSERT(s, took > 0.5);
    SRV_ASSERT(s, log_shows(s, "sending a body below 2000 bytes/s (OPTML_HTTP_MIN_BODY_RATE)"));
    ping_from_other_address(s, 5.0);
    free(head);
    serve_stop(s);
}

/* Send a body of endless 64 KiB chunks (or, with content_length, that many
 * bytes) until the server answers or closes, at most `cap` bytes or 15 s.
 * Returns the bytes the client got into its socket; *answered says whether
 * the server spoke (or closed) first. */
static size_t upload_until_answered(struct http_conn *c, int chunked, size_t cap, int *answered)
{
    static char chunk[65536 + 16];
    size_t n = 0, sent = 0;
    if (chunked) {
        n = (size_t)snprintf(chunk, sizeof(chunk), "10000\r\n");
        memset(chunk + n, '7', 65536);
        n += 65536;
        memcpy(chunk + n, "\r\n", 2);
        n += 2;
    } else {
        memset(chunk, '7', 65536);
        n = 65536;
    }
    *answered = 0;
    int fd = http_conn_fd(c);
    size_t off = 0;
    long long end = http_now_ms() + 15000;
    while (sent < cap && http_now_ms() < end) {
        struct pollfd p = {fd, POLLIN | POLLOUT, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            *answered = 1;
            break;
        }
        ssize_t w = send(fd, chunk + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w < 0) {
            *answered = 1;
            break;
        }
        sent += (size_t)w;
        off = (off + (size_t)w) % n;
    }
    return sent;
}

/* A chunked upload that never ends gets its 413 at the limit (1 MiB here)
 * instead of being read to the end; so does a Content-Length over the
 * limit, before its body.  What the client could push is the limit plus
 * what the sockets buffer; the server stays up. */
TEST_TIMEOUT(serve_oversized_uploads_get_413_at_the_limit, 90)
{
    char *base = serve_trained_tree();
    const char *env[] = {"SAGEMAKER_MAX_PAYLOAD_IN_MB=1", NULL};
    struct served *s = serve_start_ready(base, env);
    const size_t limit = 1u << 20, cap = 256u << 20, margin = 8u << 20;
    for (int chunked = 1; chunked >= 0; chunked--) {
        struct http_conn *c = http_connect_from(s->port, NULL, 65536, 2000);
        SRV_ASSERT(s, c != NULL);
        char *head = chunked ? strf("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                                    "Transfer-Encoding: chunked\r\n\r\n")
                             : strf("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                                    "Content-Length: %zu\r\n\r\n", cap);
        SRV_ASSERT(s, http_send_raw(c, head, strlen(head), 2000) == 0);
        free(head);
        int answered = 0;
        size_t sent = upload_until_answered(c, chunked, cap, &answered);
        struct http_response r = {0};
        http_read_response(c, 5000, &r);
        http_close(c);
        if (!answered || sent > limit + margin)
            serve_fail(s, &r, __FILE__, __LINE__, "%s upload: %zu bytes sent, answered %d (limit %zu)",
                       chunked ? "chunked" : "Content-Length", sent, answered, limit);
        EXPECT_JSON_ERROR(s, &r, 413, chunked ? "the body passed the limit of 1048576 bytes"
                                              : "over the limit of 1048576");
        SRV_ASSERT(s, r.closed || http_header_get(&r, "Connection") != NULL);
        http_response_clear(&r);
        printf("%s upload over a 1 MiB limit: 413 after the client sent %zu bytes\n",
               chunked ? "chunked" : "Content-Length", sent);
    }
    SRV_ASSERT(s, serve_running(s));
    ping_from_other_address(s, 5.0);
    /* A chunked body within the limit is still served. */
    struct http_conn *c = http_connect(s->port, 2000);
    SRV_ASSERT(s, c != NULL);
    const char *ok = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                     "Accept: application/jsonlines\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "4\r\n1,2\n\r\n6\r\n3,4,5\n\r\n0\r\n\r\n";
    SRV_ASSERT(s, http_send_raw(c, ok, strlen(ok), 2000) == 0);
    struct http_response r = {0};
    SRV_ASSERT(s, http_read_response(c, 5000, &r) == 0);
    EXPECT_STATUS(s, &r, 200);
    SRV_ASSERT_EQ_STR(s, r.body, LINES);
    http_response_clear(&r);
    http_close(c);
    serve_stop(s);
}

/* The new settings are checked at start like the others: a ClientError
 * naming the variable, exit code 2. */
TEST(serve_connection_settings_are_validated)
{
    char *base = serve_trained_tree();
    const char *bad[] = {"OPTML_HTTP_MAX_CONNECTIONS_PER_CLIENT=-1", "OPTML_HTTP_HEADER_TIMEOUT=0",
                         "OPTML_HTTP_MIN_BODY_RATE=fast", NULL};
    for (int i = 0; bad[i]; i++) {
        const char *env[] = {strf("SAGEMAKER_BASE_DIR=%s", base),
                             strf("OPTML_MODULE_PATH=%s/tests/modules", build_dir()), "OPTML_ALGORITHM=echo",
                             bad[i], NULL};
        const char *args[] = {"serve", NULL};
        struct run_result r = run_optml(args, env, 20);
        ASSERT_EQ_INT(r.exit_code, 2);
        char *name = strndup(bad[i], strcspn(bad[i], "="));
        ASSERT_CONTAINS(r.output, name);
        ASSERT_CONTAINS(r.output, "ClientError");
        free(name);
    }
}
