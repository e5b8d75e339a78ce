/* The CPU lists of /sys/devices/system/cpu: which CPUs get a ring buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "cpulist.h"

#define NCPUS 16

static void test_ranges_and_singles(void **state)
{
	bool in[NCPUS];

	(void)state;
	assert_int_equal(cpulist_parse("0-3,8,10-11\n", in, NCPUS), 7);
	for (int cpu = 0; cpu < NCPUS; cpu++)
		assert_int_equal(in[cpu], cpu <= 3 || cpu == 8 || cpu == 10 || cpu == 11);
	assert_int_equal(cpulist_parse("0\n", in, NCPUS), 1);
	assert_true(in[0]);
	assert_false(in[1]);
}

/* CPUs beyond the possible ones cannot run a program: they are left out, not an error. */
static void test_cpus_past_the_end_are_left_out(void **state)
{
	bool in[4];

	(void)state;
	assert_int_equal(cpulist_parse("2-7", in, 4), 2);
	assert_false(in[0]);
	assert_true(in[3]);
}

static void test_malformed_lists(void **state)
{
	static const char *const bad[] = { "", "\n", "a", "3-1", "1,,2", "1-", "-1", "0 1", "1-3x" };
	bool in[NCPUS];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cpulist_parse(bad[i], in, NCPUS), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges_and_singles),
		cmocka_unit_test(test_cpus_past_the_end_are_left_out),
		cmocka_unit_test(test_malformed_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
