/*
 * Events are stamped with CLOCK_BOOTTIME (it keeps counting through suspend
 * and matches /proc start times); people and log pipelines want wall time.
 * The offset between the two changes only when the wall clock is stepped
 * (settimeofday, an NTP step, a VM resumed with its clock set), so it is
 * measured at start and measured again by wallclock_follow, a few clock
 * reads, which the live loop calls once per poll.
 */
#ifndef PL_CLOCK_H
#define PL_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* clock_gettime, or a test's stand-in. */
typedef int (*clock_read_fn)(clockid_t id, struct timespec *ts);

struct wallclock {
	int64_t boot_to_real_ns;	/* realtime = boottime + this */
	int64_t error_ns;		/* how far the measured offset may be off */
	uint64_t steps;			/* wall-clock steps followed */
	clock_read_fn read;		/* NULL: a fixed offset, never followed */
	time_t cached_sec;		/* the second the prefixes below are for */
	char rfc3339[21];		/* "2026-11-21T05:47:00." */
	char hms[10];			/* "05:47:00." (local time) */
};

void wallclock_init(struct wallclock *wc);
void wallclock_init_with(struct wallclock *wc, clock_read_fn read);
/*
 * Measures the offset again and takes it when it moved by more than the
 * two measurements' error: true when the wall clock was stepped.
 */
bool wallclock_follow(struct wallclock *wc);
uint64_t boottime_now_ns(void);
/* "2026-11-21T05:47:00.123456789Z": 30 bytes plus NUL. */
void wallclock_rfc3339(struct wallclock *wc, uint64_t boot_ns, char out[31]);
/* "05:47:00.123456" in local time: 15 bytes plus NUL. */
void wallclock_hms(struct wallclock *wc, uint64_t boot_ns, char out[16]);

#endif
