/*
 * event_decode on records laid out as the BPF programs write them
 * (bpf/proclife.h), valid and malformed, and the exec argument walker.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include <signal.h>
#include "event.h"

/* One record of any type, aligned as the ring buffer aligns them. */
static union {
	struct pl_header h;
	struct pl_fork fork;
	struct pl_exec exec;
	struct pl_exit exit;
	struct pl_reap reap;
	struct pl_signal sig;
	struct pl_rename rename;
	unsigned char raw[sizeof(struct pl_exec) + 64];
} rec;

#define EXEC_FIXED offsetof(struct pl_exec, data)

static void header(enum pl_event_type type, size_t size)
{
	memset(&rec, 0, sizeof(rec));
	rec.h.ts_ns = 1000000123456789ULL;
	rec.h.start_ns = 999000000000ULL;
	rec.h.pid = 4242;
	rec.h.tid = 4243;
	rec.h.ppid = 1;
	rec.h.type = type;
	rec.h.size = size;
	memcpy(rec.h.comm, "worker", 7);
	rec.h.cgroup_id = 0x100000324ULL;
	rec.h.pidns = 4026532179U;
	rec.h.ns_pid = 7;
}

static void assert_header_fields(const struct pl_event *ev, enum pl_event_type type)
{
	assert_int_equal(ev->type, type);
	assert_int_equal(ev->ts_ns, 1000000123456789ULL);
	assert_int_equal(ev->start_ns, 999000000000ULL);
	assert_int_equal(ev->pid, 4242);
	assert_int_equal(ev->tid, 4243);
	assert_int_equal(ev->ppid, 1);
	assert_string_equal(ev->comm, "worker");
	assert_false(ev->context);
	assert_int_equal(ev->cgroup_id, 0x100000324ULL);
	assert_int_equal(ev->pidns, 4026532179U);
	assert_int_equal(ev->ns_pid, 7);
}

static void assert_rejected(size_t size)
{
	struct pl_event ev;

	assert_int_equal(event_decode(&rec, size, &ev), -EPROTO);
}

/* An exec of filename with args (NUL-separated, as captured); returns its size. */
static size_t exec_record(const char *filename, const char *args, size_t args_len)
{
	size_t flen = strlen(filename), size = EXEC_FIXED + flen + args_len;

	header(PL_EV_EXEC, size);
	rec.exec.old_pid = 4242;
	rec.exec.uid = 1000;
	rec.exec.gid = 100;
	rec.exec.filename_len = flen;
	rec.exec.args_len = args_len;
	memcpy(rec.exec.data, filename, flen);
	memcpy(rec.exec.data + flen, args, args_len);
	return size;
}

static void test_fork(void **state)
{
	struct pl_event ev;

	(void)state;
	header(PL_EV_FORK, sizeof(struct pl_fork));
	rec.fork.parent_start_ns = 12345;
	rec.fork.parent_tid = 77;
	rec.fork.flags = 0;
	rec.fork.ns_ppid = 1;
	assert_int_equal(event_decode(&rec, sizeof(struct pl_fork), &ev), 0);
	assert_header_fields(&ev, PL_EV_FORK);
	assert_int_equal(ev.fork.ns_ppid, 1);
	assert_int_equal(ev.fork.parent_start_ns, 12345);
	assert_int_equal(ev.fork.parent_tid, 77);
	assert_false(ev.fork.thread);

	rec.fork.flags = PL_FORK_THREAD;
	assert_int_equal(event_decode(&rec, sizeof(struct pl_fork), &ev), 0);
	assert_true(ev.fork.thread);
}

/* Under a filter, the kernel flags what the model needs from outside it. */
static void test_context_flag(void **state)
{
	struct pl_event ev;

	(void)state;
	header(PL_EV_REAP, sizeof(struct pl_reap));
	rec.h.flags = PL_HDR_CONTEXT;
	assert_int_equal(event_decode(&rec, sizeof(struct pl_reap), &ev), 0);
	assert_true(ev.context);
	rec.h.flags = PL_HDR_CONTEXT << 1;
	assert_rejected(sizeof(struct pl_reap));
}

