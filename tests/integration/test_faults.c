/*
 * proclife under faults: stopped in the middle of a storm, pointed at bad
 * BTF, or given too small a ring buffer. It must keep everything it
 * captured, say what went wrong, and count what it could not capture. And
 * under a steady storm it must not spin: it reads in batches.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "harness.h"

static pid_t start_storm(long n)
{
	char count[32];
	const char *argv[] = { harness_prog("prog_target"), "storm", count, NULL };

	snprintf(count, sizeof(count), "%ld", n);
	return spawn(argv, NULL);
}

static void count_lines(const struct trace *t, size_t *events, long long *lost)
{
	size_t i;
	json_t *ev;

	*events = 0;
	*lost = 0;
	json_array_foreach(t->events, i, ev) {
		const char *type = json_string_value(json_object_get(ev, "type"));

		/* The start line says who wrote the file: no event. */
		if (!strcmp(type, "start"))
			continue;
		if (!strcmp(type, "lost"))
			*lost += json_integer_value(json_object_get(ev, "count"));
		else
			(*events)++;
	}
}

/* SIGTERM mid-storm: everything counted was written, every line whole. */
static void sigterm_during_storm(void **state)
{
	struct trace t;
	size_t events;
	long long lost;
	pid_t storm;
	int status;

	(void)state;
	if (harness_unsupported())
		skip();
	assert_int_equal(trace_start(&t, NULL), 0);
	storm = start_storm(1000000);
	/* Mid-storm, whatever the host's load: once proclife has printed 1001 forks. */
	assert_non_null(trace_wait_nth(&t, "fork", -1, 1001));
	status = trace_stop_with(&t, SIGTERM);
	kill(storm, SIGKILL);
	waitpid(storm, NULL, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	count_lines(&t, &events, &lost);
	assert_true(events > 1000);
	assert_int_equal(trace_summary_total(&t), events);
	assert_int_equal(trace_summary_lost(&t), lost);
	trace_free(&t);
}

/* A full ring buffer: losses are reported in-band and in the summary. */
static void tiny_ring_buffer_reports_loss(void **state)
{
	const char *const opts[] = { "--buffer-size", "4096", NULL };
	struct trace t;
	size_t events;
	long long lost;
	pid_t storm;

	(void)state;
	if (harness_unsupported())
		skip();
	assert_int_equal(trace_start(&t, opts), 0);
	/* A stopped reader cannot drain: the storm must overflow the buffer. */
	kill(t.pid, SIGSTOP);
	storm = start_storm(2000);
	waitpid(storm, NULL, 0);
	kill(t.pid, SIGCONT);
	assert_int_equal(WEXITSTATUS(trace_stop(&t)), 0);
	count_lines(&t, &events, &lost);
	assert_true(lost > 0);
	assert_int_equal(trace_summary_lost(&t), lost);
	assert_int_equal(trace_summary_total(&t), events);
	trace_free(&t);
}

/*
 * A signal storm never lets the ring run dry. Woken whenever anything is
 * pending, the reader would spin a record or two per wakeup and take a CPU
 * from the storm; the programs wake it once a batch is pending (an eighth
 * of the CPU's ring), so 40,000 records of about a hundred bytes, half the
 * default 8 MiB, make a few wakeups, not thousands.
 */
static void storm_wakes_reader_in_batches(void **state)
{
	char dir[] = "/tmp/proclife-wakeups-XXXXXX", path[64], buf[32];
	const char *argv[] = { NULL, "signals", "20000", NULL };
	struct trace t;
	long long events;
	long woken;
	pid_t storm;
	int status, fd;
	ssize_t n;

	(void)state;
	if (harness_unsupported())
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/count", dir);
	assert_int_equal(trace_start_preloaded(&t, NULL, "shim_wakeups.so", "PROCLIFE_WAKEUPS",
					       path), 0);
	/* harness_prog's answer lasts until its next call. */
	argv[0] = harness_prog("prog_target");
	storm = spawn(argv, NULL);
	assert_int_equal(waitpid(storm, &status, 0), storm);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(WEXITSTATUS(trace_stop(&t)), 0);
	events = trace_summary_total(&t);
	assert_true(events >= 40000);
	assert_int_equal(trace_summary_lost(&t), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	woken = atol(buf);
	unlink(path);
	rmdir(dir);
	print_message("%lld events, %ld wakeups\n", events, woken);
	/* At least the one a full batch makes; at most one per hundred records. */
	assert_true(woken >= 1);
	assert_true(woken * 100 <= events);
	trace_free(&t);
}

static int run_with_btf(const char *btf, char *err, size_t errlen)
{
	const char *argv[] = { getenv("PROCLIFE"), "--btf", btf, "-d", "0.2", "-o", "/dev/null", NULL };
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WEXITSTATUS(status);
}

static void garbage_btf(void **state)
{
	char path[] = "/tmp/proclife-btf-XXXXXX", err[1024];
	int fd;

	(void)state;
	if (harness_unsupported())
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not BTF at all", 14), 14);
	close(fd);
	assert_int_equal(run_with_btf(path, err, sizeof(err)), 1);
	unlink(path);
	assert_non_null(strstr(err, "proclife: cannot read the kernel's BTF"));
	assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
}

static void copied_btf_works(void **state)
{
	char path[] = "/tmp/proclife-btf-XXXXXX", err[1024], buf[65536];
	int in, out;
	ssize_t n;

	(void)state;
	if (harness_unsupported())
		skip();
	out = mkstemp(path);
	in = open("/sys/kernel/btf/vmlinux", O_RDONLY);
	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, n), n);
	close(in);
	close(out);
	assert_int_equal(run_with_btf(path, err, sizeof(err)), 0);
	unlink(path);
	assert_non_null(strstr(err, "Tracing"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sigterm_during_storm),
		cmocka_unit_test(tiny_ring_buffer_reports_loss),
		cmocka_unit_test(storm_wakes_reader_in_batches),
		cmocka_unit_test(garbage_btf),
		cmocka_unit_test(copied_btf_works),
	};

	return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
