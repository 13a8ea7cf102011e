/*
 * slowloris: the bench's attacker and honest client for `optml serve`
 * under attack (bench/attacks.sh).  Traffic stays on loopback: the attacker
 * is 127.0.0.1, the honest client 127.0.0.2.
 *
 *   slowloris attack PORT CONNS INTERVAL_S HOLD_S PINGS
 *       opens CONNS connections from 127.0.0.1, each sending a request line
 *       and then one header line every INTERVAL_S seconds, never ending its
 *       headers, for HOLD_S seconds; meanwhile (from the first second) times
 *       PINGS GET /ping from 127.0.0.2, one every 100 ms, each on a fresh
 *       connection.  Prints one line:
 *           SLOWLORIS conns= connected= closed_at_once= (server closed them
 *           within 1 s: over the per-client cap) cut= (closed later)
 *           cut_p50_s= cut_max_s= (seconds from connect) open_at_end=
 *           pings= ok= p50_ms= p99_ms= max_ms=
 *   slowloris chunked PORT CAP_MB
 *       POSTs a chunked body of endless 64 KiB chunks from a socket with a
 *       64 KiB send buffer, until the server answers or closes (at most
 *       CAP_MB MiB or 30 s).  Prints
 *           CHUNKED sent_bytes= status= ms=
 *       sent_bytes bounds what the server read: it is what the client got
 *       into its socket, the server's read plus what the kernels buffer.
 * Every wait is bounded; the tool starts no process.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A non-blocking socket from `from` to 127.0.0.1:port, connect started. */
