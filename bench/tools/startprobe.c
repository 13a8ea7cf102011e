/*
 * startprobe: the bench's start-up timer and free-port finder.
 *
 *   startprobe port
 *       prints a TCP port on 127.0.0.1 that is free now (bind to port 0).
 *   startprobe time PORT LOG -- CMD [ARGS...]
 *       reads CLOCK_MONOTONIC, forks and execs CMD (stdout and stderr appended
 *       to LOG), then every 1 ms tries a TCP connection
 *       to 127.0.0.1:PORT and sends `GET /ping`; prints
 *           open_ms=<first accepted connection> ping200_ms=<first 200 answer>
 *       then sends SIGTERM to CMD and reaps it (SIGKILL after 10 s).  Gives up
 *       after 30 s, or when CMD exits first; exits 1 then.
 *
 * It stops only the one process it started, by pid; SIGINT/SIGTERM to the
 * probe are passed on to that process.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child = -1;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void on_signal(int sig)
{
    if (child > 0)
        kill(child, SIGTERM);
    signal(sig, SIG_DFL);
    raise(sig);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("startprobe: free port");
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* One attempt: -1 nothing listening, 0 connected but no 200, 1 got 200. */
static int try_ping(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    static const char req[] = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    int rc = 0;
    if (write(fd, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1)) {
        char buf[64];
        size_t got = 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (got < 12 && poll(&p, 1, 2000) == 1) {
            ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        buf[got] = 0;
        rc = got >= 12 && strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 9, "200", 3) == 0;
    }
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "port") == 0) {
        int p = free_port();
        if (p < 0)
            return 1;
        printf("%d\n", p);
        return 0;
    }
    if (argc < 6 || strcmp(argv[1], "time") != 0 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: startprobe port | startprobe time PORT LOG -- CMD [ARGS...]\n");
        return 2;
    }
    int port = atoi(argv[2]);
    int log = open(argv[3], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) {
        perror(argv[3]);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        dup2(log, 1);
        dup2(log, 2);
        execvp(argv[5], argv + 5);
        perror(argv[5]);
        _exit(127);
    }
    child = pid;

    double open_ms = -1, ok_ms = -1;
    int status, exited = 0;
    while (now_ms() - t0 < 30000) {
        int r = try_ping(port);
        double t = now_ms() - t0;
        if (r >= 0 && open_ms < 0)
            open_ms = t;
        if (r == 1) {
            ok_ms = t;
            break;
        }
        if (waitpid(pid, &status, WNOHANG) == pid) {
            exited = 1;
            break;
        }
        sleep_ms(1);
    }

    if (!exited) {
        kill(pid, SIGTERM);
        double t = now_ms();
        while (waitpid(pid, &status, WNOHANG) != pid) {
            if (now_ms() - t > 10000) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                break;
            }
            sleep_ms(5);
        }
    }
    if (ok_ms < 0) {
        fprintf(stderr, "startprobe: no 200 from /ping on port %d (%s)\n", port,
                exited ? "the server exited" : "timed out after 30 s");
        return 1;
    }
    printf("open_ms=%.2f ping200_ms=%.2f\n", open_ms, ok_ms);
    return 0;
}
