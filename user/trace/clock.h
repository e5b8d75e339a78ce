/*
 * Events are stamped with CLOCK_BOOTTIME (it keeps counting through suspend
 * and matches /proc start times); people and log pipelines want wall time.
 */
#ifndef PL_CLOCK_H
#define PL_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct wallclock {
	int64_t boot_to_real_ns;	/* realtime = boottime + this */
	time_t cached_sec;		/* the second the prefixes below are for */
	char rfc3339[21];		/* "2026-11-21T05:47:00." */
	char hms[10];			/* "05:47:00." (local time) */
};

void wallclock_init(struct wallclock *wc);
uint64_t boottime_now_ns(void);
/* "2026-11-21T05:47:00.123456789Z": 30 bytes plus NUL. */
void wallclock_rfc3339(struct wallclock *wc, uint64_t boot_ns, char out[31]);
/* "05:47:00.123456" in local time: 15 bytes plus NUL. */
void wallclock_hms(struct wallclock *wc, uint64_t boot_ns, char out[16]);

#endif
