/*
 * gradcheck.h: central finite-difference gradient checks, for the tests of
 * every backward pass in the shared numeric code and the modules.
 */
#ifndef OPTML_COMMON_GRADCHECK_H
#define OPTML_COMMON_GRADCHECK_H

#include <stddef.h>

/* f(x, ctx) returns a scalar loss of the n-vector x.  Compares the analytic
 * gradient `grad` with (f(x + h e_i) - f(x - h e_i)) / 2h for every i, in
 * double precision around float x; returns the largest relative error
 * |a - n| / max(1e-3, |a| + |n|).  The divisor is the step actually taken
 * after rounding x_i +- h to float.  x is modified while f runs and restored
 * bit for bit before return.  A NaN anywhere makes the result NaN; a step
 * that rounds to nothing (h too small for x_i) gives +Inf. */
double gradcheck(double (*f)(const float *x, void *ctx), void *ctx, float *x, const float *grad,
                 size_t n, double h);

/* gradcheck() that also reports where the largest error is: *worst_i (may be
 * NULL) receives its index and *worst_num (may be NULL) the numerical
 * derivative there (both untouched when n = 0). */
double gradcheck_worst(double (*f)(const float *x, void *ctx), void *ctx, float *x, const float *grad,
                       size_t n, double h, size_t *worst_i, double *worst_num);

/* Fails the test, naming `what`, the worst index and both derivatives,
 * unless gradcheck_worst(f, ctx, x, grad, n, h) is below tol. */
void gradcheck_require(double h, const char *what, double (*f)(const float *x, void *ctx), void *ctx, float *x,
                       const float *grad, size_t n, double tol);

/* The loss the layer checks put on a layer's output y (n values): L = sum
 * c_i y_i + 0.5 y_i^2, and, when dy is not NULL, its gradient dy = c + y. */
double gradcheck_quad_loss(const float *y, const float *c, size_t n, float *dy);

/* n floats (at least one), failing the test when out of memory. */
float *gradcheck_floats(size_t n);

#endif
