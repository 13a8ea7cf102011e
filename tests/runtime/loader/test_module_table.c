/*
 * test_module_table.c: rt_module_accept_table (runtime/loader/module.c), the
 * version rule of algorithm.h on tables built here: the major version must
 * match, a newer minor is refused naming both versions, a table size must
 * fit its version, and the runtime works on its own copy of the table.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "loader/module.h"
#include "support/harness.h"
#include "support/support.h"

static optml_status never(optml_ctx *ctx)
{
    return optml_error(ctx, OPTML_E_INTERNAL, "must not run");
}

static struct optml_algorithm table(void)
{
    struct optml_algorithm a = {.api_version = OPTML_ALGORITHM_API_VERSION,
                                .api_minor = OPTML_ALGORITHM_API_MINOR,
                                .table_size = sizeof(struct optml_algorithm),
                                .name = "t", .train = never,
                                .unsupported_media_message = "t only takes text/csv"};
    return a;
}

static optml_status accept_table(const struct optml_algorithm *a, struct optml_algorithm **copy,
                                 char *msg, size_t msgsz)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_status s = rt_module_accept_table(&ctx, "t.so", a, copy);
    size_t n = strlen(ctx.errmsg) < msgsz ? strlen(ctx.errmsg) : msgsz - 1; /* (no snprintf: -Wformat-truncation) */
    memcpy(msg, ctx.errmsg, n);
    msg[n] = 0;
    return s;
}

TEST(module_table_of_this_version_is_copied)
{
    struct optml_algorithm a = table();
    struct optml_algorithm *c = NULL;
    char msg[2048];
    ASSERT_EQ_INT(accept_table(&a, &c, msg, sizeof(msg)), OPTML_OK);
    ASSERT(c != NULL && c != &a);
    ASSERT(memcmp(c, &a, sizeof(a)) == 0);
    ASSERT_EQ_STR(c->unsupported_media_message, "t only takes text/csv");
    free(c);
}

TEST(module_table_versions_are_checked_naming_both)
{
    struct optml_algorithm *c = NULL;
    char msg[2048];
    struct optml_algorithm a = table();
    a.api_version = OPTML_ALGORITHM_API_VERSION - 1;
    ASSERT_EQ_INT(accept_table(&a, &c, msg, sizeof(msg)), OPTML_E_INTERNAL);
    ASSERT(c == NULL);
    ASSERT_CONTAINS(msg, strf("built for optml module API version %d.%d, but this runtime implements version %d.%d",
                              OPTML_ALGORITHM_API_VERSION - 1, OPTML_ALGORITHM_API_MINOR,
                              OPTML_ALGORITHM_API_VERSION, OPTML_ALGORITHM_API_MINOR));
    a = table();
    a.api_minor = OPTML_ALGORITHM_API_MINOR + 2;
    ASSERT_EQ_INT(accept_table(&a, &c, msg, sizeof(msg)), OPTML_E_INTERNAL);
    ASSERT_CONTAINS(msg, strf("newer than this runtime's %d.%d: use an optml runtime of version %d.%d or later",
                              OPTML_ALGORITHM_API_VERSION, OPTML_ALGORITHM_API_MINOR,
                              OPTML_ALGORITHM_API_VERSION, OPTML_ALGORITHM_API_MINOR + 2));
    a = table();
    a.api_minor = -1;
    ASSERT_EQ_INT(accept_table(&a, &c, msg, sizeof(msg)), OPTML_E_INTERNAL);
}

TEST(module_table_size_must_fit_its_version)
{
    struct optml_algorithm *c = NULL;
    char msg[2048];
    struct optml_algorithm a = table();
    a.table_size = 16; /* not made by OPTML_MODULE() */
    ASSERT_EQ_INT(accept_table(&a, &c, msg, sizeof(msg)), OPTML_E_INTERNAL);
    ASSERT_CONTAINS(msg, "declares a table of 16 bytes");
    ASSERT_CONTAINS(msg, "it was not built with OPTML_MODULE()");
    a = table();
    a.table_size = sizeof(a) + 8; /* larger than this runtime's, same minor */
    ASSERT_EQ_INT(accept_table(&a, &c, msg, sizeof(msg)), OPTML_E_INTERNAL);
    a = table();
    a.table_size = sizeof(a) - sizeof(void *); /* this minor, but short */
    ASSERT_EQ_INT(accept_table(&a, &c, msg, sizeof(msg)), OPTML_E_INTERNAL);
    ASSERT(c == NULL);
}

/* A table of an older minor version (4.0: the table ends with
 * unsupported_media_message) is accepted; the members after it, if this
 * runtime's table has any, read as absent. */
TEST(module_table_of_an_older_minor_version_is_accepted)
{
    ASSERT(OPTML_ALGORITHM_API_MINOR >= 1);
    size_t size_4_0 = offsetof(struct optml_algorithm, unsupported_media_message) + sizeof(const char *);
    unsigned char raw[sizeof(struct optml_algorithm) + 64];
    memset(raw, 0xA5, sizeof(raw)); /* bytes past the 4.0 table: garbage */
    struct optml_algorithm a = table();
    a.api_minor = 0;
    a.table_size = size_4_0;
    memcpy(raw, &a, size_4_0);
    struct optml_algorithm *c = NULL;
    char msg[512];
    ASSERT_EQ_INT(accept_table((const struct optml_algorithm *)raw, &c, msg, sizeof(msg)), OPTML_OK);
    ASSERT(c != NULL);
    ASSERT_EQ_INT(c->api_minor, 0);
    ASSERT_EQ_STR(c->unsupported_media_message, "t only takes text/csv");
    for (size_t i = size_4_0; i < sizeof(*c); i++)
        ASSERT_EQ_INT(((unsigned char *)c)[i], 0);
    free(c);
}
