/*
 * cifar_helpers.h: data and answers the cifar-cnn tests share: a
 * two-class IDX set of bright and dark 28x28 images, a JSON request of two
 * flat images, and the class a prediction row gives.
 */
#ifndef OPTML_TEST_CIFAR_HELPERS_H
#define OPTML_TEST_CIFAR_HELPERS_H

#include <jansson.h>

/* n 28x28 grey images in input/data/train as an IDX pair: class 1 bright
 * (190-255), class 0 dark (0-65), alternating. */
void cifar_bright_dark(const char *base, int n);
/* {"instances": [img, img]}: 28x28x1 nested lists of one value each. */
char *cifar_instances(double first, double second);
/* The class of row `row` of {"predictions": [[p0, p1], ...]} (-1: not a
 * probability row of 2 summing to 1). */
int cifar_predicted(json_t *j, size_t row);

struct served;
/* A served model of cifar_bright_dark's images answers a JSON request of a
 * bright then a dark image (keras-cifar10's scale, /255) with 1 then 0;
 * the test fails otherwise. */
void cifar_expect_bright_dark(struct served *s);

#endif
