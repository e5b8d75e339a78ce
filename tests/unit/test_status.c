/*
 * Wait statuses decoded from real children, checked against the libc
 * macros, and the names of signals, results and dispositions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "event.h"
#include "status.h"

/* The child starts with default signal handling and nothing blocked. */
static void child_reset_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGABRT, SIG_DFL);
}

static int wait_for(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_exit_codes(void **state)
{
	static const int codes[] = { 0, 1, 2, 42, 127, 128, 254, 255 };

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct exit_status st;
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0)
			_exit(codes[i]);
		status = wait_for(pid);
		assert_true(WIFEXITED(status));
		st = exit_status_decode(status);
		assert_true(st.exited);
		assert_int_equal(st.code, WEXITSTATUS(status));
		assert_int_equal(st.code, codes[i]);
		assert_int_equal(st.sig, 0);
		assert_false(st.core_dumped);
	}
}

static void check_killed_by(int sig)
{
	struct exit_status st;
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		child_reset_signals();
		for (;;)
			pause();
	}
	assert_int_equal(kill(pid, sig), 0);
	status = wait_for(pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
	st = exit_status_decode(status);
	assert_false(st.exited);
	assert_int_equal(st.code, 0);
	assert_int_equal(st.sig, WTERMSIG(status));
	assert_int_equal(st.core_dumped, WCOREDUMP(status) != 0);
	assert_false(st.core_dumped);
}

static void test_killed_by_sigterm(void **state)
{
	(void)state;
	check_killed_by(SIGTERM);
}

static void test_killed_by_sigkill(void **state)
{
	(void)state;
	check_killed_by(SIGKILL);
}

/*
 * glibc keeps the first two real-time signals for itself: its SIGRTMIN is
 * the kernel's 34. (SIGRTMAX is left alone: valgrind keeps it.)
 */
static void test_killed_by_realtime_signal(void **state)
{
	(void)state;
	assert_int_equal(SIGRTMIN, 34);
	check_killed_by(SIGRTMIN);
	assert_string_equal(signal_name(SIGRTMIN), "SIGRTMIN+2");
	check_killed_by(SIGRTMIN + 4);
	assert_string_equal(signal_name(SIGRTMIN + 4), "SIGRTMIN+6");
}

/* Removes the core file(s) the child left and the directory. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * abort() with core dumps allowed. The core lands in a scratch directory
 * (core_pattern may be relative); where the kernel writes no core (the
 * hard limit is 0, a pipe helper declines, the test runs under valgrind)
 * the status carries no core flag and the test skips.
 */
