/*
 * test_response.c: the response buffer and its JSON numbers
 * (runtime/serve/response.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/harness.h"
#include "core/ctx.h"
#include "train/job.h"
#include "core/log.h"
#include "serve/response.h"
#include "support/support.h"

TEST(response_buffer_grows_and_respects_limit)
{
    struct optml_response r;
    rt_response_init(&r);
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ_INT(optml_response_printf(&r, "%d,", i), OPTML_OK);
    ASSERT(r.len > 3000);
    ASSERT(strncmp(r.body, "0,1,2,", 6) == 0);
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    ASSERT_EQ_INT(optml_response_printf(&r, "%s", big), OPTML_OK);
    optml_response_set_type(&r, "application/jsonlines");
    ASSERT_EQ_STR(r.content_type, "application/jsonlines");
    rt_response_deinit(&r);
    rt_response_init(&r);
    r.limit = 10;
    ASSERT_EQ_INT(optml_response_append(&r, "0123456789", 10), OPTML_OK);
    ASSERT_EQ_INT(optml_response_append(&r, "x", 1), OPTML_E_TOO_LARGE);
    rt_response_deinit(&r);
}

TEST(response_numbers_are_valid_json_and_round_trip)
{
    struct optml_response r;
    rt_response_init(&r);
    double values[] = {0.1, -2.5e-300, 1.0 / 3.0, 0.0 / 0.0, 1.0 / 0.0, -1.0 / 0.0, 42};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        ASSERT_EQ_INT(optml_response_number(&r, values[i]), OPTML_OK);
        ASSERT_EQ_INT(optml_response_append(&r, ",", 1), OPTML_OK);
    }
    ASSERT_EQ_STR(r.body, "0.1,-2.5e-300,0.3333333333333333,null,null,null,42,");
    rt_response_deinit(&r);
}
