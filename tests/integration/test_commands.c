/*
 * The commands as a person or a monitoring script runs them: tree, zombies
 * --check, and replay of a trace recorded with --json, with and without
 * damaged lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include "checks.h"

struct run {
	int status;
	char out[1 << 16];
	char err[4096];
};

static void slurp_fd(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	close(fd);
}

/* proclife with args, its stdout and stderr to files read back afterwards. */
static void run(struct run *r, const char *const *args)
{
	const char *argv[24] = { getenv("PROCLIFE") };
	char out[] = "/tmp/proclife-cmd-out-XXXXXX", err[] = "/tmp/proclife-cmd-err-XXXXXX";
	int ofd = mkstemp(out), efd = mkstemp(err), argc = 1;
	pid_t pid;

	assert_true(ofd >= 0 && efd >= 0);
	for (; *args && argc < 23; args++)
		argv[argc++] = *args;
	pid = fork();
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	r->status = wait_child(pid);
	assert_true(WIFEXITED(r->status));
	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	slurp_fd(ofd, r->out, sizeof(r->out));
	slurp_fd(efd, r->err, sizeof(r->err));
	unlink(out);
	unlink(err);
}

/* Waits until /proc shows pid in state Z (its main thread ended). */
static void wait_state_z(pid_t pid)
{
	char path[64], buf[512], *p = NULL;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "r");

		assert_non_null(f);
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && p[2] == 'Z')
			return;
		sleep_ms(10);
	}
	fail_msg("pid %d never showed state Z", pid);
}

/* A parent that keeps two zombies until *hold is closed; their pids in kids. */
static pid_t start_leak(pid_t kids[2], int *hold)
{
	const char *argv[] = { harness_prog("prog_target"), "leak", "2", NULL };
	char buf[64] = "";
	int fd;
	pid_t parent = spawn_held(argv, &fd, hold);
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += n;
		buf[got] = '\0';
		if (sscanf(buf, "%d\n%d\n", &kids[0], &kids[1]) == 2 && strchr(strchr(buf, '\n') + 1, '\n'))
			break;
	}
	close(fd);
	/* Zombies before proclife starts: its scan finds them, whatever the load. */
	for (int i = 0; i < 2; i++)
		wait_state_z(kids[i]);
	return parent;
}

static void tree_marks_zombies(void **state)
{
	static const char *const args[] = { "tree", "-d", "0.3", "-z", "0.1", NULL };
	static struct run r;
	char line[64];
	pid_t parent, kids[2];
	int hold;

	(void)state;
	if (harness_unsupported())
		skip();
	parent = start_leak(kids, &hold);
	run(&r, args);
	close(hold);
	wait_child(parent);
	assert_int_equal(WEXITSTATUS(r.status), 0);
	snprintf(line, sizeof(line), " %d prog_target\n", parent);
	assert_non_null(strstr(r.out, line));
	for (int i = 0; i < 2; i++) {
		snprintf(line, sizeof(line), " %d prog_target <zombie ", kids[i]);
		assert_non_null(strstr(r.out, line));
	}
}

static void zombies_check_fails_on_a_leak(void **state)
{
	static const char *const args[] = { "zombies", "--json", "-z", "0.3", "-d", "1.5", "--check", NULL };
	static struct run r;
	char want[64];
	pid_t parent, kids[2];
	int hold;

	(void)state;
	if (harness_unsupported())
		skip();
	parent = start_leak(kids, &hold);
	run(&r, args);
	close(hold);
	wait_child(parent);
	assert_int_equal(WEXITSTATUS(r.status), 3);
	/* Only zombie lines have ppid right after pid. */
	for (int i = 0; i < 2; i++) {
		snprintf(want, sizeof(want), "\"pid\":%d,\"ppid\":%d,", kids[i], parent);
		assert_non_null(strstr(r.out, want));
	}
}

/*
 * A process whose main thread called pthread_exit shows Z in /proc while its
 * other threads run: started before proclife, it is no zombie.
 */
