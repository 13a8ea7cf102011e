/*
 * gradcheck.c: central finite differences for the gradient-check tests.
 * Owns nothing but the two functions of gradcheck.h; it is test support that
 * lives with the numeric code so that modules' tests can use it too.
 */
#include "support/gradcheck.h"

#include <stdlib.h>

#include "support/harness.h"

#include <math.h>

double gradcheck_worst(double (*f)(const float *x, void *ctx), void *ctx, float *x, const float *grad,
                       size_t n, double h, size_t *worst_i, double *worst_num)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float x0 = x[i];
        const float xp = (float)((double)x0 + h);
        const float xm = (float)((double)x0 - h);
        x[i] = xp;
        const double fp = f(x, ctx);
        x[i] = xm;
        const double fm = f(x, ctx);
        x[i] = x0;
        /* The step actually taken, after rounding to float. */
        const double dx = (double)xp - (double)xm;
        const double num = dx > 0.0 ? (fp - fm) / dx : (double)INFINITY;
        const double a = (double)grad[i];
        double rel = fabs(a - num) / fmax(1e-3, fabs(a) + fabs(num));
        if (isnan(a) || isnan(num))
            rel = (double)NAN;
        else if (isinf(num) || isinf(a))
            rel = (double)INFINITY;
        /* "not <=" so that the first NaN wins and is reported. */
        if (i == 0 || (!isnan(worst) && !(rel <= worst))) {
            worst = rel;
            if (worst_i)
                *worst_i = i;
            if (worst_num)
                *worst_num = num;
        }
    }
    return worst;
}

double gradcheck(double (*f)(const float *x, void *ctx), void *ctx, float *x, const float *grad,
                 size_t n, double h)
{
    return gradcheck_worst(f, ctx, x, grad, n, h, NULL, NULL);
}

void gradcheck_require(double h, const char *what, double (*f)(const float *x, void *ctx), void *ctx, float *x,
                       const float *grad, size_t n, double tol)
{
    size_t wi = 0;
    double wn = 0.0;
    const double err = gradcheck_worst(f, ctx, x, grad, n, h, &wi, &wn);
    if (!(err < tol))
        test_fail(__FILE__, __LINE__, "%s: rel err %g at [%zu]: analytic %g, numeric %g", what, err, wi,
                  n ? (double)grad[wi] : 0.0, wn);
}

double gradcheck_quad_loss(const float *y, const float *c, size_t n, float *dy)
{
    double L = 0.0;
    for (size_t i = 0; i < n; i++) {
        L += (double)c[i] * y[i] + 0.5 * (double)y[i] * y[i];
        if (dy)
            dy[i] = c[i] + y[i];
    }
    return L;
}

float *gradcheck_floats(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    if (!p)
        test_fail(__FILE__, __LINE__, "out of memory for %zu floats", n);
    return p;
}
