/*
 * train.h: `optml train`, the training driver.
 */
#ifndef OPTML_TRAIN_H
#define OPTML_TRAIN_H

/* Run a training job under the /opt/ml contract; returns the process exit
 * code: 0 success (or a clean stop), 2 ClientError, 1 AlgorithmError. */
int rt_train_main(void);

#endif
