/*
 * The two formatters. JSON lines are parsed back with jansson and every
 * field of the schema is checked, absent ones included; readable lines are
 * compared whole, and hostile names must not be able to break a line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "format.h"

/* 2023-11-14T22:13:20Z as the offset from boot time, and an event 5.123456789 s after it. */
#define BOOT_TO_REAL_NS 1700000000000000000LL
#define TS_NS 5123456789ULL
#define TIME_RFC3339 "2023-11-14T22:13:25.123456789Z"
#define TIME_HMS "22:13:25.123456"

#define R "\xef\xbf\xbd"

/* The fields every event has, in the schema's order. */
#define COMMON_KEYS "type", "time", "pid", "tid", "ppid", "comm", "start_ns"

static struct pl_event base_event(enum pl_event_type type)
{
	struct pl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.ts_ns = TS_NS;
	ev.start_ns = 7000000001ULL;
	ev.pid = 4242;
	ev.tid = 4242;
	ev.ppid = 1;
	strcpy(ev.comm, "bash");
	return ev;
}

/* An exec whose args point into a static copy of the NUL-separated argv. */
static struct pl_event exec_event(const char *filename, const char *args, size_t args_len)
{
	static char data[1024];
	struct pl_event ev = base_event(PL_EV_EXEC);
	size_t flen = strlen(filename);

	assert_true(flen + args_len <= sizeof(data));
	memcpy(data, filename, flen);
	memcpy(data + flen, args, args_len);
	ev.exec.old_pid = ev.pid;
	ev.exec.uid = 1000;
	ev.exec.gid = 100;
	ev.exec.filename = data;
	ev.exec.filename_len = flen;
	ev.exec.args = data + flen;
	ev.exec.args_len = args_len;
	return ev;
}

static struct pl_event exit_event(int status, enum pl_reaper_rule rule, uint32_t reaper)
{
	struct pl_event ev = base_event(PL_EV_EXIT);

	ev.exit.status = status;
	ev.exit.reaper_rule = rule;
	ev.exit.reaper = reaper;
	return ev;
}

static struct pl_event signal_event(enum pl_event_type type, int sig)
{
	struct pl_event ev = base_event(type);

	ev.signal.sig = sig;
	ev.signal.code = -6;
	ev.signal.result = 2;
	ev.signal.disposition = PL_DISP_HANDLER;
	ev.signal.sender_pid = 555;
	ev.signal.sender_tid = 556;
	strcpy(ev.signal.sender_comm, "killer");
	ev.signal.si = (struct siginfo_fields){ .kind = SIGINFO_KILL, .pid = 55, .uid = 1000 };
	return ev;
}

/* A formatter over an anonymous file with a clock fixed at BOOT_TO_REAL_NS. */
struct sink {
	int fd;
	struct outbuf ob;
	struct wallclock clock;
	struct formatter f;
};

static void sink_open(struct sink *s, bool json, unsigned int max_args)
{
	memset(s, 0, sizeof(*s));
	s->fd = memfd_create("format-test", 0);
	assert_true(s->fd >= 0);
	assert_int_equal(outbuf_init(&s->ob, s->fd, 256), 0);
	s->clock.boot_to_real_ns = BOOT_TO_REAL_NS;
	s->clock.cached_sec = -1;
	s->f = (struct formatter){ .ob = &s->ob, .clock = &s->clock, .max_args = max_args, .json = json };
}

/* Everything written, NUL-terminated (the caller frees it). */
static char *sink_take(struct sink *s)
{
	struct stat st;
	char *buf;

	assert_int_equal(outbuf_flush(&s->ob), 0);
	assert_int_equal(fstat(s->fd, &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(s->fd, buf, st.st_size, 0), st.st_size);
	buf[st.st_size] = '\0';
	outbuf_free(&s->ob);
	close(s->fd);
	return buf;
}

static char *render(const struct pl_event *ev, bool json, unsigned int max_args)
{
	struct sink s;

	sink_open(&s, json, max_args);
	format_event(&s.f, ev);
	return sink_take(&s);
}

/* One line: a single newline, at the end. */
static void assert_one_line(const char *out)
{
	size_t len = strlen(out);

	assert_true(len > 0);
	assert_int_equal(out[len - 1], '\n');
	if (memchr(out, '\n', len - 1))
		fail_msg("more than one line: %s", out);
}

static json_t *parse_line(const char *out)
{
	json_error_t err;
	json_t *o;

	assert_one_line(out);
	o = json_loads(out, 0, &err);
	if (!o)
		fail_msg("jansson rejects %s: %s", out, err.text);
	assert_true(json_is_object(o));
	return o;
}

static json_t *render_json(const struct pl_event *ev, unsigned int max_args)
{
	char *out = render(ev, true, max_args);
	json_t *o = parse_line(out);

	free(out);
	return o;
}

static json_t *field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		fail_msg("no \"%s\" in the event", key);
	return v;
}

