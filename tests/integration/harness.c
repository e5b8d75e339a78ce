#include <errno.h>
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

#define WAIT_MS 10000
/*
 * A reap the kernel's event never brings (this VM's kernel runs no BPF
 * program while a thread of PID 1 is current, and a free can land there:
 * bench/README.md) comes as the model's inferred reap: /proc is asked at the
 * zombie age (5 s by default), then the kernel's event gets 10 s more
 * (docs/schema.md).
 */
#define REAP_WAIT_MS 20000

const char *harness_unsupported(void)
{
	if (geteuid() != 0)
		return "needs root";
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return "needs kernel BTF";
	if (!getenv("PROCLIFE") || access(getenv("PROCLIFE"), X_OK))
		return "needs $PROCLIFE (run through make test)";
	return NULL;
}

bool harness_in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char file[4096];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(file, sizeof(file), "%.*s/%s", (int)n, path, prog);
		if (n && !access(file, X_OK))
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

const char *harness_container_tools_missing(void)
{
	if (access("/bin/busybox", X_OK))
		return "needs busybox-static (/bin/busybox)";
	if (!on_path("runc"))
		return "needs runc";
	return NULL;
}

const char *harness_prog(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", getenv("PROCLIFE_TESTS"), name);
	return path;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * A snapshot in parts becomes one event, as if it were one line: the
 * parts come together, in order (tree.h).
 */
static json_t *join_snapshot(struct trace *t, json_t *ev)
{
	json_int_t part = json_integer_value(json_object_get(ev, "part"));
	json_int_t parts = json_integer_value(json_object_get(ev, "parts"));

	if (parts <= 1)
		return ev;
	if (part == 1) {
		json_decref(t->snapshot);
		t->snapshot = ev;
	} else {
		if (!t->snapshot) {
			fprintf(stderr, "harness: snapshot part %lld without part 1\n", (long long)part);
			abort();
		}
		json_array_extend(json_object_get(t->snapshot, "procs"), json_object_get(ev, "procs"));
		json_decref(ev);
	}
	if (part < parts)
		return NULL;
	ev = t->snapshot;
	t->snapshot = NULL;
	return ev;
}

/* Reads the complete lines proclife has written so far. */
static void read_events(struct trace *t)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	for (;;) {
		long pos = ftell(t->in);
		json_error_t err;
		json_t *ev;

		n = getline(&line, &cap, t->in);
		if (n <= 0)
			break;
		if (line[n - 1] != '\n') {
			fseek(t->in, pos, SEEK_SET);
			break;
		}
		ev = json_loads(line, 0, &err);
		if (!ev) {
			fprintf(stderr, "harness: invalid JSON line: %s: %s", err.text, line);
			abort();
		}
		if (!strcmp(json_string_value(json_object_get(ev, "type")), "snapshot"))
			ev = join_snapshot(t, ev);
		if (ev)
			json_array_append_new(t->events, ev);
	}
	clearerr(t->in);
	free(line);
}

