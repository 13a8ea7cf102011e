/*
 * draw.c: box outlines, a 3x5 bitmap font and labelled detections on RGB
 * pixels (draw.h).
 */
#include "draw.h"

#include <math.h>
#include <stdio.h>

/* Glyph rows top to bottom, 3 bits each, the high bit leftmost. */
struct glyph {
    char c;
    uint8_t rows[5];
};

static const struct glyph FONT[] = {
    {'0', {7, 5, 5, 5, 7}}, {'1', {2, 6, 2, 2, 7}}, {'2', {7, 1, 7, 4, 7}}, {'3', {7, 1, 7, 1, 7}},
    {'4', {5, 5, 7, 1, 1}}, {'5', {7, 4, 7, 1, 7}}, {'6', {7, 4, 7, 5, 7}}, {'7', {7, 1, 1, 1, 1}},
    {'8', {7, 5, 7, 5, 7}}, {'9', {7, 5, 7, 1, 7}}, {'A', {2, 5, 7, 5, 5}}, {'B', {6, 5, 6, 5, 6}},
    {'C', {3, 4, 4, 4, 3}}, {'D', {6, 5, 5, 5, 6}}, {'E', {7, 4, 6, 4, 7}}, {'F', {7, 4, 6, 4, 4}},
    {'G', {3, 4, 5, 5, 3}}, {'H', {5, 5, 7, 5, 5}}, {'I', {7, 2, 2, 2, 7}}, {'J', {1, 1, 1, 5, 2}},
    {'K', {5, 5, 6, 5, 5}}, {'L', {4, 4, 4, 4, 7}}, {'M', {5, 7, 7, 5, 5}}, {'N', {6, 5, 5, 5, 5}},
    {'O', {2, 5, 5, 5, 2}}, {'P', {6, 5, 6, 4, 4}}, {'Q', {2, 5, 5, 6, 3}}, {'R', {6, 5, 6, 5, 5}},
    {'S', {3, 4, 2, 1, 6}}, {'T', {7, 2, 2, 2, 2}}, {'U', {5, 5, 5, 5, 7}}, {'V', {5, 5, 5, 5, 2}},
    {'W', {5, 5, 7, 7, 5}}, {'X', {5, 5, 2, 5, 5}}, {'Y', {5, 5, 2, 2, 2}}, {'Z', {7, 1, 2, 4, 7}},
    {'.', {0, 0, 0, 0, 2}}, {'-', {0, 0, 7, 0, 0}}, {'_', {0, 0, 0, 0, 7}}, {':', {0, 2, 0, 2, 0}},
    {'/', {1, 1, 2, 4, 4}}, {' ', {0, 0, 0, 0, 0}}, {'?', {7, 1, 2, 0, 2}},
};

static const uint8_t PALETTE[8][3] = {{230, 25, 75}, {60, 180, 75}, {0, 130, 200}, {245, 130, 48},
                                      {145, 30, 180}, {70, 240, 240}, {240, 50, 230}, {210, 245, 60}};

static const uint8_t *glyph_rows(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    size_t n = sizeof(FONT) / sizeof(FONT[0]);
    for (size_t i = 0; i < n; i++)
        if (FONT[i].c == c)
            return FONT[i].rows;
    return FONT[n - 1].rows;
}

void od_class_color(int cls, uint8_t rgb[3])
{
    unsigned i = (unsigned)(cls < 0 ? -(long)cls : cls) % 8;
    rgb[0] = PALETTE[i][0], rgb[1] = PALETTE[i][1], rgb[2] = PALETTE[i][2];
}

static void put(struct img_u8 *img, long x, long y, const uint8_t rgb[3])
{
    if (x < 0 || y < 0 || (size_t)x >= img->w || (size_t)y >= img->h || img->c != 3)
        return;
    uint8_t *p = img->px + ((size_t)y * img->w + (size_t)x) * 3;
    p[0] = rgb[0], p[1] = rgb[1], p[2] = rgb[2];
}

static void fill(struct img_u8 *img, long x0, long y0, long x1, long y1, const uint8_t rgb[3])
{
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 >= (long)img->w)
        x1 = (long)img->w - 1;
    if (y1 >= (long)img->h)
        y1 = (long)img->h - 1;
    for (long y = y0; y <= y1; y++)
        for (long x = x0; x <= x1; x++)
            put(img, x, y, rgb);
}

