/*
 * test_anchors.c: algorithms/object_detection/anchors.c: the SSD300 boxes
 * (8,732, the paper's count), their scales, order and shapes; the TF
 * MobileNet-SSD variant (1,917 boxes, the reduced first map); the conv4_3
 * first-scale variant; clipping; invalid specs refused.
 */
#include <math.h>
#include <stdlib.h>

#include "object_detection/anchors.h"
#include "support/harness.h"

static struct od_anchor *make(const struct od_anchor_spec *s, size_t *n)
{
    char err[200] = "";
    size_t want = od_anchor_count(s);
    ASSERT(want > 0);
    struct od_anchor *a = malloc(want * sizeof(*a));
    *n = od_anchors_make(s, a, err, sizeof(err));
    ASSERT_EQ_INT(*n, want);
    return a;
}

TEST(od_anchors_ssd300)
{
    static const unsigned sizes[6] = {38, 19, 10, 5, 3, 1};
    struct od_anchor_spec s;
    od_anchor_spec_ssd(&s, sizes, 6);
    ASSERT_EQ_INT(od_anchor_count(&s), 8732);
    ASSERT_EQ_INT(od_anchor_per_cell(&s, 0), 4);
    ASSERT_EQ_INT(od_anchor_per_cell(&s, 1), 6);
    ASSERT_EQ_INT(od_anchor_per_cell(&s, 5), 4);
    const double scales[7] = {0.2, 0.34, 0.48, 0.62, 0.76, 0.9, 1.0};
    for (unsigned k = 0; k <= 6; k++)
        ASSERT_NEAR(od_anchor_scale(&s, k), scales[k], 1e-6);
    size_t n;
    struct od_anchor *a = make(&s, &n);
    /* cell (0, 0) of the 38 x 38 map: square, extra square, 2:1, 1:2 */
    for (int b = 0; b < 4; b++) {
        ASSERT_NEAR(a[b].cx, 0.5 / 38, 1e-6);
        ASSERT_NEAR(a[b].cy, 0.5 / 38, 1e-6);
    }
    ASSERT_NEAR(a[0].w, 0.2, 1e-6);
    ASSERT_NEAR(a[0].h, 0.2, 1e-6);
    ASSERT_NEAR(a[1].w, sqrt(0.2 * 0.34), 1e-6);
    ASSERT_NEAR(a[2].w, 0.2 * sqrt(2.0), 1e-6);
    ASSERT_NEAR(a[2].h, 0.2 / sqrt(2.0), 1e-6);
    ASSERT_NEAR(a[3].w, 0.2 / sqrt(2.0), 1e-6);
    ASSERT_NEAR(a[3].h, 0.2 * sqrt(2.0), 1e-6);
    /* the next cell is one column to the right, same row */
    ASSERT_NEAR(a[4].cx, 1.5 / 38, 1e-6);
    ASSERT_NEAR(a[4].cy, 0.5 / 38, 1e-6);
    /* the first box of the second row */
    ASSERT_NEAR(a[38 * 4].cx, 0.5 / 38, 1e-6);
    ASSERT_NEAR(a[38 * 4].cy, 1.5 / 38, 1e-6);
    /* the 19 x 19 map starts after 38 * 38 * 4 boxes, with ratios 3 and 1/3 */
    const struct od_anchor *l1 = a + 38 * 38 * 4;
    ASSERT_NEAR(l1[0].w, 0.34, 1e-6);
    ASSERT_NEAR(l1[1].w, sqrt(0.34 * 0.48), 1e-6);
    ASSERT_NEAR(l1[4].w, 0.34 * sqrt(3.0), 1e-6);
    ASSERT_NEAR(l1[5].h, 0.34 * sqrt(3.0), 1e-6);
    /* the last map is one cell in the centre; its extra square pairs with 1 */
    const struct od_anchor *last = a + n - 4;
    ASSERT_NEAR(last[0].cx, 0.5, 1e-6);
    ASSERT_NEAR(last[0].w, 0.9, 1e-6);
    ASSERT_NEAR(last[1].w, sqrt(0.9), 1e-6);
    ASSERT_NEAR(last[3].w, 0.9 / sqrt(2.0), 1e-6);
    ASSERT_NEAR(last[3].h, 0.9 * sqrt(2.0), 1e-6);
    free(a);
}

