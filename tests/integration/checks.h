/*
 * Assertions shared by the integration tests: field access that fails the
 * test with the event in the message, and the start/stop/wait steps every
 * test takes. Include after cmocka.h.
 */
#ifndef PL_CHECKS_H
#define PL_CHECKS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "harness.h"

static inline json_t *get(json_t *ev, const char *key)
{
	json_t *v = json_object_get(ev, key);

	if (!v)
		fail_msg("event has no \"%s\": %s", key, json_dumps(ev, JSON_COMPACT));
	return v;
}

static inline json_int_t get_int(json_t *ev, const char *key)
{
	json_t *v = get(ev, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static inline const char *get_str(json_t *ev, const char *key)
{
	json_t *v = get(ev, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static inline bool get_bool(json_t *ev, const char *key)
{
	json_t *v = get(ev, key);

	assert_true(json_is_boolean(v));
	return json_is_true(v);
}

static inline int start(void **state, struct trace *t, const char *const *extra)
{
	const char *why = harness_unsupported();

	(void)state;
	if (why) {
		print_message("skipping: %s\n", why);
		return -1;
	}
	assert_int_equal(trace_start(t, extra), 0);
	return 0;
}

/* A tool the test needs is missing: skipped here, a failure in CI, which installs it. */
static inline void lacking(const char *why)
{
	if (harness_in_ci())
		fail_msg("%s (CI=true: scripts/deps installs it)", why);
	print_message("skipping: %s\n", why);
	skip();
}

static inline void stop(struct trace *t)
{
	int status = trace_stop(t);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static inline json_t *wait_event(struct trace *t, const char *type, pid_t pid)
{
	json_t *ev = trace_wait(t, type, pid);

	if (!ev)
		fail_msg("no %s event for pid %d", type, pid);
	return ev;
}

static inline int wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static inline void read_ready(int fd)
{
	char c;

	assert_int_equal(read(fd, &c, 1), 1);
	close(fd);
}

/* The parent of a live process, as /proc says. */
static inline pid_t ppid_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')');
	assert_non_null(p);
	assert_int_equal(sscanf(p, ") %*c %d", &ppid), 1);
	return ppid;
}

#endif
