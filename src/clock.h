/*
 * clock.h: the one clock of the request path: monotonic microseconds (never
 * jumps with the wall clock, so timeouts cannot fire early or late).
 */
#ifndef TINYHOOK_CLOCK_H
#define TINYHOOK_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
clock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#endif
