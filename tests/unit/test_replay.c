#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "format.h"
#include "model_fixture.h"
#include "replay.h"
#include "tree.h"

/* 2026-11-21T05:47:00Z, the fixture's first line. */
#define T0 (1795240020ULL * SEC)

static void data_path(char *out, size_t size, const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;

	snprintf(out, size, "%.*s/data/%s", dir, slash ? __FILE__ : ".", name);
}

struct world {
	struct model m;
	struct recorder rec;
	struct replay r;
	char *errors;		/* what the replay reported */
	size_t errors_len;
	FILE *err;
	enum pl_event_type seen[32];
	int64_t reap_zombie_ns;
	int nseen;
	struct pl_event last[8];	/* the last events, by arrival modulo 8 */
};

static void on_event(void *ctx, const struct pl_event *ev)
{
	struct world *w = ctx;

	w->last[w->nseen % 8] = *ev;
	w->seen[w->nseen++ % 32] = ev->type;
	if (ev->type == PL_EV_REAP)
		w->reap_zombie_ns = ev->reap.zombie_ns;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w || fixture_model(&w->m, &w->rec))
		return -1;
	w->err = open_memstream(&w->errors, &w->errors_len);
	if (!w->err)
		return -1;
	w->r = (struct replay){
		.model = &w->m, .name = "trace.jsonl", .err = w->err,
		.on_event = on_event, .ctx = w,
	};
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	fclose(w->err);
	free(w->errors);
	model_free(&w->m);
	free(w);
	return 0;
}

/* Replays text as a trace; returns replay_run's result with the messages flushed. */
static int replay_text(struct world *w, const char *text)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(in);
	ret = replay_run(&w->r, in);
	fclose(in);
	fflush(w->err);
	return ret;
}

static void test_fixture_with_bad_line(void **state)
{
	struct world *w = *state;
	char path[512];
	FILE *in;

	data_path(path, sizeof(path), "trace-bad.jsonl");
	in = fopen(path, "r");
	assert_non_null(in);
	w->r.name = "trace-bad.jsonl";
	assert_int_equal(replay_run(&w->r, in), 1);
	fclose(in);
	fflush(w->err);

	/* Exactly one message, naming line 5. */
	assert_non_null(strstr(w->errors, "proclife: trace-bad.jsonl:5: invalid JSON: "));
	assert_ptr_equal(strchr(w->errors, '\n'), w->errors + w->errors_len - 1);
	assert_int_equal(w->r.bad, 1);
	assert_int_equal(w->r.lines, 13);
	assert_int_equal(w->r.events, 7);
	assert_int_equal(w->r.lost, 3);
	assert_int_equal(w->r.now_ns, T0 + 12 * SEC);

	/* The lines after the bad one were used: 20 exited, 21 went to init, 20 leaked, then reaped. */
	assert_int_equal(w->rec.norphans, 1);
	assert_int_equal(w->rec.orphans[0].pid, 21);
	assert_int_equal(w->rec.orphans[0].old_ppid, 20);
	assert_int_equal(w->rec.orphans[0].ppid, 1);
	assert_int_equal(w->rec.nzombies, 1);
	assert_int_equal(w->rec.zombies[0].pid, 20);
	assert_string_equal(w->rec.zombies[0].parent_comm, "sh");
	assert_int_equal(w->rec.zombies[0].age_ns, 8 * SEC);
	assert_int_equal(w->reap_zombie_ns, 10 * SEC);
	assert_int_equal(w->m.table.count, 3);
	assert_null(proctable_find_pid(&w->m.table, 20));
	assert_int_equal(proctable_find_pid(&w->m.table, 21)->parent->pid, 1);
	assert_string_equal(proctable_find_pid(&w->m.table, 21)->filename, "/usr/bin/worker");

	assert_int_equal(w->nseen, 7);
	assert_int_equal(w->seen[0], PL_EV_FORK);
	assert_int_equal(w->seen[1], PL_EV_EXEC);
	assert_int_equal(w->seen[4], PL_EV_SIGNAL_GENERATE);
	assert_int_equal(w->seen[5], PL_EV_SIGNAL_DELIVER);
	assert_int_equal(w->seen[6], PL_EV_REAP);
}

