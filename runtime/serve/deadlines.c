/*
 * deadlines.c: the registry of open connections and the sweep that shuts
 * down those past their header deadline or below the minimum body rate
 * (see deadlines.h for the clocks and the locking).
 *
 * When a request begins is seen from the kernel: TCP_INFO's count of bytes
 * received.  A connection between requests (or fresh from accept) that has
 * received a byte since the last request ended is reading a new request's
 * headers from the sweep that first sees it; one that has not is idle and
 * only libmicrohttpd's idle timeout applies.  Where TCP_INFO says nothing,
 * the header clock starts when the connection becomes idle, with the idle
 * timeout added to the deadline.
 */
#define _GNU_SOURCE
#include "serve/deadlines.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/log.h"

#define SWEEP_EVERY_S 0.2
#define REPORT_EVERY_S 10.0

enum conn_phase {
    PHASE_IDLE,       /* before a request's first byte */
    PHASE_HEADERS,    /* a request's first byte seen, headers not complete */
    PHASE_BODY,       /* headers complete, body arriving */
    PHASE_ANSWERING,  /* body complete: in a worker or being answered */
};

struct rt_conn_entry {
    struct rt_conn_entry *prev, *next;
    int fd;
    enum conn_phase phase;
    double t0;             /* start of the phase (monotonic s) */
    uint64_t body;         /* body bytes of the current request */
    uint64_t seen_bytes;   /* TCP bytes received when the connection became idle */
    int have_seen;         /* seen_bytes is valid (TCP_INFO answered) */
    int cut;               /* shut down by the sweep */
    char peer[64];         /* for the debug log */
};

/* Bytes the kernel has received on fd, or -1 when TCP_INFO cannot say. */
static int64_t bytes_received(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
        return -1;
    return (int64_t)ti.tcpi_bytes_received;
}

/* The entry becomes idle: remember how much the kernel had received. */
static void become_idle(struct rt_conn_entry *e, double now)
{
    int64_t n = bytes_received(e->fd);
    e->phase = PHASE_IDLE;
    e->t0 = now;
    e->body = 0;
    e->have_seen = n >= 0;
    e->seen_bytes = n >= 0 ? (uint64_t)n : 0;
}

static void peer_text(struct MHD_Connection *conn, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        port = ntohs(a->sin_port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
        port = ntohs(a->sin6_port);
    }
    snprintf(buf, size, "%s:%u", host, port);
}

void rt_deadlines_init(struct rt_deadlines *d, double header_timeout_s, double min_body_rate,
                       double idle_timeout_s)
{
    memset(d, 0, sizeof(*d));
    pthread_mutex_init(&d->lock, NULL);
    d->header_timeout_s = header_timeout_s;
    d->min_body_rate = min_body_rate;
    d->idle_timeout_s = idle_timeout_s;
    d->last_report = -1e300;
}

static void report(struct rt_deadlines *d, double now)
{
    unsigned long h = d->cut_headers, b = d->cut_body;
    if (!h && !b)
        return;
    d->cut_headers = d->cut_body = 0;
    d->last_report = now;
    rt_log(OPTML_LOG_INFO,
           "Closed %lu connection%s past the header deadline (OPTML_HTTP_HEADER_TIMEOUT=%g s) and %lu "
           "sending a body below %g bytes/s (OPTML_HTTP_MIN_BODY_RATE)",
           h, h == 1 ? "" : "s", d->header_timeout_s, b, d->min_body_rate);
}

void rt_deadlines_deinit(struct rt_deadlines *d)
{
    pthread_mutex_lock(&d->lock);
    report(d, rt_now());
    struct rt_conn_entry *e = d->head;
    while (e) {
        struct rt_conn_entry *next = e->next;
        free(e);
        e = next;
    }
    d->head = NULL;
    pthread_mutex_unlock(&d->lock);
    pthread_mutex_destroy(&d->lock);
}

