#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "serve_helpers.h"
static const char CSV[] = "1,2\n3,4,5\n";
static struct http_conn *raw_client(struct served *s, const void *bytes, size_t len)
{
    struct http_conn *c = http_connect(s->port, 2000);
    SRV_ASSERT(s, c != NULL);
    if (len)
        http_send_raw(c, bytes, len, 2000);
    return c;
}
TEST(zscratch_serve)
{
    const char *steps = getenv("STEPS");
    char *base = serve_trained_tree();
    const char *env[] = {"SAGEMAKER_MODEL_SERVER_WORKERS=1", NULL};
    struct served *s = serve_start_ready(base, env);
    struct http_response gr = {0};
    struct http_conn *g;
    const char *half = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                       "Content-Length: 100\r\n\r\n1,2,3\n4,5";
    if (strchr(steps, 'g')) {
    static const char garbage[] = "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 not http at all\r\n\r\n";
    g = raw_client(s, garbage, sizeof(garbage) - 1);
    http_read_response(g, 3000, &gr);
    fprintf(stderr, "garbage: %d %s\n", gr.status, gr.error);
    http_close(g);
    }
    if (strchr(steps, 'b')) {
    g = raw_client(s, "GET\r\n\r\n", 7);
    fprintf(stderr, "badline closed %d\n", http_peer_closed(g, 1000));
    http_close(g);
    }
    if (strchr(steps, 's')) {
    struct http_conn *silent = raw_client(s, NULL, 0);
    struct http_conn *halfbody = raw_client(s, half, strlen(half));
    const char *halfhead = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty";
    struct http_conn *halfhdr = raw_client(s, halfhead, strlen(halfhead));
    struct http_response *r = serve_invoke(s, "text/csv", "application/jsonlines", NULL, CSV, strlen(CSV));
    fprintf(stderr, "inv %d\n", r->status);
    http_close(silent);
    http_close(halfbody);
    http_close(halfhdr);
    }
    if (strchr(steps, 'h')) {
    size_t big = 200 * 1024;
    char *huge = malloc(big + 128);
    int n = snprintf(huge, 128, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ");
    memset(huge + n, 'a', big);
    memcpy(huge + n + big, "\r\n\r\n", 4);
    g = raw_client(s, huge, (size_t)n + big + 4);
    http_read_response(g, 3000, &gr);
    fprintf(stderr, "huge: %d %s\n", gr.status, gr.error);
    http_close(g);
    }
    if (strchr(steps, 'c')) {
    g = raw_client(s, half, strlen(half));
    http_close(g);
    }
    if (strchr(steps, 'k')) {
    const char *chunked = "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
                          "Accept: application/jsonlines\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "4\r\n1,2\n\r\n6\r\n3,4,5\n\r\n0\r\n\r\n";
    g = raw_client(s, chunked, strlen(chunked));
    http_read_response(g, 5000, &gr);
    fprintf(stderr, "chunked: %d %s\n", gr.status, gr.error);
    http_close(g);
    }
    fprintf(stderr, "exit %d\n", serve_terminate(s, 3));
}
