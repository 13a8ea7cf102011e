/*
 * cpu.c: how many CPUs this process may use: the cgroup CPU quota (v2
 * cpu.max, or v1 cfs_quota/cfs_period), capped by the affinity mask.
 */
#define _GNU_SOURCE
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "optml/algorithm.h"

static double cgroup_quota(void)
{
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (f) {
        char max[32];
        long long period = 0;
        int n = fscanf(f, "%31s %lld", max, &period);
        fclose(f);
        long long quota = 0;
        if (n == 2 && period > 0 && sscanf(max, "%lld", &quota) == 1 && quota > 0)
            return (double)quota / (double)period;
        return 0;
    }
    long long quota = 0, period = 0;
    f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r");
    if (f) {
        if (fscanf(f, "%lld", &quota) != 1)
            quota = 0;
        fclose(f);
    }
    f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r");
    if (f) {
        if (fscanf(f, "%lld", &period) != 1)
            period = 0;
        fclose(f);
    }
    return quota > 0 && period > 0 ? (double)quota / (double)period : 0;
}

int optml_cpu_count(void)
{
    int n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0)
        n = 1;
    double q = cgroup_quota();
    if (q > 0) {
        int qn = (int)ceil(q);
        if (qn < n)
            n = qn;
    }
    return n < 1 ? 1 : n;
}
