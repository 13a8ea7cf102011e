/*
 * http_client.c: see http_client.h.  Non-blocking sockets and poll() with
 * a deadline for every step, so no call can hang a test.
 */
#define _GNU_SOURCE
#include "http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX (64 * 1024)
#define BODY_MAX ((size_t)512 * 1024 * 1024)

struct http_conn {
    int fd;
    int port;
    unsigned char *in;      /* received, not yet consumed: in[pos..len) */
    size_t pos, len, cap;
    int eof;                /* the peer closed (or reset) */
    int head_request;       /* the last request was HEAD: no body */
};

long long http_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(long long deadline)
{
    long long r = deadline - http_now_ms();
    return r < 0 ? 0 : r > 0x7fffffff ? 0x7fffffff : (int)r;
}

static void set_error(struct http_response *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct http_response *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
}

const char *http_header_get(const struct http_response *r, const char *name)
{
    for (size_t i = 0; r && i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

void http_response_clear(struct http_response *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->reason);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

void http_response_free(struct http_response *r)
{
    http_response_clear(r);
    free(r);
}

/* ---------------------------------------------------------------- connect */

struct http_conn *http_connect(int port, int timeout_ms)
{
    return http_connect_from(port, NULL, 0, timeout_ms);
}

struct http_conn *http_connect_from(int port, const char *from, int sndbuf, int timeout_ms)
{
    long long deadline = http_now_ms() + timeout_ms;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    if (from) {
        struct sockaddr_in src = {0};
        src.sin_family = AF_INET;
        if (inet_pton(AF_INET, from, &src.sin_addr) != 1 ||
            (ntohl(src.sin_addr.s_addr) >> 24) != 127 ||
            bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
            int e = errno ? errno : EINVAL;
            close(fd);
            errno = e;
            return NULL;
        }
    }
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        if (errno != EINPROGRESS) {
            int e = errno;
            close(fd);
            errno = e;
            return NULL;
        }
        struct pollfd p = {fd, POLLOUT, 0};
        int n;
        do {
            n = poll(&p, 1, remaining(deadline));
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            close(fd);
            errno = n == 0 ? ETIMEDOUT : errno;
            return NULL;
        }
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            close(fd);
            errno = err ? err : ECONNREFUSED;
            return NULL;
        }
    }
    struct http_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return NULL;
    }
    c->fd = fd;
    c->port = port;
    return c;
}

void http_close(struct http_conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->in);
    free(c);
}

int http_conn_fd(const struct http_conn *c)
{
    return c ? c->fd : -1;
}

/* ------------------------------------------------------------------- I/O */

