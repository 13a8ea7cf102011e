/*
 * launch.c: the supervisor, what `optml train` does on each host of a
 * multi-host job (the process SageMaker started, PID 1 in a container).
 * The first host in sorted order leads: it waits until every other host
 * resolves and its supervisor answers, then runs mpirun with one rank per
 * host, whose remote-shell agent is `optml dist-launch` (agent.c) instead
 * of ssh.  Every other host follows: it listens on OPTML_DIST_PORT, takes
 * connections from the leader's address only, and accepts exactly one
 * launch, which it runs as Open MPI's orted and nothing else.  Each
 * supervisor forwards SIGTERM to its host's rank and exits with the job's
 * outcome, which the leader sends to every follower ("OK" or "FAIL host
 * reason"); output/failure names the host that failed (for a frozen host,
 * the one a rank's timed-out collective found silent; when the leader is
 * the frozen one, a follower whose rank failed ends by itself).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/stop.h"
#include "dist/dist.h"
#include "dist/net.h"

#define MAX_HOSTS 256
#define MAX_LAUNCH_BYTES (64 * 1024)
#define UNKNOWN_HOST "-" /* a culprit not named (no host name is "-") */

struct sup {
    const struct rt_resource_config *rc;
    const struct rt_paths *paths;
    const char **hosts; /* sorted */
    size_t n;
    char pidfile[PATH_MAX];
    pid_t child;        /* mpirun (leader) or orted (follower) */
    int child_status;
    int child_done;
    int forwarded;      /* SIGTERM passed to the rank */
    char culprit[256];  /* the host that failed, first known */
    char reason[512];
};

static double wait_seconds(void)
{
    const char *v = getenv("OPTML_DIST_WAIT_SECONDS");
    double s = v ? atof(v) : 0;
    return s > 0 ? s : 600;
}

/* Reap children (as PID 1, orphans too); note the one we wait for. */
static void reap(struct sup *s)
{
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0)
        if (p == s->child) {
            s->child_status = st;
            s->child_done = 1;
        }
}