static void expect_error(struct world *w, const char *line, const char *message)
{
	char want[512];

	snprintf(want, sizeof(want), "proclife: trace.jsonl:2: %s\n", message);
	assert_int_equal(replay_text(w, line), 1);
	assert_string_equal(w->errors, want);
	assert_int_equal(w->r.bad, 1);
	fclose(w->err);
	free(w->errors);
	w->err = w->r.err = open_memstream(&w->errors, &w->errors_len);
	assert_non_null(w->err);
}

#define FORK_LINE "{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:01Z\",\"pid\":20,\"tid\":20," \
	"\"ppid\":1,\"comm\":\"sh\",\"start_ns\":5,\"thread\":false}\n"

static void test_error_messages(void **state)
{
	struct world *w = *state;

	expect_error(w, FORK_LINE "[1,2,3]\n", "expected object");
	expect_error(w, FORK_LINE "{\"time\":\"2026-11-21T05:47:01Z\"}\n", "missing \"type\"");
	expect_error(w, FORK_LINE "{\"type\":\"fork\",\"time\":\"yesterday\"}\n",
		     "\"time\" is not an RFC 3339 time");
	expect_error(w, FORK_LINE "{\"type\":\"spawn\",\"time\":\"2026-11-21T05:47:01Z\"}\n",
		     "unknown type \"spawn\"");
	expect_error(w, FORK_LINE "{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:01Z\",\"tid\":1}\n",
		     "missing \"pid\"");
	expect_error(w, FORK_LINE "{\"type\":\"exit\",\"time\":\"2026-11-21T05:47:01Z\",\"pid\":-4,"
		     "\"tid\":1,\"ppid\":1,\"comm\":\"x\",\"start_ns\":1}\n",
		     "\"pid\" is not an integer from 0 to 4294967295");
	expect_error(w, FORK_LINE "{\"type\":\"exit\",\"time\":\"2026-11-21T05:47:01Z\",\"pid\":4,"
		     "\"tid\":4,\"ppid\":1,\"comm\":\"x\",\"start_ns\":1,\"thread\":false}\n",
		     "missing \"exit_code\" or \"signal\"");
	expect_error(w, FORK_LINE "{\"type\":\"exit\",\"time\":\"2026-11-21T05:47:01Z\",\"pid\":4,"
		     "\"tid\":4,\"ppid\":1,\"comm\":\"x\",\"start_ns\":1,\"thread\":false,"
		     "\"exit_code\":0,\"reaper_rule\":\"init\"}\n",
		     "\"reaper\" and \"reaper_rule\" come together");
	expect_error(w, FORK_LINE "{\"type\":\"snapshot\",\"time\":\"2026-11-21T05:47:01Z\","
		     "\"procs\":[{\"pid\":1,\"ppid\":0,\"comm\":\"init\"}]}\n",
		     "missing \"start_ns\"");
	expect_error(w, FORK_LINE "{\"type\":\"exec\",\"time\":\"2026-11-21T05:47:01Z\",\"pid\":4,"
		     "\"tid\":4,\"ppid\":1,\"comm\":\"x\",\"start_ns\":1,\"filename\":\"/x\","
		     "\"args\":[\"x\",1]}\n",
		     "\"args\" holds something that is not a string");
}

/* A consumer joining late: the snapshot says who is there and how old a zombie is. */
static void test_late_joiner(void **state)
{
	struct world *w = *state;
	const char *trace =
		"{\"type\":\"snapshot\",\"time\":\"2026-11-21T05:47:00Z\",\"clk_tck\":100,\"procs\":["
		"{\"pid\":1,\"ppid\":0,\"comm\":\"init\",\"start_ns\":1000000,\"threads\":1},"
		"{\"pid\":10,\"ppid\":1,\"comm\":\"sh\",\"start_ns\":500000000,\"threads\":2},"
		"{\"pid\":30,\"ppid\":10,\"comm\":\"job\",\"start_ns\":900000000,\"parent_tid\":11,"
		"\"threads\":1,\"orphan_of\":25,\"reaper_rule\":\"subreaper\"},"
		"{\"pid\":31,\"ppid\":10,\"comm\":\"old\",\"start_ns\":950000000,"
		"\"zombie_ns\":4000000000,\"exit_code\":3,\"core_dumped\":false}]}\n"
		"{\"type\":\"exit\",\"time\":\"2026-11-21T05:47:02Z\",\"pid\":10,\"tid\":11,\"ppid\":1,"
		"\"comm\":\"sh\",\"start_ns\":500000000,\"thread\":true,\"exit_code\":0,"
		"\"core_dumped\":false,\"autoreap\":false,\"reaper\":10,\"reaper_rule\":\"thread\"}\n"
		"{\"type\":\"reap\",\"time\":\"2026-11-21T05:47:03Z\",\"pid\":31,\"tid\":31,\"ppid\":10,"
		"\"comm\":\"old\",\"start_ns\":950000000}\n";
	struct proc *sh;

	assert_int_equal(replay_text(w, trace), 0);
	assert_int_equal(w->r.bad, 0);
	assert_int_equal(w->errors_len, 0);
	sh = proctable_find_pid(&w->m.table, 10);
	assert_int_equal(sh->nthreads, 1);
	assert_int_equal(w->rec.norphans, 1);
	assert_int_equal(w->rec.orphans[0].pid, 30);
	assert_int_equal(w->rec.orphans[0].rule, PL_REAPER_THREAD);
	assert_int_equal(w->rec.orphans[0].old_ptid, 11);
	/* 4 s old at the snapshot, 6 s at the thread exit: leaked, reported at that time. */
	assert_int_equal(w->rec.nzombies, 1);
	assert_int_equal(w->rec.zombies[0].pid, 31);
	assert_int_equal(w->rec.zombies[0].age_ns, 6 * SEC);
	assert_int_equal(w->reap_zombie_ns, 7 * SEC);
	assert_null(proctable_find_pid(&w->m.table, 31));
	assert_int_equal(sh->nzombies, 0);
}

