/*
 * deadlines.h: the header deadline and the minimum body rate of `optml
 * serve`'s connections (libmicrohttpd has neither: its idle timeout only
 * measures silence, so a client sending a header line every few seconds
 * could hold a connection forever).
 *
 * Every open connection has an entry, made and freed by libmicrohttpd's
 * connection notifications (rt_deadlines_notify).  The access handler says
 * when a request's headers are complete and counts its body bytes; the
 * completion callback says when a request is over.  rt_deadlines_sweep,
 * called from the main loop, shuts down (shutdown(2), never close(2)) the
 * connections that are past their deadline; libmicrohttpd then sees the
 * socket end and closes it the usual way.  The registry's lock is held
 * around shutdown() and by the CLOSED notification, which libmicrohttpd
 * sends before it closes the descriptor, so no descriptor is touched after
 * it was closed.
 *
 * The clocks:
 *   headers  from accept (or, on a kept-alive connection, from the first
 *            byte of the next request) to the end of the headers: at most
 *            header_timeout_s;
 *   body     from the end of the headers to the end of the body: at most
 *            header_timeout_s + bytes / min_body_rate seconds (so the body
 *            averages min_body_rate bytes/s after that much slack);
 *   between  requests on a kept-alive connection: no deadline here, only
 *            the idle timeout.
 */
#ifndef OPTML_SERVE_DEADLINES_H
#define OPTML_SERVE_DEADLINES_H

#include <microhttpd.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct rt_conn_entry;

struct rt_deadlines {
    pthread_mutex_t lock;
    struct rt_conn_entry *head;     /* every open connection */
    double header_timeout_s;        /* 0: no header deadline */
    double min_body_rate;           /* bytes/s; 0: no body rate */
    double idle_timeout_s;          /* for the fallback when TCP_INFO says nothing */
    double last_sweep;
    double last_report;             /* of the INFO summary line */
    unsigned long cut_headers, cut_body; /* since the last summary line */
};

void rt_deadlines_init(struct rt_deadlines *d, double header_timeout_s, double min_body_rate,
                       double idle_timeout_s);
/* After MHD_stop_daemon (every connection is closed by then). */
void rt_deadlines_deinit(struct rt_deadlines *d);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the struct rt_deadlines. */
void rt_deadlines_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                         enum MHD_ConnectionNotificationCode code);

/* From the access handler (libmicrohttpd's thread): the headers of a
 * request are complete; `n` body bytes arrived; the body is complete (or
 * refused) and the request is being answered. */
void rt_deadlines_headers_done(struct rt_deadlines *d, struct MHD_Connection *conn);
void rt_deadlines_body_bytes(struct rt_deadlines *d, struct MHD_Connection *conn, size_t n);
void rt_deadlines_answering(struct rt_deadlines *d, struct MHD_Connection *conn);
/* From the completion callback: the request is over; the connection waits
 * for its next request (or closes). */
void rt_deadlines_request_done(struct rt_deadlines *d, struct MHD_Connection *conn);

/* Shut down the connections past their deadline (at most every 0.2 s;
 * cheaper calls return at once).  Any thread. */
void rt_deadlines_sweep(struct rt_deadlines *d);

#endif