static void assert_jstr(json_t *o, const char *key, const char *want)
{
	json_t *v = field(o, key);

	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	assert_string_equal(json_string_value(v), want);
}

static void assert_jint(json_t *o, const char *key, long long want)
{
	json_t *v = field(o, key);

	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", key);
	assert_int_equal(json_integer_value(v), want);
}

static void assert_jbool(json_t *o, const char *key, bool want)
{
	json_t *v = field(o, key);

	if (!json_is_boolean(v))
		fail_msg("\"%s\" is not a boolean", key);
	assert_int_equal(json_is_true(v), want);
}

/* The object has exactly these keys (NULL-terminated list), no more. */
static void assert_keys(json_t *o, const char *const *keys)
{
	size_t n = 0;

	for (; keys[n]; n++)
		field(o, keys[n]);
	if (json_object_size(o) != n) {
		char *dump = json_dumps(o, JSON_SORT_KEYS);

		fail_msg("expected %zu keys, got %zu: %s", n, json_object_size(o), dump);
	}
}

static void assert_time_format(const char *s)
{
	regex_t re;

	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
				 "\\.[0-9]{9}Z$", REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, s, 0, NULL, 0))
		fail_msg("time \"%s\" is not YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ", s);
	regfree(&re);
}

static void assert_common(json_t *o, const struct pl_event *ev, const char *type)
{
	assert_jstr(o, "type", type);
	assert_time_format(json_string_value(field(o, "time")));
	assert_jstr(o, "time", TIME_RFC3339);
	assert_jint(o, "pid", ev->pid);
	assert_jint(o, "tid", ev->tid);
	assert_jint(o, "ppid", ev->ppid);
	assert_jstr(o, "comm", ev->comm);
	assert_jint(o, "start_ns", ev->start_ns);
}

static void test_json_fork(void **state)
{
	static const char *const keys[] = {
		COMMON_KEYS, "thread", "parent_tid", "parent_start_ns", NULL,
	};
	struct pl_event ev = base_event(PL_EV_FORK);
	json_t *o;

	(void)state;
	ev.fork.parent_start_ns = 1234567;
	ev.fork.parent_tid = 77;
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_common(o, &ev, "fork");
	assert_jbool(o, "thread", false);
	assert_jint(o, "parent_tid", 77);
	assert_jint(o, "parent_start_ns", 1234567);
	json_decref(o);

	ev.tid = 4243;
	ev.fork.thread = true;
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_common(o, &ev, "fork");
	assert_jint(o, "tid", 4243);
	assert_jbool(o, "thread", true);
	json_decref(o);
}

static void assert_args(json_t *o, const char *const *want, size_t n)
{
	json_t *args = field(o, "args");

	assert_true(json_is_array(args));
	assert_int_equal(json_array_size(args), n);
	for (size_t i = 0; i < n; i++) {
		json_t *a = json_array_get(args, i);

		assert_true(json_is_string(a));
		assert_string_equal(json_string_value(a), want[i]);
	}
}

static void test_json_exec(void **state)
{
	static const char *const keys[] = {
		COMMON_KEYS, "filename", "args", "args_truncated", "filename_truncated",
		"uid", "gid", NULL,
	};
	static const char argv[] = "env\0-i\0FOO=1 2\0\0";
	static const char *const want[] = { "env", "-i", "FOO=1 2", "" };
	struct pl_event ev = exec_event("/usr/bin/env", argv, sizeof(argv) - 1);
	json_t *o;

	(void)state;
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_common(o, &ev, "exec");
	assert_jstr(o, "filename", "/usr/bin/env");
	assert_args(o, want, 4);
	assert_jbool(o, "args_truncated", false);
	assert_jbool(o, "filename_truncated", false);
	assert_jint(o, "uid", 1000);
	assert_jint(o, "gid", 100);
	json_decref(o);
}

