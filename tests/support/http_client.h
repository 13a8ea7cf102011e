/*
 * http_client.h: a small HTTP/1.1 client for the tests.  It talks to
 * 127.0.0.1 only, never blocks past the timeout it is given, and can send
 * arbitrary bytes (for slow or malformed clients).
 *
 * One-shot:   struct http_response *r = http_request(port, "GET", "/ping", NULL, NULL, 0, 5000);
 *             if r->status == 0 the request failed and r->error says why.
 * Keep-alive: struct http_conn *c = http_connect(port, 2000);
 *             http_conn_request(c, "POST", "/invocations", hdrs, body, len, 5000, &resp) ...
 *             http_close(c);
 * Headers are "Name: value" strings in a NULL-terminated array.  Host and
 * (unless given) Content-Length are added.  Responses are read by
 * Content-Length, chunked transfer coding, or until the peer closes.
 */
#ifndef OPTML_TEST_HTTP_CLIENT_H
#define OPTML_TEST_HTTP_CLIENT_H

#include <stddef.h>

struct http_header {
    char *name;
    char *value;
};

struct http_response {
    int status;                  /* 0 when no response was read */
    char *reason;                /* reason phrase ("" when none) */
    struct http_header *headers;
    size_t n_headers;
    char *body;                  /* NUL-terminated (body_len excludes the NUL) */
    size_t body_len;
    int closed;                  /* the server closed the connection after it */
    char error[160];             /* why status is 0 ("" otherwise) */
};

/* Case-insensitive lookup of a response header (first one), or NULL. */
const char *http_header_get(const struct http_response *r, const char *name);
/* Reset *r to empty, freeing what it held. */
void http_response_clear(struct http_response *r);
/* Free a response returned by http_request (accepts NULL). */
void http_response_free(struct http_response *r);

struct http_conn;

/* Connect to 127.0.0.1:port within timeout_ms; NULL on failure (errno set). */
struct http_conn *http_connect(int port, int timeout_ms);
/* The same from source address `from` (a 127.x.y.z address: all of 127/8
 * is loopback on Linux, so a test can be a second client), with the send
 * buffer set to `sndbuf` bytes when > 0 (bounds what the kernel holds for
 * an upload the server stopped reading).  `from` NULL: any address. */
struct http_conn *http_connect_from(int port, const char *from, int sndbuf, int timeout_ms);
void http_close(struct http_conn *c);
int http_conn_fd(const struct http_conn *c);

/* Send `len` raw bytes within timeout_ms.  0 on success, -1 on error
 * (peer closed, reset, timeout). */
int http_send_raw(struct http_conn *c, const void *data, size_t len, int timeout_ms);

/* Send a request (head + body).  Returns 0 when everything was written, 1
 * when the server answered (or closed) before the body was fully written
 * (e.g. an early 413): read the response next; -1 on error or timeout. */
int http_send_request(struct http_conn *c, const char *method, const char *path,
                      const char *const *headers, const void *body, size_t len, int timeout_ms);

/* Read one response (1xx interim responses are skipped).  0 on success
 * with *out filled, -1 on error or timeout (out->error says which; out->status 0). */
int http_read_response(struct http_conn *c, int timeout_ms, struct http_response *out);

/* Send a request and read its response on an open connection, all within
 * timeout_ms.  0 on success; -1 on failure (out->error set, status 0). */
int http_conn_request(struct http_conn *c, const char *method, const char *path,
                      const char *const *headers, const void *body, size_t len, int timeout_ms,
                      struct http_response *out);

/* Wait up to timeout_ms for the server to close the connection: 1 when it
 * did (EOF or reset), 0 when it is still open.  Bytes that arrive are kept
 * for http_read_response. */
int http_peer_closed(struct http_conn *c, int timeout_ms);

/* One request on a fresh connection, closed afterwards.  Never NULL:
 * on failure status is 0 and error says why.  Free with http_response_free. */
struct http_response *http_request(int port, const char *method, const char *path,
                                   const char *const *headers, const void *body, size_t len,
                                   int timeout_ms);

/* A TCP port that was free a moment ago (bind 127.0.0.1:0, read it, close). */
int http_free_port(void);

/* Poll GET /ping (each try with a 2 s timeout) until it answers 200 or
 * `seconds` pass.  Returns 200, or the last status seen (0: never answered). */
int wait_for_ping(int port, double seconds);

/* Milliseconds on the monotonic clock. */
long long http_now_ms(void);

#endif
