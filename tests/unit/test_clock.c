/*
 * Wall-clock stamps follow a step of the wall clock (NTP, a resumed VM),
 * measured against a stand-in clock so that no real clock is touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>
#include "clock.h"

#define SEC 1000000000LL
/* 2026-11-21T05:47:00Z */
#define REAL0 (1795240020LL * SEC)

/* The stand-in: time advances 10 ns a read; real time is boot time plus offset. */
static int64_t boot_ns, offset_ns;
static int reads;

static int fake_clock(clockid_t id, struct timespec *ts)
{
	int64_t ns = boot_ns;

	reads++;
	boot_ns += 10;
	if (id == CLOCK_REALTIME)
		ns += offset_ns;
	ts->tv_sec = ns / SEC;
	ts->tv_nsec = ns % SEC;
	return 0;
}

static void stamp(struct wallclock *wc, uint64_t boot, char out[31])
{
	wallclock_rfc3339(wc, boot, out);
}

static void test_follows_a_step(void **state)
{
	struct wallclock wc;
	char t[31];

	(void)state;
	boot_ns = 100 * SEC;
	offset_ns = REAL0 - 100 * SEC;
	wallclock_init_with(&wc, fake_clock);
	stamp(&wc, 100 * SEC, t);
	assert_string_equal(t, "2026-11-21T05:47:00.000000000Z");
	/* Nothing moved: the same offset, measured again. */
	assert_false(wallclock_follow(&wc));
	/* NTP steps the clock an hour ahead. */
	offset_ns += 3600 * SEC;
	assert_true(wallclock_follow(&wc));
	stamp(&wc, 100 * SEC, t);
	assert_string_equal(t, "2026-11-21T06:47:00.000000000Z");
	/* And 5 s back. */
	offset_ns -= 5 * SEC;
	assert_true(wallclock_follow(&wc));
	stamp(&wc, 101 * SEC, t);
	assert_string_equal(t, "2026-11-21T06:46:56.000000000Z");
	assert_int_equal(wc.steps, 2);
}

/* A reading no further off than the measurements' own error is no step. */
static void test_ignores_noise(void **state)
{
	struct wallclock wc;

	(void)state;
	boot_ns = 100 * SEC;
	offset_ns = REAL0;
	wallclock_init_with(&wc, fake_clock);
	offset_ns += wc.error_ns;
	assert_false(wallclock_follow(&wc));
	offset_ns += wc.error_ns * 3;
	assert_true(wallclock_follow(&wc));
}

/* Following costs a few clock reads, however many events are stamped. */
static void test_cost_is_bounded(void **state)
{
	struct wallclock wc;
	char t[31];

	(void)state;
	boot_ns = 100 * SEC;
	offset_ns = REAL0;
	wallclock_init_with(&wc, fake_clock);
	reads = 0;
	for (int i = 0; i < 1000; i++)
		stamp(&wc, 100 * SEC + i * 1000, t);
	assert_int_equal(reads, 0);
	wallclock_follow(&wc);
	assert_true(reads <= 9);
}

/* A fixed clock (a replay's) is never followed. */
static void test_fixed_clock(void **state)
{
	struct wallclock wc = { .boot_to_real_ns = 0, .cached_sec = -1 };

	(void)state;
	assert_false(wallclock_follow(&wc));
	assert_int_equal(wc.boot_to_real_ns, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follows_a_step),
		cmocka_unit_test(test_ignores_noise),
		cmocka_unit_test(test_cost_is_bounded),
		cmocka_unit_test(test_fixed_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