/* A non-leader thread exec'd: old_pid appears, and only then. */
static void test_json_exec_old_pid(void **state)
{
	static const char *const keys[] = {
		COMMON_KEYS, "filename", "args", "args_truncated", "filename_truncated",
		"uid", "gid", "old_pid", NULL,
	};
	struct pl_event ev = exec_event("/bin/true", "true", 5);
	json_t *o;

	(void)state;
	ev.exec.old_pid = 4250;
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_common(o, &ev, "exec");
	assert_jint(o, "old_pid", 4250);
	json_decref(o);
}

static void test_json_exec_truncated(void **state)
{
	static const char argv[] = "a\0b\0c\0";
	static const char cut[] = "cat\0/very/long/pa";
	static const char *const two[] = { "a", "b" };
	static const char *const three[] = { "a", "b", "c" };
	static const char *const partial[] = { "cat", "/very/long/pa" };
	struct pl_event ev = exec_event("/bin/x", argv, sizeof(argv) - 1);
	json_t *o;

	(void)state;
	/* More arguments than --max-args prints. */
	o = render_json(&ev, 2);
	assert_args(o, two, 2);
	assert_jbool(o, "args_truncated", true);
	json_decref(o);
	o = render_json(&ev, 3);
	assert_args(o, three, 3);
	assert_jbool(o, "args_truncated", false);
	json_decref(o);
	o = render_json(&ev, 0);
	assert_args(o, NULL, 0);
	assert_jbool(o, "args_truncated", true);
	json_decref(o);

	/* Cut by the capture limits in the kernel. */
	ev = exec_event("/usr/bin/ca", cut, sizeof(cut) - 1);
	ev.exec.args_truncated = true;
	ev.exec.filename_truncated = true;
	o = render_json(&ev, 64);
	assert_jstr(o, "filename", "/usr/bin/ca");
	assert_args(o, partial, 2);
	assert_jbool(o, "args_truncated", true);
	assert_jbool(o, "filename_truncated", true);
	json_decref(o);

	/* No arguments at all. */
	ev = exec_event("/bin/x", "", 0);
	o = render_json(&ev, 64);
	assert_args(o, NULL, 0);
	assert_jbool(o, "args_truncated", false);
	json_decref(o);
}

static void test_json_exit_code(void **state)
{
	static const char *const keys[] = {
		COMMON_KEYS, "thread", "exit_code", "core_dumped", "autoreap", NULL,
	};
	struct pl_event ev = exit_event(3 << 8, PL_REAPER_NONE, 0);
	json_t *o;

	(void)state;
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_common(o, &ev, "exit");
	assert_jbool(o, "thread", false);
	assert_jint(o, "exit_code", 3);
	assert_jbool(o, "core_dumped", false);
	assert_jbool(o, "autoreap", false);
	json_decref(o);

	ev = exit_event(0, PL_REAPER_NONE, 0);
	ev.exit.parent_autoreap = true;
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_jint(o, "exit_code", 0);
	assert_jbool(o, "autoreap", true);
	json_decref(o);
}

static void test_json_exit_signal(void **state)
{
	static const char *const keys[] = {
		COMMON_KEYS, "thread", "signal", "signal_name", "core_dumped", "autoreap",
		"reaper", "reaper_rule", NULL,
	};
	struct pl_event ev = exit_event(SIGKILL, PL_REAPER_INIT, 1);
	json_t *o;

	(void)state;
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_common(o, &ev, "exit");
	assert_jint(o, "signal", 9);
	assert_jstr(o, "signal_name", "SIGKILL");
	assert_jbool(o, "core_dumped", false);
	assert_jint(o, "reaper", 1);
	assert_jstr(o, "reaper_rule", "init");
	json_decref(o);

	ev = exit_event(0x80 | SIGSEGV, PL_REAPER_SUBREAPER, 300);
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_jint(o, "signal", 11);
	assert_jstr(o, "signal_name", "SIGSEGV");
	assert_jbool(o, "core_dumped", true);
	assert_jint(o, "reaper", 300);
	assert_jstr(o, "reaper_rule", "subreaper");
	json_decref(o);
}

