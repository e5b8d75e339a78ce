#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "format.h"
#include "model_fixture.h"
#include "report.h"
#include "tree.h"

/* 2026-11-21T05:47:00Z: with boot_to_real_ns 0, event times are wall times. */
#define T0 (1795240020ULL * SEC)

struct world {
	struct model m;
	struct recorder rec;
	struct wallclock clock;
	struct outbuf ob;
	struct formatter f;
	FILE *tmp;
	char text[65536];
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	/* The readable stream prints local time. */
	setenv("TZ", "UTC", 1);
	tzset();
	if (!w || fixture_model(&w->m, &w->rec))
		return -1;
	w->tmp = tmpfile();
	if (!w->tmp || outbuf_init(&w->ob, fileno(w->tmp), 1024))
		return -1;
	w->clock = (struct wallclock){ .boot_to_real_ns = 0, .cached_sec = -1 };
	w->f = (struct formatter){ .ob = &w->ob, .clock = &w->clock };
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	outbuf_free(&w->ob);
	fclose(w->tmp);
	model_free(&w->m);
	free(w);
	return 0;
}

/* What was written since the last call. */
static const char *output(struct world *w)
{
	size_t n;

	assert_int_equal(outbuf_flush(&w->ob), 0);
	rewind(w->tmp);
	n = fread(w->text, 1, sizeof(w->text) - 1, w->tmp);
	w->text[n] = '\0';
	rewind(w->tmp);
	assert_int_equal(ftruncate(fileno(w->tmp), 0), 0);
	return w->text;
}

static void apply(struct world *w, struct pl_event ev)
{
	assert_int_equal(model_apply(&w->m, &ev), 0);
}

/*
 * init 1 with sh 10 (a two-thread shell running a worker 20 that left a
 * zombie 21 and whose child 30 was orphaned to init) and a kthreadd 2.
 */
static void build_host(struct world *w)
{
	model_seed_begin(&w->m);
	assert_int_equal(model_seed_add(&w->m, &(struct model_seed){
		.pid = 2, .start_ns = 0, .coarse = true, .from_scan = true, .comm = "kthreadd" }), 0);
	assert_int_equal(model_seed_add(&w->m, &(struct model_seed){
		.pid = 1, .start_ns = 0, .coarse = true, .from_scan = true, .comm = "init",
		.filename = "/sbin/init" }), 0);
	assert_int_equal(model_seed_add(&w->m, &(struct model_seed){
		.pid = 3, .ppid = 2, .start_ns = 0, .coarse = true, .from_scan = true,
		.comm = "kworker\n0", .zombie = true, .exit_ns = T0 - 2 * SEC }), 0);
	model_seed_end(&w->m, 0);
	apply(w, ev_fork(T0, 10, 5 * SEC, 1, 0, 1, "sh"));
	apply(w, ev_thread(T0 + 1, 10, 5 * SEC, 11, 1, "sh"));
	apply(w, ev_fork(T0 + 2, 20, 6 * SEC, 10, 5 * SEC, 10, "sh"));
	apply(w, ev_exec(T0 + 3, 20, 6 * SEC, 10, 20, "/usr/bin/worker", "worker"));
	apply(w, ev_fork(T0 + 4, 21, 7 * SEC, 20, 6 * SEC, 20, "worker"));
	apply(w, ev_fork(T0 + 5, 22, 7 * SEC + 1, 20, 6 * SEC, 20, "worker"));
	apply(w, ev_fork(T0 + 6, 23, 7 * SEC + 2, 10, 5 * SEC, 10, "sh"));
	apply(w, ev_fork(T0 + 7, 30, 8 * SEC, 23, 7 * SEC + 2, 23, "daemon"));
	apply(w, ev_exit(T0 + 1 * SEC, 21, 7 * SEC, 20, 21, true, 2 << 8, 0, PL_REAPER_NONE));
	apply(w, ev_exit(T0 + 2 * SEC, 23, 7 * SEC + 2, 10, 23, true, 0, 1, PL_REAPER_INIT));
	apply(w, ev_reap(T0 + 2 * SEC + 1, 23, 7 * SEC + 2, 10));
}