static int launch(struct trace *t, bool json, const char *const *extra)
{
	const char *argv[32] = { getenv("PROCLIFE") };
	int argc = 1, errpipe[2];
	char buf[256];
	size_t got = 0;

	memset(t, 0, sizeof(*t));
	t->err_fd = -1;
	static int traces;

	snprintf(t->path, sizeof(t->path), "/tmp/proclife-test-%d-%d.out", getpid(), traces++);
	/* proclife appends: a file left by an earlier run must not count. */
	unlink(t->path);
	if (json)
		argv[argc++] = "--json";
	argv[argc++] = "-o";
	argv[argc++] = t->path;
	for (; extra && *extra && argc < 31; extra++)
		argv[argc++] = *extra;
	if (pipe2(errpipe, O_CLOEXEC))
		return -errno;
	t->pid = fork();
	if (t->pid == 0) {
		/* A test that fails midway must not leave proclife running. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(errpipe[1], 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(errpipe[1]);
	/* proclife says "Tracing" on stderr once its programs are attached. */
	while (got < sizeof(buf) - 1) {
		ssize_t n = read(errpipe[0], buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			break;
		got += n;
		buf[got] = '\0';
		if (strstr(buf, "Tracing"))
			break;
	}
	buf[got] = '\0';
	if (!strstr(buf, "Tracing")) {
		fprintf(stderr, "harness: proclife did not start: %s\n", buf);
		close(errpipe[0]);
		waitpid(t->pid, NULL, 0);
		return -1;
	}
	t->err_fd = errpipe[0];
	t->events = json_array();
	if (!json)
		return 0;
	t->in = fopen(t->path, "r");
	return t->in ? 0 : -errno;
}

int trace_start(struct trace *t, const char *const *extra)
{
	return launch(t, true, extra);
}

int trace_start_preloaded(struct trace *t, const char *const *extra, const char *shim,
			  const char *var, const char *value)
{
	const char *saved = getenv("ASAN_OPTIONS");
	char *asan = saved ? strdup(saved) : NULL, asan_opts[1024];
	char path[4096];
	int err;

	snprintf(path, sizeof(path), "%s", harness_prog(shim));
	if (access(path, R_OK) || (saved && !asan)) {
		free(asan);
		return -1;
	}
	/* A sanitized proclife wants its runtime first; the shim comes before it. */
	snprintf(asan_opts, sizeof(asan_opts), "%s%sverify_asan_link_order=0", asan ? asan : "",
		 asan ? ":" : "");
	setenv(var, value, 1);
	setenv("LD_PRELOAD", path, 1);
	setenv("ASAN_OPTIONS", asan_opts, 1);
	err = launch(t, true, extra);
	unsetenv("LD_PRELOAD");
	unsetenv(var);
	if (asan)
		setenv("ASAN_OPTIONS", asan, 1);
	else
		unsetenv("ASAN_OPTIONS");
	free(asan);
	return err;
}

int trace_start_text(struct trace *t, const char *const *extra)
{
	return launch(t, false, extra);
}

json_t *trace_find(struct trace *t, const char *type, pid_t pid)
{
	json_t *out = json_array(), *ev;
	size_t i;

	json_array_foreach(t->events, i, ev) {
		if (!strcmp(json_string_value(json_object_get(ev, "type")), type) &&
		    (pid < 0 || json_integer_value(json_object_get(ev, "pid")) == pid))
			json_array_append(out, ev);
	}
	return out;
}

bool harness_rcu_barrier(void)
{
	int fd = open(HARNESS_RCU_BARRIER, O_WRONLY);
	bool done;

	if (fd < 0)
		return false;
	done = write(fd, "1", 1) == 1;
	close(fd);
	return done;
}

/*
 * A reap comes with the kernel's free of the task, an RCU callback, and with
 * lazy RCU (enable_rcu_lazy) that may wait 10 s on an idle CPU: while a reap
 * is awaited, the pending callbacks are run once a second where the kernel
 * allows it.
 */
static void hurry_reaps(const char *type, int waited)
{
	if (!strcmp(type, "reap") && waited && waited % 1000 == 0)
		harness_rcu_barrier();
}

static int wait_ms(const char *type)
{
	return strcmp(type, "reap") ? WAIT_MS : REAP_WAIT_MS;
}

json_t *trace_wait_nth(struct trace *t, const char *type, pid_t pid, size_t n)
{
	for (int waited = 0; waited <= wait_ms(type); waited += 20) {
		json_t *found;

		hurry_reaps(type, waited);
		read_events(t);
		found = trace_find(t, type, pid);
		if (json_array_size(found) >= n) {
			json_t *ev = json_array_get(found, n - 1);

			json_decref(found);
			return ev;
		}
		json_decref(found);
		sleep_ms(20);
	}
	return NULL;
}

json_t *trace_wait_match(struct trace *t, const char *type,
			 bool (*match)(json_t *ev, const void *arg), const void *arg)
{
	size_t from = 0;

	for (int waited = 0; waited <= wait_ms(type); waited += 20) {
		json_t *ev;

		hurry_reaps(type, waited);
		read_events(t);
		for (; from < json_array_size(t->events); from++) {
			ev = json_array_get(t->events, from);
			if (!strcmp(json_string_value(json_object_get(ev, "type")), type) &&
			    match(ev, arg))
				return ev;
		}
		sleep_ms(20);
	}
	return NULL;
}

json_t *trace_wait(struct trace *t, const char *type, pid_t pid)
{
	return trace_wait_nth(t, type, pid, 1);
}

int trace_stop_with(struct trace *t, int sig)
{
	size_t got = 0;
	ssize_t n;
	int status;

	kill(t->pid, sig);
	while (got < sizeof(t->err) - 1 &&
	       (n = read(t->err_fd, t->err + got, sizeof(t->err) - 1 - got)) > 0)
		got += n;
	t->err[got] = '\0';
	if (waitpid(t->pid, &status, 0) < 0)
		return -1;
	if (t->in)
		read_events(t);
	return status;
}

int trace_stop(struct trace *t)
{
	return trace_stop_with(t, SIGINT);
}

static long long summary_field(const struct trace *t, const char *fmt)
{
	const char *line = strstr(t->err, "proclife: ");
	long long v;

	for (; line; line = strstr(line + 1, "proclife: "))
		if (sscanf(line, fmt, &v) == 1)
			return v;
	return -1;
}

long long trace_summary_total(const struct trace *t)
{
	return summary_field(t, "proclife: %lld events:");
}

long long trace_summary_lost(const struct trace *t)
{
	const char *semi = strstr(t->err, "; ");
	long long v;

	if (trace_summary_total(t) < 0 || !semi || sscanf(semi, "; %lld lost", &v) != 1)
		return -1;
	return v;
}

void trace_free(struct trace *t)
{
	if (t->in)
		fclose(t->in);
	if (t->err_fd >= 0)
		close(t->err_fd);
	unlink(t->path);
	json_decref(t->events);
	json_decref(t->snapshot);
	t->snapshot = NULL;
	t->in = NULL;
	t->events = NULL;
	t->err_fd = -1;
}

pid_t spawn_held(const char *const *argv, int *out_fd, int *hold_fd)
{
	int fds[2], hold[2];
	pid_t pid;

	if (out_fd && pipe2(fds, O_CLOEXEC))
		return -1;
	if (hold_fd && pipe2(hold, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		int in = hold_fd ? hold[0] : open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (out_fd)
			dup2(fds[1], 1);
		dup2(in, 0);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	if (out_fd) {
		close(fds[1]);
		*out_fd = fds[0];
	}
	if (hold_fd) {
		close(hold[0]);
		*hold_fd = hold[1];
	}
	return pid;
}

pid_t spawn(const char *const *argv, int *out_fd)
{
	return spawn_held(argv, out_fd, NULL);
}