static void test_json_exit_thread(void **state)
{
	static const char *const keys[] = {
		COMMON_KEYS, "thread", "exit_code", "core_dumped", "autoreap",
		"reaper", "reaper_rule", NULL,
	};
	struct pl_event ev = exit_event(0, PL_REAPER_THREAD, 4242);
	json_t *o;

	(void)state;
	ev.tid = 4243;
	ev.exit.thread = true;
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_common(o, &ev, "exit");
	assert_jbool(o, "thread", true);
	assert_jint(o, "exit_code", 0);
	assert_jint(o, "reaper", 4242);
	assert_jstr(o, "reaper_rule", "thread");
	json_decref(o);
}

/* A signal number with no name: the number alone. */
static void test_json_exit_unnamed_signal(void **state)
{
	static const char *const keys[] = {
		COMMON_KEYS, "thread", "signal", "core_dumped", "autoreap", NULL,
	};
	struct pl_event ev = exit_event(65, PL_REAPER_NONE, 0);
	json_t *o;

	(void)state;
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_jint(o, "signal", 65);
	json_decref(o);
}

static void test_json_reap(void **state)
{
	static const char *const unknown[] = { COMMON_KEYS, "leaked", NULL };
	static const char *const known[] = { COMMON_KEYS, "zombie_ns", "leaked", NULL };
	struct pl_event ev = base_event(PL_EV_REAP);
	json_t *o;

	(void)state;
	ev.reap.zombie_ns = -1;
	o = render_json(&ev, 64);
	assert_keys(o, unknown);
	assert_common(o, &ev, "reap");
	assert_jbool(o, "leaked", false);
	json_decref(o);

	ev.reap.zombie_ns = 1500000000;
	ev.reap.leaked = true;
	o = render_json(&ev, 64);
	assert_keys(o, known);
	assert_jint(o, "zombie_ns", 1500000000);
	assert_jbool(o, "leaked", true);
	json_decref(o);

	ev.reap.zombie_ns = 0;
	ev.reap.leaked = false;
	o = render_json(&ev, 64);
	assert_keys(o, known);
	assert_jint(o, "zombie_ns", 0);
	assert_jbool(o, "leaked", false);
	json_decref(o);
}

static void test_json_signal_generate(void **state)
{
	static const char *const keys[] = {
		COMMON_KEYS, "stage", "signal", "signal_name", "code", "siginfo", "si_pid", "si_uid",
		"sender_pid", "sender_tid", "sender_comm", "result", NULL,
	};
	struct pl_event ev = signal_event(PL_EV_SIGNAL_GENERATE, SIGTERM);
	json_t *o;

	(void)state;
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_common(o, &ev, "signal");
	assert_jstr(o, "stage", "generate");
	assert_jint(o, "signal", 15);
	assert_jstr(o, "signal_name", "SIGTERM");
	assert_jint(o, "code", -6);
	assert_jstr(o, "siginfo", "kill");
	assert_jint(o, "si_pid", 55);
	assert_jint(o, "si_uid", 1000);
	assert_jint(o, "sender_pid", 555);
	assert_jint(o, "sender_tid", 556);
	assert_jstr(o, "sender_comm", "killer");
	assert_jstr(o, "result", "already_pending");
	json_decref(o);

	ev.signal.sig = 34;
	ev.signal.result = 99;
	o = render_json(&ev, 64);
	assert_jstr(o, "signal_name", "SIGRTMIN+2");
	assert_jstr(o, "result", "unknown");
	json_decref(o);
}

static void test_json_signal_deliver(void **state)
{
	static const char *const keys[] = {
		COMMON_KEYS, "stage", "signal", "signal_name", "code", "siginfo", "si_pid", "si_uid",
		"disposition", NULL,
	};
	static const char *const unnamed[] = {
		COMMON_KEYS, "stage", "signal", "code", "siginfo", "si_pid", "si_uid", "disposition",
		NULL,
	};
	struct pl_event ev = signal_event(PL_EV_SIGNAL_DELIVER, SIGKILL);
	json_t *o;

	(void)state;
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_common(o, &ev, "signal");
	assert_jstr(o, "stage", "deliver");
	assert_jint(o, "signal", 9);
	assert_jstr(o, "signal_name", "SIGKILL");
	assert_jint(o, "code", -6);
	assert_jstr(o, "siginfo", "kill");
	assert_jint(o, "si_pid", 55);
	assert_jint(o, "si_uid", 1000);
	assert_jstr(o, "disposition", "handler");
	json_decref(o);

	ev.signal.sig = 0;
	ev.signal.disposition = PL_DISP_IGNORED;
	o = render_json(&ev, 64);
	assert_keys(o, unnamed);
	assert_jint(o, "signal", 0);
	assert_jstr(o, "disposition", "ignored");
	json_decref(o);
}

