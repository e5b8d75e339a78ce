/*
 * proclife's failures: each gets one clear line on stderr and the right exit
 * status (2 bad usage, 1 failure), and a reader that goes away is not one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <poll.h>
#include <sys/wait.h>
#include "harness.h"

#define NOBODY 65534

struct result {
	int status;
	char err[4096];
};

/* Runs proclife with args as uid (-1: ours), stdout to /dev/null. */
static void run(struct result *r, uid_t uid, const char *const *args)
{
	const char *argv[16] = { getenv("PROCLIFE") };
	int fds[2], argc = 1;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	for (; *args && argc < 15; args++)
		argv[argc++] = *args;
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(fds[1], 2);
		if (uid != (uid_t)-1 && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	while (got < sizeof(r->err) - 1 && (n = read(fds[0], r->err + got, sizeof(r->err) - 1 - got)) > 0)
		got += n;
	r->err[got] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
	assert_true(WIFEXITED(r->status));
}

static bool one_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl && !strchr(nl + 1, '\n') && !strncmp(s, "proclife: ", 10);
}

static void needs_binary(void)
{
	if (!getenv("PROCLIFE") || access(getenv("PROCLIFE"), X_OK))
		skip();
}

static void bad_flags(void **state)
{
	static const char *const cases[][3] = {
		{ "--buffer-size", "1000", NULL },
		{ "--buffer-size", "12K", NULL },
		{ "-d", "-1", NULL },
		{ "-d", "soon", NULL },
		{ "--arg-bytes", "99999", NULL },
		{ "--max-args", "x", NULL },
		{ "--no-such-flag", NULL, NULL },
		{ "stray", NULL, NULL },
		{ "-o", NULL, NULL },
	};
	struct result r;

	(void)state;
	needs_binary();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(&r, -1, cases[i]);
		assert_int_equal(WEXITSTATUS(r.status), 2);
		assert_true(!strncmp(r.err, "proclife: ", 10));
		assert_non_null(strstr(r.err, "Try 'proclife --help'"));
	}
}

static void help_and_version(void **state)
{
	static const char *const help[] = { "--help", NULL };
	static const char *const version[] = { "--version", NULL };
	struct result r;

	(void)state;
	needs_binary();
	run(&r, -1, help);
	assert_int_equal(WEXITSTATUS(r.status), 0);
	run(&r, -1, version);
	assert_int_equal(WEXITSTATUS(r.status), 0);
}

static void missing_btf(void **state)
{
	static const char *const args[] = { "--btf", "/nonexistent/vmlinux", "-d", "1", NULL };
	struct result r;

	(void)state;
	needs_binary();
	run(&r, -1, args);
	assert_int_equal(WEXITSTATUS(r.status), 1);
	assert_true(one_line(r.err));
	assert_non_null(strstr(r.err, "no kernel BTF at /nonexistent/vmlinux"));
}

static void not_root(void **state)
{
	static const char *const args[] = { "-d", "1", NULL };
	struct result r;

	(void)state;
	needs_binary();
	if (geteuid() != 0)
		skip();
	run(&r, NOBODY, args);
	assert_int_equal(WEXITSTATUS(r.status), 1);
	assert_true(one_line(r.err));
	assert_non_null(strstr(r.err, "run as root"));
}

static void unwritable_output(void **state)
{
	static const char *const args[] = { "-o", "/nonexistent/dir/out.json", "-d", "1", NULL };
	struct result r;

	(void)state;
	needs_binary();
	run(&r, -1, args);
	assert_int_equal(WEXITSTATUS(r.status), 1);
	assert_true(one_line(r.err));
	assert_non_null(strstr(r.err, "cannot open /nonexistent/dir/out.json"));
}

static void fork_children(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t child = fork();

		if (child == 0)
			_exit(0);
		waitpid(child, NULL, 0);
	}
}

/* proclife --json | head -1: ends quietly with status 0 once head is gone. */
static void closed_pipe(void **state)
{
	const char *argv[] = { getenv("PROCLIFE"), "--json", "-d", "30", NULL };
	const char *why = harness_unsupported();
	int out[2], status;
	char buf[256];
	pid_t pid;
	struct pollfd ready = { .events = POLLIN };

	(void)state;
	if (why)
		skip();
	assert_int_equal(pipe(out), 0);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(out[1]);
	ready.fd = out[0];
	/* This test's own forks give proclife something to print, once it is attached. */
	for (int i = 0; i < 100 && poll(&ready, 1, 100) == 0; i++)
		fork_children(10);
	assert_true(read(out[0], buf, sizeof(buf)) > 0);
	close(out[0]);
	/* proclife now writes into a pipe nobody reads. */
	fork_children(200);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_flags),
		cmocka_unit_test(help_and_version),
		cmocka_unit_test(missing_btf),
		cmocka_unit_test(not_root),
		cmocka_unit_test(unwritable_output),
		cmocka_unit_test(closed_pipe),
	};

	return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