#define EV_HEAD(type) "{\"type\":\"" type "\",\"time\":\"2026-11-21T05:47:01Z\",\"pid\":20," \
	"\"tid\":20,\"ppid\":10,\"comm\":\"worker\",\"start_ns\":1000000000,"

/* rename and every kind of siginfo read back as written; the model takes the new name. */
static void test_rename_and_siginfo_read_back(void **state)
{
	struct world *w = *state;
	const char *trace =
		EV_HEAD("fork") "\"thread\":false}\n"
		EV_HEAD("rename") "\"old_comm\":\"sh\"}\n"
		EV_HEAD("signal") "\"stage\":\"deliver\",\"signal\":11,\"code\":1,"
		"\"siginfo\":\"fault\",\"si_addr\":4096,\"disposition\":\"default\"}\n"
		EV_HEAD("signal") "\"stage\":\"deliver\",\"signal\":34,\"code\":-2,"
		"\"siginfo\":\"timer\",\"si_timerid\":3,\"si_overrun\":1,\"disposition\":\"handler\"}\n"
		EV_HEAD("signal") "\"stage\":\"deliver\",\"signal\":17,\"code\":1,"
		"\"siginfo\":\"child\",\"si_pid\":21,\"si_uid\":5,\"si_status\":9,\"disposition\":\"handler\"}\n"
		EV_HEAD("signal") "\"stage\":\"generate\",\"signal\":10,\"code\":-1,"
		"\"siginfo\":\"kill\",\"si_pid\":7,\"si_uid\":1000,\"sender_pid\":7,\"sender_tid\":8,"
		"\"sender_comm\":\"q\",\"result\":\"delivered\"}\n"
		EV_HEAD("signal") "\"stage\":\"deliver\",\"signal\":31,\"code\":1,"
		"\"siginfo\":\"sys\",\"si_call_addr\":8192,\"si_syscall\":39,\"si_arch\":3221225534,"
		"\"disposition\":\"default\"}\n"
		/* Written before siginfo existed: the kind comes from the code. */
		EV_HEAD("signal") "\"stage\":\"deliver\",\"signal\":11,\"code\":128,"
		"\"sender_pid\":0,\"disposition\":\"default\"}\n";
	const struct pl_event *ev = w->last;

	assert_int_equal(replay_text(w, trace), 0);
	assert_int_equal(w->r.bad, 0);
	assert_int_equal(w->nseen, 8);
	assert_int_equal(ev[1].type, PL_EV_RENAME);
	assert_string_equal(ev[1].rename.old_comm, "sh");
	assert_string_equal(proctable_find_pid(&w->m.table, 20)->comm, "worker");
	assert_int_equal(ev[2].signal.si.kind, SIGINFO_FAULT);
	assert_int_equal(ev[2].signal.si.addr, 4096);
	assert_int_equal(ev[3].signal.si.kind, SIGINFO_TIMER);
	assert_int_equal(ev[3].signal.si.timerid, 3);
	assert_int_equal(ev[3].signal.si.overrun, 1);
	assert_int_equal(ev[4].signal.si.kind, SIGINFO_CHILD);
	assert_int_equal(ev[4].signal.si.pid, 21);
	assert_int_equal(ev[4].signal.si.uid, 5);
	assert_int_equal(ev[4].signal.si.status, 9);
	assert_int_equal(ev[5].signal.si.kind, SIGINFO_KILL);
	assert_int_equal(ev[5].signal.si.pid, 7);
	assert_int_equal(ev[5].signal.si.uid, 1000);
	assert_int_equal(ev[6].signal.si.kind, SIGINFO_SYS);
	assert_int_equal(ev[6].signal.si.addr, 8192);
	assert_int_equal(ev[6].signal.si.syscall, 39);
	assert_int_equal(ev[6].signal.si.arch, 3221225534u);
	assert_int_equal(ev[7].signal.si.kind, SIGINFO_KERNEL);

	assert_int_equal(replay_text(w, EV_HEAD("signal") "\"stage\":\"deliver\",\"signal\":11,"
					 "\"siginfo\":\"bogus\"}\n"), 1);
	assert_non_null(strstr(w->errors, "\"siginfo\" is not a kind of siginfo"));
}