/* Each kind of siginfo shows only the fields the kernel filled for it. */
static void test_json_siginfo_kinds(void **state)
{
	static const char *const fault[] = { COMMON_KEYS, "stage", "signal", "signal_name", "code",
		"siginfo", "si_addr", "disposition", NULL };
	static const char *const timer[] = { COMMON_KEYS, "stage", "signal", "signal_name", "code",
		"siginfo", "si_timerid", "si_overrun", "disposition", NULL };
	static const char *const child[] = { COMMON_KEYS, "stage", "signal", "signal_name", "code",
		"siginfo", "si_pid", "si_uid", "si_status", "disposition", NULL };
	static const char *const kernel[] = { COMMON_KEYS, "stage", "signal", "signal_name", "code",
		"siginfo", "sender_pid", "sender_tid", "sender_comm", "result", NULL };
	static const char *const unseen[] = { COMMON_KEYS, "stage", "signal", "signal_name", "code",
		"siginfo", "disposition", NULL };
	struct pl_event ev = signal_event(PL_EV_SIGNAL_DELIVER, SIGSEGV);
	json_t *o;

	(void)state;
	ev.signal.code = 1;
	ev.signal.si = (struct siginfo_fields){ .kind = SIGINFO_FAULT, .addr = 0xdead0000 };
	o = render_json(&ev, 64);
	assert_keys(o, fault);
	assert_jstr(o, "siginfo", "fault");
	assert_jint(o, "si_addr", 0xdead0000);
	json_decref(o);

	ev = signal_event(PL_EV_SIGNAL_DELIVER, 34);
	ev.signal.code = -2;
	ev.signal.si = (struct siginfo_fields){ .kind = SIGINFO_TIMER, .timerid = 3, .overrun = 1 };
	o = render_json(&ev, 64);
	assert_keys(o, timer);
	assert_jint(o, "si_timerid", 3);
	assert_jint(o, "si_overrun", 1);
	json_decref(o);

	ev = signal_event(PL_EV_SIGNAL_DELIVER, SIGCHLD);
	ev.signal.code = 1;
	ev.signal.si = (struct siginfo_fields){ .kind = SIGINFO_CHILD, .pid = 77, .status = 4 };
	o = render_json(&ev, 64);
	assert_keys(o, child);
	assert_jint(o, "si_pid", 77);
	assert_jint(o, "si_status", 4);
	json_decref(o);

	ev = signal_event(PL_EV_SIGNAL_GENERATE, SIGXCPU);
	ev.signal.code = 0x80;
	ev.signal.si = (struct siginfo_fields){ .kind = SIGINFO_KERNEL };
	o = render_json(&ev, 64);
	assert_keys(o, kernel);
	assert_jstr(o, "siginfo", "kernel");
	json_decref(o);

	/* A kill whose sender the target cannot see (or the group exit's SIGKILL): no pid. */
	ev = signal_event(PL_EV_SIGNAL_DELIVER, SIGKILL);
	ev.signal.code = 0;
	ev.signal.si = (struct siginfo_fields){ .kind = SIGINFO_KILL };
	o = render_json(&ev, 64);
	assert_keys(o, unseen);
	json_decref(o);
}

static void test_json_rename(void **state)
{
	static const char *const keys[] = { COMMON_KEYS, "old_comm", NULL };
	struct pl_event ev = base_event(PL_EV_RENAME);
	json_t *o;

	(void)state;
	strcpy(ev.rename.old_comm, "before");
	o = render_json(&ev, 64);
	assert_keys(o, keys);
	assert_common(o, &ev, "rename");
	assert_jstr(o, "old_comm", "before");
	json_decref(o);
}

static void test_json_lost(void **state)
{
	static const char *const keys[] = { "type", "time", "count", NULL };
	struct sink s;
	char *out;
	json_t *o;

	(void)state;
	sink_open(&s, true, 64);
	format_lost(&s.f, TS_NS, 12345);
	out = sink_take(&s);
	o = parse_line(out);
	assert_keys(o, keys);
	assert_jstr(o, "type", "lost");
	assert_jstr(o, "time", TIME_RFC3339);
	assert_jint(o, "count", 12345);
	json_decref(o);
	free(out);
}

