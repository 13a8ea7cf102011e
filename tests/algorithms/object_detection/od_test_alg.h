/*
 * od_test_alg.h: the object-detection module table the detection tests bind
 * hyperparameters through (the folder is not a module yet: its hparams and
 * resolve, no train or serve).
 */
#ifndef OPTML_TEST_OD_ALG_H
#define OPTML_TEST_OD_ALG_H

#include "optml/algorithm.h"

extern const struct optml_algorithm od_test_alg;

#endif