/* A later snapshot replaces the model: processes it lacks are dropped. */
static void test_snapshot_reseeds(void **state)
{
	struct world *w = *state;
	const char *trace = FORK_LINE
		"{\"type\":\"snapshot\",\"time\":\"2026-11-21T05:47:05Z\",\"procs\":["
		"{\"pid\":1,\"ppid\":0,\"comm\":\"init\",\"start_ns\":1,\"threads\":1}]}\n";

	assert_int_equal(replay_text(w, trace), 0);
	assert_int_equal(w->m.table.count, 1);
	assert_null(proctable_find_pid(&w->m.table, 20));
}

static void test_until_stops_early(void **state)
{
	struct world *w = *state;
	char path[512];
	FILE *in;

	data_path(path, sizeof(path), "trace-bad.jsonl");
	in = fopen(path, "r");
	assert_non_null(in);
	w->r.until_given = true;
	w->r.until_ns = T0 + 9 * SEC;
	assert_int_equal(replay_run(&w->r, in), 1);
	fclose(in);
	assert_int_equal(w->r.now_ns, T0 + 9 * SEC);
	assert_int_equal(w->r.lines, 10);
	assert_int_equal(w->rec.nzombies, 1);
	assert_int_equal(w->rec.zombies[0].age_ns, 7 * SEC);
	assert_int_equal(proctable_find_pid(&w->m.table, 20)->state, PROC_ZOMBIE);
}

/* --at the epoch: the state before the first line, not the whole trace. */
static void test_until_epoch(void **state)
{
	struct world *w = *state;
	char path[512];
	FILE *in;

	data_path(path, sizeof(path), "trace-bad.jsonl");
	in = fopen(path, "r");
	assert_non_null(in);
	w->r.until_given = true;
	w->r.until_ns = 0;
	assert_int_equal(replay_run(&w->r, in), 0);
	fclose(in);
	assert_int_equal(w->r.now_ns, 0);
	assert_int_equal(w->r.events, 0);
	assert_int_equal(w->m.table.count, 0);
}

/*
 * A trace recorded without --threads has thread forks but no thread exits:
 * the replayed count is not inflated by them. Once a thread's exit shows
 * the trace has them, thread forks count again.
 */
