/*
 * draw.h: what a detector sees, drawn onto an RGB image (struct img_u8 of
 * codec/image_decode.h, 3 channels): box outlines in a colour per class and
 * a label "NAME 0.87" on a filled tag of that colour, in a built-in 3x5
 * pixel font (digits, letters shown upper-case, and . - _ : / and space;
 * anything else as '?'), scaled up for legibility.  Everything is clipped to
 * the image; nothing allocates.
 */
#ifndef OPTML_OD_DRAW_H
#define OPTML_OD_DRAW_H

#include <stddef.h>
#include <stdint.h>

#include "box.h"
#include "codec/image_decode.h"

/* The colour of class cls (a fixed palette of 8, repeating). */
void od_class_color(int cls, uint8_t rgb[3]);

/* The pixel rectangle of a normalised box on a w x h image: columns
 * floor(xmin w) .. ceil(xmax w) - 1 (with 0.001 pixel of slack for float
 * rounding), rows likewise, clamped to the image.
 * Returns 0 when it covers no pixel. */
int od_box_pixels(const struct od_box *b, size_t w, size_t h, long *x0, long *y0, long *x1, long *y1);

/* The outline of b, `thickness` pixels wide inside its pixel rectangle. */
void od_draw_box(struct img_u8 *img, const struct od_box *b, const uint8_t rgb[3], unsigned thickness);

/* text with its top-left pixel at (x, y), each font pixel a scale x scale
 * square, glyphs 4 * scale apart; bg (may be NULL) fills the text's
 * rectangle first (one scale of margin around it).  Returns the text's
 * width in pixels. */
long od_draw_text(struct img_u8 *img, long x, long y, const char *text, const uint8_t fg[3], const uint8_t *bg,
                  unsigned scale);

/* Detection rows [class_id, score, xmin, ymin, xmax, ymax] (nms.h) with
 * score >= min_score: each box and a tag with its class name (names[class]
 * when class < n_names, else the number) and score, above the box when there
 * is room, inside it otherwise. A row with score < 0 is a ground truth,
 * drawn without a score. */
void od_draw_detections(struct img_u8 *img, const float *rows, size_t n, const char *const *names, size_t n_names,
                        float min_score);

#endif