void rt_deadlines_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                         enum MHD_ConnectionNotificationCode code)
{
    struct rt_deadlines *d = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct rt_conn_entry *e = ci ? calloc(1, sizeof(*e)) : NULL;
        *socket_context = e;
        if (!e)
            return; /* this connection goes without deadlines */
        e->fd = ci->connect_fd;
        peer_text(conn, e->peer, sizeof(e->peer));
        become_idle(e, rt_now());
        e->seen_bytes = 0; /* whatever arrived before accept is this request's */
        pthread_mutex_lock(&d->lock);
        e->next = d->head;
        if (d->head)
            d->head->prev = e;
        d->head = e;
        pthread_mutex_unlock(&d->lock);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct rt_conn_entry *e = *socket_context;
        if (!e)
            return;
        /* libmicrohttpd closes the descriptor after this returns: from
         * here on the sweep must not see it. */
        pthread_mutex_lock(&d->lock);
        if (e->prev)
            e->prev->next = e->next;
        else
            d->head = e->next;
        if (e->next)
            e->next->prev = e->prev;
        pthread_mutex_unlock(&d->lock);
        free(e);
        *socket_context = NULL;
    }
}

static struct rt_conn_entry *entry_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void rt_deadlines_headers_done(struct rt_deadlines *d, struct MHD_Connection *conn)
{
    struct rt_conn_entry *e = entry_of(conn);
    if (!e)
        return;
    pthread_mutex_lock(&d->lock);
    e->phase = PHASE_BODY;
    e->t0 = rt_now();
    e->body = 0;
    pthread_mutex_unlock(&d->lock);
}

void rt_deadlines_body_bytes(struct rt_deadlines *d, struct MHD_Connection *conn, size_t n)
{
    struct rt_conn_entry *e = entry_of(conn);
    if (!e)
        return;
    pthread_mutex_lock(&d->lock);
    e->body += n;
    pthread_mutex_unlock(&d->lock);
}

void rt_deadlines_answering(struct rt_deadlines *d, struct MHD_Connection *conn)
{
    struct rt_conn_entry *e = entry_of(conn);
    if (!e)
        return;
    pthread_mutex_lock(&d->lock);
    e->phase = PHASE_ANSWERING;
    pthread_mutex_unlock(&d->lock);
}

void rt_deadlines_request_done(struct rt_deadlines *d, struct MHD_Connection *conn)
{
    struct rt_conn_entry *e = entry_of(conn);
    if (!e)
        return;
    pthread_mutex_lock(&d->lock);
    become_idle(e, rt_now());
    pthread_mutex_unlock(&d->lock);
}

/* Under the lock: shut the connection down; libmicrohttpd reads the end of
 * the stream and closes it. */
static void cut(struct rt_deadlines *d, struct rt_conn_entry *e, int body)
{
    shutdown(e->fd, SHUT_RDWR);
    e->cut = 1;
    if (body) {
        d->cut_body++;
        rt_log(OPTML_LOG_DEBUG, "closing the connection from %s: %llu body bytes in %.1f s, below %g bytes/s",
               e->peer, (unsigned long long)e->body, rt_now() - e->t0, d->min_body_rate);
    } else {
        d->cut_headers++;
        rt_log(OPTML_LOG_DEBUG, "closing the connection from %s: its request headers took over %g s",
               e->peer, d->header_timeout_s);
    }
}

void rt_deadlines_sweep(struct rt_deadlines *d)
{
    double now = rt_now();
    if (now - d->last_sweep < SWEEP_EVERY_S)
        return;
    d->last_sweep = now;
    double header = d->header_timeout_s, rate = d->min_body_rate;
    pthread_mutex_lock(&d->lock);
    for (struct rt_conn_entry *e = d->head; e; e = e->next) {
        if (e->cut)
            continue;
        switch (e->phase) {
        case PHASE_IDLE:
            if (header <= 0)
                break;
            if (e->have_seen) {
                int64_t n = bytes_received(e->fd);
                if (n >= 0 && (uint64_t)n > e->seen_bytes) {
                    e->phase = PHASE_HEADERS; /* a new request's first bytes */
                    e->t0 = now;
                }
            } else if (now > e->t0 + d->idle_timeout_s + header) {
                cut(d, e, 0);
            }
            break;
        case PHASE_HEADERS:
            if (header > 0 && now > e->t0 + header)
                cut(d, e, 0);
            break;
        case PHASE_BODY:
            if (rate > 0 && now > e->t0 + header + (double)e->body / rate)
                cut(d, e, 1);
            break;
        case PHASE_ANSWERING:
            break;
        }
    }
    if (now - d->last_report >= REPORT_EVERY_S)
        report(d, now);
    pthread_mutex_unlock(&d->lock);
}