static void test_threads_without_exits(void **state)
{
	struct world *w = *state;
	static const char without[] =
		"{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:01Z\",\"pid\":20,\"tid\":20,\"ppid\":10,\"comm\":\"srv\",\"start_ns\":1000000000,\"thread\":false}\n"
		"{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:02Z\",\"pid\":20,\"tid\":21,\"ppid\":10,\"comm\":\"srv\",\"start_ns\":1000000000,\"thread\":true}\n"
		"{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:03Z\",\"pid\":20,\"tid\":22,\"ppid\":10,\"comm\":\"srv\",\"start_ns\":1000000000,\"thread\":true}\n"
		"{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:04Z\",\"pid\":20,\"tid\":23,\"ppid\":10,\"comm\":\"srv\",\"start_ns\":1000000000,\"thread\":true}\n";
	static const char with[] =
		"{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:01Z\",\"pid\":20,\"tid\":20,\"ppid\":10,\"comm\":\"srv\",\"start_ns\":1000000000,\"thread\":false}\n"
		"{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:02Z\",\"pid\":20,\"tid\":21,\"ppid\":10,\"comm\":\"srv\",\"start_ns\":1000000000,\"thread\":true}\n"
		"{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:03Z\",\"pid\":20,\"tid\":22,\"ppid\":10,\"comm\":\"srv\",\"start_ns\":1000000000,\"thread\":true}\n"
		"{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:04Z\",\"pid\":20,\"tid\":23,\"ppid\":10,\"comm\":\"srv\",\"start_ns\":1000000000,\"thread\":true}\n"
		"{\"type\":\"exit\",\"time\":\"2026-11-21T05:47:05Z\",\"pid\":20,\"tid\":21,\"ppid\":10,\"comm\":\"srv\",\"start_ns\":1000000000,\"thread\":true,\"exit_code\":0}\n"
		"{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:06Z\",\"pid\":20,\"tid\":24,\"ppid\":10,\"comm\":\"srv\",\"start_ns\":1000000000,\"thread\":true}\n";
	struct model_opts o = {
		.zombie_age_ns = 5 * SEC, .clk_tck = TICK_HZ, .threads = MODEL_THREADS_EXITS_IF_RECORDED,
	};

	model_free(&w->m);
	assert_int_equal(model_init(&w->m, &o), 0);
	assert_int_equal(replay_text(w, without), 0);
	assert_int_equal(proctable_find_pid(&w->m.table, 20)->nthreads, 1);
	model_free(&w->m);
	assert_int_equal(model_init(&w->m, &o), 0);
	assert_int_equal(replay_text(w, with), 0);
	assert_int_equal(proctable_find_pid(&w->m.table, 20)->nthreads, 2);
}