static void test_text_tree(void **state)
{
	struct world *w = *state;

	build_host(w);
	assert_int_equal(tree_print(&w->f, &w->m, T0 + 4 * SEC), 0);
	assert_string_equal(output(w),
		"1 init\n"
		"|-- 10 sh {2 threads}\n"
		"|   `-- 20 worker\n"
		"|       |-- 21 worker <zombie 3.000 s>\n"
		"|       `-- 22 worker\n"
		"`-- 30 daemon (orphan of 23, adopted by init)\n"
		"2 kthreadd\n"
		"`-- 3 kworker\\x0a0 <zombie for more than 6.000 s (age unknown: older than proclife)>\n");
}

static void test_zombie_table(void **state)
{
	struct world *w = *state;

	build_host(w);
	/* Only leaked zombies: worker 21, a zombie for 3 s, is under the threshold. */
	assert_int_equal(tree_print_zombies(&w->f, &w->m, T0 + 4 * SEC), 0);
	assert_string_equal(output(w),
		"PID     PPID    COMM             ZOMBIE FOR   PARENT\n"
		"3       2       kworker\\x0a0        >=6.000 s    kthreadd (1 unreaped)\n");
}

/* A chain as deep as there are processes renders without recursion. */
static void test_deep_chain(void **state)
{
	struct world *w = *state;
	const uint32_t n = 3000;
	long size = 0;
	char tail[16];

	apply(w, ev_fork(T0, 1, 0, 0, 0, 0, "init"));
	for (uint32_t i = 2; i <= n; i++)
		apply(w, ev_fork(T0 + i, i, i, i - 1, i - 1, i - 1, "c"));
	assert_int_equal(tree_print(&w->f, &w->m, T0 + n), 0);
	assert_int_equal(outbuf_flush(&w->ob), 0);
	/* Line d (from 0) is 4 * d bytes of prefix and connector, then "pid comm\n". */
	for (uint32_t d = 0; d < n; d++)
		size += 4 * d + snprintf(tail, sizeof(tail), "%u %s\n", d + 1, d ? "c" : "init");
	assert_int_equal(fseek(w->tmp, 0, SEEK_END), 0);
	assert_int_equal(ftell(w->tmp), size);
	assert_int_equal(fseek(w->tmp, -12, SEEK_END), 0);
	assert_non_null(fgets(tail, sizeof(tail), w->tmp));
	assert_string_equal(tail, " `-- 3000 c\n");
}

static void test_report_text(void **state)
{
	struct world *w = *state;

	w->m.sink = report_sink(&w->f);
	build_host(w);
	apply(w, ev_thread(T0 + 3 * SEC, 20, 6 * SEC, 24, 10, "worker"));
	apply(w, ev_fork(T0 + 3 * SEC + 1, 40, 9 * SEC, 20, 6 * SEC, 24, "worker"));
	apply(w, ev_exit(T0 + 3 * SEC + 2, 20, 6 * SEC, 10, 24, false, 0, 20, PL_REAPER_THREAD));
	model_tick(&w->m, T0 + 5 * SEC + 500 * MS);
	assert_string_equal(output(w),
		"05:47:02.000000 orphan  30      1       daemon           parent 23 (sh) exited, adopted by init 1 (init)\n"
		"05:47:03.000000 orphan  40      20      worker           parent thread 24 of 20 (worker) ended, adopted by a sibling thread\n"
		"05:47:05.500000 zombie  3       2       kworker\\x0a0        not reaped for 7.500 s (since start-up) by parent 2 (kthreadd), which has 1 unreaped child\n");
	model_tick(&w->m, T0 + 30 * SEC);
	assert_string_equal(output(w),
		"05:47:30.000000 zombie  21      20      worker           not reaped for 29.000 s by parent 20 (worker), which has 1 unreaped child\n");
}

