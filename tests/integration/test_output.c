/*
 * Output that lives as long as a service: a full disk is a failure, told
 * and counted; rotation by logrotate (create and copytruncate) or by
 * proclife itself loses and splits no line under a storm; every file
 * begins with a start line; a big snapshot comes in parts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "harness.h"
#include "checks.h"

#define STORM 2000
#define ROTATIONS 6
#define MAX_FILES 1000

struct dir {
	char path[64];
	char file[128];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	strcpy(d->path, "/tmp/proclife-output-XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	snprintf(d->file, sizeof(d->file), "%s/trace.jsonl", d->path);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	umount2(d->path, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd))
		return -1;
	free(d);
	return 0;
}

/*
 * Runs proclife to its end with args, its stderr into err, calling during
 * (when given) from when it traces until it ends. Returns the wait status.
 */
static int run_to_end(const char *const *args, char *err, size_t errlen, void (*during)(pid_t))
{
	const char *argv[24] = { getenv("PROCLIFE") };
	int fds[2], argc = 1, status;
	bool done = false;
	size_t got = 0;

	err[0] = '\0';
	ssize_t n;
	pid_t pid;

	for (; *args && argc < 23; args++)
		argv[argc++] = *args;
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	while (during && got < errlen - 1 && !strstr(err, "Tracing") &&
	       (n = read(fds[0], err + got, errlen - 1 - got)) > 0) {
		got += n;
		err[got] = '\0';
	}
	/* Work for it to write about, until it ends. */
	while (during && !done) {
		done = waitpid(pid, &status, WNOHANG) == pid;
		if (!done)
			during(pid);
	}
	while (got < errlen - 1 && (n = read(fds[0], err + got, errlen - 1 - got)) > 0)
		got += n;
	err[got] = '\0';
	close(fds[0]);
	if (!done)
		assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void small_storm(pid_t proclife)
{
	(void)proclife;
	for (int i = 0; i < 50; i++) {
		pid_t child = fork();

		if (child == 0)
			_exit(0);
		waitpid(child, NULL, 0);
	}
}

/* Each line whole and valid JSON; returns how many, 0 if the file is absent. */
static size_t check_lines(const char *path, bool starts_with_start, json_t *forks)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	if (!f)
		return 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t err;
		json_t *o;

		if (line[len - 1] != '\n')
			fail_msg("%s: line %zu is cut: %s", path, n + 1, line);
		o = json_loads(line, 0, &err);
		if (!o)
			fail_msg("%s: line %zu is not JSON (%s): %.200s", path, n + 1, err.text, line);
		if (!n && starts_with_start &&
		    strcmp(json_string_value(json_object_get(o, "type")), "start"))
			fail_msg("%s does not begin with a start line: %.200s", path, line);
		if (forks && !strcmp(json_string_value(json_object_get(o, "type")), "fork") &&
		    json_integer_value(json_object_get(o, "ppid")) == getpid() &&
		    json_is_false(json_object_get(o, "thread")))
			json_array_append(forks, json_object_get(o, "pid"));
		json_decref(o);
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

static int by_value(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * Every fork event of the storm's children, across FILE and FILE.1 ..
 * FILE.N, exactly once: the same pids, as often as the storm had them.
 */
static void assert_storm_complete(const char *file, const pid_t *pids, size_t n)
{
	json_t *forks = json_array();
	int *want = malloc(n * sizeof(*want)), *got = malloc(n * sizeof(*got));
	char name[160];
	size_t files = 0, i;

	assert_non_null(want);
	assert_non_null(got);
	for (i = 0; i <= MAX_FILES; i++) {
		if (i)
			snprintf(name, sizeof(name), "%s.%zu", file, i);
		else
			snprintf(name, sizeof(name), "%s", file);
		files += check_lines(name, true, forks) > 0;
	}
	if (json_array_size(forks) != n)
		fail_msg("%zu fork events of %zu children in %zu files", json_array_size(forks), n,
			 files);
	for (i = 0; i < n; i++) {
		want[i] = pids[i];
		got[i] = json_integer_value(json_array_get(forks, i));
	}
	qsort(want, n, sizeof(*want), by_value);
	qsort(got, n, sizeof(*got), by_value);
	for (i = 0; i < n; i++)
		if (want[i] != got[i])
			fail_msg("child %d is missing or twice", want[i]);
	assert_true(files > 1);
	json_decref(forks);
	free(want);
	free(got);
}

/* Forks n children that exit at once; every `every`, calls between (a rotation). */
static void storm(pid_t *pids, size_t n, size_t every, void (*between)(void *), void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(0);
		assert_true(pids[i] > 0);
		waitpid(pids[i], NULL, 0);
		if (between && (i + 1) % every == 0)
			between(ctx);
	}
}

/* /dev/full: not a closed reader, a failure with its cause. */
static void full_device(void **state)
{
	const char *const args[] = { "--json", "-o", "/dev/full", "-d", "30", NULL };
	char err[4096];
	int status;

	(void)state;
	if (harness_unsupported())
		skip();
	status = run_to_end(args, err, sizeof(err), small_storm);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_non_null(strstr(err, "proclife: cannot write /dev/full: No space left on device\n"));
	assert_non_null(strstr(err, "proclife: 1 write error on /dev/full"));
}

/*
 * Held still while a storm fills its ring buffer, then let go: its output
 * buffer fills in the middle of reading the records, and that write fails.
 */
static void burst(pid_t proclife)
{
	static bool once;
	pid_t child;

	if (!once) {
		once = true;
		kill(proclife, SIGSTOP);
		for (int i = 0; i < 3000; i++) {
			child = fork();
			if (child == 0)
				_exit(0);
			waitpid(child, NULL, 0);
		}
		kill(proclife, SIGCONT);
	}
	small_storm(proclife);
}

/* A small file system fills up: what was written is kept, in whole lines. */
static void full_file_system(void **state)
{
	struct dir *d = *state;
	const char *const args[] = { "--json", "-o", d->file, "-d", "120", NULL };
	char err[4096], want[256];
	int status;

	if (harness_unsupported())
		skip();
	assert_int_equal(mount("proclife-test", d->path, "tmpfs", 0, "size=1m"), 0);
	status = run_to_end(args, err, sizeof(err), burst);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	snprintf(want, sizeof(want), "proclife: cannot write %s: No space left on device\n", d->file);
	assert_non_null(strstr(err, want));
	assert_true(check_lines(d->file, true, NULL) > 10);
	assert_int_equal(umount(d->path), 0);
}

/* Appends: a restart keeps what was there, and says so with a start line. */
static void appends_with_start_lines(void **state)
{
	struct dir *d = *state;
	const char *const args[] = { "--json", "-o", d->file, "-d", "0.2", "--host-fields", NULL };
	char err[4096], boot_id[40] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	json_t *o;
	json_error_t jerr;
	char *line = NULL;
	size_t cap = 0, starts = 0, n = 0;

	if (harness_unsupported())
		skip();
	assert_non_null(f);
	assert_non_null(fgets(boot_id, sizeof(boot_id), f));
	fclose(f);
	boot_id[strcspn(boot_id, "\n")] = '\0';
	/* Each run has lines to write, so each begins with a start line. */
	for (int run = 0; run < 2; run++)
		assert_int_equal(WEXITSTATUS(run_to_end(args, err, sizeof(err), small_storm)), 0);
	f = fopen(d->file, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		o = json_loads(line, 0, &jerr);
		assert_non_null(o);
		if (!strcmp(json_string_value(json_object_get(o, "type")), "start")) {
			starts++;
			assert_non_null(json_string_value(json_object_get(o, "kernel")));
			assert_non_null(json_string_value(json_object_get(o, "version")));
			assert_int_equal(json_integer_value(json_object_get(o, "schema")), 1);
		} else {
			assert_true(n > 0);
		}
		assert_string_equal(json_string_value(json_object_get(o, "boot_id")), boot_id);
		assert_non_null(json_string_value(json_object_get(o, "host")));
		json_decref(o);
		n++;
	}
	free(line);
	fclose(f);
	assert_int_equal(starts, 2);
}

struct rotator {
	const char *config;
	const char *state;
	pid_t *pids;	/* logrotate's, forked by us too: their forks count */
	int runs;
};

static void run_logrotate(void *ctx)
{
	struct rotator *r = ctx;
	const char *argv[] = { "/usr/sbin/logrotate", "-f", "-s", r->state, r->config, NULL };
	pid_t pid = spawn(argv, NULL);
	int status;

	r->pids[r->runs] = pid;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("logrotate %s failed: status %d", r->config, status);
	r->runs++;
}

/*
 * logrotate, with its own config and state, rotates the file under a
 * storm. mode: the config's directives, %1$d standing for proclife's pid.
 */
static void logrotate_storm(struct dir *d, const char *mode)
{
	const char *const opts[] = { "--buffer-size", "64M", NULL };
	char config[160], state[160];
	static pid_t pids[STORM + ROTATIONS];
	struct rotator r = { config, state, pids + STORM, 0 };
	struct trace t;
	FILE *f;

	if (access("/usr/sbin/logrotate", X_OK))
		fail_msg("logrotate is not installed (scripts/deps --test installs it)");
	if (start(NULL, &t, opts))
		skip();
	/* The harness's file is ours to rotate: a name of our own. */
	snprintf(d->file, sizeof(d->file), "%s", t.path);
	snprintf(config, sizeof(config), "%s/logrotate.conf", d->path);
	snprintf(state, sizeof(state), "%s/logrotate.state", d->path);
	f = fopen(config, "w");
	assert_non_null(f);
	/* su: the harness's file is in /tmp, which logrotate finds too open. */
	fprintf(f, "%s {\n\tsu root root\n\trotate %d\n\tmissingok\n", t.path, MAX_FILES);
	fprintf(f, mode, t.pid);
	fputs("}\n", f);
	fclose(f);
	storm(pids, STORM, STORM / ROTATIONS, run_logrotate, &r);
	assert_int_equal(WEXITSTATUS(trace_stop(&t)), 0);
	assert_int_equal(trace_summary_lost(&t), 0);
	assert_int_equal(r.runs, ROTATIONS);
	assert_storm_complete(t.path, pids, STORM + ROTATIONS);
	for (int i = 1; i <= MAX_FILES; i++) {
		char name[160];

		snprintf(name, sizeof(name), "%s.%d", t.path, i);
		unlink(name);
	}
	trace_free(&t);
}

/* create: logrotate renames the file and sends SIGHUP; proclife opens a new one. */
static void logrotate_create(void **state)
{
	if (harness_unsupported())
		skip();
	logrotate_storm(*state, "\tcreate\n\tpostrotate\n\t\tkill -HUP %1$d\n\tendscript\n");
}

/*
 * copytruncate: logrotate copies the file, then truncates it. Lines written
 * between the two would be lost, so proclife is held still for the copy
 * (docs/fleet.md); after it, it writes on at the new end of the file.
 */
static void logrotate_copytruncate(void **state)
{
	if (harness_unsupported())
		skip();
	logrotate_storm(*state, "\tcopytruncate\n\tprerotate\n\t\tkill -STOP %1$d\n\tendscript\n"
			"\tpostrotate\n\t\tkill -CONT %1$d\n\tendscript\n");
}

/* --rotate-size: proclife rotates by itself, between lines. */
static void builtin_rotation(void **state)
{
	const char *const opts[] = { "--buffer-size", "64M", "--rotate-size", "64K",
				     "--rotate-keep", "1000", NULL };
	static pid_t pids[STORM];
	struct trace t;
	char name[160];

	(void)state;
	if (start(NULL, &t, opts))
		skip();
	storm(pids, STORM, STORM, NULL, NULL);
	assert_int_equal(WEXITSTATUS(trace_stop(&t)), 0);
	assert_int_equal(trace_summary_lost(&t), 0);
	assert_storm_complete(t.path, pids, STORM);
	for (int i = 1; i <= MAX_FILES; i++) {
		snprintf(name, sizeof(name), "%s.%d", t.path, i);
		unlink(name);
	}
	trace_free(&t);
}

/*
 * The wall clock is stepped (through a preloaded stand-in: the host's
 * clock is shared): the lines that follow carry the new time.
 */
static void follows_clock_steps(void **state)
{
	struct dir *d = *state;
	const char *asan = getenv("ASAN_OPTIONS");
	char shift[160], shim[4096], asan_opts[1024];
	struct trace t;
	const char *want[] = { "2036-", "2026-" };
	int steps[] = { 10 * 365 * 86400, 0 };

	if (harness_unsupported())
		skip();
	snprintf(shift, sizeof(shift), "%s/shift", d->path);
	snprintf(shim, sizeof(shim), "%s", harness_prog("shim_clock.so"));
	/* A sanitized proclife wants its runtime first; the stand-in comes before it. */
	snprintf(asan_opts, sizeof(asan_opts), "%s%sverify_asan_link_order=0", asan ? asan : "",
		 asan ? ":" : "");
	assert_int_equal(access(shim, R_OK), 0);
	assert_int_equal(setenv("PROCLIFE_CLOCK_SHIFT", shift, 1), 0);
	assert_int_equal(setenv("LD_PRELOAD", shim, 1), 0);
	assert_int_equal(setenv("ASAN_OPTIONS", asan_opts, 1), 0);
	assert_int_equal(trace_start(&t, NULL), 0);
	unsetenv("LD_PRELOAD");
	if (asan)
		setenv("ASAN_OPTIONS", asan, 1);
	else
		unsetenv("ASAN_OPTIONS");
	for (int k = 0; k < 2; k++) {
		FILE *f = fopen(shift, "w");
		bool seen = false;

		assert_non_null(f);
		fprintf(f, "%d\n", steps[k]);
		fclose(f);
		/* Followed within a poll or so; a child at a time until one shows it. */
		for (int i = 0; i < 100 && !seen; i++) {
			pid_t child = fork();
			json_t *ev;

			if (child == 0)
				_exit(0);
			waitpid(child, NULL, 0);
			ev = trace_wait(&t, "fork", child);
			assert_non_null(ev);
			seen = !strncmp(json_string_value(json_object_get(ev, "time")), want[k], 5);
		}
		if (!seen)
			fail_msg("the wall clock was stepped to %s, the lines did not follow", want[k]);
	}
	assert_int_equal(WEXITSTATUS(trace_stop(&t)), 0);
	trace_free(&t);
}

/*
 * A tree too big for one line of 64 KiB: the snapshot comes in parts, one
 * id, numbered, each within the limit, and a replay puts them together.
 */
static void snapshot_in_parts(void **state)
{
	enum { SLEEPERS = 800 };
	static pid_t pids[SLEEPERS];
	struct trace t;
	json_t *snap;
	char line[70000], cmd[256];
	FILE *f;
	json_int_t id = -1, parts = 0, n = 0;
	size_t procs, found = 0;

	(void)state;
	if (start(NULL, &t, NULL))
		skip();
	for (int i = 0; i < SLEEPERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		assert_true(pids[i] > 0);
	}
	assert_non_null(trace_wait(&t, "fork", pids[SLEEPERS - 1]));
	kill(t.pid, SIGUSR1);
	snap = trace_wait(&t, "snapshot", -1);
	assert_non_null(snap);
	procs = json_array_size(json_object_get(snap, "procs"));
	for (int i = 0; i < SLEEPERS; i++) {
		size_t j;
		json_t *p;

		json_array_foreach(json_object_get(snap, "procs"), j, p)
			if (json_integer_value(json_object_get(p, "pid")) == pids[i]) {
				found++;
				break;
			}
	}
	assert_int_equal(found, SLEEPERS);
	assert_int_equal(WEXITSTATUS(trace_stop(&t)), 0);
	for (int i = 0; i < SLEEPERS; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	/* The lines themselves. */
	f = fopen(t.path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);

		assert_non_null(o);
		if (!strcmp(json_string_value(json_object_get(o, "type")), "snapshot")) {
			assert_true(strlen(line) <= 65536);
			if (id < 0) {
				id = json_integer_value(json_object_get(o, "snapshot_id"));
				parts = json_integer_value(json_object_get(o, "parts"));
			}
			assert_int_equal(json_integer_value(json_object_get(o, "snapshot_id")), id);
			assert_int_equal(json_integer_value(json_object_get(o, "parts")), parts);
			assert_int_equal(json_integer_value(json_object_get(o, "part")), ++n);
		}
		json_decref(o);
	}
	fclose(f);
	assert_true(parts >= 2);
	assert_int_equal(n, parts);
	/* A replay reads them back into one tree: every sleeper in it. */
	snprintf(cmd, sizeof(cmd), "%s replay %s | grep -c ' test_output$'", getenv("PROCLIFE"),
		 t.path);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_true(atol(line) >= SLEEPERS);
	assert_int_equal(pclose(f), 0);
	assert_true(procs > SLEEPERS);
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(full_device),
		T(full_file_system),
		T(appends_with_start_lines),
		T(logrotate_create),
		T(logrotate_copytruncate),
		T(builtin_rotation),
		T(follows_clock_steps),
		T(snapshot_in_parts),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