static void test_exec(void **state)
{
	static const char args[] = "env\0-i\0FOO=1 2\0";
	size_t size = exec_record("/usr/bin/env", args, sizeof(args) - 1);
	struct pl_event ev;

	(void)state;
	assert_int_equal(event_decode(&rec, size, &ev), 0);
	assert_header_fields(&ev, PL_EV_EXEC);
	assert_int_equal(ev.exec.old_pid, 4242);
	assert_int_equal(ev.exec.uid, 1000);
	assert_int_equal(ev.exec.gid, 100);
	assert_ptr_equal(ev.exec.filename, rec.exec.data);
	assert_int_equal(ev.exec.filename_len, 12);
	assert_memory_equal(ev.exec.filename, "/usr/bin/env", 12);
	assert_ptr_equal(ev.exec.args, rec.exec.data + 12);
	assert_int_equal(ev.exec.args_len, sizeof(args) - 1);
	assert_memory_equal(ev.exec.args, args, sizeof(args) - 1);
	assert_false(ev.exec.args_truncated);
	assert_false(ev.exec.filename_truncated);

	rec.exec.flags = PL_EXEC_ARGS_TRUNCATED;
	assert_int_equal(event_decode(&rec, size, &ev), 0);
	assert_true(ev.exec.args_truncated);
	assert_false(ev.exec.filename_truncated);
	rec.exec.flags = PL_EXEC_FILENAME_TRUNCATED;
	assert_int_equal(event_decode(&rec, size, &ev), 0);
	assert_false(ev.exec.args_truncated);
	assert_true(ev.exec.filename_truncated);

	/* A non-leader thread that execs: the tid it called from. */
	rec.exec.old_pid = 4250;
	assert_int_equal(event_decode(&rec, size, &ev), 0);
	assert_int_equal(ev.exec.old_pid, 4250);
}

/* The largest tail the capture limits allow, and an exec with no tail at all. */
static void test_exec_limits(void **state)
{
	static char args[PL_ARGS_MAX - 1];
	char filename[PL_FILENAME_MAX];
	struct pl_event ev;
	size_t size;

	(void)state;
	memset(filename, 'f', sizeof(filename) - 1);
	filename[sizeof(filename) - 1] = '\0';
	memset(args, 'a', sizeof(args));
	size = exec_record(filename, args, sizeof(args));
	assert_int_equal(event_decode(&rec, size, &ev), 0);
	assert_int_equal(ev.exec.filename_len, PL_FILENAME_MAX - 1);
	assert_int_equal(ev.exec.args_len, PL_ARGS_MAX - 1);

	size = exec_record("", "", 0);
	assert_int_equal(size, EXEC_FIXED);
	assert_int_equal(event_decode(&rec, size, &ev), 0);
	assert_int_equal(ev.exec.filename_len, 0);
	assert_int_equal(ev.exec.args_len, 0);
}

static void test_exit(void **state)
{
	struct pl_event ev;

	(void)state;
	header(PL_EV_EXIT, sizeof(struct pl_exit));
	rec.exit.status = 0x0300;
	rec.exit.reaper = 1;
	rec.exit.reaper_rule = PL_REAPER_INIT;
	rec.exit.flags = 0;
	assert_int_equal(event_decode(&rec, sizeof(struct pl_exit), &ev), 0);
	assert_header_fields(&ev, PL_EV_EXIT);
	assert_int_equal(ev.exit.status, 0x0300);
	assert_int_equal(ev.exit.reaper, 1);
	assert_int_equal(ev.exit.reaper_rule, PL_REAPER_INIT);
	assert_false(ev.exit.thread);
	assert_false(ev.exit.parent_autoreap);

	rec.exit.status = -1;
	rec.exit.reaper = 0;
	rec.exit.reaper_rule = PL_REAPER_NONE;
	rec.exit.flags = PL_EXIT_THREAD | PL_EXIT_PARENT_AUTOREAP;
	assert_int_equal(event_decode(&rec, sizeof(struct pl_exit), &ev), 0);
	assert_int_equal(ev.exit.status, -1);
	assert_int_equal(ev.exit.reaper_rule, PL_REAPER_NONE);
	assert_true(ev.exit.thread);
	assert_true(ev.exit.parent_autoreap);

	rec.exit.reaper_rule = PL_REAPER_THREAD;
	assert_int_equal(event_decode(&rec, sizeof(struct pl_exit), &ev), 0);
	assert_int_equal(ev.exit.reaper_rule, PL_REAPER_THREAD);
	rec.exit.reaper_rule = PL_REAPER_SUBREAPER;
	assert_int_equal(event_decode(&rec, sizeof(struct pl_exit), &ev), 0);
	assert_int_equal(ev.exit.reaper_rule, PL_REAPER_SUBREAPER);
}

