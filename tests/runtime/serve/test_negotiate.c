/*
 * test_negotiate.c: Content-Type and Accept negotiation
 * (runtime/serve/negotiate.c): the type chosen, its index in the module's
 * list, its parameters, and the 415 / 406 / 500 answers.
 */
#include <string.h>

#include "support/harness.h"
#include "core/ctx.h"
#include "serve/negotiate.h"

static const char *const REQ[] = {"text/csv", "application/json", "application/jsonlines", NULL};
static const char *const RESP[] = {"application/json", "application/jsonlines", "text/csv", NULL};

TEST(negotiate_content_type_gives_the_index_and_parameters)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_media_choice c;
    ASSERT_EQ_INT(rt_negotiate_content_type(&ctx, "Application/JSONLines; charset=utf-8", REQ, NULL, &c), OPTML_OK);
    ASSERT_EQ_INT(c.index, 2);
    ASSERT_EQ_STR(c.type, "application/jsonlines");
    ASSERT_EQ_STR(c.params, "charset=utf-8");
    ASSERT_EQ_INT(rt_negotiate_content_type(&ctx, "text/csv", REQ, NULL, &c), OPTML_OK);
    ASSERT_EQ_INT(c.index, 0);

    ASSERT_EQ_INT(rt_negotiate_content_type(&ctx, "text/plain", REQ, "Only JSON", &c), OPTML_E_UNSUPPORTED_MEDIA);
    ASSERT_EQ_INT(c.index, -1);
    ASSERT(strstr(ctx.errmsg, "Only JSON: Content-Type 'text/plain' is not supported") != NULL);
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_negotiate_content_type(&ctx, NULL, REQ, NULL, &c), OPTML_E_UNSUPPORTED_MEDIA);
}

TEST(negotiate_accept_gives_the_index_of_the_best_match)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_media_choice a;
    /* Missing, blank and * / *: the fallback. */
    ASSERT_EQ_INT(rt_negotiate_accept(&ctx, NULL, RESP, "application/jsonlines", &a), OPTML_OK);
    ASSERT_EQ_INT(a.index, 1);
    ASSERT_EQ_STR(a.type, "application/jsonlines");
    ASSERT_EQ_INT(rt_negotiate_accept(&ctx, "  ", RESP, "text/csv", &a), OPTML_OK);
    ASSERT_EQ_INT(a.index, 2);
    ASSERT_EQ_INT(rt_negotiate_accept(&ctx, "*/*", RESP, "application/json", &a), OPTML_OK);
    ASSERT_EQ_INT(a.index, 0);
    /* The highest q wins; parameters other than q are kept. */
    ASSERT_EQ_INT(rt_negotiate_accept(&ctx, "application/json;q=0.2, text/csv; verbose=1; q=0.9", RESP,
                                      "application/json", &a), OPTML_OK);
    ASSERT_EQ_INT(a.index, 2);
    ASSERT_EQ_STR(a.type, "text/csv");
    ASSERT_EQ_STR(a.params, "verbose=1");
    /* type / *: the first of that family. */
    ASSERT_EQ_INT(rt_negotiate_accept(&ctx, "text/*", RESP, "application/json", &a), OPTML_OK);
    ASSERT_EQ_INT(a.index, 2);

    ASSERT_EQ_INT(rt_negotiate_accept(&ctx, "image/png", RESP, "application/json", &a), OPTML_E_NOT_ACCEPTABLE);
    ASSERT_EQ_INT(a.index, -1);
    /* A fallback the module does not return is the module's bug, not the client's. */
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_negotiate_accept(&ctx, NULL, RESP, "image/png", &a), OPTML_E_INTERNAL);
    ASSERT_EQ_INT(a.index, -1);
}
