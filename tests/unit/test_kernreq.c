/* The minimum-kernel check on the feature sets kernels before and after it have. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "kernreq.h"

static void test_all_present(void **state)
{
	struct kernel_features f = { .ringbuf = true, .get_current_task_btf = true, .loop = true };

	(void)state;
	assert_null(kernel_missing(&f));
}

/* Linux 5.8 to 5.10: ring buffers, but no bpf_get_current_task_btf. */
static void test_linux_5_10(void **state)
{
	struct kernel_features f = { .ringbuf = true };

	(void)state;
	assert_string_equal(kernel_missing(&f), "the bpf_get_current_task_btf helper");
}

/* Linux 5.11 to 5.16: no bpf_loop for the reaper walks. */
static void test_linux_5_16(void **state)
{
	struct kernel_features f = { .ringbuf = true, .get_current_task_btf = true };

	(void)state;
	assert_string_equal(kernel_missing(&f), "the bpf_loop helper");
}

/* Older than 5.8: the first thing missing is named, not the last. */
static void test_linux_5_4(void **state)
{
	struct kernel_features f = { 0 };

	(void)state;
	assert_string_equal(kernel_missing(&f), "BPF ring buffers");
	assert_string_equal(KERNEL_MIN_VERSION, "5.17");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_present),
		cmocka_unit_test(test_linux_5_10),
		cmocka_unit_test(test_linux_5_16),
		cmocka_unit_test(test_linux_5_4),
	};

	return cmocka_run_group_tests_name("kernreq", tests, NULL, NULL);
}