static void test_parse_time(void **state)
{
	uint64_t ns;

	(void)state;
	assert_int_equal(replay_parse_time("2026-11-21T05:47:00.123456789Z", &ns), 0);
	assert_int_equal(ns, T0 + 123456789);
	assert_int_equal(replay_parse_time("2026-11-21T05:47:00Z", &ns), 0);
	assert_int_equal(ns, T0);
	assert_int_equal(replay_parse_time("2026-11-21T05:47:00.5Z", &ns), 0);
	assert_int_equal(ns, T0 + 500 * MS);
	assert_int_equal(replay_parse_time("2026-11-21T05:47:00.1234567891Z", &ns), 0);
	assert_int_equal(ns, T0 + 123456789);
	assert_int_equal(replay_parse_time("2026-11-21T07:47:00+02:00", &ns), 0);
	assert_int_equal(ns, T0);
	assert_int_equal(replay_parse_time("1970-01-01T00:00:00Z", &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(replay_parse_time("2026-02-30T00:00:00Z", &ns), -EINVAL);
	assert_int_equal(replay_parse_time("2026-11-21T05:47:00", &ns), -EINVAL);
	assert_int_equal(replay_parse_time("2026-11-21T05:47:00.Z", &ns), -EINVAL);
	assert_int_equal(replay_parse_time("2026-11-21 05:47:00Z", &ns), -EINVAL);
	assert_int_equal(replay_parse_time("2026-11-21T05:47:00Zjunk", &ns), -EINVAL);
	assert_int_equal(replay_parse_time("", &ns), -EINVAL);
}

static void assert_place_equal(const struct place *a, const struct place *b)
{
	assert_int_equal(a->cgroup_id, b->cgroup_id);
	assert_int_equal(a->pidns, b->pidns);
	assert_int_equal(a->in_container, b->in_container);
	if (b->cgroup)
		assert_string_equal(a->cgroup, b->cgroup);
	else
		assert_null(a->cgroup);
	if (b->in_container) {
		assert_string_equal(a->ctr.id, b->ctr.id);
		assert_string_equal(a->ctr.runtime, b->ctr.runtime);
	}
}

/* What tree_snapshot_json writes, a replay reads back into the same model. */
static void test_snapshot_round_trip(void **state)
{
	struct world *w = *state;
	struct model copy;
	struct recorder rec2;
	struct wallclock clock = { .boot_to_real_ns = 0, .cached_sec = -1 };
	struct outbuf ob;
	struct formatter f = { .ob = &ob, .clock = &clock, .json = true, .places = &w->m.places };
	struct proctable_iter it;
	struct proc *p;
	FILE *tmp = tmpfile();
	struct pl_event evs[] = {
		ev_fork(T0, 1, 1 * MS, 0, 0, 0, "init"),
		ev_fork(T0 + 1, 10, 5 * MS, 1, 1 * MS, 1, "sh"),
		ev_thread(T0 + 2, 10, 5 * MS, 11, 1, "sh"),
		ev_fork(T0 + 3, 20, 7 * MS, 10, 5 * MS, 11, "sh"),
		ev_exec(T0 + 4, 20, 7 * MS, 10, 20, "/bin/sleep", "sleep"),
		ev_fork(T0 + 5, 30, 8 * MS, 20, 7 * MS, 20, "sleep"),
		ev_exit(T0 + 6, 20, 7 * MS, 10, 20, true, 9, 1, PL_REAPER_INIT),
	};

	assert_non_null(tmp);
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		/* 20 and its child run in a container, 20 as its pid namespace's init. */
		if (evs[i].pid >= 20) {
			evs[i].cgroup_id = 804;
			evs[i].pidns = 4026532179U;
			evs[i].ns_pid = evs[i].pid == 20 ? 1 : 2;
			model_place(&w->m, &evs[i]);
			places_set_path(&w->m.places, evs[i].place, "/docker/"
					"89daa40e20871ab58d6e9cade3a175b34dc73388671c414c6f644edfc94a8011");
		}
		assert_int_equal(model_apply(&w->m, &evs[i]), 0);
	}
	assert_int_equal(outbuf_init(&ob, fileno(tmp), 4096), 0);
	assert_int_equal(tree_snapshot_json(&f, &w->m, T0 + 2 * SEC), 0);
	assert_int_equal(outbuf_flush(&ob), 0);
	outbuf_free(&ob);
	rewind(tmp);

	assert_int_equal(fixture_model(&copy, &rec2), 0);
	w->r.model = &copy;
	assert_int_equal(replay_run(&w->r, tmp), 0);
	fclose(tmp);
	assert_int_equal(copy.table.count, w->m.table.count);
	proctable_iter_init(&it, &w->m.table);
	while ((p = proctable_iter_next(&it))) {
		struct proc *q = proctable_find(&copy.table, p->pid, p->start_ns);

		assert_non_null(q);
		assert_int_equal(q->ppid, p->ppid);
		assert_int_equal(q->parent ? q->parent->pid : 0, p->parent ? p->parent->pid : 0);
		assert_string_equal(q->comm, p->comm);
		assert_string_equal(q->filename, p->filename);
		assert_int_equal(q->state, p->state);
		assert_int_equal(q->nthreads, p->nthreads);
		assert_int_equal(q->ptid, p->ptid);
		assert_int_equal(q->nzombies, p->nzombies);
		assert_int_equal(q->flags & (PROC_ORPHAN | PROC_EXIT_SEEN),
				 p->flags & (PROC_ORPHAN | PROC_EXIT_SEEN));
		assert_int_equal(q->orphan_ppid, p->orphan_ppid);
		assert_int_equal(q->orphan_rule, p->orphan_rule);
		assert_place_equal(places_get(&copy.places, q->place), places_get(&w->m.places, p->place));
		assert_int_equal(q->ns_pid, p->place ? p->ns_pid : 0);
		if (p->state == PROC_ZOMBIE) {
			assert_int_equal(q->exit_ns, p->exit_ns);
			assert_int_equal(q->status, p->status);
		}
	}
	model_free(&copy);
}

/* A model of n processes, each with a long path, written as a snapshot into a temporary file. */
static FILE *big_snapshot(struct world *w, uint32_t n, size_t *lines)
{
	struct wallclock clock = { .boot_to_real_ns = 0, .cached_sec = -1 };
	struct outbuf ob;
	struct formatter f = { .ob = &ob, .clock = &clock, .json = true };
	FILE *tmp = tmpfile();
	char path[128], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t id = 0;
	struct pl_event ev;

	assert_non_null(tmp);
	ev = ev_fork(T0, 1, 1 * MS, 0, 0, 0, "init");
	assert_int_equal(model_apply(&w->m, &ev), 0);
	for (uint32_t pid = 100; pid < 100 + n; pid++) {
		snprintf(path, sizeof(path), "/opt/some/rather/long/path/to/a/worker/binary-%u", pid);
		ev = ev_fork(T0 + pid, pid, pid * MS, 1, 1 * MS, 1, "init");
		assert_int_equal(model_apply(&w->m, &ev), 0);
		ev = ev_exec(T0 + pid, pid, pid * MS, 1, pid, path, "worker");
		assert_int_equal(model_apply(&w->m, &ev), 0);
	}
	assert_int_equal(outbuf_init(&ob, fileno(tmp), 4096), 0);
	assert_int_equal(tree_snapshot_json(&f, &w->m, T0 + 2 * SEC), 0);
	assert_int_equal(outbuf_flush(&ob), 0);
	outbuf_free(&ob);
	rewind(tmp);
	/* Every part within a shipper's 64 KiB, all of one snapshot, numbered in order. */
	*lines = 0;
	while ((len = getline(&line, &cap, tmp)) > 0) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);

		assert_non_null(o);
		assert_true(len <= 65536);
		++*lines;
		if (!id)
			id = json_integer_value(json_object_get(o, "snapshot_id"));
		assert_int_equal(json_integer_value(json_object_get(o, "snapshot_id")), id);
		assert_int_equal(json_integer_value(json_object_get(o, "part")), *lines);
		json_decref(o);
	}
	free(line);
	rewind(tmp);
	return tmp;
}