static int open_from(const char *from, int port, int sndbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, from, &src.sin_addr);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
        (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Wait until fd is connected (at most until `end`); 0 on success. */
static int wait_connected(int fd, double end)
{
    struct pollfd p = {fd, POLLOUT, 0};
    int ms = (int)((end - now_s()) * 1000);
    if (ms < 1 || poll(&p, 1, ms) != 1)
        return -1;
    int err = 0;
    socklen_t len = sizeof(err);
    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0 ? 0 : -1;
}

static int send_all(int fd, const char *s, size_t n, double end)
{
    while (n > 0) {
        struct pollfd p = {fd, POLLOUT, 0};
        int ms = (int)((end - now_s()) * 1000);
        if (ms < 1 || poll(&p, 1, ms) != 1)
            return -1;
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read an HTTP answer until its head and Content-Length body are in (or
 * the peer closes); the status, or 0. */
static int read_answer(int fd, double end)
{
    char buf[8192];
    size_t got = 0;
    for (;;) {
        buf[got] = 0;
        char *head_end = strstr(buf, "\r\n\r\n");
        if (head_end) {
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            size_t want = (size_t)(head_end + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
            if (got >= want || got + 1 >= sizeof(buf))
                break;
        }
        if (got + 1 >= sizeof(buf))
            break;
        struct pollfd p = {fd, POLLIN, 0};
        int ms = (int)((end - now_s()) * 1000);
        if (ms < 1 || poll(&p, 1, ms) != 1)
            break;
        ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = 0;
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        status = 0;
    return status;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
    if (n == 0)
        return 0;
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

struct pinger {
    int port, pings;
    double start;
    double *ms;
    int ok;
};

static void *ping_run(void *arg)
{
    struct pinger *pg = arg;
    while (now_s() < pg->start)
        usleep(10000);
    for (int i = 0; i < pg->pings; i++) {
        double t0 = now_s(), end = t0 + 60;
        int fd = open_from("127.0.0.2", pg->port, 0);
        int status = 0;
        static const char req[] = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if (fd >= 0 && wait_connected(fd, end) == 0 && send_all(fd, req, sizeof(req) - 1, end) == 0)
            status = read_answer(fd, end);
        if (fd >= 0)
            close(fd);
        pg->ms[i] = (now_s() - t0) * 1000;
        if (status == 200)
            pg->ok++;
        else
            pg->ms[i] = 1e9; /* a failure counts as the slowest */
        usleep(100000);
    }
    return NULL;
}

static int attack(int port, int conns, double interval, double hold, int pings)
{
    int *fd = calloc((size_t)conns, sizeof(int));
    double *opened = calloc((size_t)conns, sizeof(double)), *cut = calloc((size_t)conns, sizeof(double));
    double *next = calloc((size_t)conns, sizeof(double));
    struct pinger pg = {.port = port, .pings = pings, .ms = calloc((size_t)pings + 1, sizeof(double))};
    if (!fd || !opened || !cut || !next || !pg.ms)
        return 2;
    double t0 = now_s();
    int connected = 0, closed_at_once = 0, n_cut = 0, open_now = 0, line = 0;
    for (int i = 0; i < conns; i++) {
        fd[i] = open_from("127.0.0.1", port, 0);
        opened[i] = now_s();
        if (fd[i] >= 0 && wait_connected(fd[i], now_s() + 5) == 0) {
            connected++;
            static const char first[] = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n";
            if (send(fd[i], first, sizeof(first) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                close(fd[i]);
                fd[i] = -1;
                closed_at_once++;
                continue;
            }
            next[i] = opened[i] + interval;
            open_now++;
        } else if (fd[i] >= 0) {
            close(fd[i]);
            fd[i] = -1;
        }
    }
    pg.start = now_s() + 1;
    pthread_t th;
    int have_pinger = pthread_create(&th, NULL, ping_run, &pg) == 0;
    struct pollfd *p = calloc((size_t)conns, sizeof(*p));
    while (now_s() - t0 < hold) {
        int n = 0;
        for (int i = 0; i < conns; i++)
            if (fd[i] >= 0)
                p[n++] = (struct pollfd){fd[i], POLLIN, 0};
        poll(p, (nfds_t)n, 50);
        double t = now_s();
        for (int k = 0, i = 0; i < conns; i++) {
            if (fd[i] < 0)
                continue;
            int gone = 0;
            if (p[k].fd == fd[i] && (p[k].revents & (POLLIN | POLLHUP | POLLERR))) {
                char b[512];
                ssize_t r = recv(fd[i], b, sizeof(b), MSG_DONTWAIT);
                gone = r == 0 || (r < 0 && errno != EAGAIN);
            }
            k++;
            if (!gone && t >= next[i]) {
                char h[64];
                int len = snprintf(h, sizeof(h), "X-Slow-%d: %d\r\n", line++, i);
                gone = send(fd[i], h, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN;
                next[i] = t + interval;
            }
            if (gone) {
                close(fd[i]);
                fd[i] = -1;
                open_now--;
                if (t - opened[i] < 1.0)
                    closed_at_once++;
                else
                    cut[n_cut++] = t - opened[i];
            }
        }
    }
    if (have_pinger)
        pthread_join(th, NULL);
    for (int i = 0; i < conns; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    qsort(cut, (size_t)n_cut, sizeof(double), cmp_double);
    qsort(pg.ms, (size_t)pings, sizeof(double), cmp_double);
    printf("SLOWLORIS conns=%d connected=%d closed_at_once=%d cut=%d cut_p50_s=%.1f cut_max_s=%.1f open_at_end=%d "
           "pings=%d ok=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
           conns, connected, closed_at_once, n_cut, pct(cut, n_cut, 0.5), n_cut ? cut[n_cut - 1] : 0, open_now,
           pings, pg.ok, pct(pg.ms, pings, 0.5), pct(pg.ms, pings, 0.99), pings ? pg.ms[pings - 1] : 0);
    free(fd);
    free(opened);
    free(cut);
    free(next);
    free(pg.ms);
    free(p);
    return 0;
}

static int chunked(int port, size_t cap_mb)
{
    double t0 = now_s(), end = t0 + 30;
    int fd = open_from("127.0.0.1", port, 65536);
    if (fd < 0 || wait_connected(fd, end) != 0)
        return 2;
    static const char head[] = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n";
    if (send_all(fd, head, sizeof(head) - 1, end) != 0)
        return 2;
    static char chunk[65536 + 16];
    size_t n = (size_t)snprintf(chunk, sizeof(chunk), "10000\r\n");
    memset(chunk + n, '7', 65536);
    n += 65536;
    memcpy(chunk + n, "\r\n", 2);
    n += 2;
    size_t sent = 0, off = 0, cap = cap_mb << 20;
    while (sent < cap && now_s() < end) {
        struct pollfd p = {fd, POLLIN | POLLOUT, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        if (p.revents & (POLLIN | POLLHUP | POLLERR))
            break;
        ssize_t w = send(fd, chunk + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w < 0)
            break;
        sent += (size_t)w;
        off = (off + (size_t)w) % n;
    }
    int status = read_answer(fd, now_s() + 5);
    close(fd);
    printf("CHUNKED sent_bytes=%zu status=%d ms=%.1f\n", sent, status, (now_s() - t0) * 1000);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 7 && strcmp(argv[1], "attack") == 0)
        return attack(atoi(argv[2]), atoi(argv[3]), atof(argv[4]), atof(argv[5]), atoi(argv[6]));
    if (argc == 4 && strcmp(argv[1], "chunked") == 0)
        return chunked(atoi(argv[2]), (size_t)atol(argv[3]));
    fprintf(stderr, "usage: slowloris attack PORT CONNS INTERVAL_S HOLD_S PINGS\n"
                    "       slowloris chunked PORT CAP_MB\n");
    return 2;
}
