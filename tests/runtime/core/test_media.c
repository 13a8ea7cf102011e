/*
 * test_media.c: rt_media_parse (type/params split) and optml_media_param
 * (parameter lookup) from runtime/core/media.c.
 */
#include "support/harness.h"
#include "core/media.h"

static int parse(const char *h, char *type, const char **params)
{
    return rt_media_parse(h, type, 64, params);
}

TEST(media_parse_type_and_params)
{
    char type[64];
    const char *params = NULL;
    const char *h = "Application/JSON; charset=utf-8;verbose=1";
    ASSERT_EQ_INT(parse(h, type, &params), 0);
    ASSERT_EQ_STR(type, "application/json");
    ASSERT_EQ_STR(params, "charset=utf-8;verbose=1");
    ASSERT(params >= h && params < h + strlen(h)); /* points into the header */

    ASSERT_EQ_INT(parse("text/csv", type, &params), 0);
    ASSERT_EQ_STR(type, "text/csv");
    ASSERT_EQ_STR(params, "");

    ASSERT_EQ_INT(parse("  \tTEXT/CSV \t ;   label_size=1 ", type, &params), 0);
    ASSERT_EQ_STR(type, "text/csv");
    ASSERT_EQ_STR(params, "label_size=1 ");

    ASSERT_EQ_INT(parse("*/*", type, &params), 0);
    ASSERT_EQ_STR(type, "*/*");
    ASSERT_EQ_INT(parse("application/x-recordio-protobuf;", type, &params), 0);
    ASSERT_EQ_STR(type, "application/x-recordio-protobuf");
    ASSERT_EQ_STR(params, "");
    ASSERT_EQ_INT(parse("application/jsonlines", type, NULL), 0);
    ASSERT_EQ_STR(type, "application/jsonlines");
}

TEST(media_parse_rejects_malformed)
{
    const char *bad[] = {"", "   ", ";charset=utf-8", "csv", "text/", "/csv", "a/b/c",
                         "text /csv", "text/ csv", "text/c\"sv", "te(x)t/csv", "/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char type[64] = "junk";
        const char *params = "junk";
        if (parse(bad[i], type, &params) != -1)
            test_fail(__FILE__, __LINE__, "'%s' was accepted", bad[i]);
        ASSERT_EQ_STR(type, "");
        ASSERT_EQ_STR(params, "");
    }
    char type[64];
    const char *params;
    ASSERT_EQ_INT(rt_media_parse(NULL, type, sizeof(type), &params), -1);
    ASSERT_EQ_INT(rt_media_parse("text/csv", NULL, 0, &params), -1);
    ASSERT_EQ_INT(rt_media_parse("text/csv", type, 0, &params), -1);
}

TEST(media_parse_type_buffer_size)
{
    char small[9];
    const char *params;
    ASSERT_EQ_INT(rt_media_parse("text/csv", small, sizeof(small), &params), 0); /* 8 + NUL */
    ASSERT_EQ_STR(small, "text/csv");
    ASSERT_EQ_INT(rt_media_parse("text/csvx", small, sizeof(small), &params), -1);
    ASSERT_EQ_STR(small, "");
}

TEST(media_param_lookup)
{
    struct optml_media m = {"application/json", "charset=UTF-8; Verbose = 1 ;q=\"a;b\\\"c\""};
    char buf[32];
    ASSERT_EQ_INT(optml_media_param(&m, "charset", buf, sizeof(buf)), 1);
    ASSERT_EQ_STR(buf, "UTF-8");
    ASSERT_EQ_INT(optml_media_param(&m, "CHARSET", buf, sizeof(buf)), 1);
    ASSERT_EQ_STR(buf, "UTF-8");
    ASSERT_EQ_INT(optml_media_param(&m, "verbose", buf, sizeof(buf)), 1);
    ASSERT_EQ_STR(buf, "1");
    ASSERT_EQ_INT(optml_media_param(&m, "q", buf, sizeof(buf)), 1);
    ASSERT_EQ_STR(buf, "a;b\"c");
    ASSERT_EQ_INT(optml_media_param(&m, "missing", buf, sizeof(buf)), 0);
    ASSERT_EQ_STR(buf, "");
    ASSERT_EQ_INT(optml_media_param(&m, "char", buf, sizeof(buf)), 0);
    ASSERT_EQ_INT(optml_media_param(&m, "verbose", NULL, 0), 1);
}

TEST(media_param_quoted_and_junk)
{
    struct optml_media m = {"text/csv", " ; ;flag; header=\"present\" ;label_size=2;"};
    char buf[32];
    ASSERT_EQ_INT(optml_media_param(&m, "flag", buf, sizeof(buf)), 0);
    ASSERT_EQ_INT(optml_media_param(&m, "header", buf, sizeof(buf)), 1);
    ASSERT_EQ_STR(buf, "present");
    ASSERT_EQ_INT(optml_media_param(&m, "label_size", buf, sizeof(buf)), 1);
    ASSERT_EQ_STR(buf, "2");

    struct optml_media unterminated = {"text/csv", "a=\"open"};
    ASSERT_EQ_INT(optml_media_param(&unterminated, "a", buf, sizeof(buf)), 1);
    ASSERT_EQ_STR(buf, "open");

    struct optml_media empty_value = {"text/csv", "a=;b=2"};
    ASSERT_EQ_INT(optml_media_param(&empty_value, "a", buf, sizeof(buf)), 1);
    ASSERT_EQ_STR(buf, "");
    ASSERT_EQ_INT(optml_media_param(&empty_value, "b", buf, sizeof(buf)), 1);
    ASSERT_EQ_STR(buf, "2");
}

TEST(media_param_truncates_and_handles_null)
{
    struct optml_media m = {"text/csv", "charset=utf-8"};
    char buf[4];
    ASSERT_EQ_INT(optml_media_param(&m, "charset", buf, sizeof(buf)), 1);
    ASSERT_EQ_STR(buf, "utf");
    ASSERT_EQ_INT(optml_media_param(NULL, "charset", buf, sizeof(buf)), 0);
    struct optml_media none = {"text/csv", NULL};
    ASSERT_EQ_INT(optml_media_param(&none, "charset", buf, sizeof(buf)), 0);
    ASSERT_EQ_INT(optml_media_param(&m, "", buf, sizeof(buf)), 0);
    ASSERT_EQ_INT(optml_media_param(&m, NULL, buf, sizeof(buf)), 0);
}

TEST(media_parse_then_param)
{
    char type[64];
    const char *params;
    ASSERT_EQ_INT(parse("text/csv;Label_Size=\"3\"", type, &params), 0);
    struct optml_media m = {type, params};
    char buf[8];
    ASSERT_EQ_INT(optml_media_param(&m, "label_size", buf, sizeof(buf)), 1);
    ASSERT_EQ_STR(buf, "3");
}
