/*
 * The output formats are a contract (docs/schema.md): these tests print a
 * recorded trace and a set of hostile events and compare the bytes with
 * golden files written by the encoder before it was optimised. A recorded
 * trace is replayed through the model, so the model's own lines (zombie,
 * orphan, snapshot) are printed too. Each is printed twice, through a large
 * and through a tiny output buffer, so that every write crosses a flush.
 *
 * `test_golden --write` rewrites the golden files from the current encoder:
 * only for a change of the schema, never to make an optimisation pass.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "format.h"
#include "replay.h"
#include "report.h"
#include "tree.h"

#define SEC 1000000000ULL
/* 2023-11-14T22:13:20Z as the offset from boot time, for the hostile events. */
#define BOOT_TO_REAL_NS 1700000000000000000LL
#define TINY_BUFFER 61

static bool write_golden;

static void data_path(char *out, size_t size, const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;

	snprintf(out, size, "%.*s/data/golden/%s", dir, slash ? __FILE__ : ".", name);
}

struct sink {
	int fd;
	struct outbuf ob;
	struct wallclock clock;
	struct formatter f;
};

static void sink_open(struct sink *s, bool json, size_t cap, int64_t boot_to_real_ns)
{
	memset(s, 0, sizeof(*s));
	s->fd = memfd_create("golden-test", 0);
	assert_true(s->fd >= 0);
	assert_int_equal(outbuf_init(&s->ob, s->fd, cap), 0);
	s->clock.boot_to_real_ns = boot_to_real_ns;
	s->clock.cached_sec = -1;
	s->f = (struct formatter){ .ob = &s->ob, .clock = &s->clock, .max_args = 64, .json = json };
}

/* Everything written (the caller frees it). */
static char *sink_take(struct sink *s, size_t *len)
{
	struct stat st;
	char *buf;

	assert_int_equal(outbuf_flush(&s->ob), 0);
	assert_int_equal(fstat(s->fd, &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(s->fd, buf, st.st_size, 0), st.st_size);
	*len = st.st_size;
	outbuf_free(&s->ob);
	close(s->fd);
	return buf;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s (test_golden --write creates it)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), n);
	fclose(f);
	*len = n;
	return buf;
}

/* The first differing line, so a failure says where the contract broke. */
static void compare(const char *name, const char *got, size_t got_len)
{
	char path[4096];
	size_t want_len, i, line = 1, start = 0;
	char *want;

	data_path(path, sizeof(path), name);
	if (write_golden) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(got, 1, got_len, f), got_len);
		assert_int_equal(fclose(f), 0);
		return;
	}
	want = read_all(path, &want_len);
	for (i = 0; i < got_len && i < want_len && got[i] == want[i]; i++)
		if (got[i] == '\n') {
			line++;
			start = i + 1;
		}
	if (i < got_len || i < want_len) {
		const char *gl = got + start, *wl = want + start;
		const char *ge = memchr(gl, '\n', got + got_len - gl);
		const char *we = memchr(wl, '\n', want + want_len - wl);
		int gn = ge ? ge - gl : (int)(got + got_len - gl);
		int wn = we ? we - wl : (int)(want + want_len - wl);

		fail_msg("%s differs at line %zu (byte %zu):\n  want %.*s\n  got  %.*s", name, line,
			 i, wn, wl, gn, gl);
	}
	free(want);
}

static void print_replayed(void *ctx, const struct pl_event *ev)
{
	format_event(ctx, ev);
}

/* Replays the recorded trace printing every event and derived line, then the tree. */
static char *replay_trace(bool json, size_t cap, size_t *len)
{
	struct sink s;
	struct model m;
	struct model_opts mo = { .zombie_age_ns = SEC / 4, .clk_tck = 100 };
	struct replay r = { .model = &m, .name = "trace.jsonl", .err = stderr };
	char path[4096];
	FILE *in;

	sink_open(&s, json, cap, 0);
	mo.sink = report_sink(&s.f);
	r.on_event = print_replayed;
	r.ctx = &s.f;
	data_path(path, sizeof(path), "trace.jsonl");
	in = fopen(path, "r");
	assert_non_null(in);
	assert_int_equal(model_init(&m, &mo), 0);
	assert_int_equal(replay_run(&r, in), 0);
	assert_true(r.events > 500);
	assert_int_equal(tree_print(&s.f, &m, r.now_ns), 0);
	model_free(&m);
	fclose(in);
	return sink_take(&s, len);
}

