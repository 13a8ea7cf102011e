/*
 * stop.h: the process-wide stop flag set by SIGTERM / SIGINT.  Handlers are
 * installed without SA_RESTART so a blocking open() or read() on a FIFO
 * returns EINTR and the reader can notice the stop.  SIGPIPE and SIGXFSZ
 * are ignored: a write to a closed pipe or past the file-size limit fails
 * (EPIPE, EFBIG) and is reported where it happens.
 */
#ifndef OPTML_STOP_H
#define OPTML_STOP_H

void rt_stop_install_handlers(void);
int rt_stop_requested(void);
/* For tests: set or clear the flag. */
void rt_stop_set(int value);

#endif