static void test_reap(void **state)
{
	struct pl_event ev;

	(void)state;
	header(PL_EV_REAP, sizeof(struct pl_reap));
	memset(&ev, 0xff, sizeof(ev));
	assert_int_equal(event_decode(&rec, sizeof(struct pl_reap), &ev), 0);
	assert_header_fields(&ev, PL_EV_REAP);
	assert_int_equal(ev.reap.zombie_ns, -1);
	assert_false(ev.reap.leaked);
}

static void signal_record(enum pl_event_type type)
{
	header(type, sizeof(struct pl_signal));
	rec.sig.sig = 15;
	rec.sig.code = -6;	/* SI_TKILL */
	rec.sig.result = 0;
	rec.sig.disposition = PL_DISP_HANDLER;
	rec.sig.sender_pid = 555;
	rec.sig.sender_tid = 556;
	memcpy(rec.sig.sender_comm, "killer", 7);
}

static void test_signal_generate(void **state)
{
	struct pl_event ev;

	(void)state;
	signal_record(PL_EV_SIGNAL_GENERATE);
	rec.sig.result = 2;
	rec.sig.disposition = PL_DISP_DEFAULT;
	assert_int_equal(event_decode(&rec, sizeof(struct pl_signal), &ev), 0);
	assert_header_fields(&ev, PL_EV_SIGNAL_GENERATE);
	assert_int_equal(ev.signal.sig, 15);
	assert_int_equal(ev.signal.code, -6);
	assert_int_equal(ev.signal.result, 2);
	assert_int_equal(ev.signal.disposition, PL_DISP_DEFAULT);
	assert_int_equal(ev.signal.sender_pid, 555);
	assert_int_equal(ev.signal.sender_tid, 556);
	assert_string_equal(ev.signal.sender_comm, "killer");
}

static void test_signal_deliver(void **state)
{
	struct pl_event ev;

	(void)state;
	signal_record(PL_EV_SIGNAL_DELIVER);
	rec.sig.sig = 9;
	rec.sig.code = 0;
	assert_int_equal(event_decode(&rec, sizeof(struct pl_signal), &ev), 0);
	assert_header_fields(&ev, PL_EV_SIGNAL_DELIVER);
	assert_int_equal(ev.signal.sig, 9);
	assert_int_equal(ev.signal.code, 0);
	assert_int_equal(ev.signal.disposition, PL_DISP_HANDLER);
	assert_int_equal(ev.signal.sender_pid, 555);
	assert_int_equal(ev.signal.sender_tid, 556);

	rec.sig.disposition = PL_DISP_IGNORED;
	assert_int_equal(event_decode(&rec, sizeof(struct pl_signal), &ev), 0);
	assert_int_equal(ev.signal.disposition, PL_DISP_IGNORED);
}