static void ended_leader_is_no_zombie(void **state)
{
	static const char *const check[] = { "zombies", "--json", "-z", "0.2", "-d", "1", "--check", NULL };
	static const char *const tree[] = { "tree", NULL };
	const char *argv[] = { harness_prog("prog_target"), "leader-exit", "3", NULL };
	static struct run r;
	char want[64];
	pid_t pid;
	int fd, hold;

	(void)state;
	if (harness_unsupported())
		skip();
	pid = spawn_held(argv, &fd, &hold);
	/* Its threads keep stdout open: one read, not to the end. */
	assert_true(read(fd, want, sizeof(want) - 1) > 0);
	close(fd);
	wait_state_z(pid);
	run(&r, check);
	snprintf(want, sizeof(want), "\"pid\":%d,", pid);
	assert_null(strstr(r.out, want));
	/*
	 * Other users of the host may leak zombies of their own, and reap them
	 * before the end: a zombie line without status 3 is theirs, but status 3
	 * without any zombie line is a leak proclife did not name.
	 */
	if (WEXITSTATUS(r.status) != 0) {
		assert_int_equal(WEXITSTATUS(r.status), 3);
		assert_non_null(strstr(r.out, "\"type\":\"zombie\""));
	}
	run(&r, tree);
	snprintf(want, sizeof(want), " %d prog_target {3 threads}\n", pid);
	assert_non_null(strstr(r.out, want));
	close(hold);
	wait_child(pid);
}

/*
 * Records a leak with --json into a new file named in path; returns the time
 * of the first zombie line.
 */
static void record_leak(char *path, char *zombie_time, size_t size, pid_t kids[2])
{
	const char *const opts[] = { "-z", "0.3", NULL };
	struct trace t;
	json_t *z;
	pid_t parent;
	int hold;

	close(mkstemp(path));
	assert_int_equal(trace_start(&t, opts), 0);
	parent = start_leak(kids, &hold);
	z = wait_event(&t, "zombie", kids[0]);
	snprintf(zombie_time, size, "%s", get_str(z, "time"));
	wait_event(&t, "zombie", kids[1]);
	close(hold);
	wait_child(parent);
	wait_event(&t, "reap", kids[1]);
	stop(&t);
	assert_int_equal(rename(t.path, path), 0);
	trace_free(&t);
}

/* Puts garbage at the start of line n of path. */
static void corrupt_line(const char *path, int n)
{
	static char buf[1 << 22];
	FILE *f = fopen(path, "r+");
	size_t len;
	char *p = buf;

	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[len] = '\0';
	for (int line = 1; line < n; line++)
		p = strchr(p, '\n') + 1;
	rewind(f);
	assert_int_equal(fwrite(buf, 1, p - buf, f), (size_t)(p - buf));
	fputs("{garbage ", f);
	assert_int_equal(fwrite(p, 1, len - (p - buf), f), len - (p - buf));
	assert_int_equal(fclose(f), 0);
}

static void replay_finds_the_zombies(void **state)
{
	char path[] = "/tmp/proclife-replay-XXXXXX", at[64], want[64];
	static struct run r;
	pid_t kids[2];

	(void)state;
	if (harness_unsupported())
		skip();
	record_leak(path, at, sizeof(at), kids);
	{
		const char *const args[] = { "replay", path, "--zombies", "--json", "-z", "0.3",
					     "--at", at, NULL };

		run(&r, args);
	}
	assert_int_equal(WEXITSTATUS(r.status), 0);
	snprintf(want, sizeof(want), "\"pid\":%d,", kids[0]);
	assert_non_null(strstr(r.out, want));
	/* At the end of the trace both were reaped. */
	{
		const char *const args[] = { "replay", path, "--zombies", "--json", "-z", "0.3", NULL };

		run(&r, args);
	}
	assert_int_equal(WEXITSTATUS(r.status), 0);
	assert_null(strstr(r.out, want));
	unlink(path);
}

static void replay_reports_bad_lines_and_goes_on(void **state)
{
	char path[] = "/tmp/proclife-replay-XXXXXX", at[64], want[64];
	static struct run r;
	pid_t kids[2];

	(void)state;
	if (harness_unsupported())
		skip();
	record_leak(path, at, sizeof(at), kids);
	corrupt_line(path, 3);
	{
		const char *const args[] = { "replay", path, "--zombies", "-z", "0.3", "--at", at, NULL };

		run(&r, args);
	}
	assert_int_equal(WEXITSTATUS(r.status), 1);
	snprintf(want, sizeof(want), "proclife: %s:3: ", path);
	assert_non_null(strstr(r.err, want));
	snprintf(want, sizeof(want), "\n%-7d ", kids[0]);
	assert_non_null(strstr(r.out, want));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tree_marks_zombies),
		cmocka_unit_test(zombies_check_fails_on_a_leak),
		cmocka_unit_test(ended_leader_is_no_zombie),
		cmocka_unit_test(replay_finds_the_zombies),
		cmocka_unit_test(replay_reports_bad_lines_and_goes_on),
	};

	return cmocka_run_group_tests_name("commands", tests, NULL, NULL);
}
