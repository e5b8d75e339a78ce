/*
 * Names and arguments are chosen by any unprivileged user: whatever their
 * bytes, every JSON line must stay valid and decode to what the process
 * used (invalid UTF-8 as U+FFFD), and the readable stream must stay one
 * line per event with no raw control bytes.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "harness.h"

#define FFFD "\xef\xbf\xbd"

static char long_arg[3000];

/* Each hostile argument and what its JSON string must decode to. */
static const char *const hostile[][2] = {
	{ "quote\"back\\slash", "quote\"back\\slash" },
	{ "new\nline\rcr\ttab\b\f", "new\nline\rcr\ttab\b\f" },
	{ "\x1b[2J\x1b]0;owned\x07\x7f", "\x1b[2J\x1b]0;owned\x07\x7f" },
	{ "\xff\xfe bad \xc0\xaf over \xed\xa0\x80 surr \xf4\x90\x80\x80 big \xe2\x82",
	  FFFD FFFD " bad " FFFD FFFD " over " FFFD FFFD FFFD " surr " FFFD FFFD FFFD FFFD " big " FFFD FFFD },
	{ "valid \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", "valid \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80" },
	{ "", "" },
	{ "{\"type\":\"exit\"}", "{\"type\":\"exit\"}" },
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

static pid_t run_hostile(void)
{
	const char *argv[NHOSTILE + 4] = { harness_prog("prog_target"), "args" };
	pid_t pid;
	int status;

	memset(long_arg, 'L', sizeof(long_arg) - 1);
	for (size_t i = 0; i < NHOSTILE; i++)
		argv[2 + i] = hostile[i][0];
	argv[2 + NHOSTILE] = long_arg;
	pid = spawn(argv, NULL);
	waitpid(pid, &status, 0);
	return pid;
}

static pid_t run_renamed(const char *name)
{
	const char *argv[] = { harness_prog("prog_target"), "rename", name, NULL };
	pid_t pid = spawn(argv, NULL);
	int status;

	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);
	return pid;
}

static void json_stays_valid(void **state)
{
	static const char comm[] = "ev\nil\x1b[0m\xff";
	struct trace t;
	json_t *ev, *args, *exits;
	pid_t pid, renamed;
	const char *why = harness_unsupported();

	(void)state;
	if (why)
		skip();
	assert_int_equal(trace_start(&t, NULL), 0);
	pid = run_hostile();
	renamed = run_renamed(comm);
	ev = trace_wait(&t, "exec", pid);
	assert_non_null(ev);
	assert_non_null(trace_wait(&t, "exit", renamed));
	/* Every line parsed (the harness aborts on one that does not). */
	assert_int_equal(WEXITSTATUS(trace_stop(&t)), 0);
	args = json_object_get(ev, "args");
	assert_int_equal(json_array_size(args), 2 + NHOSTILE + 1);
	for (size_t i = 0; i < NHOSTILE; i++)
		assert_string_equal(json_string_value(json_array_get(args, 2 + i)), hostile[i][1]);
	assert_string_equal(json_string_value(json_array_get(args, 2 + NHOSTILE)), long_arg);
	exits = trace_find(&t, "exit", renamed);
	ev = json_array_get(exits, 0);
	assert_string_equal(json_string_value(json_object_get(ev, "comm")), "ev\nil\x1b[0m" FFFD);
	json_decref(exits);
	trace_free(&t);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;

	assert_non_null(f);
	*len = 0;
	for (size_t cap = 0, n; ; *len += n) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		if (!n)
			break;
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

static void text_cannot_be_spoofed(void **state)
{
	struct trace t;
	char *out, *line, pidstr[32];
	size_t len;
	pid_t pid;
	bool seen_exec = false, seen_rename = false;

	(void)state;
	if (harness_unsupported())
		skip();
	assert_int_equal(trace_start_text(&t, NULL), 0);
	pid = run_hostile();
	run_renamed("fake\n00:00:00");
	/* Both have been waited for: their events are committed; stopping drains them. */
	assert_int_equal(WEXITSTATUS(trace_stop(&t)), 0);
	out = slurp(t.path, &len);
	assert_int_equal(strlen(out), len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = out[i];

		assert_true(c == '\n' || (c >= 0x20 && c < 0x7f));
	}
	snprintf(pidstr, sizeof(pidstr), " %d ", pid);
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (strstr(line, " exec ") && strstr(line, pidstr)) {
			assert_non_null(strstr(line, "new\\x0aline\\x0dcr\\x09tab"));
			assert_non_null(strstr(line, "\\x1b[2J"));
			assert_non_null(strstr(line, "\\xff\\xfe"));
			assert_non_null(strstr(line, "'quote\"back\\\\slash'"));
			seen_exec = true;
		}
		if (strstr(line, "fake\\x0a00:00:00"))
			seen_rename = true;
	}
	assert_true(seen_exec);
	assert_true(seen_rename);
	free(out);
	trace_free(&t);
}

/*
 * A host name is any 64 bytes root chose: the start line and every line's
 * host fields stay whole JSON and say it (control bytes escaped, bytes that
 * are not UTF-8 as U+FFFD). Traced in a UTS namespace of its own.
 */
static void host_name_stays_valid(void **state)
{
	static const char *const opts[] = { "--host-fields", NULL };
	char name[64], want[3 * sizeof(name) + 1];
	int host_ns;

	(void)state;
	if (harness_unsupported())
		skip();
	host_ns = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	assert_true(host_ns >= 0);
	assert_int_equal(unshare(CLONE_NEWUTS), 0);
	for (int control = 0; control <= 1; control++) {
		const char *argv[] = { harness_prog("prog_target"), "args", NULL };
		struct trace t;
		json_t *starts, *ev;
		size_t i;
		pid_t pid;
		int status;

		want[0] = '\0';
		for (i = 0; i < sizeof(name); i++) {
			name[i] = (char)(control ? 1 + i % 31 : 0xf8 + i % 8);
			strcat(want, control ? (char[]){ name[i], '\0' } : FFFD);
		}
		assert_int_equal(sethostname(name, sizeof(name)), 0);
		assert_int_equal(trace_start(&t, opts), 0);
		pid = spawn(argv, NULL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_non_null(trace_wait(&t, "exec", pid));
		/* Every line parsed (the harness aborts on one that does not). */
		assert_int_equal(WEXITSTATUS(trace_stop(&t)), 0);
		starts = trace_find(&t, "start", -1);
		assert_int_equal(json_array_size(starts), 1);
		json_decref(starts);
		json_array_foreach(t.events, i, ev)
			assert_string_equal(json_string_value(json_object_get(ev, "host")), want);
		trace_free(&t);
	}
	assert_int_equal(setns(host_ns, CLONE_NEWUTS), 0);
	close(host_ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_stays_valid),
		cmocka_unit_test(text_cannot_be_spoofed),
		cmocka_unit_test(host_name_stays_valid),
	};

	return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
