#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "clock.h"
#include "model_fixture.h"
#include "procscan.h"

/* The fake /proc next to this source file (the build runs from the top directory). */
static void data_path(char *out, size_t size, const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;

	snprintf(out, size, "%.*s/data/%s", dir, slash ? __FILE__ : ".", name);
}

struct world {
	struct model m;
	struct recorder rec;
	struct procscan_stats st;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w || fixture_model(&w->m, &w->rec))
		return -1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	model_free(&w->m);
	free(w);
	return 0;
}

static void scan_fake(struct world *w)
{
	char root[512];

	data_path(root, sizeof(root), "proc");
	assert_int_equal(procscan_run(&w->m, root, &w->st), 0);
}

static void test_scan_fake_tree(void **state)
{
	struct world *w = *state;
	struct proc *init, *kthreadd, *app, *dead;

	scan_fake(w);
	assert_int_equal(w->st.procs, 5);
	assert_int_equal(w->st.vanished, 2);
	assert_int_equal(w->st.malformed, 1);
	assert_int_equal(w->m.table.count, 5);

	init = proctable_find_pid(&w->m.table, 1);
	kthreadd = proctable_find_pid(&w->m.table, 2);
	app = proctable_find_pid(&w->m.table, 100);
	dead = proctable_find_pid(&w->m.table, 101);
	assert_non_null(init);
	assert_non_null(kthreadd);
	assert_non_null(app);
	assert_non_null(dead);

	assert_string_equal(init->comm, "systemd");
	assert_string_equal(init->filename, "/usr/lib/systemd/systemd");
	assert_null(init->parent);
	assert_null(kthreadd->parent);
	assert_string_equal(kthreadd->filename, "");

	/* comm holds spaces and parentheses; the stat line ends it at the last ')'. */
	assert_string_equal(app->comm, "my (weird) name");
	assert_int_equal(app->start_ns, 1234 * 10 * MS);
	assert_true(app->flags & PROC_COARSE);
	assert_true(app->flags & PROC_FROM_SCAN);
	assert_int_equal(app->nthreads, 3);
	assert_ptr_equal(app->parent, init);
	assert_int_equal(app->nzombies, 1);

	assert_int_equal(dead->state, PROC_ZOMBIE);
	assert_ptr_equal(dead->parent, app);
	assert_int_equal(dead->status, 256);
	assert_false(dead->flags & PROC_EXIT_SEEN);
}

/* A zombie found at start-up is leaked once it has waited the threshold since then. */
static void test_scanned_zombie_counts_from_start(void **state)
{
	struct world *w = *state;
	uint64_t now;

	scan_fake(w);
	now = boottime_now_ns();
	model_tick(&w->m, now + 4 * SEC);
	assert_int_equal(w->rec.nzombies, 0);
	model_tick(&w->m, now + 6 * SEC);
	assert_int_equal(w->rec.nzombies, 1);
	assert_int_equal(w->rec.zombies[0].pid, 101);
	assert_int_equal(w->rec.zombies[0].ppid, 100);
	assert_string_equal(w->rec.zombies[0].parent_comm, "my (weird) name");
	assert_int_equal(w->rec.zombies[0].parent_zombies, 1);
}

/* The first event about a scanned process pins its exact start time. */
static void test_event_matches_scanned_process(void **state)
{
	struct world *w = *state;
	uint64_t exact = 1234 * 10 * MS + 7 * MS;
	struct pl_event ev = ev_exec(boottime_now_ns() + SEC, 100, exact, 1, 100, "/opt/app/bin/app2",
				     "app2");
	struct pl_event reap = ev_reap(boottime_now_ns() + 2 * SEC, 101, 1300 * 10 * MS + 9 * MS, 100);
	struct proc *app;

	scan_fake(w);
	assert_int_equal(model_apply(&w->m, &ev), 0);
	assert_int_equal(w->m.table.count, 5);
	app = proctable_find(&w->m.table, 100, exact);
	assert_non_null(app);
	assert_int_equal(app->start_ns, exact);
	assert_false(app->flags & PROC_COARSE);
	assert_string_equal(app->comm, "app2");
	assert_int_equal(app->nthreads, 1);

	/* Its exit was before tracing: how long it was a zombie is unknown. */
	assert_int_equal(model_apply(&w->m, &reap), 0);
	assert_int_equal(reap.reap.zombie_ns, -1);
	assert_int_equal(w->m.table.count, 4);
	assert_int_equal(app->nzombies, 0);
}