/* The union's bytes as the kernel lays them out, read back by the kind the code gives. */
static void test_signal_siginfo(void **state)
{
	int32_t words[PL_SIFIELDS_LEN / 4] = { 0 };
	uint64_t addr = 0x7fff12345678ULL;
	struct pl_event ev;

	(void)state;
	/* SI_QUEUE: pid and uid of the sender. */
	signal_record(PL_EV_SIGNAL_DELIVER);
	rec.sig.sig = SIGUSR1;
	rec.sig.code = SI_QUEUE;
	words[0] = 321;
	words[1] = 1000;
	memcpy(rec.sig.sifields, words, sizeof(words));
	assert_int_equal(event_decode(&rec, sizeof(struct pl_signal), &ev), 0);
	assert_int_equal(ev.signal.si.kind, SIGINFO_KILL);
	assert_int_equal(ev.signal.si.pid, 321);
	assert_int_equal(ev.signal.si.uid, 1000);

	/* SIGCHLD, CLD_EXITED: the child, and its status after the uid. */
	rec.sig.sig = SIGCHLD;
	rec.sig.code = CLD_EXITED;
	words[2] = 7;
	memcpy(rec.sig.sifields, words, sizeof(words));
	assert_int_equal(event_decode(&rec, sizeof(struct pl_signal), &ev), 0);
	assert_int_equal(ev.signal.si.kind, SIGINFO_CHILD);
	assert_int_equal(ev.signal.si.pid, 321);
	assert_int_equal(ev.signal.si.status, 7);

	/* SIGSEGV, SEGV_MAPERR: an address where the pid would be. */
	rec.sig.sig = SIGSEGV;
	rec.sig.code = SEGV_MAPERR;
	memcpy(rec.sig.sifields, &addr, sizeof(addr));
	assert_int_equal(event_decode(&rec, sizeof(struct pl_signal), &ev), 0);
	assert_int_equal(ev.signal.si.kind, SIGINFO_FAULT);
	assert_int_equal(ev.signal.si.addr, addr);
	assert_int_equal(ev.signal.si.pid, 0);

	/* SI_TIMER: timer id and overrun. */
	rec.sig.sig = SIGRTMIN;
	rec.sig.code = SI_TIMER;
	words[0] = 5;
	words[1] = 2;
	memcpy(rec.sig.sifields, words, sizeof(words));
	assert_int_equal(event_decode(&rec, sizeof(struct pl_signal), &ev), 0);
	assert_int_equal(ev.signal.si.kind, SIGINFO_TIMER);
	assert_int_equal(ev.signal.si.timerid, 5);
	assert_int_equal(ev.signal.si.overrun, 2);
	assert_int_equal(ev.signal.si.pid, 0);
}

/* The kernel's siginfo_layout(), case by case. */
static void test_siginfo_kind_of(void **state)
{
	(void)state;
	assert_int_equal(siginfo_kind_of(SIGTERM, SI_USER), SIGINFO_KILL);
	assert_int_equal(siginfo_kind_of(SIGTERM, SI_TKILL), SIGINFO_KILL);
	assert_int_equal(siginfo_kind_of(SIGUSR1, SI_QUEUE), SIGINFO_KILL);
	assert_int_equal(siginfo_kind_of(SIGUSR1, SI_MESGQ), SIGINFO_KILL);
	assert_int_equal(siginfo_kind_of(SIGKILL, SI_KERNEL), SIGINFO_KERNEL);
	assert_int_equal(siginfo_kind_of(SIGSEGV, SI_KERNEL), SIGINFO_KERNEL);
	assert_int_equal(siginfo_kind_of(SIGALRM, SI_TIMER), SIGINFO_TIMER);
	assert_int_equal(siginfo_kind_of(SIGIO, SI_SIGIO), SIGINFO_POLL);
	assert_int_equal(siginfo_kind_of(SIGCHLD, CLD_KILLED), SIGINFO_CHILD);
	assert_int_equal(siginfo_kind_of(SIGSEGV, SEGV_ACCERR), SIGINFO_FAULT);
	assert_int_equal(siginfo_kind_of(SIGBUS, BUS_ADRERR), SIGINFO_FAULT);
	assert_int_equal(siginfo_kind_of(SIGFPE, FPE_INTDIV), SIGINFO_FAULT);
	assert_int_equal(siginfo_kind_of(SIGILL, ILL_ILLOPC), SIGINFO_FAULT);
	assert_int_equal(siginfo_kind_of(SIGTRAP, TRAP_BRKPT), SIGINFO_FAULT);
	assert_int_equal(siginfo_kind_of(SIGPOLL, POLL_IN), SIGINFO_POLL);
	assert_int_equal(siginfo_kind_of(SIGSYS, 1), SIGINFO_SYS);
	/* A positive code a signal has no layout for: poll up to NSIGPOLL, else kill. */
	assert_int_equal(siginfo_kind_of(SIGUSR1, 3), SIGINFO_POLL);
	assert_int_equal(siginfo_kind_of(SIGUSR1, 50), SIGINFO_KILL);
	assert_int_equal(siginfo_kind_of(SIGCHLD, 50), SIGINFO_KILL);
}