/* Read more bytes into c->in.  >0 bytes read, 0 EOF, -1 error/timeout (errno). */
static ssize_t fill(struct http_conn *c, long long deadline)
{
    if (c->eof)
        return 0;
    if (c->pos > 0 && c->pos == c->len)
        c->pos = c->len = 0;
    if (c->cap - c->len < 16384) {
        if (c->pos > 0) {
            memmove(c->in, c->in + c->pos, c->len - c->pos);
            c->len -= c->pos;
            c->pos = 0;
        }
        if (c->cap - c->len < 16384) {
            size_t cap = c->cap ? c->cap * 2 : 65536;
            unsigned char *p = realloc(c->in, cap + 1);
            if (!p) {
                errno = ENOMEM;
                return -1;
            }
            c->in = p;
            c->cap = cap;
        }
    }
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
        if (n > 0) {
            c->len += (size_t)n;
            c->in[c->len] = 0; /* so error messages may print it */
            return n;
        }
        if (n == 0) {
            c->eof = 1;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET) {
            c->eof = 1;
            errno = ECONNRESET;
            return -1;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        struct pollfd p = {c->fd, POLLIN, 0};
        int r = poll(&p, 1, remaining(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
}

/* Write all of data; 0 done, 1 the server spoke or closed first (when
 * watch_input), -1 error/timeout. */
static int write_all(struct http_conn *c, const void *data, size_t len, long long deadline,
                     int watch_input)
{
    const unsigned char *p = data;
    while (len > 0) {
        struct pollfd pf = {c->fd, (short)(POLLOUT | (watch_input ? POLLIN : 0)), 0};
        int r = poll(&pf, 1, remaining(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (watch_input && (pf.revents & (POLLIN | POLLHUP | POLLERR)))
            return 1;
        if (pf.revents & (POLLHUP | POLLERR)) {
            errno = EPIPE;
            return -1;
        }
        if (!(pf.revents & POLLOUT))
            continue;
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            if (watch_input && (errno == EPIPE || errno == ECONNRESET))
                return 1;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int http_send_raw(struct http_conn *c, const void *data, size_t len, int timeout_ms)
{
    if (!c)
        return -1;
    return write_all(c, data, len, http_now_ms() + timeout_ms, 0) == 0 ? 0 : -1;
}

static int has_header(const char *const *headers, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; headers && headers[i]; i++)
        if (strncasecmp(headers[i], name, n) == 0 && headers[i][n] == ':')
            return 1;
    return 0;
}

static int send_request_until(struct http_conn *c, const char *method, const char *path,
                              const char *const *headers, const void *body, size_t len,
                              long long deadline)
{
    char *head = NULL;
    size_t head_len = 0;
    FILE *f = open_memstream(&head, &head_len);
    if (!f)
        return -1;
    fprintf(f, "%s %s HTTP/1.1\r\n", method, path);
    if (!has_header(headers, "Host"))
        fprintf(f, "Host: 127.0.0.1:%d\r\n", c->port);
    for (size_t i = 0; headers && headers[i]; i++)
        fprintf(f, "%s\r\n", headers[i]);
    int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (!has_header(headers, "Content-Length") && !has_header(headers, "Transfer-Encoding") &&
        (len > 0 || !is_get))
        fprintf(f, "Content-Length: %zu\r\n", len);
    fputs("\r\n", f);
    if (fclose(f) != 0) {
        free(head);
        return -1;
    }
    c->head_request = strcmp(method, "HEAD") == 0;
    int r = write_all(c, head, head_len, deadline, 1);
    free(head);
    if (r == 0 && len > 0)
        r = write_all(c, body, len, deadline, 1);
    return r;
}

int http_send_request(struct http_conn *c, const char *method, const char *path,
                      const char *const *headers, const void *body, size_t len, int timeout_ms)
{
    if (!c)
        return -1;
    return send_request_until(c, method, path, headers, body, len, http_now_ms() + timeout_ms);
}

/* --------------------------------------------------------------- parsing */

static char *dup_range(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        abort();
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
}

/* Find the end of the head in c->in[pos..len): index just past the blank
 * line, or 0 when not there yet. */
static size_t head_end(const struct http_conn *c)
{
    const unsigned char *b = c->in + c->pos;
    size_t n = c->len - c->pos;
    for (size_t i = 0; i + 1 < n; i++) {
        if (b[i] == '\n' && b[i + 1] == '\n')
            return i + 2;
        if (b[i] == '\n' && b[i + 1] == '\r' && i + 2 < n && b[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static int parse_head(const char *h, size_t n, struct http_response *out, int *minor)
{
    const char *end = h + n;
    const char *eol = memchr(h, '\n', n);
    if (!eol)
        return -1;
    size_t l = (size_t)(eol - h);
    if (l > 0 && h[l - 1] == '\r')
        l--;
    int major = 0, status = 0, used = 0;
    char *line = dup_range(h, l);
    if (sscanf(line, "HTTP/%d.%d %3d%n", &major, minor, &status, &used) != 3 || major != 1 ||
        status < 100 || status > 999) {
        free(line);
        return -1;
    }
    const char *reason = line + used;
    while (*reason == ' ')
        reason++;
    free(out->reason);
    out->reason = strdup(reason);
    free(line);
    out->status = status;
    const char *p = eol + 1;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e)
            e = end;
        size_t ll = (size_t)(e - p);
        if (ll > 0 && p[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            break;
        const char *colon = memchr(p, ':', ll);
        if (colon) {
            const char *name = p, *val = colon + 1;
            size_t nl = (size_t)(colon - p), vl = ll - nl - 1;
            trim(&name, &nl);
            trim(&val, &vl);
            struct http_header *hs = realloc(out->headers, (out->n_headers + 1) * sizeof(*hs));
            if (!hs)
                abort();
            out->headers = hs;
            hs[out->n_headers].name = dup_range(name, nl);
            hs[out->n_headers].value = dup_range(val, vl);
            out->n_headers++;
        }
        p = e + 1;
    }
    return 0;
}

static int header_has_token(const char *v, const char *token)
{
    if (!v)
        return 0;
    size_t n = strlen(token);
    for (const char *p = v; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (strncasecmp(p, token, n) == 0 && (p[n] == 0 || p[n] == ',' || p[n] == ' ' || p[n] == ';'))
            return 1;
        while (*p && *p != ',')
            p++;
    }
    return 0;
}

/* Append `n` consumed bytes to the body. */
static int body_append(struct http_response *out, size_t *cap, const void *d, size_t n)
{
    if (out->body_len + n > BODY_MAX)
        return -1;
    if (out->body_len + n + 1 > *cap) {
        size_t nc = *cap ? *cap : 4096;
        while (nc < out->body_len + n + 1)
            nc *= 2;
        char *b = realloc(out->body, nc);
        if (!b)
            return -1;
        out->body = b;
        *cap = nc;
    }
    memcpy(out->body + out->body_len, d, n);
    out->body_len += n;
    out->body[out->body_len] = 0;
    return 0;
}

/* One line (without CRLF) from the buffer into line[]; 0 ok, -1 otherwise. */
static int read_line(struct http_conn *c, char *line, size_t size, long long deadline)
{
    for (;;) {
        unsigned char *b = c->in + c->pos;
        size_t n = c->len - c->pos;
        unsigned char *nl = n ? memchr(b, '\n', n) : NULL;
        if (nl) {
            size_t l = (size_t)(nl - b);
            c->pos += l + 1;
            if (l > 0 && b[l - 1] == '\r')
                l--;
            if (l >= size)
                l = size - 1;
            memcpy(line, b, l);
            line[l] = 0;
            return 0;
        }
        if (n > 4096)
            return -1;
        if (fill(c, deadline) <= 0)
            return -1;
    }
}

static int read_body(struct http_conn *c, struct http_response *out, int minor, long long deadline)
{
    size_t cap = 0;
    out->body = malloc(1);
    if (!out->body)
        return -1;
    out->body[0] = 0;
    cap = 1;
    const char *te = http_header_get(out, "Transfer-Encoding");
    const char *cl = http_header_get(out, "Content-Length");
    const char *conn = http_header_get(out, "Connection");
    out->closed = header_has_token(conn, "close") || (minor == 0 && !header_has_token(conn, "keep-alive"));
    if (c->head_request || out->status == 204 || out->status == 304)
        return 0;
    if (te && header_has_token(te, "chunked")) {
        char line[4200];
        for (;;) {
            if (read_line(c, line, sizeof(line), deadline) != 0) {
                set_error(out, "chunked body: bad or missing chunk size line");
                return -1;
            }
            char *endp = NULL;
            errno = 0;
            unsigned long long sz = strtoull(line, &endp, 16);
            if (endp == line || errno || sz > BODY_MAX) {
                set_error(out, "chunked body: bad chunk size '%.40s'", line);
                return -1;
            }
            if (sz == 0) {
                /* Trailers until an empty line. */
                for (int i = 0; i < 100; i++) {
                    if (read_line(c, line, sizeof(line), deadline) != 0) {
                        set_error(out, "chunked body: missing final CRLF");
                        return -1;
                    }
                    if (line[0] == 0)
                        return 0;
                }
                set_error(out, "chunked body: too many trailers");
                return -1;
            }
            while (sz > 0) {
                if (c->len == c->pos && fill(c, deadline) <= 0) {
                    set_error(out, "chunked body: truncated chunk (%s)", strerror(errno));
                    return -1;
                }
                size_t take = c->len - c->pos < sz ? c->len - c->pos : (size_t)sz;
                if (body_append(out, &cap, c->in + c->pos, take) != 0) {
                    set_error(out, "body too large");
                    return -1;
                }
                c->pos += take;
                sz -= take;
            }
            if (read_line(c, line, sizeof(line), deadline) != 0 || line[0] != 0) {
                set_error(out, "chunked body: no CRLF after a chunk");
                return -1;
            }
        }
    }
    if (cl) {
        char *endp = NULL;
        errno = 0;
        unsigned long long n = strtoull(cl, &endp, 10);
        if (endp == cl || *endp || errno || n > BODY_MAX) {
            set_error(out, "bad Content-Length '%.40s'", cl);
            return -1;
        }
        while (n > 0) {
            if (c->len == c->pos && fill(c, deadline) <= 0) {
                set_error(out, "body truncated: %llu bytes missing (%s)", n,
                          c->eof ? "connection closed" : strerror(errno));
                return -1;
            }
            size_t take = c->len - c->pos < n ? c->len - c->pos : (size_t)n;
            if (body_append(out, &cap, c->in + c->pos, take) != 0) {
                set_error(out, "body too large");
                return -1;
            }
            c->pos += take;
            n -= take;
        }
        return 0;
    }
    /* No length: the body runs until the server closes. */
    out->closed = 1;
    for (;;) {
        if (c->len > c->pos) {
            if (body_append(out, &cap, c->in + c->pos, c->len - c->pos) != 0) {
                set_error(out, "body too large");
                return -1;
            }
            c->pos = c->len;
        }
        ssize_t r = fill(c, deadline);
        if (r == 0)
            return 0;
        if (r < 0) {
            if (errno == ECONNRESET)
                return 0;
            set_error(out, "body until close: %s", strerror(errno));
            return -1;
        }
    }
}

int http_read_response(struct http_conn *c, int timeout_ms, struct http_response *out)
{
    long long deadline = http_now_ms() + timeout_ms;
    http_response_clear(out);
    if (!c) {
        set_error(out, "no connection");
        return -1;
    }
    for (int interim = 0; interim < 10; interim++) {
        size_t end;
        while ((end = head_end(c)) == 0) {
            if (c->len - c->pos > HEAD_MAX) {
                set_error(out, "response head longer than %d bytes", HEAD_MAX);
                return -1;
            }
            ssize_t r = fill(c, deadline);
            if (r <= 0) {
                int e = errno;
                set_error(out, "%s while reading the response head (%zu bytes so far)",
                          r == 0 ? "connection closed" : e == ETIMEDOUT ? "timeout" : strerror(e),
                          c->len - c->pos);
                return -1;
            }
        }
        int minor = 1;
        if (parse_head((const char *)c->in + c->pos, end, out, &minor) != 0) {
            set_error(out, "malformed status line: %.60s", (const char *)c->in + c->pos);
            out->status = 0;
            return -1;
        }
        c->pos += end;
        if (out->status >= 100 && out->status < 200) {
            http_response_clear(out);
            continue;
        }
        if (read_body(c, out, minor, deadline) != 0) {
            char err[sizeof(out->error)];
            memcpy(err, out->error, sizeof(err));
            int st = out->status;
            http_response_clear(out);
            snprintf(out->error, sizeof(out->error), "status %d: %.*s", st,
                     (int)(sizeof(out->error) - 16), err);
            return -1;
        }
        return 0;
    }
    http_response_clear(out);
    set_error(out, "too many interim responses");
    return -1;
}

int http_conn_request(struct http_conn *c, const char *method, const char *path,
                      const char *const *headers, const void *body, size_t len, int timeout_ms,
                      struct http_response *out)
{
    long long deadline = http_now_ms() + timeout_ms;
    http_response_clear(out);
    if (!c) {
        set_error(out, "no connection");
        return -1;
    }
    int s = send_request_until(c, method, path, headers, body, len, deadline);
    if (s < 0) {
        int e = errno;
        /* The server may have answered and closed; try to read it anyway. */
        if (http_read_response(c, 200, out) == 0)
            return 0;
        set_error(out, "send failed: %s", e == ETIMEDOUT ? "timeout" : strerror(e));
        return -1;
    }
    return http_read_response(c, remaining(deadline), out);
}

int http_peer_closed(struct http_conn *c, int timeout_ms)
{
    long long deadline = http_now_ms() + timeout_ms;
    if (!c)
        return 1;
    while (!c->eof) {
        ssize_t r = fill(c, deadline);
        if (r == 0)
            return 1;
        if (r < 0)
            return errno == ETIMEDOUT ? 0 : 1;
    }
    return 1;
}

struct http_response *http_request(int port, const char *method, const char *path,
                                   const char *const *headers, const void *body, size_t len,
                                   int timeout_ms)
{
    long long deadline = http_now_ms() + timeout_ms;
    struct http_response *r = calloc(1, sizeof(*r));
    if (!r)
        abort();
    struct http_conn *c = http_connect(port, timeout_ms);
    if (!c) {
        set_error(r, "connect to 127.0.0.1:%d: %s", port, strerror(errno));
        return r;
    }
    http_conn_request(c, method, path, headers, body, len, remaining(deadline), r);
    http_close(c);
    return r;
}

/* ----------------------------------------------------------------- misc */

int http_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    socklen_t len = sizeof(sa);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

int wait_for_ping(int port, double seconds)
{
    long long deadline = http_now_ms() + (long long)(seconds * 1000);
    int last = 0;
    for (int tries = 0; tries < 100000; tries++) {
        int left = remaining(deadline);
        struct http_response *r = http_request(port, "GET", "/ping", NULL, NULL, 0,
                                               left < 2000 ? (left > 50 ? left : 50) : 2000);
        int st = r->status;
        http_response_free(r);
        if (st != 0)
            last = st;
        if (st == 200 || http_now_ms() >= deadline)
            break;
        usleep(50000);
    }
    return last;
}