static long to_pixel(float v, size_t n, int up)
{
    double p = (double)v * (double)n;
    if (!(p == p))
        return 0;
    /* Float corners such as 0.8f x 30 = 24.0000004 land on the pixel edge meant. */
    p = up ? ceil(p - 1e-3) - 1.0 : floor(p + 1e-3);
    if (p < 0)
        return 0;
    if (p > (double)n - 1)
        return (long)n - 1;
    return (long)p;
}

int od_box_pixels(const struct od_box *b, size_t w, size_t h, long *x0, long *y0, long *x1, long *y1)
{
    if (w == 0 || h == 0 || !(b->xmax > b->xmin && b->ymax > b->ymin) || b->xmax <= 0 || b->ymax <= 0 ||
        b->xmin >= 1 || b->ymin >= 1)
        return 0;
    *x0 = to_pixel(b->xmin, w, 0), *x1 = to_pixel(b->xmax, w, 1);
    *y0 = to_pixel(b->ymin, h, 0), *y1 = to_pixel(b->ymax, h, 1);
    if (*x1 < *x0)
        *x1 = *x0;
    if (*y1 < *y0)
        *y1 = *y0;
    return 1;
}

void od_draw_box(struct img_u8 *img, const struct od_box *b, const uint8_t rgb[3], unsigned thickness)
{
    long x0, y0, x1, y1;
    if (img->c != 3 || !od_box_pixels(b, img->w, img->h, &x0, &y0, &x1, &y1))
        return;
    long t = thickness ? (long)thickness : 1;
    fill(img, x0, y0, x1, y0 + t - 1, rgb);
    fill(img, x0, y1 - t + 1, x1, y1, rgb);
    fill(img, x0, y0, x0 + t - 1, y1, rgb);
    fill(img, x1 - t + 1, y0, x1, y1, rgb);
}

long od_draw_text(struct img_u8 *img, long x, long y, const char *text, const uint8_t fg[3], const uint8_t *bg,
                  unsigned scale)
{
    long s = scale ? (long)scale : 1, n = 0;
    for (const char *c = text; *c; c++)
        n++;
    long width = n ? n * 4 * s - s : 0;
    if (img->c != 3)
        return width;
    if (bg && n)
        fill(img, x - s, y - s, x + width + s - 1, y + 6 * s - 1, bg);
    for (long i = 0; i < n; i++) {
        const uint8_t *rows = glyph_rows(text[i]);
        for (long r = 0; r < 5; r++)
            for (long col = 0; col < 3; col++)
                if (rows[r] & (4 >> col))
                    fill(img, x + i * 4 * s + col * s, y + r * s, x + i * 4 * s + col * s + s - 1,
                         y + r * s + s - 1, fg);
    }
    return width;
}

void od_draw_detections(struct img_u8 *img, const float *rows, size_t n, const char *const *names, size_t n_names,
                        float min_score)
{
    if (img->c != 3)
        return;
    size_t side = img->w < img->h ? img->w : img->h;
    unsigned scale = side >= 400 ? 3 : side >= 160 ? 2 : 1;
    unsigned thick = side >= 400 ? 3 : side >= 160 ? 2 : 1;
    static const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        const float *r = rows + 6 * i;
        int truth = r[1] < 0.0f;
        if (!truth && !(r[1] >= min_score))
            continue;
        int cls = isfinite(r[0]) && r[0] >= 0.0f && r[0] < 1e6f ? (int)r[0] : -1;
        struct od_box b = {r[2], r[3], r[4], r[5]};
        long x0, y0, x1, y1;
        if (!od_box_pixels(&b, img->w, img->h, &x0, &y0, &x1, &y1))
            continue;
        uint8_t col[3];
        od_class_color(cls, col);
        od_draw_box(img, &b, col, thick);
        char text[64], num[16];
        const char *name = cls >= 0 && (size_t)cls < n_names && names && names[cls] ? names[cls] : NULL;
        if (!name) {
            snprintf(num, sizeof(num), "%d", cls);
            name = num;
        }
        if (truth)
            snprintf(text, sizeof(text), "%.40s", name);
        else
            snprintf(text, sizeof(text), "%.40s %.2f", name, (double)r[1]);
        int dark = col[0] * 299 + col[1] * 587 + col[2] * 114 < 150000;
        long th = 5 * (long)scale, ty = y0 - th - (long)scale;
        if (ty - (long)scale < 0)
            ty = y0 + (long)thick + (long)scale;
        od_draw_text(img, x0 + (long)scale, ty, text, dark ? white : black, col, scale);
    }
}
