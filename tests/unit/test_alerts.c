/*
 * docs/alerts.yml: promtool finds the rules valid and they pass their unit
 * tests (tests/unit/alerts_test.yml). Run from the top of the repository,
 * as tests/run does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <cmocka.h>

static void promtool(const char *args)
{
	char cmd[256];
	int status;

	snprintf(cmd, sizeof(cmd), "promtool %s", args);
	status = system(cmd);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("'%s' failed (status %d)", cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void test_rules_are_valid(void **state)
{
	(void)state;
	promtool("check rules docs/alerts.yml");
}

static void test_rules_pass_their_tests(void **state)
{
	(void)state;
	promtool("test rules tests/unit/alerts_test.yml");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_are_valid),
		cmocka_unit_test(test_rules_pass_their_tests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