/* Names and arguments with any bytes still give one valid line that decodes to them. */
static void test_json_hostile_strings(void **state)
{
	static const char argv[] = "\n{\"type\":\"fake\"}\n\0\xff\xfe\0";
	static const char *const want[] = { "\n{\"type\":\"fake\"}\n", R R };
	struct pl_event ev = exec_event("/tmp/\x1b[2J\x7f\xc3", argv, sizeof(argv) - 1);
	json_t *o;

	(void)state;
	strcpy(ev.comm, "a\"b\\\n\r\x1b\xff");
	o = render_json(&ev, 64);
	assert_jstr(o, "comm", "a\"b\\\n\r\x1b" R);
	assert_jstr(o, "filename", "/tmp/\x1b[2J\x7f" R);
	assert_args(o, want, 2);
	json_decref(o);

	ev = signal_event(PL_EV_SIGNAL_GENERATE, SIGTERM);
	strcpy(ev.signal.sender_comm, "}\n{\"x\":1");
	o = render_json(&ev, 64);
	assert_jstr(o, "sender_comm", "}\n{\"x\":1");
	json_decref(o);
}

/* With the real clock, an event stamped now shows the current UTC time. */
static void test_json_live_clock(void **state)
{
	struct wallclock clock;
	struct pl_event ev = base_event(PL_EV_REAP);
	struct tm tm = { 0 };
	struct sink s;
	const char *t;
	time_t when;
	char *out;
	json_t *o;

	(void)state;
	wallclock_init(&clock);
	ev.reap.zombie_ns = -1;
	ev.ts_ns = boottime_now_ns();
	sink_open(&s, true, 64);
	s.f.clock = &clock;
	format_event(&s.f, &ev);
	out = sink_take(&s);
	o = parse_line(out);
	t = json_string_value(field(o, "time"));
	assert_time_format(t);
	assert_non_null(strptime(t, "%Y-%m-%dT%H:%M:%S", &tm));
	when = timegm(&tm);
	assert_true(llabs((long long)(when - time(NULL))) <= 5);
	json_decref(o);
	free(out);
}

/* The columns every readable line starts with. */
static char *columns(char *buf, size_t size, const char *event, const struct pl_event *ev)
{
	snprintf(buf, size, "%s %-8s%-8u%-8u%-17s", TIME_HMS, event, ev->pid, ev->ppid, ev->comm);
	return buf;
}

/* The readable line of ev is exactly columns + details + newline. */
static void expect_text(const struct pl_event *ev, unsigned int max_args, const char *event,
			const char *details)
{
	char want[1024], cols[128];
	char *out = render(ev, false, max_args);

	snprintf(want, sizeof(want), "%s%s\n", columns(cols, sizeof(cols), event, ev), details);
	assert_string_equal(out, want);
	free(out);
}

static void test_text_begin(void **state)
{
	struct sink s;
	char *out;

	(void)state;
	sink_open(&s, false, 64);
	format_begin(&s.f);
	out = sink_take(&s);
	assert_string_equal(out,
		"TIME            EVENT   PID     PPID    COMM             DETAILS\n");
	free(out);
	/* JSON lines have no header. */
	sink_open(&s, true, 64);
	format_begin(&s.f);
	out = sink_take(&s);
	assert_string_equal(out, "");
	free(out);
}

static void test_text_fork(void **state)
{
	struct pl_event ev = base_event(PL_EV_FORK);
	char *out;

	(void)state;
	out = render(&ev, false, 64);
	assert_string_equal(out, "22:13:25.123456 fork    4242    1       bash             \n");
	free(out);
	ev.tid = 4243;
	ev.fork.thread = true;
	expect_text(&ev, 64, "thread", "tid 4243");
}

static void test_text_exec(void **state)
{
	static const char argv[] = "env\0-i\0FOO=1 2\0\0";
	struct pl_event ev = exec_event("/usr/bin/env", argv, sizeof(argv) - 1);

	(void)state;
	expect_text(&ev, 64, "exec", "/usr/bin/env [env -i 'FOO=1 2' ''] uid=1000");
	expect_text(&ev, 2, "exec", "/usr/bin/env [env -i ...] uid=1000");
	ev.exec.old_pid = 4250;
	ev.exec.filename_truncated = true;
	ev.exec.args_truncated = true;
	expect_text(&ev, 64, "exec", "/usr/bin/env... [env -i 'FOO=1 2' '' ...] uid=1000 old_pid=4250");
	ev = exec_event("/bin/x", "", 0);
	expect_text(&ev, 64, "exec", "/bin/x [] uid=1000");
}