TEST(od_anchors_ssdlite_mobilenet)
{
    static const unsigned sizes[6] = {19, 10, 5, 3, 2, 1};
    struct od_anchor_spec s;
    od_anchor_spec_ssdlite(&s, sizes, 6);
    /* 19^2 * 3 + (10^2 + 5^2 + 3^2 + 2^2 + 1) * 6: TF's ssd_mobilenet count */
    ASSERT_EQ_INT(od_anchor_count(&s), 1917);
    ASSERT_NEAR(od_anchor_scale(&s, 1), 0.35, 1e-6);
    ASSERT_NEAR(od_anchor_scale(&s, 5), 0.95, 1e-6);
    size_t n;
    struct od_anchor *a = make(&s, &n);
    ASSERT_NEAR(a[0].w, 0.1, 1e-6);
    ASSERT_NEAR(a[0].h, 0.1, 1e-6);
    ASSERT_NEAR(a[1].w, 0.2 * sqrt(2.0), 1e-6);
    ASSERT_NEAR(a[1].h, 0.2 / sqrt(2.0), 1e-6);
    ASSERT_NEAR(a[2].w, 0.2 / sqrt(2.0), 1e-6);
    ASSERT_NEAR(a[3].cx, 1.5 / 19, 1e-6);
    /* the second map: 6 boxes a cell, its extra square sqrt(0.35 * 0.5) */
    const struct od_anchor *l1 = a + 19 * 19 * 3;
    ASSERT_NEAR(l1[0].w, 0.35, 1e-6);
    ASSERT_NEAR(l1[1].w, sqrt(0.35 * 0.5), 1e-6);
    ASSERT_NEAR(l1[0].cx, 0.05, 1e-6);
    free(a);
    /* the Caffe MobileNet-SSD: the reduced first map's square at s_0 too */
    s.lowest_scale = 0;
    a = make(&s, &n);
    ASSERT_NEAR(a[0].w, 0.2, 1e-6);
    free(a);
}

TEST(od_anchors_first_scale_and_clip)
{
    static const unsigned sizes[6] = {38, 19, 10, 5, 3, 1};
    struct od_anchor_spec s;
    od_anchor_spec_ssd(&s, sizes, 6);
    s.first_scale = 0.1f;
    ASSERT_NEAR(od_anchor_scale(&s, 0), 0.1, 1e-7);
    ASSERT_NEAR(od_anchor_scale(&s, 1), 0.2, 1e-6);
    ASSERT_NEAR(od_anchor_scale(&s, 2), 0.375, 1e-6);
    ASSERT_NEAR(od_anchor_scale(&s, 5), 0.9, 1e-6);
    size_t n;
    struct od_anchor *a = make(&s, &n);
    ASSERT_NEAR(a[1].w, sqrt(0.1 * 0.2), 1e-6);
    free(a);
    /* unclipped, the corner cell's 0.2 box pokes out; clipped, it does not */
    od_anchor_spec_ssd(&s, sizes, 6);
    s.clip = 1;
    a = make(&s, &n);
    for (size_t i = 0; i < n; i++) {
        struct od_box b = od_anchor_corners(&a[i]);
        ASSERT(b.xmin >= -1e-6f && b.ymin >= -1e-6f && b.xmax <= 1 + 1e-6f && b.ymax <= 1 + 1e-6f);
        ASSERT(a[i].w > 0 && a[i].h > 0);
    }
    ASSERT_NEAR(a[0].w, 0.5 / 38 + 0.1, 1e-6);
    free(a);
}

TEST(od_anchors_invalid_specs)
{
    static const unsigned sizes[3] = {4, 2, 1};
    struct od_anchor_spec s;
    char err[200];
    struct od_anchor out[1];
    od_anchor_spec_ssd(&s, sizes, 3);
    s.n_layers = 0;
    ASSERT_EQ_INT(od_anchors_make(&s, out, err, sizeof(err)), 0);
    ASSERT_CONTAINS(err, "feature maps");
    ASSERT_EQ_INT(od_anchor_count(&s), 0);
    od_anchor_spec_ssd(&s, sizes, 3);
    s.layer[1].size = 0;
    ASSERT_EQ_INT(od_anchors_make(&s, out, err, sizeof(err)), 0);
    ASSERT_CONTAINS(err, "feature map 1 has side 0");
    od_anchor_spec_ssd(&s, sizes, 3);
    s.layer[2].ratios[0] = 1.0f;
    ASSERT_EQ_INT(od_anchors_make(&s, out, err, sizeof(err)), 0);
    ASSERT_CONTAINS(err, "ratio 1");
    od_anchor_spec_ssd(&s, sizes, 3);
    s.s_min = 0.95f;
    ASSERT_EQ_INT(od_anchors_make(&s, out, err, sizeof(err)), 0);
    ASSERT_CONTAINS(err, "scales");
    /* one map: its scale is s_min */
    od_anchor_spec_ssd(&s, sizes, 1);
    ASSERT_NEAR(od_anchor_scale(&s, 0), 0.2, 1e-7);
    ASSERT_EQ_INT(od_anchor_count(&s), 4 * 4 * 6);
}