static void test_abort_with_core_dump(void **state)
{
	char dir[PATH_MAX];
	struct exit_status st;
	struct rlimit rl;
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	if (rl.rlim_max == 0)
		skip();
	snprintf(dir, sizeof(dir), "%s/proclife-core-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		rl.rlim_cur = rl.rlim_max;
		if (chdir(dir) || setrlimit(RLIMIT_CORE, &rl) ||
		    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
			_exit(127);
		child_reset_signals();
		abort();
	}
	status = wait_for(pid);
	remove_dir(dir);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	if (!WCOREDUMP(status))
		skip();
	st = exit_status_decode(status);
	assert_false(st.exited);
	assert_int_equal(st.sig, SIGABRT);
	assert_true(st.core_dumped);
}

/* Statuses as the kernel encodes them, for cases a child cannot easily produce. */
static void test_encoded_statuses(void **state)
{
	struct exit_status st;

	(void)state;
	st = exit_status_decode(0x8b);		/* SIGSEGV, core dumped */
	assert_false(st.exited);
	assert_int_equal(st.sig, SIGSEGV);
	assert_true(st.core_dumped);
	st = exit_status_decode(SIGRTMIN);	/* killed by a real-time signal */
	assert_false(st.exited);
	assert_int_equal(st.sig, SIGRTMIN);
	assert_false(st.core_dumped);
	st = exit_status_decode(0xff00);	/* exit(255) */
	assert_true(st.exited);
	assert_int_equal(st.code, 255);
}

static void test_standard_signal_names(void **state)
{
	(void)state;
	assert_string_equal(signal_name(SIGHUP), "SIGHUP");
	assert_string_equal(signal_name(SIGINT), "SIGINT");
	assert_string_equal(signal_name(SIGKILL), "SIGKILL");
	assert_string_equal(signal_name(SIGSEGV), "SIGSEGV");
	assert_string_equal(signal_name(SIGTERM), "SIGTERM");
	assert_string_equal(signal_name(SIGSTKFLT), "SIGSTKFLT");
	assert_string_equal(signal_name(SIGCHLD), "SIGCHLD");
	assert_string_equal(signal_name(SIGSYS), "SIGSYS");
	/* Every classic signal, against the C library's own abbreviations. */
	for (int sig = 1; sig < 32; sig++) {
		const char *abbrev = sigabbrev_np(sig);
		char want[32];

		assert_non_null(abbrev);
		/* glibc calls signal 29 by its System V name. */
		snprintf(want, sizeof(want), "SIG%s", strcmp(abbrev, "POLL") ? abbrev : "IO");
		assert_non_null(signal_name(sig));
		assert_string_equal(signal_name(sig), want);
	}
}

/* Real-time signals are named in the kernel's numbering (32..64), not glibc's. */
static void test_realtime_signal_names(void **state)
{
	(void)state;
	assert_string_equal(signal_name(32), "SIGRTMIN");
	assert_string_equal(signal_name(33), "SIGRTMIN+1");
	assert_string_equal(signal_name(35), "SIGRTMIN+3");
	assert_string_equal(signal_name(47), "SIGRTMIN+15");
	assert_string_equal(signal_name(48), "SIGRTMAX-16");
	assert_string_equal(signal_name(63), "SIGRTMAX-1");
	assert_string_equal(signal_name(64), "SIGRTMAX");
	for (int sig = 32; sig <= 64; sig++) {
		const char *name = signal_name(sig);
		char want[16];

		assert_non_null(name);
		if (sig <= 47)
			snprintf(want, sizeof(want), sig == 32 ? "SIGRTMIN" : "SIGRTMIN+%d", sig - 32);
		else
			snprintf(want, sizeof(want), sig == 64 ? "SIGRTMAX" : "SIGRTMAX-%d", 64 - sig);
		assert_string_equal(name, want);
	}
}

static void test_out_of_range_signal_names(void **state)
{
	static const int bad[] = { 0, -1, -9, 65, 128, INT_MAX, INT_MIN };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(signal_name(bad[i]));
}

static void test_result_and_disposition_names(void **state)
{
	(void)state;
	assert_string_equal(signal_result_name(0), "delivered");
	assert_string_equal(signal_result_name(1), "ignored");
	assert_string_equal(signal_result_name(2), "already_pending");
	assert_string_equal(signal_result_name(3), "overflow_fail");
	assert_string_equal(signal_result_name(4), "lose_info");
	assert_string_equal(signal_result_name(5), "unknown");
	assert_string_equal(signal_result_name(-1), "unknown");
	assert_string_equal(signal_result_name(INT_MIN), "unknown");
	assert_string_equal(disposition_name(PL_DISP_DEFAULT), "default");
	assert_string_equal(disposition_name(PL_DISP_IGNORED), "ignored");
	assert_string_equal(disposition_name(PL_DISP_HANDLER), "handler");
	assert_string_equal(disposition_name(3), "unknown");
	assert_string_equal(disposition_name(-1), "unknown");
}

/* Every kind of siginfo has a name that reads back to it; no other name does. */
static void test_siginfo_kind_names(void **state)
{
	(void)state;
	for (int k = 0; k < SIGINFO_KIND_MAX; k++)
		assert_int_equal(siginfo_kind_from_name(siginfo_kind_name(k)), k);
	assert_string_equal(siginfo_kind_name(SIGINFO_KERNEL), "kernel");
	assert_string_equal(siginfo_kind_name(SIGINFO_KIND_MAX), "unknown");
	assert_string_equal(siginfo_kind_name(-1), "unknown");
	assert_int_equal(siginfo_kind_from_name("unknown"), -1);
}

/* One table for the reaper rules: the JSON name, the words before a pid, the words alone. */
static void test_reaper_rule_words(void **state)
{
	(void)state;
	for (int r = PL_REAPER_THREAD; r <= PL_REAPER_PIDNS_DYING; r++)
		assert_int_equal(reaper_rule_from_name(reaper_rule_name(r)), r);
	assert_string_equal(reaper_rule_words(PL_REAPER_SUBREAPER), "subreaper");
	assert_string_equal(reaper_rule_alone(PL_REAPER_SUBREAPER), "a subreaper");
	assert_string_equal(reaper_rule_words(PL_REAPER_INIT), "init");
	assert_string_equal(reaper_rule_alone(PL_REAPER_INIT), "init");
	assert_string_equal(reaper_rule_alone(PL_REAPER_THREAD), "a sibling thread");
	assert_null(reaper_rule_name(PL_REAPER_NONE));
	assert_null(reaper_rule_words(PL_REAPER_NONE));
	assert_null(reaper_rule_alone(PL_REAPER_NONE));
	assert_null(reaper_rule_alone(PL_REAPER_PIDNS_DYING + 1));
	assert_int_equal(reaper_rule_from_name("a subreaper"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_killed_by_sigterm),
		cmocka_unit_test(test_killed_by_sigkill),
		cmocka_unit_test(test_killed_by_realtime_signal),
		cmocka_unit_test(test_abort_with_core_dump),
		cmocka_unit_test(test_encoded_statuses),
		cmocka_unit_test(test_standard_signal_names),
		cmocka_unit_test(test_realtime_signal_names),
		cmocka_unit_test(test_out_of_range_signal_names),
		cmocka_unit_test(test_result_and_disposition_names),
		cmocka_unit_test(test_siginfo_kind_names),
		cmocka_unit_test(test_reaper_rule_words),
	};

	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
