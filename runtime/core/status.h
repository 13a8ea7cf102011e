/*
 * status.h: what the runtime itself makes of an optml_status at the end of
 * a process (the public name / text / HTTP code / kind lookups are in
 * optml/algorithm.h; all of them read OPTML_STATUS_MAP).
 */
#ifndef OPTML_STATUS_H
#define OPTML_STATUS_H

#include "optml/algorithm.h"

/* The exit code of a process (`train`, `serve`) that ends with `s`: 0 for
 * OPTML_OK and OPTML_STOPPED (a requested stop is a success), 2 for a
 * ClientError (kind 'C'), 1 for everything else (an AlgorithmError). */
int rt_status_exit_code(optml_status s);

/* The failure line's prefix: "ClientError" for kind 'C', else
 * "AlgorithmError". */
const char *rt_status_failure_prefix(optml_status s);

#endif
