/*
 * A fleet ships proclife's lines with what it already runs. The rsyslog
 * configuration in packaging/ (the shipped file itself, its log path
 * pointed at the test's) reads the file while it is rotated (renamed, then
 * reopened on SIGHUP) under storms, and forwards every line byte for byte,
 * snapshot lines above rsyslog's default message size included.
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
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "harness.h"
#include "checks.h"

#define RSYSLOGD "/usr/sbin/rsyslogd"
#define SLEEPERS 300
#define STORM 300
#define ROTATIONS 2

static void source_path(char *out, size_t size, const char *rel)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;

	snprintf(out, size, "%.*s/%s", dir, slash ? __FILE__ : ".", rel);
}

/* Every line of the files, as one sorted list; the longest line's length. */
static char *sorted_lines(const char *cmd, size_t *lines, size_t *longest)
{
	FILE *p = popen(cmd, "r");
	char *out = NULL, *line = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	FILE *mem = open_memstream(&out, &len);

	assert_non_null(p);
	assert_non_null(mem);
	*lines = *longest = 0;
	while ((n = getline(&line, &cap, p)) > 0) {
		fwrite(line, 1, n, mem);
		++*lines;
		if ((size_t)n > *longest)
			*longest = n;
	}
	free(line);
	fclose(mem);
	assert_int_equal(pclose(p), 0);
	return out;
}

static pid_t start_rsyslogd(const char *dir, const char *log)
{
	char shipped[4096], cmd[8192], conf[256], pidfile[256];
	const char *argv[] = { RSYSLOGD, "-n", "-f", conf, "-i", pidfile, NULL };
	FILE *f;

	source_path(shipped, sizeof(shipped), "../../packaging/proclife.rsyslog.conf");
	snprintf(cmd, sizeof(cmd), "sed 's|/var/log/proclife/proclife.jsonl|%s|' '%s' > '%s/proclife.conf'",
		 log, shipped, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(conf, sizeof(conf), "%s/rsyslog.conf", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/rsyslogd.pid", dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	/* The site's part: where the lines go, here a local file. */
	fprintf(f, "global(workDirectory=\"%s\")\n"
		"include(file=\"%s/proclife.conf\")\n"
		"ruleset(name=\"proclife_forward\") {\n"
		"\taction(type=\"omfile\" file=\"%s/forwarded.jsonl\" template=\"proclife_line\")\n"
		"}\n", dir, dir, dir);
	fclose(f);
	return spawn(argv, NULL);
}

static size_t count_lines(const char *cmd)
{
	size_t n, longest;
	char *text = sorted_lines(cmd, &n, &longest);

	free(text);
	return n;
}

/* Until rsyslog has forwarded at least n lines, or two minutes (it runs at its own pace). */
static void wait_forwarded(const char *dir, size_t n)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "cat %s/forwarded.jsonl 2>/dev/null", dir);
	for (time_t end = time(NULL) + 120; time(NULL) < end; sleep_ms(200))
		if (count_lines(cmd) >= n)
			return;
}

static void storm(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t child = fork();

		if (child == 0)
			_exit(0);
		waitpid(child, NULL, 0);
	}
}

/*
 * logrotate's create mode, by hand: FILE.k -> FILE.k+1, ..., FILE -> FILE.1,
 * then SIGHUP; proclife has reopened FILE once it exists again.
 */
static void rotate(struct trace *t, int rotated)
{
	char from[128], to[128];

	for (int k = rotated; k >= 0; k--) {
		if (k)
			snprintf(from, sizeof(from), "%s.%d", t->path, k);
		else
			snprintf(from, sizeof(from), "%s", t->path);
		snprintf(to, sizeof(to), "%s.%d", t->path, k + 1);
		assert_int_equal(rename(from, to), 0);
	}
	kill(t->pid, SIGHUP);
	for (int waited = 0; access(t->path, F_OK) && waited < 10000; waited += 20)
		sleep_ms(20);
	assert_int_equal(access(t->path, F_OK), 0);
}

static void rsyslog_forwards_every_line(void **state)
{
	const char *const opts[] = { "-s", "1", "--host-fields", NULL };
	char dir[] = "/tmp/proclife-fleet-XXXXXX", cmd[512];
	static pid_t sleepers[SLEEPERS];
	size_t sent, got, longest, longest_got;
	char *want, *have;
	struct trace t;
	pid_t rsyslogd;

	(void)state;
	if (harness_unsupported())
		skip();
	if (access(RSYSLOGD, X_OK))
		fail_msg("rsyslog is not installed (scripts/deps --test installs it)");
	assert_non_null(mkdtemp(dir));
	/* Enough processes that a snapshot is longer than rsyslog's default 8 KiB. */
	for (int i = 0; i < SLEEPERS; i++) {
		sleepers[i] = fork();
		if (sleepers[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
	}
	assert_int_equal(trace_start(&t, opts), 0);
	rsyslogd = start_rsyslogd(dir, t.path);
	snprintf(cmd, sizeof(cmd), "cat %s.*", t.path);
	for (int r = 0; r < ROTATIONS; r++) {
		storm(STORM);
		rotate(&t, r);
		/*
		 * A tailer that follows a name reads a renamed file to its end,
		 * once it notices the rename: before the next one (docs/fleet.md).
		 */
		wait_forwarded(dir, count_lines(cmd));
	}
	storm(STORM);
	assert_int_equal(WEXITSTATUS(trace_stop(&t)), 0);
	snprintf(cmd, sizeof(cmd), "cat %s %s.* | LC_ALL=C sort", t.path, t.path);
	want = sorted_lines(cmd, &sent, &longest);
	assert_true(longest > 8192);
	wait_forwarded(dir, sent);
	snprintf(cmd, sizeof(cmd), "LC_ALL=C sort %s/forwarded.jsonl", dir);
	have = sorted_lines(cmd, &got, &longest_got);
	kill(rsyslogd, SIGTERM);
	waitpid(rsyslogd, NULL, 0);
	for (int i = 0; i < SLEEPERS; i++) {
		kill(sleepers[i], SIGKILL);
		waitpid(sleepers[i], NULL, 0);
	}
	if (got != sent)
		fail_msg("%zu of %zu lines forwarded", got, sent);
	if (strcmp(want, have))
		fail_msg("the forwarded lines differ from proclife's");
	free(want);
	free(have);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s.*", dir, t.path);
	assert_int_equal(system(cmd), 0);
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rsyslog_forwards_every_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