static void check_trace(bool json, const char *golden)
{
	size_t big_len, tiny_len;
	char *big = replay_trace(json, 1 << 20, &big_len);
	char *tiny = replay_trace(json, TINY_BUFFER, &tiny_len);

	compare(golden, big, big_len);
	assert_int_equal(tiny_len, big_len);
	assert_memory_equal(tiny, big, big_len);
	free(big);
	free(tiny);
}

static void test_trace_json(void **state)
{
	(void)state;
	check_trace(true, "trace.json.out");
}

static void test_trace_text(void **state)
{
	(void)state;
	check_trace(false, "trace.text.out");
}

/* Bytes no kernel string is promised not to hold, each class of bad UTF-8 included. */
static const char *const hostile[] = {
	"",
	"plain",
	"\"\\/",
	"\n\r\t\b\f\x01\x1f\x7f",
	"\x1b[2J\x1b]0;title\a",
	"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbd",
	"\x80\xbf lone continuations",
	"\xc3 cut \xe2\x82",
	"\xc0\xaf \xe0\x80\xaf \xf0\x80\x80\xaf overlong",
	"\xed\xa0\x80 \xed\xbf\xbf surrogates",
	"\xf4\x90\x80\x80 \xf5\xf8\xfc\xfe\xff above max",
	"ends in a lead \xf0",
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

static struct pl_event base_event(enum pl_event_type type, unsigned int i)
{
	struct pl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	/* Crosses second boundaries, so the cached second is refreshed. */
	ev.ts_ns = 5 * SEC + i * (SEC / 3) + i;
	ev.start_ns = 7000000001ULL + i;
	ev.pid = 4242 + i;
	ev.tid = 4242 + 2 * i;
	ev.ppid = i ? 1 : 0;
	snprintf(ev.comm, sizeof(ev.comm), "%.16s", hostile[i % NHOSTILE]);
	return ev;
}

static void print_hostile(struct formatter *f)
{
	static const int statuses[] = { 0, 2 << 8, 255 << 8, 9, 0x80 | 11, 15, 64, 0x80 | 70 };
	static const int sigs[] = { 1, 9, 10, 17, 31, 32, 34, 40, 64, 65, 0, -3 };
	static char args[PL_ARGS_MAX];
	unsigned int i, n = 0;

	for (i = 0; i < NHOSTILE; i++) {
		struct pl_event ev = base_event(PL_EV_FORK, i);

		ev.fork.thread = i & 1;
		ev.fork.parent_tid = i * 7;
		ev.fork.parent_start_ns = UINT64_MAX - i;
		format_event(f, &ev);
	}
	for (i = 0; i < NHOSTILE; i++) {
		struct pl_event ev = base_event(PL_EV_EXEC, i);
		size_t len = 0;

		for (unsigned int j = 0; j <= i; j++) {
			size_t l = strlen(hostile[(i + j) % NHOSTILE]);

			memcpy(args + len, hostile[(i + j) % NHOSTILE], l + 1);
			len += l + 1;
		}
		/* Odd ones lose their last NUL: an argument cut by the capture limit. */
		ev.exec.filename = hostile[i];
		ev.exec.filename_len = strlen(hostile[i]);
		ev.exec.args = args;
		ev.exec.args_len = len - (i & 1);
		ev.exec.args_truncated = i & 1;
		ev.exec.filename_truncated = i & 2;
		ev.exec.old_pid = i & 4 ? ev.pid + 1 : ev.pid;
		ev.exec.uid = i * 1000;
		ev.exec.gid = UINT32_MAX - i;
		format_event(f, &ev);
	}
	for (i = 0; i < sizeof(args) - 1; i++)
		args[i] = i % 3 == 2 ? '\0' : 'a' + i % 26;
	{
		/* More arguments than max_args. */
		struct pl_event ev = base_event(PL_EV_EXEC, 0);

		ev.exec.filename = "/usr/bin/many";
		ev.exec.filename_len = 13;
		ev.exec.args = args;
		ev.exec.args_len = sizeof(args) - 1;
		format_event(f, &ev);
	}
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct pl_event ev = base_event(PL_EV_EXIT, i);

		ev.exit.status = statuses[i];
		ev.exit.thread = i & 1;
		ev.exit.parent_autoreap = i & 2;
		ev.exit.reaper_rule = i % 4;
		ev.exit.reaper = i * 11;
		format_event(f, &ev);
	}
	for (i = 0; i < 4; i++) {
		struct pl_event ev = base_event(PL_EV_REAP, i);

		ev.reap.zombie_ns = i == 0 ? -1 : (int64_t)(i * 123456789ULL);
		ev.reap.leaked = i & 1;
		ev.reap.inferred = i & 2;
		format_event(f, &ev);
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct pl_event ev = base_event(i & 1 ? PL_EV_SIGNAL_DELIVER : PL_EV_SIGNAL_GENERATE, i);

		ev.signal.sig = sigs[i];
		ev.signal.code = (int)i - 6;
		ev.signal.result = i % 5;
		ev.signal.disposition = i % 3;
		ev.signal.sender_pid = i ? i * 3 : UINT32_MAX;
		ev.signal.sender_tid = i * 5;
		snprintf(ev.signal.sender_comm, sizeof(ev.signal.sender_comm), "%.16s",
			 hostile[(i + 3) % NHOSTILE]);
		/* Every kind of siginfo, with extreme values. */
		ev.signal.si = (struct siginfo_fields){
			.kind = i % SIGINFO_KIND_MAX, .pid = i & 2 ? INT32_MIN : (int32_t)i,
			.uid = UINT32_MAX, .status = -1, .addr = UINT64_MAX - i,
			.timerid = INT32_MAX, .overrun = -1, .band = INT64_MIN, .fd = -1,
			.syscall = -1, .arch = UINT32_MAX,
		};
		format_event(f, &ev);
		n++;
	}
	for (i = 0; i < NHOSTILE; i++) {
		struct pl_event ev = base_event(PL_EV_RENAME, i);

		snprintf(ev.rename.old_comm, sizeof(ev.rename.old_comm), "%.16s",
			 hostile[(i + 1) % NHOSTILE]);
		ev.tid = ev.pid + (i & 1);
		format_event(f, &ev);
	}
	format_lost(f, 5 * SEC, 0);
	format_lost(f, 6 * SEC + 1, UINT64_MAX);
	/* Far past any uptime: the wall clock wraps, and still prints. */
	{
		struct pl_event ev = base_event(PL_EV_REAP, 1);

		ev.ts_ns = 0x7000000000000000ULL;
		ev.reap.zombie_ns = -1;
		format_event(f, &ev);
	}
	assert_int_equal(n, sizeof(sigs) / sizeof(sigs[0]));
}

static void check_hostile(bool json, const char *golden)
{
	struct sink big, tiny;
	size_t big_len, tiny_len;
	char *b, *t;

	sink_open(&big, json, 1 << 20, BOOT_TO_REAL_NS);
	sink_open(&tiny, json, TINY_BUFFER, BOOT_TO_REAL_NS);
	print_hostile(&big.f);
	print_hostile(&tiny.f);
	b = sink_take(&big, &big_len);
	t = sink_take(&tiny, &tiny_len);
	compare(golden, b, big_len);
	assert_int_equal(tiny_len, big_len);
	assert_memory_equal(t, b, big_len);
	free(b);
	free(t);
}

static void test_hostile_json(void **state)
{
	(void)state;
	check_hostile(true, "hostile.json.out");
}

static void test_hostile_text(void **state)
{
	(void)state;
	check_hostile(false, "hostile.text.out");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_json),
		cmocka_unit_test(test_trace_text),
		cmocka_unit_test(test_hostile_json),
		cmocka_unit_test(test_hostile_text),
	};

	/* The readable stream prints local time. */
	setenv("TZ", "UTC", 1);
	tzset();
	write_golden = argc > 1 && !strcmp(argv[1], "--write");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
