/*
 * agent.c: `optml dist-launch HOST orted ARGS...`, the remote-shell agent
 * mpirun runs instead of ssh (--mca plm_rsh_agent): hands the arguments to
 * the supervisor listening on HOST (launch.c), which starts only Open MPI's
 * orted with them, and exits with orted's exit code when it ends.
 * Frame: "LAUNCH <bytes>\n", then the arguments, each NUL-terminated;
 * answer: "EXIT <code>\n".
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "dist/dist.h"
#include "dist/net.h"

int rt_dist_agent_main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: optml dist-launch HOST orted ARGS...  (run by mpirun)\n");
        return 2;
    }
    const char *host = argv[1];
    rt_net_quick_resolver();
    size_t bytes = 0;
    for (int i = 2; i < argc; i++)
        bytes += strlen(argv[i]) + 1;
    int fd = -1;
    /* The follower listens before it tells the leader it is ready, so a
     * few tries cover only a network hiccup. */
    for (int attempt = 0; attempt < 5 && fd < 0; attempt++) {
        if (attempt)
            usleep(200 * 1000);
        fd = rt_net_connect(host, rt_net_port(), 2000);
    }
    if (fd < 0) {
        fprintf(stderr, "optml dist-launch: cannot reach host %s on port %d\n", host, rt_net_port());
        return 255;
    }
    char head[64];
    int hl = snprintf(head, sizeof(head), "LAUNCH %zu\n", bytes);
    int ok = rt_net_write_all(fd, head, (size_t)hl) == 0;
    for (int i = 2; ok && i < argc; i++)
        ok = rt_net_write_all(fd, argv[i], strlen(argv[i]) + 1) == 0;
    if (!ok) {
        fprintf(stderr, "optml dist-launch: host %s closed the connection\n", host);
        close(fd);
        return 255;
    }
    /* orted lives as long as the job: wait for its end without a limit
     * (mpirun ends this agent when it tears the job down). */
    char line[64];
    if (rt_net_read_line(fd, line, sizeof(line), INT_MAX) < 0) {
        close(fd);
        fprintf(stderr, "optml dist-launch: lost host %s\n", host);
        return 255;
    }
    close(fd);
    int code = 255;
    if (sscanf(line, "EXIT %d", &code) != 1)
        code = 255;
    return code;
}
