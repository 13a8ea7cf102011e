/*
 * clock.h: the runtime's one monotonic clock, for durations, deadlines and
 * rate limits (never for timestamps shown to people: those are wall time).
 */
#ifndef OPTML_CLOCK_H
#define OPTML_CLOCK_H

/* Seconds on CLOCK_MONOTONIC (an arbitrary origin; only differences mean
 * anything).  Thread-safe, async-signal-safe. */
double rt_now(void);

/* Unix time in seconds (CLOCK_REALTIME), for timestamps shown to people. */
double rt_wall_now(void);

#endif
