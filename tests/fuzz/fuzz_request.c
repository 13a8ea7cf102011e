/*
 * fuzz_request.c: libFuzzer target for what the server parses from a request:
 * the Content-Type and Accept headers (negotiation against a module's
 * declared types and the index of the one chosen, q-values, parameters,
 * wildcards) and multi-record bodies (lines and RecordIO) as a module splits
 * them.  Input layout: the Content-Type value, '\n', the Accept value, '\n',
 * then the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/channel.h"
#include "core/ctx.h"
#include "core/media.h"
#include "serve/negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const request_types[] = {"text/csv", "application/json", "application/jsonlines",
                                            "application/x-recordio-protobuf", NULL};
static const char *const response_types[] = {"application/json", "application/jsonlines",
                                             "application/x-recordio-protobuf", NULL};

/* Next '\n'-terminated field as a NUL-terminated copy; advances *p. */
static char *field(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, *p, n);
    s[n] = 0;
    *p += n + (nl ? 1 : 0);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *ct = field(&p, end);
    char *accept = field(&p, end);
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_media_choice c_ct, c_acc;
    optml_status s = rt_negotiate_content_type(&ctx, ct, request_types, NULL, &c_ct);
    if (s != OPTML_OK && s != OPTML_E_UNSUPPORTED_MEDIA)
        abort();
    /* The index handed to the module names the type chosen. */
    if (s == OPTML_OK && (c_ct.index < 0 || c_ct.index >= 4 || strcmp(request_types[c_ct.index], c_ct.type) != 0))
        abort();
    rt_ctx_init(&ctx);
    optml_status a = rt_negotiate_accept(&ctx, accept, response_types, "application/json", &c_acc);
    if (a != OPTML_OK && a != OPTML_E_NOT_ACCEPTABLE)
        abort();
    if (a == OPTML_OK) {
        /* The choice is one of the declared types. */
        int ok = 0;
        for (size_t i = 0; response_types[i]; i++)
            ok |= strcmp(response_types[i], c_acc.type) == 0;
        if (!ok || c_acc.index < 0 || c_acc.index >= 3 || strcmp(response_types[c_acc.index], c_acc.type) != 0)
            abort();
        char buf[64];
        struct optml_media m = {c_acc.type, c_acc.params};
        optml_media_param(&m, "verbose", buf, sizeof(buf));
    }
    if (s == OPTML_OK) {
        enum optml_framing f = strstr(c_ct.type, "recordio") ? OPTML_FRAME_RECORDIO : OPTML_FRAME_LINES;
        optml_reader *r = NULL;
        rt_ctx_init(&ctx);
        if (optml_memory_open(&ctx, p, (size_t)(end - p), f, &r) == OPTML_OK) {
            struct optml_record rec;
            volatile size_t total = 0;
            while (optml_reader_next(r, &rec) == OPTML_OK)
                total += rec.len;
            (void)total;
            optml_reader_close(r);
        }
    }
    free(ct);
    free(accept);
    return 0;
}