static void test_text_exit(void **state)
{
	struct pl_event ev;

	(void)state;
	ev = exit_event(3 << 8, PL_REAPER_NONE, 0);
	expect_text(&ev, 64, "exit", "exited 3");
	ev = exit_event(SIGKILL, PL_REAPER_INIT, 1);
	expect_text(&ev, 64, "exit", "killed by SIGKILL, children to init 1");
	ev = exit_event(0x80 | SIGSEGV, PL_REAPER_SUBREAPER, 300);
	expect_text(&ev, 64, "exit", "killed by SIGSEGV (core dumped), children to subreaper 300");
	ev = exit_event(65, PL_REAPER_NONE, 0);
	expect_text(&ev, 64, "exit", "killed by signal 65");
	/* A thread's children stay with the process: nothing to say about them. */
	ev = exit_event(0, PL_REAPER_THREAD, 4242);
	ev.tid = 4243;
	ev.exit.thread = true;
	expect_text(&ev, 64, "exit", "thread 4243 exited 0");
}

static void test_text_reap(void **state)
{
	struct pl_event ev = base_event(PL_EV_REAP);

	(void)state;
	ev.reap.zombie_ns = -1;
	expect_text(&ev, 64, "reap", "");
	ev.reap.zombie_ns = 1500000000;
	expect_text(&ev, 64, "reap", "zombie for 1.500 s");
	ev.reap.leaked = true;
	expect_text(&ev, 64, "reap", "zombie for 1.500 s, leaked");
	ev.reap.zombie_ns = -1;
	expect_text(&ev, 64, "reap", "leaked zombie");
}

static void test_text_signal(void **state)
{
	struct pl_event ev;

	(void)state;
	ev = signal_event(PL_EV_SIGNAL_GENERATE, SIGTERM);
	expect_text(&ev, 64, "signal", "SIGTERM from 555 (killer) already_pending");
	ev = signal_event(PL_EV_SIGNAL_DELIVER, SIGKILL);
	expect_text(&ev, 64, "deliver", "SIGKILL delivered, handler, from pid 55 uid 1000");
	ev = signal_event(PL_EV_SIGNAL_DELIVER, 99);
	ev.signal.disposition = PL_DISP_DEFAULT;
	ev.signal.si.pid = 0;
	expect_text(&ev, 64, "deliver", "signal 99 delivered, default");
	/* The kernel's signals name no sender, only the task that was running. */
	ev = signal_event(PL_EV_SIGNAL_GENERATE, SIGXCPU);
	ev.signal.code = 0x80;
	ev.signal.result = 0;
	ev.signal.si = (struct siginfo_fields){ .kind = SIGINFO_KERNEL };
	expect_text(&ev, 64, "signal", "SIGXCPU from the kernel in 555 (killer) delivered");
	ev = signal_event(PL_EV_SIGNAL_DELIVER, SIGSEGV);
	ev.signal.si = (struct siginfo_fields){ .kind = SIGINFO_FAULT, .addr = 0x10 };
	expect_text(&ev, 64, "deliver", "SIGSEGV delivered, handler, from the kernel (address 0x10)");
	ev = signal_event(PL_EV_SIGNAL_DELIVER, SIGCHLD);
	ev.signal.si = (struct siginfo_fields){ .kind = SIGINFO_CHILD, .pid = 9, .status = 3 };
	expect_text(&ev, 64, "deliver", "SIGCHLD delivered, handler, from the kernel (child 9, status 3)");
}

static void test_text_rename(void **state)
{
	struct pl_event ev = base_event(PL_EV_RENAME);

	(void)state;
	strcpy(ev.rename.old_comm, "old\n");
	expect_text(&ev, 64, "rename", "was old\\x0a");
	ev.tid = ev.pid + 1;
	expect_text(&ev, 64, "rename", "thread 4243 was old\\x0a");
}