static void test_rename(void **state)
{
	struct pl_event ev;

	(void)state;
	header(PL_EV_RENAME, sizeof(struct pl_rename));
	memcpy(rec.rename.old_comm, "0123456789abcdef", PL_COMM_LEN);
	assert_int_equal(event_decode(&rec, sizeof(struct pl_rename), &ev), 0);
	assert_header_fields(&ev, PL_EV_RENAME);
	assert_string_equal(ev.rename.old_comm, "0123456789abcdef");
	assert_string_equal(event_type_name(PL_EV_RENAME), "rename");
	assert_int_equal(event_type_from_name("rename"), PL_EV_RENAME);
	assert_rejected(sizeof(struct pl_rename) - 1);
}

static void test_comm_without_nul_is_terminated(void **state)
{
	struct pl_event ev;

	(void)state;
	signal_record(PL_EV_SIGNAL_GENERATE);
	memcpy(rec.h.comm, "0123456789abcdef", PL_COMM_LEN);
	memcpy(rec.sig.sender_comm, "FEDCBA9876543210", PL_COMM_LEN);
	memset(&ev, 'X', sizeof(ev));
	assert_int_equal(event_decode(&rec, sizeof(struct pl_signal), &ev), 0);
	assert_int_equal(strlen(ev.comm), PL_COMM_LEN);
	assert_string_equal(ev.comm, "0123456789abcdef");
	assert_int_equal(strlen(ev.signal.sender_comm), PL_COMM_LEN);
	assert_string_equal(ev.signal.sender_comm, "FEDCBA9876543210");

	/* Bytes after the NUL (stale kernel memory) are not part of the name. */
	memcpy(rec.h.comm, "sh\0garbage", 10);
	assert_int_equal(event_decode(&rec, sizeof(struct pl_signal), &ev), 0);
	assert_string_equal(ev.comm, "sh");
}

static void test_reject_shorter_than_header(void **state)
{
	(void)state;
	header(PL_EV_REAP, sizeof(struct pl_reap));
	assert_rejected(0);
	assert_rejected(1);
	assert_rejected(sizeof(struct pl_header) - 1);
	rec.h.size = sizeof(struct pl_header) - 1;
	assert_rejected(sizeof(struct pl_header) - 1);
}

static void test_reject_size_mismatch(void **state)
{
	(void)state;
	header(PL_EV_FORK, sizeof(struct pl_fork));
	assert_rejected(sizeof(struct pl_fork) + 8);
	rec.h.size = sizeof(struct pl_fork) - 8;
	assert_rejected(sizeof(struct pl_fork));
	/* Sizes beyond what the 16-bit field holds never match. */
	rec.h.size = 0;
	assert_rejected(65536);
	rec.h.size = sizeof(struct pl_fork);
	assert_rejected(65536 + sizeof(struct pl_fork));
}

static void test_reject_unknown_type(void **state)
{
	static const unsigned int types[] = { 0, PL_EV_TYPE_MAX, PL_EV_TYPE_MAX + 1, 0xffff };

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		header(PL_EV_REAP, sizeof(struct pl_reap));
		rec.h.type = types[i];
		assert_rejected(sizeof(struct pl_reap));
		header(PL_EV_EXEC, sizeof(struct pl_signal));
		rec.h.type = types[i];
		assert_rejected(sizeof(struct pl_signal));
	}
}

/* Each fixed-size type at one byte less and one more than its struct. */
static void test_reject_wrong_fixed_size(void **state)
{
	static const struct { enum pl_event_type type; size_t size; } fixed[] = {
		{ PL_EV_FORK, sizeof(struct pl_fork) },
		{ PL_EV_EXIT, sizeof(struct pl_exit) },
		{ PL_EV_REAP, sizeof(struct pl_reap) },
		{ PL_EV_SIGNAL_GENERATE, sizeof(struct pl_signal) },
		{ PL_EV_SIGNAL_DELIVER, sizeof(struct pl_signal) },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		size_t sizes[] = { fixed[i].size - 1, fixed[i].size + 1, fixed[i].size + 8 };

		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			if (sizes[j] < sizeof(struct pl_header))
				continue;
			header(fixed[i].type, sizes[j]);
			assert_rejected(sizes[j]);
		}
	}
	/* An exec shorter than its fixed part. */
	header(PL_EV_EXEC, EXEC_FIXED - 1);
	assert_rejected(EXEC_FIXED - 1);
	header(PL_EV_EXEC, sizeof(struct pl_header));
	assert_rejected(sizeof(struct pl_header));
}

