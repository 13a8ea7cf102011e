/*
 * net.c: TCP helpers for the supervisors (launch.c) and the launch agent
 * (agent.c): lookups with short resolver timeouts, bounded connects and
 * reads, lines.
 */
#define _GNU_SOURCE
#include "dist/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"

int rt_net_port(void)
{
    const char *p = getenv("OPTML_DIST_PORT");
    int v = p ? atoi(p) : 0;
    return v > 0 && v < 65536 ? v : 7471;
}

void rt_net_quick_resolver(void) { setenv("RES_OPTIONS", "timeout:1 attempts:2", 0); }

int rt_net_resolve(const char *host, struct in_addr *out, int max)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return 0;
    int n = 0;
    for (struct addrinfo *a = res; a && n < max; a = a->ai_next)
        out[n++] = ((struct sockaddr_in *)a->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return n;
}

int rt_net_connect(const char *host, int port, int timeout_ms)
{
    struct in_addr addr[8];
    int n = rt_net_resolve(host, addr, 8);
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return -1;
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr = addr[i];
        int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
        if (rc != 0 && errno == EINPROGRESS) {
            struct pollfd p = {fd, POLLOUT, 0};
            int err = 0;
            socklen_t el = sizeof(err);
            if (poll(&p, 1, timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && !err)
                rc = 0;
        }
        if (rc == 0) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            return fd;
        }
        close(fd);
    }
    return -1;
}

int rt_net_listen(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    struct in_addr own;
    if (rt_net_resolve(host, &own, 1) == 1) {
        sa.sin_addr = own;
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 8) == 0)
            return fd;
    }
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 8) == 0)
        return fd;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

int rt_net_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Wait until fd is readable, at most until `deadline` (monotonic s). */
static int wait_readable(int fd, double deadline)
{
    for (;;) {
        double left = deadline - rt_now();
        if (left <= 0)
            return -1;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, left > 1e6 ? 1000000000 : (int)(left * 1000) + 1);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

int rt_net_read_line(int fd, char *buf, size_t size, int timeout_ms)
{
    double deadline = rt_now() + timeout_ms / 1000.0;
    size_t n = 0;
    while (n + 1 < size) {
        if (wait_readable(fd, deadline) != 0)
            return -1;
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (c == '\n') {
            buf[n] = 0;
            return (int)n;
        }
        buf[n++] = c;
    }
    return -1;
}

int rt_net_read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
    double deadline = rt_now() + timeout_ms / 1000.0;
    char *p = buf;
    while (len > 0) {
        if (wait_readable(fd, deadline) != 0)
            return -1;
        ssize_t r = read(fd, p, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}