static void test_text_lost(void **state)
{
	struct sink s;
	char *out;

	(void)state;
	sink_open(&s, false, 64);
	format_lost(&s.f, TS_NS, 7);
	out = sink_take(&s);
	assert_string_equal(out, TIME_HMS " LOST    7 events: the ring buffer was full\n");
	free(out);
}

/* Printable ASCII only, and one newline at the very end. */
static void assert_safe_line(const char *out)
{
	size_t len = strlen(out);

	assert_one_line(out);
	for (size_t i = 0; i + 1 < len; i++) {
		unsigned char c = out[i];

		if (c < 0x20 || c >= 0x7f)
			fail_msg("byte 0x%02x at %zu in: %s", c, i, out);
	}
}

static void test_text_cannot_be_spoofed(void **state)
{
	static const char argv[] = "x\ny\0a\\b\0\xc3\xa9\x7f\0";
	static const char evil[] = "a\nb\r\x1b[2J\\\x7f\xff";
	static const char shown[] = "a\\x0ab\\x0d\\x1b[2J\\\\\\x7f\\xff";
	struct pl_event ev = exec_event("/tmp/\n22:13:25.000000 exit", argv, sizeof(argv) - 1);
	char *out;

	(void)state;
	strcpy(ev.comm, evil);
	out = render(&ev, false, 64);
	assert_safe_line(out);
	assert_non_null(strstr(out, " 1       " "a\\x0ab\\x0d\\x1b[2J\\\\\\x7f\\xff" "  "));
	assert_non_null(strstr(out, "/tmp/\\x0a22:13:25.000000 exit [x\\x0ay a\\\\b \\xc3\\xa9\\x7f] "));
	free(out);

	ev = signal_event(PL_EV_SIGNAL_GENERATE, SIGTERM);
	strcpy(ev.comm, evil);
	strcpy(ev.signal.sender_comm, evil);
	out = render(&ev, false, 64);
	assert_safe_line(out);
	assert_non_null(strstr(out, shown));
	assert_non_null(strstr(out, "SIGTERM from 555 (a\\x0ab\\x0d\\x1b[2J\\\\\\x7f\\xff) "));
	free(out);

	/* Every byte value, one at a time, in a comm and in an argument. */
	for (int c = 1; c < 256; c++) {
		char one[2] = { (char)c, '\0' };

		ev = exec_event("/bin/x", one, 2);
		ev.comm[0] = (char)c;
		ev.comm[1] = '\0';
		out = render(&ev, false, 64);
		assert_safe_line(out);
		free(out);
	}
}

static void test_text_args_quoted(void **state)
{
	static const char argv[] = "sh\0-c\0echo hi; rm x\0it's\0say \"hi\"\0\0tab\there\0";
	struct pl_event ev = exec_event("/bin/sh", argv, sizeof(argv) - 1);

	(void)state;
	expect_text(&ev, 64, "exec",
		    "/bin/sh [sh -c 'echo hi; rm x' 'it\\x27s' 'say \"hi\"' '' tab\\x09here] uid=1000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_fork),
		cmocka_unit_test(test_json_exec),
		cmocka_unit_test(test_json_exec_old_pid),
		cmocka_unit_test(test_json_exec_truncated),
		cmocka_unit_test(test_json_exit_code),
		cmocka_unit_test(test_json_exit_signal),
		cmocka_unit_test(test_json_exit_thread),
		cmocka_unit_test(test_json_exit_unnamed_signal),
		cmocka_unit_test(test_json_reap),
		cmocka_unit_test(test_json_signal_generate),
		cmocka_unit_test(test_json_signal_deliver),
		cmocka_unit_test(test_json_siginfo_kinds),
		cmocka_unit_test(test_json_rename),
		cmocka_unit_test(test_json_lost),
		cmocka_unit_test(test_json_hostile_strings),
		cmocka_unit_test(test_json_live_clock),
		cmocka_unit_test(test_text_begin),
		cmocka_unit_test(test_text_fork),
		cmocka_unit_test(test_text_exec),
		cmocka_unit_test(test_text_exit),
		cmocka_unit_test(test_text_reap),
		cmocka_unit_test(test_text_signal),
		cmocka_unit_test(test_text_rename),
		cmocka_unit_test(test_text_lost),
		cmocka_unit_test(test_text_cannot_be_spoofed),
		cmocka_unit_test(test_text_args_quoted),
	};

	/* The readable stream shows local time; pin it. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