/* sh 10 as a subreaper: 50's child 60 goes to it, in the tree and in the orphan line. */
static void test_subreaper_orphan(void **state)
{
	struct world *w = *state;

	w->m.sink = report_sink(&w->f);
	build_host(w);
	output(w);
	apply(w, ev_fork(T0 + 3 * SEC, 50, 9 * SEC, 10, 5 * SEC, 10, "sh"));
	apply(w, ev_fork(T0 + 3 * SEC + 1, 60, 9 * SEC + 1, 50, 9 * SEC, 50, "job"));
	apply(w, ev_exit(T0 + 3 * SEC + 2, 50, 9 * SEC, 10, 50, true, 0, 10, PL_REAPER_SUBREAPER));
	assert_string_equal(output(w),
		"05:47:03.000000 orphan  60      10      job              parent 50 (sh) exited, adopted by subreaper 10 (sh)\n");
	apply(w, ev_reap(T0 + 3 * SEC + 3, 50, 9 * SEC, 10));
	assert_int_equal(tree_print(&w->f, &w->m, T0 + 4 * SEC), 0);
	assert_non_null(strstr(output(w), "|   `-- 60 job (orphan of 50, adopted by a subreaper)\n"));
}

static json_t *parse_line(const char *line)
{
	json_error_t err;
	json_t *o = json_loads(line, 0, &err);

	assert_non_null(o);
	return o;
}

static void test_report_json(void **state)
{
	struct world *w = *state;
	const char *out;
	json_t *o;

	w->f.json = true;
	w->m.sink = report_sink(&w->f);
	build_host(w);
	out = output(w);
	assert_string_equal(out,
		"{\"type\":\"orphan\",\"time\":\"2026-11-21T05:47:02.000000000Z\",\"pid\":30,\"ppid\":1,"
		"\"comm\":\"daemon\",\"start_ns\":8000000000,\"old_ppid\":23,\"old_parent_tid\":23,"
		"\"old_parent_comm\":\"sh\",\"old_parent_start_ns\":7000000002,\"parent_comm\":\"init\","
		"\"reaper_rule\":\"init\"}\n");
	model_tick(&w->m, T0 + 30 * SEC);
	out = output(w);
	assert_string_equal(out,
		"{\"type\":\"zombie\",\"time\":\"2026-11-21T05:47:30.000000000Z\",\"pid\":3,\"ppid\":2,"
		"\"comm\":\"kworker\\n0\",\"start_ns\":0,\"zombie_ns\":32000000000,"
		"\"zombie_since_scan\":true,\"parent_comm\":\"kthreadd\",\"parent_start_ns\":0,"
		"\"parent_zombies\":1}\n"
		"{\"type\":\"zombie\",\"time\":\"2026-11-21T05:47:30.000000000Z\",\"pid\":21,\"ppid\":20,"
		"\"comm\":\"worker\",\"start_ns\":7000000000,\"zombie_ns\":29000000000,\"exit_code\":2,"
		"\"core_dumped\":false,\"parent_comm\":\"worker\",\"parent_start_ns\":6000000000,"
		"\"parent_zombies\":1}\n");
	o = parse_line(strchr(out, '\n') + 1);
	assert_string_equal(json_string_value(json_object_get(o, "type")), "zombie");
	json_decref(o);
}

#define CTR_ID "89daa40e20871ab58d6e9cade3a175b34dc73388671c414c6f644edfc94a8011"
#define CTR_PIDNS 4026532179U

/* An event inside the container: its cgroup and pid namespace, as BPF reads them. */
static void apply_in_container(struct world *w, struct pl_event ev, uint32_t ns_pid)
{
	ev.cgroup_id = 804;
	ev.pidns = CTR_PIDNS;
	ev.ns_pid = ns_pid;
	model_place(&w->m, &ev);
	places_set_path(&w->m.places, ev.place, "/docker/" CTR_ID);
	apply(w, ev);
}

/*
 * runc 100 starts the container's init 200 (sleep, pid 1 inside), which
 * forked 201 (pid 2 inside) and never reaps it.
 */