/* A big host's snapshot comes in parts; the replay puts them back together. */
static void test_snapshot_parts(void **state)
{
	struct world *w = *state;
	struct model copy;
	struct recorder rec2;
	size_t lines;
	FILE *tmp = big_snapshot(w, 3000, &lines);

	assert_true(lines > 3);
	assert_int_equal(fixture_model(&copy, &rec2), 0);
	w->r.model = &copy;
	assert_int_equal(replay_run(&w->r, tmp), 0);
	fclose(tmp);
	assert_int_equal(copy.table.count, w->m.table.count);
	assert_non_null(proctable_find(&copy.table, 3099, 3099 * MS));
	assert_string_equal(proctable_find(&copy.table, 3099, 3099 * MS)->filename,
			    "/opt/some/rather/long/path/to/a/worker/binary-3099");
	model_free(&copy);
}

/* A part lost on the way: the snapshot is not applied, and the replay says so. */
static void test_snapshot_part_missing(void **state)
{
	struct world *w = *state;
	struct model copy;
	struct recorder rec2;
	size_t lines, cap = 0, n = 0;
	FILE *tmp = big_snapshot(w, 3000, &lines), *cut = tmpfile();
	char *line = NULL;

	assert_non_null(cut);
	while (getline(&line, &cap, tmp) > 0)
		if (++n != 2)
			fputs(line, cut);
	fputs("{\"type\":\"fork\",\"time\":\"2026-11-21T05:48:00Z\",\"pid\":7,\"tid\":7,"
	      "\"ppid\":0,\"comm\":\"x\",\"start_ns\":7,\"thread\":false}\n", cut);
	free(line);
	fclose(tmp);
	rewind(cut);
	assert_int_equal(fixture_model(&copy, &rec2), 0);
	w->r.model = &copy;
	assert_int_equal(replay_run(&w->r, cut), 1);
	fclose(cut);
	fflush(w->err);
	assert_non_null(strstr(w->errors, "lacks part 2 of"));
	assert_non_null(strstr(w->errors, "it is skipped"));
	/* Only the fork: the incomplete snapshot seeded nothing. */
	assert_int_equal(copy.table.count, 1);
	model_free(&copy);
}

/* A start line of another boot: the pids before it are other processes. */
static void test_start_lines(void **state)
{
	struct world *w = *state;
	static const char trace[] =
		"{\"type\":\"start\",\"time\":\"2026-11-21T05:47:00Z\",\"host\":\"a\","
		"\"boot_id\":\"11111111-1111-1111-1111-111111111111\",\"kernel\":\"6.1.0\","
		"\"version\":\"0.1.0\",\"schema\":1}\n"
		"{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:01Z\",\"pid\":7,\"tid\":7,"
		"\"ppid\":0,\"comm\":\"x\",\"start_ns\":7,\"thread\":false,\"host\":\"a\","
		"\"boot_id\":\"11111111-1111-1111-1111-111111111111\"}\n"
		"{\"type\":\"start\",\"time\":\"2026-11-21T05:47:02Z\",\"host\":\"a\","
		"\"boot_id\":\"11111111-1111-1111-1111-111111111111\",\"kernel\":\"6.1.0\","
		"\"version\":\"0.1.0\",\"schema\":1}\n";
	static const char reboot[] =
		"{\"type\":\"start\",\"time\":\"2026-11-21T05:49:00Z\",\"host\":\"a\","
		"\"boot_id\":\"22222222-2222-2222-2222-222222222222\",\"kernel\":\"6.1.0\","
		"\"version\":\"0.1.0\",\"schema\":1}\n";
	char both[sizeof(trace) + sizeof(reboot)];

	/* A restart on the same boot keeps the model. */
	assert_int_equal(replay_text(w, trace), 0);
	assert_int_equal(w->m.table.count, 1);
	snprintf(both, sizeof(both), "%s%s", trace, reboot);
	assert_int_equal(replay_text(w, both), 0);
	assert_int_equal(w->m.table.count, 0);
	assert_int_equal(replay_text(w, "{\"type\":\"start\",\"time\":\"2026-11-21T05:49:00Z\"}\n"), 1);
}

