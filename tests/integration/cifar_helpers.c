/*
 * cifar_helpers.c: data and answers the cifar-cnn tests share (see
 * cifar_helpers.h).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifar_helpers.h"
#include "serve_helpers.h"
#include "support/datagen.h"
#include "support/harness.h"
#include "support/imagegen.h"
#include "train_helpers.h"

void cifar_bright_dark(const char *base, int n)
{
    uint8_t *px = malloc((size_t)n * 784), *lab = malloc((size_t)n);
    uint32_t r = 12345;
    for (int i = 0; i < n; i++) {
        lab[i] = (uint8_t)(i % 2);
        for (int k = 0; k < 784; k++) {
            r = r * 1103515245u + 12345u;
            px[(size_t)i * 784 + k] = (uint8_t)(lab[i] ? 190 + (r >> 16) % 66 : (r >> 16) % 66);
        }
    }
    struct buf img = {0}, l = {0};
    buf_put_idx(&img, 3, (const uint32_t[]){(uint32_t)n, 28, 28}, px);
    buf_put_idx(&l, 1, (const uint32_t[]){(uint32_t)n}, lab);
    write_file(base, "input/data/train/train-images-idx3-ubyte", img.p, img.n);
    write_file(base, "input/data/train/train-labels-idx1-ubyte", l.p, l.n);
    free(img.p), free(l.p), free(px), free(lab);
}

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    buf_put(b, tmp, (size_t)n);
}

/* {"instances": [img, img]}: 28x28x1 nested lists of one value each. */
char *cifar_instances(double first, double second)
{
    struct buf b = {0};
    bprintf(&b, "{\"instances\": [");
    for (int i = 0; i < 2; i++) {
        bprintf(&b, "%s[", i ? ", " : "");
        for (int y = 0; y < 28; y++) {
            bprintf(&b, "%s[", y ? "," : "");
            for (int x = 0; x < 28; x++)
                bprintf(&b, "%s[%g]", x ? "," : "", i ? second : first);
            bprintf(&b, "]");
        }
        bprintf(&b, "]");
    }
    bprintf(&b, "]}");
    buf_put(&b, "", 1);
    return (char *)b.p;
}

/* The class of each row of {"predictions": [[p0, p1], ...]} (-1: not a
 * probability row of 2 summing to 1). */
int cifar_predicted(json_t *j, size_t row)
{
    json_t *p = json_array_get(json_object_get(j, "predictions"), row);
    if (!json_is_array(p) || json_array_size(p) != 2)
        return -1;
    double a = json_number_value(json_array_get(p, 0)), b = json_number_value(json_array_get(p, 1));
    if (a < 0 || b < 0 || a + b < 0.999 || a + b > 1.001)
        return -1;
    return b > a;
}


void cifar_expect_bright_dark(struct served *s)
{
    char *body = cifar_instances(0.9, 0.1);
    struct http_response *h = serve_invoke(s, "application/json", NULL, NULL, body, strlen(body));
    free(body);
    EXPECT_STATUS(s, h, 200);
    json_t *j = EXPECT_JSON(s, h);
    SRV_ASSERT_EQ_INT(s, json_array_size(json_object_get(j, "predictions")), 2);
    SRV_ASSERT_EQ_INT(s, cifar_predicted(j, 0), 1);
    SRV_ASSERT_EQ_INT(s, cifar_predicted(j, 1), 0);
}