static void build_container(struct world *w)
{
	w->f.places = &w->m.places;
	apply(w, ev_fork(T0, 1, 0, 0, 0, 0, "init"));
	apply(w, ev_fork(T0 + 1, 100, 1 * SEC, 1, 0, 1, "runc"));
	apply_in_container(w, ev_fork(T0 + 2, 200, 2 * SEC, 100, 1 * SEC, 100, "sh"), 1);
	apply_in_container(w, ev_fork(T0 + 3, 201, 3 * SEC, 200, 2 * SEC, 200, "worker"), 2);
	apply_in_container(w, ev_exec(T0 + 4, 200, 2 * SEC, 100, 200, "/bin/sleep", "sleep"), 1);
	apply_in_container(w, ev_exit(T0 + 1 * SEC, 201, 3 * SEC, 200, 201, true, 3 << 8, 0,
				      PL_REAPER_NONE), 2);
}

static void test_container_tree(void **state)
{
	struct world *w = *state;

	build_container(w);
	assert_int_equal(tree_print(&w->f, &w->m, T0 + 2 * SEC), 0);
	assert_string_equal(output(w),
		"1 init\n"
		"`-- 100 runc\n"
		"    `-- 200 sleep [container 89daa40e2087 docker]\n"
		"        `-- 201 worker <zombie 1.000 s>\n");
}

/* The leak named where it is, with its cause and the remedy. */
static void test_container_zombie_report(void **state)
{
	struct world *w = *state;

	w->m.sink = report_sink(&w->f);
	build_container(w);
	model_tick(&w->m, T0 + 7 * SEC);
	assert_string_equal(output(w),
		"05:47:07.000000 zombie  201     200     worker           not reaped for 6.000 s by parent "
		"200 (sleep, pid 1 in its namespace), which has 1 unreaped child; the container's PID 1 "
		"(sleep) does not reap; run it with an init that does (docker run --init, tini) "
		"ctr=89daa40e2087 nspid=2\n");
}

static void test_container_zombie_json(void **state)
{
	struct world *w = *state;
	json_t *o;

	w->f.json = true;
	w->m.sink = report_sink(&w->f);
	build_container(w);
	model_tick(&w->m, T0 + 7 * SEC);
	o = parse_line(output(w));
	assert_string_equal(json_string_value(json_object_get(o, "container_id")), CTR_ID);
	assert_string_equal(json_string_value(json_object_get(o, "container_runtime")), "docker");
	assert_string_equal(json_string_value(json_object_get(o, "cgroup")), "/docker/" CTR_ID);
	assert_int_equal(json_integer_value(json_object_get(o, "cgroup_id")), 804);
	assert_int_equal(json_integer_value(json_object_get(o, "pidns")), CTR_PIDNS);
	assert_int_equal(json_integer_value(json_object_get(o, "ns_pid")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "ppid")), 200);
	assert_int_equal(json_integer_value(json_object_get(o, "parent_ns_pid")), 1);
	assert_true(json_is_true(json_object_get(o, "parent_ns_init")));
	json_decref(o);
}

static void test_snapshot_json(void **state)
{
	struct world *w = *state;
	json_t *o, *procs;

	build_host(w);
	assert_int_equal(tree_snapshot_json(&w->f, &w->m, T0 + 4 * SEC), 0);
	o = parse_line(output(w));
	assert_string_equal(json_string_value(json_object_get(o, "type")), "snapshot");
	assert_string_equal(json_string_value(json_object_get(o, "time")),
			    "2026-11-21T05:47:04.000000000Z");
	assert_int_equal(json_integer_value(json_object_get(o, "clk_tck")), TICK_HZ);
	procs = json_object_get(o, "procs");
	assert_int_equal(json_array_size(procs), w->m.table.count);
	/* In pid order: 1, 2, 3, 10, ... */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(procs, 2), "pid")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(procs, 2), "zombie_ns")),
			 6 * SEC);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(procs, 3), "threads")), 2);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_text_tree),
		T(test_zombie_table),
		T(test_deep_chain),
		T(test_report_text),
		T(test_subreaper_orphan),
		T(test_report_json),
		T(test_snapshot_json),
		T(test_container_tree),
		T(test_container_zombie_report),
		T(test_container_zombie_json),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