#define START_LINE(schema) "{\"type\":\"start\",\"time\":\"2026-11-21T05:47:00Z\"," \
	"\"host\":\"a\",\"boot_id\":\"11111111-1111-1111-1111-111111111111\"," \
	"\"kernel\":\"6.1.0\",\"version\":\"9.0.0\",\"schema\":" schema "}\n"
#define FORK_OF(pid) "{\"type\":\"fork\",\"time\":\"2026-11-21T05:47:01Z\",\"pid\":" pid "," \
	"\"tid\":" pid ",\"ppid\":1,\"comm\":\"x\",\"start_ns\":" pid ",\"thread\":false}\n"

/*
 * A newer schema may mean other things by the same fields: the replay stops
 * at its start line and says so; what came before is kept. An older or equal
 * one is read.
 */
static void test_newer_schema_refused(void **state)
{
	struct world *w = *state;
	char want[160];

	snprintf(want, sizeof(want), "proclife: trace.jsonl:3: schema %d is newer than this "
		 "proclife reads (%d): the rest is not read\n", PL_SCHEMA_VERSION + 1, PL_SCHEMA_VERSION);
	assert_int_equal(PL_SCHEMA_VERSION, 1);
	assert_int_equal(replay_text(w, START_LINE("1") FORK_OF("7") START_LINE("2") FORK_OF("8")), 1);
	assert_string_equal(w->errors, want);
	assert_int_equal(w->r.bad, 1);
	assert_int_equal(w->r.events, 1);
	assert_non_null(proctable_find_pid(&w->m.table, 7));
	assert_null(proctable_find_pid(&w->m.table, 8));
}

static void test_older_schema_read(void **state)
{
	struct world *w = *state;

	assert_int_equal(replay_text(w, START_LINE("0") FORK_OF("7") START_LINE("1") FORK_OF("8")), 0);
	assert_int_equal(w->errors_len, 0);
	assert_int_equal(w->r.events, 2);
}

/* The live model orphans nobody in a dying namespace: a snapshot that says so is bad input. */
static void test_orphan_rule_checked(void **state)
{
	struct world *w = *state;

	expect_error(w, FORK_LINE "{\"type\":\"snapshot\",\"time\":\"2026-11-21T05:47:01Z\","
		     "\"procs\":[{\"pid\":30,\"ppid\":1,\"comm\":\"job\",\"start_ns\":9,"
		     "\"orphan_of\":25,\"reaper_rule\":\"pidns_dying\"}]}\n",
		     "\"reaper_rule\" of an orphan is not \"thread\", \"subreaper\" or \"init\"");
	/* All or nothing: the snapshot did not replace the model. */
	assert_null(proctable_find_pid(&w->m.table, 30));
	assert_non_null(proctable_find_pid(&w->m.table, 20));
	expect_error(w, FORK_LINE "{\"type\":\"snapshot\",\"time\":\"2026-11-21T05:47:01Z\","
		     "\"procs\":[{\"pid\":30,\"ppid\":1,\"comm\":\"job\",\"start_ns\":9,"
		     "\"orphan_of\":25}]}\n",
		     "\"orphan_of\" and \"reaper_rule\" come together");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_fixture_with_bad_line),
		T(test_error_messages),
		T(test_late_joiner),
		T(test_snapshot_reseeds),
		T(test_until_stops_early),
		T(test_until_epoch),
		T(test_threads_without_exits),
		T(test_parse_time),
		T(test_snapshot_round_trip),
		T(test_snapshot_parts),
		T(test_snapshot_part_missing),
		T(test_start_lines),
		T(test_rename_and_siginfo_read_back),
		T(test_newer_schema_refused),
		T(test_older_schema_read),
		T(test_orphan_rule_checked),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