static void test_reject_exec_tail_mismatch(void **state)
{
	static const char args[] = "ls\0-l\0";
	size_t size = exec_record("/bin/ls", args, sizeof(args) - 1);

	(void)state;
	rec.exec.args_len++;
	assert_rejected(size);
	rec.exec.args_len -= 2;
	assert_rejected(size);
	rec.exec.args_len++;
	rec.exec.filename_len++;
	assert_rejected(size);
	rec.exec.filename_len = 0;
	assert_rejected(size);
}

static void test_reject_exec_lengths_over_limits(void **state)
{
	static char tail[PL_FILENAME_MAX + PL_ARGS_MAX];
	struct pl_event ev;
	size_t size;

	(void)state;
	memset(tail, 'x', sizeof(tail));
	/* filename_len == PL_FILENAME_MAX, tail otherwise consistent. */
	header(PL_EV_EXEC, 0);
	size = EXEC_FIXED + PL_FILENAME_MAX + 4;
	rec.h.size = size;
	rec.exec.filename_len = PL_FILENAME_MAX;
	rec.exec.args_len = 4;
	memcpy(rec.exec.data, tail, PL_FILENAME_MAX + 4);
	assert_rejected(size);
	rec.exec.filename_len = PL_FILENAME_MAX - 1;
	rec.exec.args_len = 5;
	assert_int_equal(event_decode(&rec, size, &ev), 0);

	/* args_len == PL_ARGS_MAX. */
	header(PL_EV_EXEC, 0);
	size = EXEC_FIXED + 1 + PL_ARGS_MAX;
	rec.h.size = size;
	rec.exec.filename_len = 1;
	rec.exec.args_len = PL_ARGS_MAX;
	memcpy(rec.exec.data, tail, 1 + PL_ARGS_MAX);
	assert_rejected(size);
}

static void test_reject_bad_reaper_rule(void **state)
{
	static const uint32_t rules[] = { PL_REAPER_PIDNS_DYING + 1, 100, UINT32_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		header(PL_EV_EXIT, sizeof(struct pl_exit));
		rec.exit.reaper_rule = rules[i];
		assert_rejected(sizeof(struct pl_exit));
	}
}

static void test_reject_bad_disposition(void **state)
{
	static const uint32_t disps[] = { PL_DISP_HANDLER + 1, 1000, UINT32_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(disps) / sizeof(disps[0]); i++) {
		signal_record(PL_EV_SIGNAL_DELIVER);
		rec.sig.disposition = disps[i];
		assert_rejected(sizeof(struct pl_signal));
		signal_record(PL_EV_SIGNAL_GENERATE);
		rec.sig.disposition = disps[i];
		assert_rejected(sizeof(struct pl_signal));
	}
}

static void decode_exec(struct pl_event *ev, const char *args, size_t args_len)
{
	size_t size = exec_record("/bin/prog", args, args_len);

	assert_int_equal(event_decode(&rec, size, ev), 0);
}

static void assert_next(struct args_iter *it, const char *want, size_t want_len)
{
	const char *s;
	size_t len;

	assert_true(args_iter_next(it, &s, &len));
	assert_int_equal(len, want_len);
	assert_memory_equal(s, want, want_len);
}

static void test_args_iter_all(void **state)
{
	static const char args[] = "prog\0-v\0two words\0";
	struct args_iter it;
	struct pl_event ev;
	const char *s;
	size_t len;

	(void)state;
	decode_exec(&ev, args, sizeof(args) - 1);
	args_iter_init(&it, &ev, 64);
	assert_next(&it, "prog", 4);
	assert_next(&it, "-v", 2);
	assert_true(args_iter_more(&it));
	assert_next(&it, "two words", 9);
	assert_false(args_iter_more(&it));
	assert_false(args_iter_next(&it, &s, &len));
	assert_false(args_iter_next(&it, &s, &len));
}

