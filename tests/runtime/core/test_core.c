/*
 * test_core.c: the status table, log levels, the first-error rule, the
 * CPU count and the monotonic clock (runtime/core).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/harness.h"
#include "core/clock.h"
#include "core/ctx.h"
#include "train/job.h"
#include "core/log.h"
#include "core/status.h"
#include "serve/response.h"
#include "support/support.h"

TEST(status_table_maps_codes)
{
    ASSERT_EQ_STR(optml_status_name(OPTML_E_CLIENT), "E_CLIENT");
    ASSERT_EQ_INT(optml_status_http(OPTML_E_UNSUPPORTED_MEDIA), 415);
    ASSERT_EQ_INT(optml_status_http(OPTML_E_NOT_ACCEPTABLE), 406);
    ASSERT_EQ_INT(optml_status_http(OPTML_E_TOO_LARGE), 413);
    ASSERT_EQ_INT(optml_status_http(OPTML_E_CONFLICT), 409);
    ASSERT_EQ_INT(optml_status_kind(OPTML_E_CONFLICT), 'C');
    ASSERT_EQ_INT(optml_status_http(OPTML_E_MODEL), 422);
    ASSERT_EQ_INT(optml_status_kind(OPTML_E_MODEL), 'C');
    ASSERT_EQ_INT(optml_status_http(OPTML_E_NOMEM), 507);
    ASSERT_EQ_INT(optml_status_kind(OPTML_E_CLIENT), 'C');
    ASSERT_EQ_INT(optml_status_kind(OPTML_E_INTERNAL), 'A');
    ASSERT_EQ_INT(optml_status_kind(OPTML_OK), '-');
    ASSERT_EQ_STR(optml_status_name((optml_status)999), "UNKNOWN");
    ASSERT_EQ_INT(optml_status_http((optml_status)-1), 500);
}

TEST(status_exit_codes_and_failure_prefixes)
{
    ASSERT_EQ_INT(rt_status_exit_code(OPTML_OK), 0);
    ASSERT_EQ_INT(rt_status_exit_code(OPTML_STOPPED), 0);
    ASSERT_EQ_INT(rt_status_exit_code(OPTML_E_CLIENT), 2);
    ASSERT_EQ_INT(rt_status_exit_code(OPTML_E_MODEL), 2);
    ASSERT_EQ_INT(rt_status_exit_code(OPTML_E_INTERNAL), 1);
    ASSERT_EQ_INT(rt_status_exit_code(OPTML_E_NOMEM), 1);
    ASSERT_EQ_INT(rt_status_exit_code(OPTML_END), 1); /* not a way for a process to end */
    ASSERT_EQ_INT(rt_status_exit_code((optml_status)999), 1);
    ASSERT_EQ_STR(rt_status_failure_prefix(OPTML_E_NOT_FOUND), "ClientError");
    ASSERT_EQ_STR(rt_status_failure_prefix(OPTML_E_IO), "AlgorithmError");
}

TEST(log_levels_parse_names_and_numbers)
{
    ASSERT_EQ_INT(rt_log_parse_level("DEBUG"), 10);
    ASSERT_EQ_INT(rt_log_parse_level("warning"), 30);
    ASSERT_EQ_INT(rt_log_parse_level("20"), 20);
    ASSERT_EQ_INT(rt_log_parse_level("loud"), -1);
    ASSERT_EQ_INT(rt_log_parse_level(""), -1);
}

TEST(first_error_message_wins_and_is_one_line)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(optml_error(&ctx, OPTML_E_CLIENT, "first\nline %d", 1), OPTML_E_CLIENT);
    ASSERT_EQ_INT(optml_error(&ctx, OPTML_E_IO, "second"), OPTML_E_IO);
    ASSERT_EQ_STR(optml_error_message(&ctx), "first line 1");
    ASSERT_EQ_INT(ctx.errcode, OPTML_E_CLIENT);
}

TEST(cpu_count_is_within_the_machine)
{
    int n = optml_cpu_count();
    ASSERT(n >= 1);
    ASSERT(n <= sysconf(_SC_NPROCESSORS_ONLN));
}

TEST(monotonic_clock_counts_seconds)
{
    double t0 = rt_now();
    usleep(20000);
    double t1 = rt_now();
    ASSERT(t1 - t0 >= 0.019);
    ASSERT(t1 - t0 < 5.0);
    ASSERT(rt_now() >= t1);
}