/*
 * A main thread that called pthread_exit shows Z while two other threads
 * run (num_threads 3): the process is alive.
 */
static void test_ended_leader_is_alive(void **state)
{
	struct world *w = *state;
	struct proc *p;
	char root[512];

	scan_fake(w);
	p = proctable_find_pid(&w->m.table, 105);
	assert_non_null(p);
	assert_int_equal(p->state, PROC_ALIVE);
	assert_int_equal(p->nthreads, 2);
	model_tick(&w->m, boottime_now_ns() + 60 * SEC);
	for (int i = 0; i < (int)w->rec.nzombies; i++)
		assert_int_not_equal(w->rec.zombies[i].pid, 105);

	data_path(root, sizeof(root), "proc");
	assert_int_equal(procscan_zombie(root, 105, 1400), 0);
	assert_int_equal(procscan_zombie(root, 101, 1300), 1);
	/* The same pid, another process. */
	assert_int_equal(procscan_zombie(root, 101, 1299), 0);
	assert_int_equal(procscan_zombie(root, 999, 1300), 0);
}

/*
 * A model whose events lack threads' ends takes its thread counts from
 * /proc, for the processes whose start tick matches: 100 has three
 * threads, 105's ended leader is none; 101 is another process's pid now
 * and 999 is gone, so theirs stay.
 */
static void test_threads_from_proc(void **state)
{
	struct world *w = *state;
	struct pl_event forks[] = {
		ev_fork(SEC, 100, 1234 * 10 * MS + 3 * MS, 1, 0, 1, "app"),
		ev_fork(SEC, 105, 1400 * 10 * MS, 1, 0, 1, "threaded"),
		ev_fork(SEC, 101, 1299 * 10 * MS, 1, 0, 1, "old"),
		ev_fork(SEC, 999, 1500 * 10 * MS, 1, 0, 1, "gone"),
		ev_thread(2 * SEC, 101, 1299 * 10 * MS, 1010, 1, "old"),
		ev_thread(2 * SEC, 999, 1500 * 10 * MS, 9990, 1, "gone"),
	};
	char root[512];

	for (size_t i = 0; i < sizeof(forks) / sizeof(forks[0]); i++)
		assert_int_equal(model_apply(&w->m, &forks[i]), 0);
	data_path(root, sizeof(root), "proc");
	assert_int_equal(procscan_threads(&w->m, root), 0);
	assert_int_equal(proctable_find_pid(&w->m.table, 100)->nthreads, 3);
	assert_int_equal(proctable_find_pid(&w->m.table, 105)->nthreads, 2);
	assert_int_equal(proctable_find_pid(&w->m.table, 101)->nthreads, 2);
	assert_int_equal(proctable_find_pid(&w->m.table, 999)->nthreads, 2);
	data_path(root, sizeof(root), "no-such-proc");
	assert_int_equal(procscan_threads(&w->m, root), -ENOENT);
}

static void test_scan_missing_root(void **state)
{
	struct world *w = *state;
	char root[512];

	data_path(root, sizeof(root), "no-such-proc");
	assert_int_equal(procscan_run(&w->m, root, &w->st), -ENOENT);
}

/* The real /proc: this test process is there, under its parent. */
static void test_scan_real_proc(void **state)
{
	struct world *w = *state;
	struct proc *self;

	assert_int_equal(procscan_run(&w->m, "/proc", &w->st), 0);
	assert_true(w->st.procs > 1);
	assert_int_equal(w->st.malformed, 0);
	self = proctable_find_pid(&w->m.table, getpid());
	assert_non_null(self);
	assert_int_equal(self->ppid, getppid());
	assert_int_equal(self->state, PROC_ALIVE);
	assert_true(self->start_ns <= boottime_now_ns());
	/* A parent outside this pid namespace shows as 0 and is not in /proc. */
	if (getppid()) {
		assert_non_null(self->parent);
		assert_int_equal(self->parent->pid, getppid());
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_scan_fake_tree),
		T(test_scanned_zombie_counts_from_start),
		T(test_event_matches_scanned_process),
		T(test_ended_leader_is_alive),
		T(test_threads_from_proc),
		T(test_scan_missing_root),
		T(test_scan_real_proc),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