/* The pid this host's rank recorded (dist.c), or 0. */
static long rank_pid(const struct sup *s)
{
    FILE *f = fopen(s->pidfile, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return pid;
}

/* SIGTERM to this host's rank, once its pid is known. */
static void forward_stop(struct sup *s)
{
    if (s->forwarded || !rt_stop_requested())
        return;
    long pid = rank_pid(s);
    if (pid > 1) {
        rt_log(OPTML_LOG_INFO, "Stop requested: passing SIGTERM to this host's rank (pid %ld)", pid);
        kill((pid_t)pid, SIGTERM);
        s->forwarded = 1;
    }
}

static void set_culprit(struct sup *s, const char *host, const char *reason)
{
    if (s->culprit[0] || !host || !*host)
        return;
    snprintf(s->culprit, sizeof(s->culprit), "%s", host);
    snprintf(s->reason, sizeof(s->reason), "%s", reason);
}

/* The failure this host's rank wrote itself: its exit code (2 ClientError,
 * 1 AlgorithmError), or 0 when there is none. */
static int local_failure(const struct sup *s)
{
    FILE *f = fopen(s->paths->failure_file, "r");
    if (!f)
        return 0;
    char word[32] = "";
    int got = fscanf(f, "%31[A-Za-z]", word);
    fclose(f);
    return got == 1 && strcmp(word, "ClientError") == 0 ? 2 : 1;
}

/* Write output/failure naming the host that failed, unless it is this host
 * and its rank already said why; the exit code. */
static int fail_job(struct sup *s)
{
    if (!s->culprit[0])
        set_culprit(s, UNKNOWN_HOST, "the job ended with an error");
    int own = local_failure(s);
    if (own && strcmp(s->culprit, s->rc->current_host) == 0)
        return own;
    char *line = NULL;
    int l = strcmp(s->culprit, UNKNOWN_HOST) == 0
                ? asprintf(&line, "AlgorithmError: the multi-host job failed: %s\n", s->reason)
                : asprintf(&line, "AlgorithmError: host %s failed: %s\n", s->culprit, s->reason);
    if (l < 0)
        return 1;
    rt_log(OPTML_LOG_ERROR, "%.*s", (int)strlen(line) - 1, line);
    struct optml_ctx scratch;
    rt_ctx_init(&scratch);
    struct rt_chunk c = {line, strlen(line)};
    if (rt_write_atomic(&scratch, s->paths->failure_file, &c, 1) != OPTML_OK)
        rt_log(OPTML_LOG_ERROR, "could not write the failure file: %s", scratch.errmsg);
    free(line);
    return 1;
}

/* The host this host's rank found silent ("... host X stopped answering"
 * in its failure file, dist.c), into `out`; 0 when there is one. */
static int silent_host(const struct sup *s, char *out, size_t size)
{
    FILE *f = fopen(s->paths->failure_file, "r");
    if (!f)
        return -1;
    char line[1024] = "";
    int got = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    const char *p = got ? strstr(line, "host ") : NULL;
    char host[256];
    int off = 0;
    while (p && !(sscanf(p, "host %255s stopped answering%n", host, &off) == 1 && off > 0))
        p = strstr(p + 1, "host ");
    if (!p)
        return -1;
    snprintf(out, size, "%s", host);
    return 0;
}

static void describe_status(int st, char *out, size_t size)
{
    if (WIFSIGNALED(st))
        snprintf(out, size, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(out, size, "exit code %d", WEXITSTATUS(st));
}

/* ------------------------------------------------------------------------ */
/* Leader                                                                   */
/* ------------------------------------------------------------------------ */

/* What mpirun says about a failure: the node, or the rank (mapped to its
 * host), of the first process or daemon that failed. */
static void scan_mpirun_line(struct sup *s, const char *line, int *pending_rank)
{
    const char *p;
    char host[256], why[256];
    int off = 0;
    /* A rank whose collective timed out names the host that went silent
     * (dist.c): "Host X stopped answering: <why> (seen from Y)". */
    if ((p = strstr(line, "] Host ")) && sscanf(p, "] Host %255s stopped answering: %n", host, &off) == 1 &&
        off > 0) {
        snprintf(why, sizeof(why), "it stopped answering: %.200s", p + off);
        size_t wl = strlen(why);
        while (wl && (why[wl - 1] == '\n' || why[wl - 1] == '\r'))
            why[--wl] = 0;
        set_culprit(s, host, why);
        return;
    }
    if ((p = strstr(line, " on node ")) && sscanf(p, " on node %255s", host) == 1 &&
        (strstr(line, "exited on signal") || strstr(line, "Remote daemon") || strstr(line, "exited"))) {
        size_t l = strlen(host);
        while (l && (host[l - 1] == '.' || host[l - 1] == ',')) /* "on node X." */
            host[--l] = 0;
        const char *what = strstr(line, "Remote daemon") ? "lost contact with the host"
                                                          : "its rank failed";
        if (!strstr(line, "Remote daemon") && (p = strstr(line, "exited"))) {
            snprintf(why, sizeof(why), "its rank %.200s", p);
            size_t wl = strlen(why);
            while (wl && (why[wl - 1] == '\n' || why[wl - 1] == '.'))
                why[--wl] = 0;
            what = why;
        }
        set_culprit(s, host, what);
        return;
    }
    int job, rank;
    if ((p = strstr(line, "Process name: [[")) && sscanf(p, "Process name: [[%d,1],%d]", &job, &rank) == 2 &&
        rank >= 0 && (size_t)rank < s->n)
        *pending_rank = rank;
    int code;
    if (*pending_rank >= 0 && (p = strstr(line, "Exit code:")) && sscanf(p, "Exit code: %d", &code) == 1) {
        snprintf(why, sizeof(why), "its rank exited with code %d", code);
        set_culprit(s, s->hosts[*pending_rank], why);
        *pending_rank = -1;
    }
}

/* Connect to a follower's supervisor and hear it answer READY <host>. */
static int probe_follower(const char *host)
{
    int fd = rt_net_connect(host, rt_net_port(), 1000);
    if (fd < 0)
        return -1;
    char line[300];
    int l = snprintf(line, sizeof(line), "CONTROL\n");
    if (rt_net_write_all(fd, line, (size_t)l) != 0 || rt_net_read_line(fd, line, sizeof(line), 2000) < 0 ||
        strncmp(line, "READY ", 6) != 0 || strcmp(line + 6, host) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void tell_all(int *fds, size_t n, const char *msg)
{
    for (size_t i = 1; i < n; i++)
        if (fds[i] >= 0)
            rt_net_write_all(fds[i], msg, strlen(msg));
}

static int start_mpirun(struct sup *s, int *err_fd)
{
    char exe[PATH_MAX];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (el <= 0)
        return -1;
    exe[el] = 0;
    char hostlist[MAX_HOSTS * 64] = "", np[16], agent[PATH_MAX + 32], prog[PATH_MAX];
    for (size_t i = 0; i < s->n; i++) {
        size_t used = strlen(hostlist);
        snprintf(hostlist + used, sizeof(hostlist) - used, "%s%s", i ? "," : "", s->hosts[i]);
    }
    snprintf(np, sizeof(np), "%zu", s->n);
    snprintf(agent, sizeof(agent), "%s dist-launch", exe);
    snprintf(prog, sizeof(prog), "%s", exe);
    const char *mpirun = getenv("OPTML_MPIRUN");
    const char *iface = s->rc->network_interface;
    const char *argv[80];
    int a = 0;
    argv[a++] = mpirun && *mpirun ? mpirun : "mpirun";
    if (geteuid() == 0)
        argv[a++] = "--allow-run-as-root";
    const char *fixed[] = {
        "--host", hostlist, "-np", np, "--map-by", "node",
        "--mca", "plm_rsh_agent", agent,
        "--mca", "plm_rsh_no_tree_spawn", "1",
        "--mca", "orte_abort_on_non_zero_status", "1",
        /* Only the transports named here: Debian's openmpi-mca-params.conf
         * leaves vader and others on. */
        "--mca", "pml", "ob1", "--mca", "btl", "tcp,self",
        "--mca", "btl_tcp_if_include", iface, "--mca", "oob_tcp_if_include", iface,
        /* Single-copy shared memory fails in containers. */
        "--mca", "btl_vader_single_copy_mechanism", "none",
        /* More ranks than CPUs must not spin. */
        "--mca", "mpi_yield_when_idle", "1",
        /* orted shares hwloc's topology through memory mapped at the
         * biggest hole of its address space; that crashed orted now and
         * then (several hosts on one machine).  Ranks get it over PMIx. */
        "--mca", "rtc_hwloc_vmhole", "none",
        "-x", "OPTML_DIST_RANK_CHILD=1", "-x", "OPTML_DIST_TIMEOUT",
        prog, "train", NULL};
    for (int i = 0; fixed[i]; i++)
        argv[a++] = fixed[i];
    argv[a] = NULL;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, STDIN_FILENO);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "optml: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    *err_fd = pipefd[0];
    s->child = pid;
    char cmd[8192] = "";
    for (int i = 0; argv[i]; i++) {
        size_t used = strlen(cmd);
        snprintf(cmd + used, sizeof(cmd) - used, "%s%s", i ? " " : "", argv[i]);
    }
    rt_log(OPTML_LOG_INFO, "Launching %zu ranks, one per host: %s", s->n, cmd);
    return 0;
}

static int leader(struct sup *s)
{
    int fds[MAX_HOSTS];
    for (size_t i = 0; i < s->n; i++)
        fds[i] = -1;
    double t0 = rt_now(), deadline = t0 + wait_seconds();
    rt_log(OPTML_LOG_INFO, "Host %s leads the job over %zu hosts; waiting for the others to answer on port %d",
           s->rc->current_host, s->n, rt_net_port());
    for (size_t i = 1; i < s->n; i++) {
        while ((fds[i] = probe_follower(s->hosts[i])) < 0) {
            if (rt_stop_requested()) {
                tell_all(fds, s->n, "STOP\n");
                rt_log(OPTML_LOG_INFO, "Stopped on request before the job started");
                return 0;
            }
            if (rt_now() > deadline) {
                tell_all(fds, s->n, "FAIL\n");
                set_culprit(s, s->hosts[i], "it did not answer (no name, or no optml on port) in time");
                snprintf(s->reason, sizeof(s->reason),
                         "it did not resolve or answer on port %d within %.0f s (OPTML_DIST_WAIT_SECONDS)",
                         rt_net_port(), wait_seconds());
                return fail_job(s);
            }
            usleep(250 * 1000);
        }
    }
    rt_log(OPTML_LOG_INFO, "All %zu hosts answered in %.3f s", s->n, rt_now() - t0);
    int err_fd = -1;
    if (start_mpirun(s, &err_fd) != 0) {
        tell_all(fds, s->n, "FAIL\n");
        set_culprit(s, s->rc->current_host, "could not start mpirun (is openmpi-bin installed?)");
        return fail_job(s);
    }
    char buf[4096];
    size_t have = 0;
    int pending_rank = -1, told = 0;
    while (!s->child_done || err_fd >= 0) {
        struct pollfd p[MAX_HOSTS + 1];
        size_t np = 0;
        if (err_fd >= 0)
            p[np++] = (struct pollfd){err_fd, POLLIN, 0};
        size_t first_ctl = np;
        for (size_t i = 1; i < s->n; i++)
            p[np++] = (struct pollfd){fds[i], POLLIN, 0}; /* fd -1 is skipped */
        poll(p, np, 200);
        forward_stop(s);
        reap(s);
        if (err_fd >= 0 && (p[0].revents & (POLLIN | POLLHUP))) {
            ssize_t r = read(err_fd, buf + have, sizeof(buf) - 1 - have);
            if (r <= 0) {
                close(err_fd);
                err_fd = -1;
            } else {
                have += (size_t)r;
            }
            char *nl;
            buf[have] = 0;
            while ((nl = memchr(buf, '\n', have)) || (have == sizeof(buf) - 1) || (err_fd < 0 && have)) {
                size_t len = nl ? (size_t)(nl - buf) + 1 : have;
                char line[sizeof(buf)];
                memcpy(line, buf, len);
                line[len] = 0;
                (void)!write(STDERR_FILENO, line, len);
                scan_mpirun_line(s, line, &pending_rank);
                memmove(buf, buf + len, have - len);
                have -= len;
                buf[have] = 0;
            }
        }
        /* Tell the followers as soon as a failure is known: their ranks
         * may be spinning in a collective that will never complete. */
        if (s->culprit[0] && !told) {
            char msg[1024];
            snprintf(msg, sizeof(msg), "FAIL %s %s\n", s->culprit, s->reason);
            tell_all(fds, s->n, msg);
            told = 1;
        }
        for (size_t i = 1; i < s->n; i++) {
            struct pollfd *q = &p[first_ctl + i - 1];
            if (fds[i] >= 0 && (q->revents & (POLLIN | POLLHUP | POLLERR))) {
                char c;
                if (read(fds[i], &c, 1) <= 0) { /* a follower's supervisor is gone */
                    close(fds[i]);
                    fds[i] = -1;
                    if (!s->child_done)
                        set_culprit(s, s->hosts[i], "its supervisor stopped answering (host down or network cut)");
                }
            }
        }
    }
    char how[96];
    describe_status(s->child_status, how, sizeof(how));
    int ok = WIFEXITED(s->child_status) && WEXITSTATUS(s->child_status) == 0;
    if (ok) {
        tell_all(fds, s->n, "OK\n");
        rt_log(OPTML_LOG_INFO, "The job ended without error on all %zu hosts", s->n);
    } else {
        if (!s->culprit[0] && local_failure(s))
            set_culprit(s, s->rc->current_host, "its rank failed");
        if (!s->culprit[0]) {
            char why[160];
            snprintf(why, sizeof(why), "mpirun ended with %s", how);
            set_culprit(s, UNKNOWN_HOST, why);
        }
        char msg[1024];
        snprintf(msg, sizeof(msg), "FAIL %s %s\n", s->culprit, s->reason);
        if (!told)
            tell_all(fds, s->n, msg);
    }
    for (size_t i = 1; i < s->n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return ok ? 0 : fail_job(s);
}

/* ------------------------------------------------------------------------ */
/* Follower                                                                 */
/* ------------------------------------------------------------------------ */

/* Open MPI quotes arguments for a remote shell ("..." around values, a
 * leading space before orted); no shell runs here, so take them off, and
 * keep orted in the foreground (no --daemonize) so this host waits for it. */
static char **orted_argv(char *args, size_t bytes)
{
    size_t n = 0;
    for (size_t i = 0; i < bytes; i++)
        n += args[i] == 0;
    char **argv = calloc(n + 1, sizeof(*argv));
    if (!argv)
        return NULL;
    size_t k = 0;
    for (char *p = args, *next; p < args + bytes; p = next) {
        next = p + strlen(p) + 1;
        char *a = p;
        while (*a == ' ' || *a == '\t')
            a++;
        size_t l = strlen(a);
        if (l >= 2 && a[0] == '"' && a[l - 1] == '"') {
            a[l - 1] = 0;
            a++;
        }
        if (strcmp(a, "--daemonize") == 0)
            continue;
        argv[k++] = a;
    }
    if (k == 0 || strcmp(argv[0], "orted") != 0) {
        free(argv);
        return NULL;
    }
    return argv;
}

static int start_orted(struct sup *s, char **argv)
{
    const char *orted = getenv("OPTML_ORTED");
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, STDIN_FILENO);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execvp(orted && *orted ? orted : "orted", argv);
        fprintf(stderr, "optml: cannot run orted: %s\n", strerror(errno));
        _exit(127);
    }
    s->child = pid;
    return 0;
}

static int peer_is(int fd, const struct in_addr *allowed, int n)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    if (getpeername(fd, (struct sockaddr *)&sa, &sl) != 0 || sa.sin_family != AF_INET)
        return 0;
    for (int i = 0; i < n; i++)
        if (allowed[i].s_addr == sa.sin_addr.s_addr)
            return 1;
    return 0;
}

static int follower(struct sup *s)
{
    const char *lead = s->hosts[0];
    int lfd = rt_net_listen(s->rc->current_host, rt_net_port());
    if (lfd < 0) {
        set_culprit(s, s->rc->current_host, "cannot listen for the leader");
        snprintf(s->reason, sizeof(s->reason), "cannot listen on port %d: %s (OPTML_DIST_PORT)", rt_net_port(),
                 strerror(errno));
        return fail_job(s);
    }
    rt_log(OPTML_LOG_INFO, "Host %s follows %s: waiting for it on port %d", s->rc->current_host, lead,
           rt_net_port());
    double deadline = rt_now() + wait_seconds();
    int ctl = -1, launch = -1, launched = 0, verdict = 0; /* verdict: 1 OK, -1 FAIL, 2 STOP */
    double orted_end = 0, failed_at = 0, rank_gone_at = 0;
    for (;;) {
        struct pollfd p[3] = {{lfd, POLLIN, 0}, {ctl, POLLIN, 0}, {launch, POLLIN, 0}};
        poll(p, 3, 200);
        reap(s);
        forward_stop(s);
        if (!launched && rt_stop_requested()) {
            rt_log(OPTML_LOG_INFO, "Stopped on request before the job started");
            break;
        }
        if (p[0].revents & POLLIN) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            struct in_addr allowed[8];
            int na = fd >= 0 ? rt_net_resolve(lead, allowed, 8) : 0;
            char line[64];
            if (fd < 0) {
                /* nothing */
            } else if (!peer_is(fd, allowed, na)) {
                rt_log(OPTML_LOG_WARNING, "Refused a connection that is not from the leader %s", lead);
                close(fd);
            } else if (rt_net_read_line(fd, line, sizeof(line), 5000) < 0) {
                close(fd);
            } else if (strcmp(line, "CONTROL") == 0 && !launched) {
                /* The leader probes again when an answer was lost. */
                if (ctl >= 0)
                    close(ctl);
                ctl = -1;
                char ready[300];
                int l = snprintf(ready, sizeof(ready), "READY %s\n", s->rc->current_host);
                if (rt_net_write_all(fd, ready, (size_t)l) == 0)
                    ctl = fd;
                else
                    close(fd);
            } else if (strncmp(line, "LAUNCH ", 7) == 0 && !launched) {
                size_t bytes = strtoul(line + 7, NULL, 10);
                char *args = bytes > 0 && bytes <= MAX_LAUNCH_BYTES ? malloc(bytes) : NULL;
                char **argv = NULL;
                if (args && rt_net_read_exact(fd, args, bytes, 5000) == 0 && args[bytes - 1] == 0)
                    argv = orted_argv(args, bytes);
                if (!argv) {
                    rt_log(OPTML_LOG_WARNING, "Refused a launch from %s: not an orted command", lead);
                    close(fd);
                } else if (start_orted(s, argv) != 0) {
                    close(fd);
                } else {
                    rt_log(OPTML_LOG_INFO, "Started orted for the job led by %s", lead);
                    launch = fd;
                    launched = 1;
                }
                free(argv);
                free(args);
            } else {
                rt_log(OPTML_LOG_WARNING, "Refused a second or unknown request from %s: %.40s", lead, line);
                close(fd);
            }
        }
        if (ctl >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            char line[1024];
            int l = rt_net_read_line(ctl, line, sizeof(line), 2000);
            if (l < 0) {
                close(ctl);
                ctl = -1;
                if (!verdict) {
                    set_culprit(s, lead, "the leader stopped answering (host down or network cut)");
                    verdict = -1;
                }
            } else if (strcmp(line, "OK") == 0) {
                verdict = 1;
            } else if (strcmp(line, "STOP") == 0) {
                verdict = 2;
            } else if (strncmp(line, "FAIL", 4) == 0) {
                char host[256] = "";
                int off = 0;
                if (sscanf(line, "FAIL %255s %n", host, &off) >= 1 && off > 0)
                    set_culprit(s, host, line + off);
                verdict = -1;
            }
        }
        if (launch >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
            char c;
            if (read(launch, &c, 1) <= 0) { /* the agent ended (mpirun tears down) */
                close(launch);
                launch = -1;
            }
        }
        if (launched && s->child_done && !orted_end) {
            orted_end = rt_now();
            if (launch >= 0) {
                char msg[32];
                int code = WIFEXITED(s->child_status) ? WEXITSTATUS(s->child_status) : 128 + WTERMSIG(s->child_status);
                int l = snprintf(msg, sizeof(msg), "EXIT %d\n", code);
                rt_net_write_all(launch, msg, (size_t)l);
                close(launch);
                launch = -1;
            }
        }
        /* Done: orted ended (or never started) and the leader said how it went,
         * or it cannot say any more. */
        if ((!launched || s->child_done) && verdict)
            break;
        if (launched && s->child_done && rt_now() - orted_end > 30) {
            set_culprit(s, lead, "the leader did not say how the job ended within 30 s");
            verdict = -1;
            break;
        }
        if (!launched && rt_now() > deadline) {
            set_culprit(s, lead, "");
            snprintf(s->reason, sizeof(s->reason), "it did not launch the job within %.0f s (OPTML_DIST_WAIT_SECONDS)",
                     wait_seconds());
            verdict = -1;
            break;
        }
        /* This host's rank ended with its own failure, but the leader says
         * nothing (its host frozen: a collective timed out here, and mpirun
         * there cannot end the job): after 15 s, fail naming the host the
         * rank found silent, else the leader, and end orted at once. */
        if (launched && !verdict && !s->child_done) {
            long pid = rank_pid(s);
            if (!rank_gone_at && pid > 1 && kill((pid_t)pid, 0) != 0 && errno == ESRCH && local_failure(s))
                rank_gone_at = rt_now();
            if (rank_gone_at && rt_now() - rank_gone_at > 15) {
                char silent[256];
                if (silent_host(s, silent, sizeof(silent)) == 0)
                    set_culprit(s, silent, "it stopped answering (the leader did not end the job either)");
                else
                    set_culprit(s, lead, "the leader did not end the job after this host's rank failed");
                verdict = -1;
                failed_at = rt_now() - 10; /* no mpirun will end orted */
            }
        }
        if (launched && !s->child_done && verdict == -1) {
            /* The job failed elsewhere: this host's rank may wait in a
             * collective that cannot complete; orted goes by itself when
             * mpirun ends, or after 10 s. */
            if (!failed_at) {
                failed_at = rt_now();
                long pid = rank_pid(s);
                if (pid > 1)
                    kill((pid_t)pid, SIGKILL);
            } else if (rt_now() - failed_at > 10) {
                kill(s->child, SIGKILL);
            }
        }
    }
    close(lfd);
    if (ctl >= 0)
        close(ctl);
    if (launch >= 0)
        close(launch);
    if (verdict == -1)
        return fail_job(s);
    if (verdict == 1)
        rt_log(OPTML_LOG_INFO, "The job ended without error on all %zu hosts", s->n);
    return local_failure(s);
}

