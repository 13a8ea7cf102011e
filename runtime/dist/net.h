/*
 * net.h: the little TCP the supervisors and the launch agent speak: name
 * lookups with short resolver timeouts, connects and reads bounded in time,
 * one text line at a time.
 */
#ifndef OPTML_DIST_NET_H
#define OPTML_DIST_NET_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

/* The supervisors' port on every host: $OPTML_DIST_PORT, default 7471. */
int rt_net_port(void);
/* Ask glibc's resolver to give up fast (RES_OPTIONS timeout:1 attempts:2)
 * when nothing else was set, so a host that is not up yet costs a second,
 * not five. */
void rt_net_quick_resolver(void);
/* IPv4 addresses of `host` (an IP literal too): up to `max` in out[];
 * returns how many (0: does not resolve). */
int rt_net_resolve(const char *host, struct in_addr *out, int max);
/* Connect to host:port within timeout_ms; a connected blocking socket or -1. */
int rt_net_connect(const char *host, int port, int timeout_ms);
/* Listen on port at the address `host` resolves to when it is this
 * machine's, else on every address; -1 with errno on failure. */
int rt_net_listen(const char *host, int port);
/* Write all of buf; 0 or -1. */
int rt_net_write_all(int fd, const void *buf, size_t len);
/* Read one line (without the newline) into buf within timeout_ms; returns
 * its length, or -1 on EOF, error, timeout or a line longer than size-1. */
int rt_net_read_line(int fd, char *buf, size_t size, int timeout_ms);
/* Read exactly len bytes within timeout_ms; 0 or -1. */
int rt_net_read_exact(int fd, void *buf, size_t len, int timeout_ms);

#endif