static void test_args_iter_max_args(void **state)
{
	static const char args[] = "a\0b\0c\0";
	struct args_iter it;
	struct pl_event ev;
	const char *s;
	size_t len;

	(void)state;
	decode_exec(&ev, args, sizeof(args) - 1);
	args_iter_init(&it, &ev, 2);
	assert_next(&it, "a", 1);
	assert_next(&it, "b", 1);
	assert_false(args_iter_next(&it, &s, &len));
	assert_true(args_iter_more(&it));

	/* Exactly as many as allowed: nothing more. */
	args_iter_init(&it, &ev, 3);
	assert_next(&it, "a", 1);
	assert_next(&it, "b", 1);
	assert_next(&it, "c", 1);
	assert_false(args_iter_next(&it, &s, &len));
	assert_false(args_iter_more(&it));

	args_iter_init(&it, &ev, 0);
	assert_false(args_iter_next(&it, &s, &len));
	assert_true(args_iter_more(&it));
}

/* The capture limit cut the last argument: it comes back without running past the record. */
static void test_args_iter_unterminated_last(void **state)
{
	static const char args[] = "cat\0/very/long/pa";
	struct args_iter it;
	struct pl_event ev;
	const char *s;
	size_t len;

	(void)state;
	decode_exec(&ev, args, sizeof(args) - 1);
	args_iter_init(&it, &ev, 64);
	assert_next(&it, "cat", 3);
	assert_next(&it, "/very/long/pa", 13);
	assert_false(args_iter_more(&it));
	assert_false(args_iter_next(&it, &s, &len));

	/* A single byte, no NUL at all. */
	decode_exec(&ev, "x", 1);
	args_iter_init(&it, &ev, 64);
	assert_next(&it, "x", 1);
	assert_false(args_iter_more(&it));
	assert_false(args_iter_next(&it, &s, &len));
}

static void test_args_iter_empty(void **state)
{
	struct args_iter it;
	struct pl_event ev;
	const char *s;
	size_t len;

	(void)state;
	decode_exec(&ev, "", 0);
	args_iter_init(&it, &ev, 64);
	assert_false(args_iter_more(&it));
	assert_false(args_iter_next(&it, &s, &len));

	/* Empty strings are arguments too: argv = { "", "" }. */
	decode_exec(&ev, "\0\0", 2);
	args_iter_init(&it, &ev, 64);
	assert_next(&it, "", 0);
	assert_next(&it, "", 0);
	assert_false(args_iter_more(&it));
	assert_false(args_iter_next(&it, &s, &len));
}

static void test_event_type_names(void **state)
{
	(void)state;
	assert_string_equal(event_type_name(PL_EV_FORK), "fork");
	assert_string_equal(event_type_name(PL_EV_EXEC), "exec");
	assert_string_equal(event_type_name(PL_EV_EXIT), "exit");
	assert_string_equal(event_type_name(PL_EV_REAP), "reap");
	assert_string_equal(event_type_name(PL_EV_SIGNAL_GENERATE), "signal");
	assert_string_equal(event_type_name(PL_EV_SIGNAL_DELIVER), "signal");
	assert_string_equal(event_type_name(0), "unknown");
	assert_string_equal(event_type_name(PL_EV_TYPE_MAX), "unknown");
	assert_string_equal(event_type_name(1000), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_siginfo),
		cmocka_unit_test(test_siginfo_kind_of),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_context_flag),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_limits),
		cmocka_unit_test(test_exit),
		cmocka_unit_test(test_reap),
		cmocka_unit_test(test_signal_generate),
		cmocka_unit_test(test_signal_deliver),
		cmocka_unit_test(test_comm_without_nul_is_terminated),
		cmocka_unit_test(test_reject_shorter_than_header),
		cmocka_unit_test(test_reject_size_mismatch),
		cmocka_unit_test(test_reject_unknown_type),
		cmocka_unit_test(test_reject_wrong_fixed_size),
		cmocka_unit_test(test_reject_exec_tail_mismatch),
		cmocka_unit_test(test_reject_exec_lengths_over_limits),
		cmocka_unit_test(test_reject_bad_reaper_rule),
		cmocka_unit_test(test_reject_bad_disposition),
		cmocka_unit_test(test_args_iter_all),
		cmocka_unit_test(test_args_iter_max_args),
		cmocka_unit_test(test_args_iter_unterminated_last),
		cmocka_unit_test(test_args_iter_empty),
		cmocka_unit_test(test_event_type_names),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