int rt_dist_supervise(optml_ctx *ctx, const struct rt_resource_config *rc, const struct rt_paths *paths)
{
    struct sup s;
    memset(&s, 0, sizeof(s));
    s.rc = rc;
    s.paths = paths;
    s.n = rc->n_hosts;
    s.hosts = rt_dist_sorted_hosts(rc);
    if (!s.hosts || s.n > MAX_HOSTS) {
        free(s.hosts);
        optml_error(ctx, OPTML_E_CLIENT, "resourceconfig.json lists %zu hosts; at most %d are supported", s.n,
                    MAX_HOSTS);
        return 2;
    }
    /* Checked before anything starts; the leader's value reaches every
     * rank (mpirun -x). */
    double timeout = 0;
    if (rt_dist_timeout(ctx, &timeout) != OPTML_OK) {
        free(s.hosts);
        return 2;
    }
    char tv[32];
    snprintf(tv, sizeof(tv), "%g", timeout);
    setenv("OPTML_DIST_TIMEOUT", tv, 1);
    /* Children are reaped here, where their exit status is wanted. */
    signal(SIGCHLD, SIG_DFL);
    rt_net_quick_resolver();
    /* PMIx's shared-memory store trips over several hosts on one machine
     * (the tests) and needs /dev/shm room in containers. */
    setenv("PMIX_MCA_gds", "hash", 0);
    const char *tmp = getenv("TMPDIR");
    snprintf(s.pidfile, sizeof(s.pidfile), "%s/optml-dist-%ld.pid", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    unlink(s.pidfile);
    setenv("OPTML_DIST_PIDFILE", s.pidfile, 1);
    int code = strcmp(rc->current_host, s.hosts[0]) == 0 ? leader(&s) : follower(&s);
    unlink(s.pidfile);
    free(s.hosts);
    return code;
}
