#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "model_fixture.h"

/* A shell (pid 10) under init (pid 1), both alive before the test's events. */
#define INIT_START (1 * MS)
#define SHELL_START (500 * MS)

struct world {
	struct model m;
	struct recorder rec;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct pl_event init = ev_fork(INIT_START, 1, INIT_START, 0, 0, 0, "init");
	struct pl_event shell = ev_fork(SHELL_START, 10, SHELL_START, 1, INIT_START, 1, "sh");

	if (!w || fixture_model(&w->m, &w->rec) || model_apply(&w->m, &init) ||
	    model_apply(&w->m, &shell))
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

static struct proc *find(struct world *w, uint32_t pid, uint64_t start)
{
	return proctable_find(&w->m.table, pid, start);
}

static void apply(struct world *w, struct pl_event ev)
{
	assert_int_equal(model_apply(&w->m, &ev), 0);
}

static void test_fork_links_child(void **state)
{
	struct world *w = *state;
	struct proc *sh = find(w, 10, SHELL_START), *c;

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	c = find(w, 20, 1 * SEC);
	assert_non_null(c);
	assert_ptr_equal(c->parent, sh);
	assert_int_equal(c->ppid, 10);
	assert_int_equal(c->ptid, 10);
	assert_int_equal(c->nthreads, 1);
	assert_int_equal(c->state, PROC_ALIVE);
	assert_ptr_equal(sh->child, c);
}

static void test_thread_fork_is_not_a_child(void **state)
{
	struct world *w = *state;
	struct proc *sh = find(w, 10, SHELL_START);
	size_t before = w->m.table.count;

	apply(w, ev_thread(1 * SEC, 10, SHELL_START, 11, 1, "sh"));
	apply(w, ev_thread(1 * SEC + 1, 10, SHELL_START, 12, 1, "sh"));
	assert_int_equal(w->m.table.count, before);
	assert_int_equal(sh->nthreads, 3);
	assert_null(sh->child);
	apply(w, ev_exit(2 * SEC, 10, SHELL_START, 1, 12, false, 0, 0, PL_REAPER_NONE));
	assert_int_equal(sh->nthreads, 2);
	assert_int_equal(sh->state, PROC_ALIVE);
}

static void test_exec_updates_name(void **state)
{
	struct world *w = *state;
	struct proc *c;

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	apply(w, ev_exec(1 * SEC + MS, 20, 1 * SEC, 10, 20, "/usr/bin/sleep", "sleep"));
	c = find(w, 20, 1 * SEC);
	assert_string_equal(c->comm, "sleep");
	assert_string_equal(c->filename, "/usr/bin/sleep");
}

/*
 * Thread 31 of process 30 execs: it takes pid 30, the other threads are
 * gone, and a child it forked now has thread 30 as its parent thread.
 */
static void test_non_leader_exec(void **state)
{
	struct world *w = *state;
	struct proc *p, *c;

	apply(w, ev_fork(1 * SEC, 30, 1 * SEC, 10, SHELL_START, 10, "sh"));
	apply(w, ev_thread(1 * SEC + 1, 30, 1 * SEC, 31, 10, "sh"));
	apply(w, ev_thread(1 * SEC + 2, 30, 1 * SEC, 32, 10, "sh"));
	apply(w, ev_fork(1 * SEC + 3, 40, 1 * SEC + 3, 30, 1 * SEC, 31, "sh"));
	apply(w, ev_exit(1 * SEC + 4, 30, 1 * SEC, 10, 32, false, 0, 30, PL_REAPER_NONE));
	apply(w, ev_exit(1 * SEC + 5, 30, 1 * SEC, 10, 30, false, 0, 30, PL_REAPER_NONE));
	apply(w, ev_exec(1 * SEC + 6, 30, 1 * SEC, 10, 31, "/bin/true", "true"));
	p = find(w, 30, 1 * SEC);
	c = find(w, 40, 1 * SEC + 3);
	assert_non_null(p);
	assert_int_equal(w->m.table.count, 4);
	assert_int_equal(p->nthreads, 1);
	assert_int_equal(p->state, PROC_ALIVE);
	assert_string_equal(p->comm, "true");
	assert_ptr_equal(c->parent, p);
	assert_int_equal(c->ptid, 30);
}

/*
 * The kernel frees the pid before sched_process_free fires: a new process
 * with the old pid can fork before the old one's reap event arrives.
 */
static void test_pid_reuse_before_reap(void **state)
{
	struct world *w = *state;
	struct proc *sh = find(w, 10, SHELL_START), *old, *young;
	struct pl_event reap;

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	apply(w, ev_exec(1 * SEC + 1, 20, 1 * SEC, 10, 20, "/bin/old", "old"));
	apply(w, ev_exit(2 * SEC, 20, 1 * SEC, 10, 20, true, 0, 0, PL_REAPER_NONE));
	old = find(w, 20, 1 * SEC);
	assert_int_equal(old->state, PROC_ZOMBIE);
	assert_int_equal(sh->nzombies, 1);

	apply(w, ev_fork(2 * SEC + 30 * MS, 20, 2 * SEC + 30 * MS, 10, SHELL_START, 10, "sh"));
	young = find(w, 20, 2 * SEC + 30 * MS);
	assert_non_null(young);
	assert_ptr_not_equal(young, old);
	assert_ptr_equal(proctable_find_pid(&w->m.table, 20), young);

	reap = ev_reap(2 * SEC + 40 * MS, 20, 1 * SEC, 10);
	assert_int_equal(model_apply(&w->m, &reap), 0);
	assert_int_equal(reap.reap.zombie_ns, 40 * MS);
	assert_null(find(w, 20, 1 * SEC));
	assert_ptr_equal(find(w, 20, 2 * SEC + 30 * MS), young);
	assert_int_equal(young->state, PROC_ALIVE);
	assert_string_equal(young->comm, "sh");
	assert_ptr_equal(young->parent, sh);
	assert_int_equal(sh->nzombies, 0);
}

static void test_reap_reports_zombie_time(void **state)
{
	struct world *w = *state;
	struct pl_event reap = ev_reap(2 * SEC + 250 * MS, 20, 1 * SEC, 10);
	struct pl_event unknown = ev_reap(3 * SEC, 999, 7, 1);

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	apply(w, ev_exit(2 * SEC, 20, 1 * SEC, 10, 20, true, 0, 0, PL_REAPER_NONE));
	assert_int_equal(model_apply(&w->m, &reap), 0);
	assert_int_equal(reap.reap.zombie_ns, 250 * MS);
	assert_int_equal(model_apply(&w->m, &unknown), 0);
	assert_int_equal(unknown.reap.zombie_ns, -1);
}

static void test_short_zombie_not_reported(void **state)
{
	struct world *w = *state;

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	apply(w, ev_exit(2 * SEC, 20, 1 * SEC, 10, 20, true, 0, 0, PL_REAPER_NONE));
	model_tick(&w->m, 2 * SEC + 100 * MS);
	apply(w, ev_reap(2 * SEC + 200 * MS, 20, 1 * SEC, 10));
	model_tick(&w->m, 60 * SEC);
	assert_int_equal(w->rec.nzombies, 0);
}

static void test_autoreap_never_reported(void **state)
{
	struct world *w = *state;
	struct pl_event ev;

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	ev = ev_exit(2 * SEC, 20, 1 * SEC, 10, 20, true, 0, 0, PL_REAPER_NONE);
	ev.exit.parent_autoreap = true;
	apply(w, ev);
	assert_int_equal(find(w, 10, SHELL_START)->nzombies, 0);
	model_tick(&w->m, 60 * SEC);
	assert_int_equal(w->rec.nzombies, 0);
}

/* Two zombies of the shell: the old one is reported once, blaming the shell. */
static void test_leaked_zombie_reported_once(void **state)
{
	struct world *w = *state;

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	apply(w, ev_fork(1 * SEC + 1, 21, 1 * SEC + 1, 10, SHELL_START, 10, "sh"));
	apply(w, ev_exec(1 * SEC + 2, 20, 1 * SEC, 10, 20, "/bin/worker", "worker"));
	apply(w, ev_exit(2 * SEC, 20, 1 * SEC, 10, 20, true, 1 << 8, 0, PL_REAPER_NONE));
	apply(w, ev_exit(5 * SEC, 21, 1 * SEC + 1, 10, 21, true, 0, 0, PL_REAPER_NONE));
	model_tick(&w->m, 6 * SEC);
	assert_int_equal(w->rec.nzombies, 0);
	model_tick(&w->m, 7 * SEC + 100 * MS);
	assert_int_equal(w->rec.nzombies, 1);
	assert_int_equal(w->rec.zombies[0].pid, 20);
	assert_int_equal(w->rec.zombies[0].ppid, 10);
	assert_true(w->rec.zombies[0].has_parent);
	assert_string_equal(w->rec.zombies[0].parent_comm, "sh");
	assert_int_equal(w->rec.zombies[0].parent_zombies, 2);
	assert_int_equal(w->rec.zombies[0].age_ns, 5 * SEC + 100 * MS);
	assert_int_equal(find(w, 20, 1 * SEC)->status, 1 << 8);
	model_tick(&w->m, 8 * SEC);
	assert_int_equal(w->rec.nzombies, 1);
	model_tick(&w->m, 10 * SEC);
	assert_int_equal(w->rec.nzombies, 2);
	assert_int_equal(w->rec.zombies[1].pid, 21);
	model_tick(&w->m, 100 * SEC);
	assert_int_equal(w->rec.nzombies, 2);
}

/* A subreaper 50 runs 60, which runs 70; 60 exits and 70 goes to 50. */
static void test_orphan_to_subreaper(void **state)
{
	struct world *w = *state;
	struct proc *sub, *c;

	apply(w, ev_fork(1 * SEC, 50, 1 * SEC, 10, SHELL_START, 10, "svc"));
	apply(w, ev_fork(2 * SEC, 60, 2 * SEC, 50, 1 * SEC, 50, "svc"));
	apply(w, ev_fork(3 * SEC, 70, 3 * SEC, 60, 2 * SEC, 60, "svc"));
	apply(w, ev_exit(4 * SEC, 60, 2 * SEC, 50, 60, true, 0, 50, PL_REAPER_SUBREAPER));
	sub = find(w, 50, 1 * SEC);
	c = find(w, 70, 3 * SEC);
	assert_int_equal(w->rec.norphans, 1);
	assert_int_equal(w->rec.orphans[0].pid, 70);
	assert_int_equal(w->rec.orphans[0].old_ppid, 60);
	assert_int_equal(w->rec.orphans[0].ppid, 50);
	assert_int_equal(w->rec.orphans[0].rule, PL_REAPER_SUBREAPER);
	assert_true(w->rec.orphans[0].has_parent);
	assert_ptr_equal(c->parent, sub);
	assert_int_equal(c->ppid, 50);
	assert_true(c->flags & PROC_ORPHAN);
	assert_int_equal(c->orphan_ppid, 60);
	assert_int_equal(c->orphan_rule, PL_REAPER_SUBREAPER);
}

/* A dying parent's zombie child moves to init with it, but is no orphan. */
static void test_orphan_to_init(void **state)
{
	struct world *w = *state;
	struct proc *init = find(w, 1, INIT_START);

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	apply(w, ev_fork(2 * SEC, 30, 2 * SEC, 20, 1 * SEC, 20, "a"));
	apply(w, ev_fork(2 * SEC + 1, 31, 2 * SEC + 1, 20, 1 * SEC, 20, "b"));
	apply(w, ev_exit(3 * SEC, 31, 2 * SEC + 1, 20, 31, true, 0, 0, PL_REAPER_NONE));
	assert_int_equal(find(w, 20, 1 * SEC)->nzombies, 1);
	apply(w, ev_exit(4 * SEC, 20, 1 * SEC, 10, 20, true, 0, 1, PL_REAPER_INIT));
	assert_int_equal(w->rec.norphans, 1);
	assert_int_equal(w->rec.orphans[0].pid, 30);
	assert_int_equal(w->rec.orphans[0].old_ppid, 20);
	assert_int_equal(w->rec.orphans[0].ppid, 1);
	assert_int_equal(w->rec.orphans[0].rule, PL_REAPER_INIT);
	assert_ptr_equal(find(w, 30, 2 * SEC)->parent, init);
	assert_ptr_equal(find(w, 31, 2 * SEC + 1)->parent, init);
	assert_int_equal(init->nzombies, 1);
	assert_int_equal(find(w, 10, SHELL_START)->nzombies, 1);
}

/*
 * A pid namespace whose init (20) dies: the kernel kills the rest, and the
 * children stay with the dying init; nothing is an orphan, here or when the
 * killed child (30) itself had a child (40).
 */
static void test_dying_pid_namespace_orphans_nobody(void **state)
{
	struct world *w = *state;
	struct proc *init;

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sleep"));
	apply(w, ev_fork(2 * SEC, 30, 2 * SEC, 20, 1 * SEC, 20, "sh"));
	apply(w, ev_fork(2 * SEC + 1, 40, 2 * SEC + 1, 30, 2 * SEC, 30, "sleep"));
	init = find(w, 20, 1 * SEC);
	apply(w, ev_exit(3 * SEC, 20, 1 * SEC, 10, 20, true, 9, 20, PL_REAPER_PIDNS_DYING));
	apply(w, ev_exit(3 * SEC + 1, 30, 2 * SEC, 20, 30, true, 9, 20, PL_REAPER_PIDNS_DYING));
	assert_int_equal(w->rec.norphans, 0);
	assert_ptr_equal(find(w, 30, 2 * SEC)->parent, init);
	assert_ptr_equal(find(w, 40, 2 * SEC + 1)->parent, init);
	assert_false(find(w, 40, 2 * SEC + 1)->flags & PROC_ORPHAN);
}

/* The kernel frees the pid before the task: a reap takes the process's place. */
static void test_reap_takes_the_model_place(void **state)
{
	struct world *w = *state;
	struct pl_event fork = ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh");
	struct pl_event reap = ev_reap(3 * SEC, 20, 1 * SEC, 10);

	fork.cgroup_id = 77;
	fork.pidns = 4026532000U;
	fork.ns_pid = 3;
	model_place(&w->m, &fork);
	assert_int_not_equal(fork.place, 0);
	apply(w, fork);
	apply(w, ev_exit(2 * SEC, 20, 1 * SEC, 10, 20, true, 0, 0, PL_REAPER_NONE));
	reap.cgroup_id = 77;
	model_place(&w->m, &reap);
	assert_int_equal(reap.place, 0);
	assert_int_equal(model_apply(&w->m, &reap), 0);
	assert_int_equal(reap.place, fork.place);
	assert_int_equal(reap.pidns, 4026532000U);
	assert_int_equal(reap.ns_pid, 3);
}

/*
 * Events that carry only the ends of threads with children
 * (MODEL_THREADS_PARENT_EXITS): threads are not counted, their children
 * are still handed to a sibling thread.
 */
static void test_parent_exits_count_no_threads(void **state)
{
	struct world *w = *state;
	struct model_opts o = {
		.zombie_age_ns = 5 * SEC, .clk_tck = TICK_HZ, .threads = MODEL_THREADS_PARENT_EXITS,
		.sink = { .orphan = rec_orphan, .ctx = &w->rec },
	};
	struct proc *p;

	model_free(&w->m);
	assert_int_equal(model_init(&w->m, &o), 0);
	apply(w, ev_fork(1 * SEC, 80, 1 * SEC, 10, SHELL_START, 10, "srv"));
	apply(w, ev_thread(1 * SEC + 1, 80, 1 * SEC, 81, 10, "srv"));
	apply(w, ev_thread(1 * SEC + 2, 80, 1 * SEC, 82, 10, "srv"));
	apply(w, ev_fork(2 * SEC, 90, 2 * SEC, 80, 1 * SEC, 81, "srv"));
	apply(w, ev_exit(3 * SEC, 80, 1 * SEC, 10, 81, false, 0, 80, PL_REAPER_THREAD));
	p = find(w, 80, 1 * SEC);
	assert_int_equal(p->nthreads, 1);
	assert_int_equal(w->rec.norphans, 1);
	assert_int_equal(w->rec.orphans[0].pid, 90);
	assert_int_equal(w->rec.orphans[0].rule, PL_REAPER_THREAD);
	assert_ptr_equal(find(w, 90, 2 * SEC)->parent, p);
}

/*
 * Thread 81 of process 80 forked 90; the leader forked 91. When thread 81
 * ends, 90 goes to a sibling thread (same process) and 91 is untouched.
 */
static void test_orphan_to_sibling_thread(void **state)
{
	struct world *w = *state;
	struct proc *p;

	apply(w, ev_fork(1 * SEC, 80, 1 * SEC, 10, SHELL_START, 10, "srv"));
	apply(w, ev_thread(1 * SEC + 1, 80, 1 * SEC, 81, 10, "srv"));
	apply(w, ev_fork(2 * SEC, 90, 2 * SEC, 80, 1 * SEC, 81, "srv"));
	apply(w, ev_fork(2 * SEC + 1, 91, 2 * SEC + 1, 80, 1 * SEC, 80, "srv"));
	apply(w, ev_exit(3 * SEC, 80, 1 * SEC, 10, 81, false, 0, 80, PL_REAPER_THREAD));
	p = find(w, 80, 1 * SEC);
	assert_int_equal(w->rec.norphans, 1);
	assert_int_equal(w->rec.orphans[0].pid, 90);
	assert_int_equal(w->rec.orphans[0].old_ppid, 80);
	assert_int_equal(w->rec.orphans[0].old_ptid, 81);
	assert_int_equal(w->rec.orphans[0].ppid, 80);
	assert_int_equal(w->rec.orphans[0].rule, PL_REAPER_THREAD);
	assert_ptr_equal(find(w, 90, 2 * SEC)->parent, p);
	assert_ptr_equal(find(w, 91, 2 * SEC + 1)->parent, p);
	assert_int_equal(find(w, 90, 2 * SEC)->ptid, 0);
	assert_int_equal(find(w, 91, 2 * SEC + 1)->ptid, 80);
	assert_int_equal(p->nthreads, 1);
	assert_int_equal(p->state, PROC_ALIVE);
}

/*
 * exit_group: thread 101 ends first, its siblings already dying, so the
 * kernel sends the children straight to init, whichever thread forked them
 * (110 by 101; 111 from before tracing, forking thread unknown).
 */
static void test_dying_group_gives_all_children_to_reaper(void **state)
{
	struct world *w = *state;
	struct pl_event ev = ev_fork(2 * SEC + 1, 111, 2 * SEC + 1, 100, 1 * SEC, 100, "srv");

	apply(w, ev_fork(1 * SEC, 100, 1 * SEC, 10, SHELL_START, 10, "srv"));
	apply(w, ev_thread(1 * SEC + 1, 100, 1 * SEC, 101, 10, "srv"));
	apply(w, ev_fork(2 * SEC, 110, 2 * SEC, 100, 1 * SEC, 101, "srv"));
	apply(w, ev);
	find(w, 111, 2 * SEC + 1)->ptid = 0;
	apply(w, ev_exit(3 * SEC, 100, 1 * SEC, 10, 101, false, 9, 1, PL_REAPER_INIT));
	assert_int_equal(w->rec.norphans, 2);
	assert_int_equal(w->rec.orphans[0].ppid, 1);
	assert_int_equal(w->rec.orphans[0].rule, PL_REAPER_INIT);
	assert_int_equal(w->rec.orphans[1].ppid, 1);
	assert_int_equal(find(w, 110, 2 * SEC)->ppid, 1);
	assert_int_equal(find(w, 111, 2 * SEC + 1)->ppid, 1);
	/* The last thread has no children left: nothing more moves. */
	apply(w, ev_exit(3 * SEC + 1, 100, 1 * SEC, 10, 100, true, 9, 0, PL_REAPER_NONE));
	assert_int_equal(w->rec.norphans, 2);
}

static bool gone(void *ctx, const struct proc *p)
{
	(void)ctx;
	return p->pid != 20;
}

/* The wait happened but the free (reap event) is late: /proc says so, no report. */
static void test_reaped_before_free_not_reported(void **state)
{
	struct world *w = *state;
	struct pl_event reap = ev_reap(9 * SEC, 20, 1 * SEC, 10);

	w->m.sink.still_zombie = gone;
	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "worker"));
	apply(w, ev_exit(2 * SEC, 20, 1 * SEC, 10, 20, true, 0, 0, PL_REAPER_NONE));
	assert_int_equal(find(w, 10, SHELL_START)->nzombies, 1);
	model_tick(&w->m, 8 * SEC);
	assert_int_equal(w->rec.nzombies, 0);
	assert_int_equal(find(w, 10, SHELL_START)->nzombies, 0);
	model_tick(&w->m, 20 * SEC);
	assert_int_equal(w->rec.nzombies, 0);
	assert_int_equal(model_apply(&w->m, &reap), 0);
	assert_false(reap.reap.leaked);
	assert_null(find(w, 20, 1 * SEC));
}

static struct pl_event inferred[4];
static int ninferred;

static void record_inferred(void *ctx, const struct pl_event *ev)
{
	(void)ctx;
	inferred[ninferred++ % 4] = *ev;
}

/*
 * A zombie's pid is taken by a new fork: it was reaped, whatever the events
 * say. Its reap event may still come (then all is normal); if it never does,
 * the model infers the reap after a grace period and lets the entry go.
 */
static void test_pid_reuse_means_reaped(void **state)
{
	struct world *w = *state;
	struct pl_event late = ev_reap(4 * SEC, 30, 1 * SEC, 10);

	ninferred = 0;
	w->m.sink.inferred_reap = record_inferred;
	apply(w, ev_fork(1 * SEC, 30, 1 * SEC, 10, SHELL_START, 10, "a"));
	apply(w, ev_fork(1 * SEC + 1, 31, 1 * SEC + 1, 10, SHELL_START, 10, "b"));
	apply(w, ev_exit(2 * SEC, 30, 1 * SEC, 10, 30, true, 0, 0, PL_REAPER_NONE));
	apply(w, ev_exit(2 * SEC, 31, 1 * SEC + 1, 10, 31, true, 0, 0, PL_REAPER_NONE));
	assert_int_equal(find(w, 10, SHELL_START)->nzombies, 2);
	/* Both pids come back before either reap event. */
	apply(w, ev_fork(3 * SEC, 30, 3 * SEC, 10, SHELL_START, 10, "c"));
	apply(w, ev_fork(3 * SEC, 31, 3 * SEC, 10, SHELL_START, 10, "d"));
	assert_int_equal(find(w, 10, SHELL_START)->nzombies, 0);
	model_tick(&w->m, 9 * SEC);
	assert_int_equal(w->rec.nzombies, 0);
	/* 30's reap event comes late but comes; 31's never does. */
	assert_int_equal(model_apply(&w->m, &late), 0);
	assert_false(late.reap.inferred);
	assert_null(find(w, 30, 1 * SEC));
	model_tick(&w->m, 12 * SEC);
	assert_int_equal(ninferred, 0);
	model_tick(&w->m, 13 * SEC);
	assert_int_equal(ninferred, 1);
	assert_int_equal(inferred[0].pid, 31);
	assert_int_equal(inferred[0].start_ns, 1 * SEC + 1);
	assert_true(inferred[0].reap.inferred);
	assert_int_equal(w->m.inferred_reaps, 1);
	/* Kept, unseen, one more grace period for a late free; then let go unsaid. */
	assert_true(find(w, 31, 1 * SEC + 1)->flags & PROC_INFERRED);
	model_tick(&w->m, 24 * SEC);
	assert_null(find(w, 31, 1 * SEC + 1));
	assert_int_equal(ninferred, 1);
	assert_non_null(find(w, 31, 3 * SEC));
}

/*
 * A free held back by lazy RCU may come after the model inferred the reap:
 * it is marked said, so the reap is not printed twice, and the entry goes.
 */
static void test_late_reap_after_inference_is_not_said_again(void **state)
{
	struct world *w = *state;
	struct pl_event late = ev_reap(14 * SEC, 31, 1 * SEC + 1, 10);

	ninferred = 0;
	w->m.sink.inferred_reap = record_inferred;
	apply(w, ev_fork(1 * SEC + 1, 31, 1 * SEC + 1, 10, SHELL_START, 10, "b"));
	apply(w, ev_exit(2 * SEC, 31, 1 * SEC + 1, 10, 31, true, 0, 0, PL_REAPER_NONE));
	apply(w, ev_fork(3 * SEC, 31, 3 * SEC, 10, SHELL_START, 10, "d"));
	model_tick(&w->m, 13 * SEC);
	assert_int_equal(ninferred, 1);
	assert_int_equal(model_apply(&w->m, &late), 0);
	assert_true(late.reap.said);
	assert_null(find(w, 31, 1 * SEC + 1));
	model_flush_reaped(&w->m, 30 * SEC);
	assert_int_equal(ninferred, 1);
	assert_int_equal(w->m.inferred_reaps, 1);
}

/* /proc as the model's still_zombie sees it: the pids in gone_pids are gone. */
static uint32_t gone_pids[4];
static int ngone, nasked;

static bool still_there(void *ctx, const struct proc *p)
{
	(void)ctx;
	nasked++;
	for (int i = 0; i < ngone; i++)
		if (gone_pids[i] == p->pid)
			return false;
	return true;
}

static void watch_proc(struct world *w)
{
	ninferred = ngone = nasked = 0;
	w->m.sink.still_zombie = still_there;
	w->m.sink.inferred_reap = record_inferred;
}

static struct pl_event ev_autoreaped_exit(uint64_t ts, uint32_t pid, uint64_t start)
{
	struct pl_event ev = ev_exit(ts, pid, start, 10, pid, true, 0, 0, PL_REAPER_NONE);

	ev.exit.parent_autoreap = true;
	return ev;
}

/*
 * A leaked zombie and one of an auto-reaping parent, whose frees the kernel
 * never traces: no deadline is left for either, yet /proc, asked now and
 * then, retires both, each with an inferred reap.
 */
static void test_untraced_frees_are_retired(void **state)
{
	struct world *w = *state;

	watch_proc(w);
	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "leaky"));
	apply(w, ev_fork(1 * SEC, 21, 1 * SEC, 10, SHELL_START, 10, "auto"));
	apply(w, ev_exit(2 * SEC, 20, 1 * SEC, 10, 20, true, 0, 0, PL_REAPER_NONE));
	apply(w, ev_autoreaped_exit(2 * SEC, 21, 1 * SEC));
	model_tick(&w->m, 8 * SEC);
	assert_int_equal(w->rec.nzombies, 1);
	assert_int_equal(model_leaked(&w->m), 1);
	/* Both reaped now; their frees never come. */
	gone_pids[0] = 20;
	gone_pids[1] = 21;
	ngone = 2;
	nasked = 0;
	model_tick(&w->m, 8 * SEC + 500 * MS);
	assert_int_equal(nasked, 0);
	model_tick(&w->m, 9 * SEC);
	assert_int_equal(nasked, 2);
	assert_int_equal(model_leaked(&w->m), 0);
	model_tick(&w->m, 18 * SEC);
	assert_int_equal(ninferred, 0);
	model_tick(&w->m, 19 * SEC);
	assert_int_equal(ninferred, 2);
	assert_true(inferred[0].reap.inferred && inferred[1].reap.inferred);
	assert_true(inferred[0].pid == 20 ? inferred[0].reap.leaked : inferred[1].reap.leaked);
	/* Kept one more grace period for late frees, then let go. */
	assert_int_equal(w->m.table.count, 4);
	model_tick(&w->m, 29 * SEC);
	assert_int_equal(w->m.table.count, 2);
	assert_int_equal(ninferred, 2);
}

/* Before zombies are shown or counted, /proc confirms each one, and nothing else. */
static void test_zombies_confirmed_before_shown(void **state)
{
	struct world *w = *state;
	struct proc *p;

	watch_proc(w);
	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "leaky"));
	apply(w, ev_exit(2 * SEC, 20, 1 * SEC, 10, 20, true, 0, 0, PL_REAPER_NONE));
	model_tick(&w->m, 8 * SEC);
	assert_int_equal(model_leaked(&w->m), 1);
	gone_pids[0] = 20;
	ngone = 1;
	nasked = 0;
	model_confirm_zombies(&w->m, 8 * SEC + 1);
	assert_int_equal(nasked, 1);
	assert_int_equal(model_leaked(&w->m), 0);
	assert_int_equal(find(w, 10, SHELL_START)->nzombies, 0);
	p = find(w, 20, 1 * SEC);
	assert_non_null(p);
	assert_true(p->flags & PROC_REAPED);
	/* Its free may still come, and then it is a normal reap. */
	model_flush_reaped(&w->m, 9 * SEC);
	assert_int_equal(ninferred, 1);
	assert_null(find(w, 20, 1 * SEC));
}

/* However many zombies wait, one tick asks /proc about MODEL_CONFIRM_BATCH of them. */
static void test_confirmation_is_bounded(void **state)
{
	struct world *w = *state;

	watch_proc(w);
	for (uint32_t i = 0; i < 3 * MODEL_CONFIRM_BATCH; i++) {
		apply(w, ev_fork(1 * SEC, 100 + i, 1 * SEC, 10, SHELL_START, 10, "auto"));
		apply(w, ev_autoreaped_exit(1 * SEC, 100 + i, 1 * SEC));
	}
	model_tick(&w->m, 2 * SEC);
	assert_int_equal(nasked, MODEL_CONFIRM_BATCH);
	model_tick(&w->m, 2 * SEC + 100 * MS);
	assert_int_equal(nasked, 2 * MODEL_CONFIRM_BATCH);
	model_tick(&w->m, 2 * SEC + 200 * MS);
	model_tick(&w->m, 2 * SEC + 300 * MS);
	/* Each was confirmed once; none again before a second has passed. */
	assert_int_equal(nasked, 3 * MODEL_CONFIRM_BATCH);
}

/*
 * A resync after lost events: a process that vanished meanwhile gets its
 * reap line; a zombie still there keeps when it exited and with what status.
 */
static void test_resync_says_reaps_and_keeps_exits(void **state)
{
	struct world *w = *state;
	struct proc *p;

	watch_proc(w);
	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "dead"));
	apply(w, ev_fork(1 * SEC, 21, 1 * SEC, 10, SHELL_START, 10, "vanished"));
	apply(w, ev_exit(2 * SEC, 20, 1 * SEC, 10, 20, true, 256, 0, PL_REAPER_NONE));
	model_seed_begin(&w->m);
	assert_int_equal(model_seed_add(&w->m, &(struct model_seed){
		.pid = 1, .start_ns = INIT_START, .coarse = true, .from_scan = true, .comm = "init" }), 0);
	assert_int_equal(model_seed_add(&w->m, &(struct model_seed){
		.pid = 10, .ppid = 1, .start_ns = SHELL_START, .coarse = true, .from_scan = true,
		.comm = "sh" }), 0);
	assert_int_equal(model_seed_add(&w->m, &(struct model_seed){
		.pid = 20, .ppid = 10, .start_ns = 1 * SEC, .coarse = true, .from_scan = true,
		.comm = "dead", .zombie = true, .exit_ns = 3 * SEC, .status = 0, .seen_ns = 3 * SEC }), 0);
	model_seed_end(&w->m, 3 * SEC);
	assert_int_equal(ninferred, 1);
	assert_int_equal(inferred[0].pid, 21);
	assert_int_equal(inferred[0].ts_ns, 3 * SEC);
	assert_true(inferred[0].reap.inferred);
	p = find(w, 20, 1 * SEC);
	assert_int_equal(p->exit_ns, 2 * SEC);
	assert_int_equal(p->status, 256);
	assert_true(p->flags & PROC_EXIT_SEEN);
	model_tick(&w->m, 7 * SEC);
	assert_int_equal(w->rec.nzombies, 1);
	assert_int_equal(w->rec.zombies[0].age_ns, 5 * SEC);
}

/*
 * A child's exit races its parent's: its event, queued after the parent's
 * exit, names the parent the kernel took it from. It stays with init.
 */
static void test_child_event_names_exited_parent(void **state)
{
	struct world *w = *state;
	struct proc *init = find(w, 1, INIT_START);

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "a"));
	apply(w, ev_fork(2 * SEC, 30, 2 * SEC, 20, 1 * SEC, 20, "b"));
	apply(w, ev_exit(3 * SEC, 20, 1 * SEC, 10, 20, true, 0, 1, PL_REAPER_INIT));
	apply(w, ev_exit(3 * SEC + 1, 30, 2 * SEC, 20, 30, true, 0, 0, PL_REAPER_NONE));
	assert_int_equal(find(w, 30, 2 * SEC)->ppid, 1);
	assert_ptr_equal(find(w, 30, 2 * SEC)->parent, init);
	assert_int_equal(init->nzombies, 1);
	assert_int_equal(find(w, 20, 1 * SEC)->nzombies, 0);
}

/* sh -> A -> B; A exits at once and sh reaps it: B, the daemon, goes to init. */
static void test_double_fork_daemon(void **state)
{
	struct world *w = *state;
	struct proc *init = find(w, 1, INIT_START);
	struct pl_event reap = ev_reap(2 * SEC + 2 * MS, 20, 1 * SEC, 10);

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	apply(w, ev_exec(1 * SEC + 1, 20, 1 * SEC, 10, 20, "/usr/sbin/food", "food"));
	apply(w, ev_fork(2 * SEC, 30, 2 * SEC, 20, 1 * SEC, 20, "food"));
	apply(w, ev_exit(2 * SEC + 1 * MS, 20, 1 * SEC, 10, 20, true, 0, 1, PL_REAPER_INIT));
	assert_int_equal(model_apply(&w->m, &reap), 0);
	model_tick(&w->m, 60 * SEC);
	assert_int_equal(w->rec.norphans, 1);
	assert_int_equal(w->rec.orphans[0].pid, 30);
	assert_int_equal(w->rec.orphans[0].old_ppid, 20);
	assert_int_equal(w->rec.orphans[0].ppid, 1);
	assert_int_equal(w->rec.nzombies, 0);
	assert_int_equal(reap.reap.zombie_ns, 1 * MS);
	assert_null(find(w, 20, 1 * SEC));
	assert_ptr_equal(find(w, 30, 2 * SEC)->parent, init);
	assert_string_equal(find(w, 30, 2 * SEC)->filename, "/usr/sbin/food");
}

/* Events about a process whose fork was never seen track it from there. */
static void test_unknown_process_is_added(void **state)
{
	struct world *w = *state;
	struct proc *p;

	apply(w, ev_exit(3 * SEC, 77, 2 * MS, 10, 77, true, 9, 0, PL_REAPER_NONE));
	p = find(w, 77, 2 * MS);
	assert_non_null(p);
	assert_int_equal(p->state, PROC_ZOMBIE);
	assert_ptr_equal(p->parent, find(w, 10, SHELL_START));
	model_tick(&w->m, 9 * SEC);
	assert_int_equal(w->rec.nzombies, 1);
	assert_int_equal(w->rec.zombies[0].pid, 77);
}

/* An event names the parent: a stale parent is corrected. */
static void test_event_corrects_parent(void **state)
{
	struct world *w = *state;

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	apply(w, ev_exec(2 * SEC, 20, 1 * SEC, 1, 20, "/bin/x", "x"));
	assert_ptr_equal(find(w, 20, 1 * SEC)->parent, find(w, 1, INIT_START));
	assert_int_equal(w->rec.norphans, 0);
}

/*
 * Start-up: the scan saw a process at tick precision with two threads;
 * events held from before the scan read it must not count the threads
 * twice, and the first event pins its exact start.
 */
static void test_seed_then_held_events(void **state)
{
	struct world *w = *state;
	struct proc *p;

	model_seed_begin(&w->m);
	assert_int_equal(model_seed_add(&w->m, &(struct model_seed){
		.pid = 1, .ppid = 0, .start_ns = 0, .coarse = true, .from_scan = true,
		.comm = "init", .nthreads = 1, .seen_ns = 10 * SEC }), 0);
	assert_int_equal(model_seed_add(&w->m, &(struct model_seed){
		.pid = 44, .ppid = 1, .start_ns = 120 * MS, .coarse = true, .from_scan = true,
		.comm = "db", .filename = "/usr/bin/db", .nthreads = 2, .seen_ns = 10 * SEC }), 0);
	assert_int_equal(model_seed_add(&w->m, &(struct model_seed){
		.pid = 45, .ppid = 44, .start_ns = 2 * SEC, .coarse = true, .from_scan = true,
		.comm = "dead", .zombie = true, .exit_ns = 10 * SEC, .seen_ns = 10 * SEC }), 0);
	model_seed_end(&w->m, 0);

	/* The shell was not in the seed; init was, at tick precision. */
	assert_null(find(w, 10, SHELL_START));
	assert_int_equal(w->m.table.count, 3);
	assert_int_equal(find(w, 1, INIT_START)->start_ns, INIT_START);
	p = find(w, 44, 123456789);
	assert_non_null(p);
	assert_int_equal(p->start_ns, 123456789);
	assert_false(p->flags & PROC_COARSE);
	assert_ptr_equal(p->parent, find(w, 1, INIT_START));
	assert_ptr_equal(find(w, 45, 2 * SEC + 5 * MS)->parent, p);
	assert_int_equal(p->nzombies, 1);

	apply(w, ev_thread(9 * SEC, 44, 123456789, 46, 1, "db"));
	assert_int_equal(p->nthreads, 2);
	apply(w, ev_thread(11 * SEC, 44, 123456789, 47, 1, "db"));
	assert_int_equal(p->nthreads, 3);

	model_tick(&w->m, 14 * SEC);
	assert_int_equal(w->rec.nzombies, 0);
	model_tick(&w->m, 15 * SEC);
	assert_int_equal(w->rec.nzombies, 1);
	assert_int_equal(w->rec.zombies[0].pid, 45);
	assert_int_equal(w->rec.zombies[0].age_ns, 5 * SEC);
}

static struct pl_event context(struct pl_event ev)
{
	ev.context = true;
	return ev;
}

/*
 * Under a filter, 20 is inside and its parent, the shell, outside: the
 * kernel sends the shell's events and those of 20's children outside the
 * filter flagged context. A zombie is reported when it or its parent is
 * inside, an orphan when it is inside.
 */
static void test_filter_reports_only_what_concerns_the_inside(void **state)
{
	struct world *w = *state;

	apply(w, context(ev_exec(1 * SEC, 10, SHELL_START, 1, 10, "/bin/sh", "sh")));
	assert_true(find(w, 10, SHELL_START)->flags & PROC_OUTSIDE);
	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "app"));
	apply(w, ev_fork(2 * SEC, 30, 2 * SEC, 20, 1 * SEC, 20, "app"));
	/* 40: the shell's other child, outside; its zombie is nobody's business here. */
	apply(w, context(ev_fork(2 * SEC, 40, 2 * SEC, 10, SHELL_START, 10, "other")));
	apply(w, context(ev_exit(3 * SEC, 40, 2 * SEC, 10, 40, true, 0, 0, PL_REAPER_NONE)));
	/* 30 inside and 31 outside, both 20's children. */
	apply(w, ev_exit(4 * SEC, 30, 2 * SEC, 20, 30, true, 0, 0, PL_REAPER_NONE));
	apply(w, context(ev_exit(4 * SEC + 1, 31, 2 * SEC, 20, 31, true, 0, 0, PL_REAPER_NONE)));
	assert_false(find(w, 20, 1 * SEC)->flags & PROC_OUTSIDE);
	assert_true(find(w, 31, 2 * SEC)->flags & PROC_OUTSIDE);
	model_tick(&w->m, 10 * SEC);
	assert_int_equal(w->rec.nzombies, 2);
	assert_int_equal(w->rec.zombies[0].pid, 30);
	assert_int_equal(w->rec.zombies[1].pid, 31);
	assert_string_equal(w->rec.zombies[1].parent_comm, "app");
	assert_int_equal(w->rec.zombies[1].parent_zombies, 2);
	assert_int_equal(model_leaked(&w->m), 2);

	/* The shell exits: 20 (inside) is an orphan, its sibling 50 (outside) is not reported. */
	apply(w, context(ev_fork(5 * SEC, 50, 5 * SEC, 10, SHELL_START, 10, "other")));
	apply(w, context(ev_exit(6 * SEC, 10, SHELL_START, 1, 10, true, 0, 1, PL_REAPER_INIT)));
	assert_int_equal(w->rec.norphans, 1);
	assert_int_equal(w->rec.orphans[0].pid, 20);
	assert_int_equal(w->rec.orphans[0].ppid, 1);
	assert_int_equal(find(w, 50, 5 * SEC)->ppid, 1);
}

/*
 * After a /proc scan the kernel lists the processes inside (20); the model
 * keeps them, their parents and their zombie children, and forgets the rest.
 */
static void test_filter_prunes_the_scan(void **state)
{
	struct world *w = *state;
	const struct model_seed seeds[] = {
		{ .pid = 1, .ppid = 0, .start_ns = INIT_START, .comm = "init" },
		{ .pid = 10, .ppid = 1, .start_ns = SHELL_START, .comm = "sh" },
		{ .pid = 20, .ppid = 10, .start_ns = 1 * SEC, .comm = "app" },
		{ .pid = 21, .ppid = 20, .start_ns = 2 * SEC, .comm = "done", .zombie = true, .exit_ns = 3 * SEC },
		{ .pid = 22, .ppid = 20, .start_ns = 2 * SEC, .comm = "helper" },
		{ .pid = 30, .ppid = 1, .start_ns = 2 * SEC, .comm = "unrelated" },
		{ .pid = 31, .ppid = 30, .start_ns = 2 * SEC, .comm = "done", .zombie = true, .exit_ns = 3 * SEC },
	};
	const struct pl_seed inside[] = { { .pid = 20, .start_ns = 1 * SEC } };

	model_seed_begin(&w->m);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		assert_int_equal(model_seed_add(&w->m, &seeds[i]), 0);
	model_seed_end(&w->m, 0);
	model_filter(&w->m, inside, 1);

	assert_int_equal(w->m.table.count, 3);
	assert_true(find(w, 10, SHELL_START)->flags & PROC_OUTSIDE);
	assert_false(find(w, 20, 1 * SEC)->flags & PROC_OUTSIDE);
	assert_true(find(w, 21, 2 * SEC)->flags & PROC_OUTSIDE);
	assert_ptr_equal(find(w, 20, 1 * SEC)->parent, find(w, 10, SHELL_START));
	model_tick(&w->m, 10 * SEC);
	assert_int_equal(w->rec.nzombies, 1);
	assert_int_equal(w->rec.zombies[0].pid, 21);
	assert_string_equal(w->rec.zombies[0].parent_comm, "app");
}

/* Re-seeding keeps a zombie's report: a periodic snapshot does not repeat it. */
static void test_reseed_keeps_report(void **state)
{
	struct world *w = *state;
	struct model_seed s = {
		.pid = 20, .ppid = 10, .start_ns = 1 * SEC, .comm = "sh", .zombie = true,
		.exit_ns = 2 * SEC, .exit_seen = true,
	};

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	apply(w, ev_exit(2 * SEC, 20, 1 * SEC, 10, 20, true, 0, 0, PL_REAPER_NONE));
	model_tick(&w->m, 8 * SEC);
	assert_int_equal(w->rec.nzombies, 1);
	model_seed_begin(&w->m);
	assert_int_equal(model_seed_add(&w->m, &(struct model_seed){
		.pid = 1, .start_ns = INIT_START, .comm = "init" }), 0);
	assert_int_equal(model_seed_add(&w->m, &(struct model_seed){
		.pid = 10, .ppid = 1, .start_ns = SHELL_START, .comm = "sh" }), 0);
	assert_int_equal(model_seed_add(&w->m, &s), 0);
	model_seed_end(&w->m, 0);
	assert_int_equal(find(w, 10, SHELL_START)->nzombies, 1);
	model_tick(&w->m, 20 * SEC);
	assert_int_equal(w->rec.nzombies, 1);
}

/* Stale data asking for a cycle gets a root instead. */
static void test_link_refuses_cycle(void **state)
{
	struct world *w = *state;
	struct proc *sh = find(w, 10, SHELL_START), *init = find(w, 1, INIT_START);

	proctable_link(init, sh);
	assert_null(init->parent);
	assert_ptr_equal(sh->parent, init);
}

/* Enough processes to grow the hash and the pool, then all reaped again. */
static void test_many_processes(void **state)
{
	struct world *w = *state;
	const uint32_t n = 5000;

	for (uint32_t i = 0; i < n; i++)
		apply(w, ev_fork(1 * SEC + i, 1000 + i, 1 * SEC + i, 10, SHELL_START, 10, "job"));
	assert_int_equal(w->m.table.count, n + 2);
	assert_int_equal(w->m.table.mask + 1 >= n, true);
	for (uint32_t i = 0; i < n; i++) {
		apply(w, ev_exit(2 * SEC + i, 1000 + i, 1 * SEC + i, 10, 1000 + i, true, 0, 0,
				 PL_REAPER_NONE));
		apply(w, ev_reap(2 * SEC + i + 1, 1000 + i, 1 * SEC + i, 10));
	}
	assert_int_equal(w->m.table.count, 2);
	assert_null(find(w, 10, SHELL_START)->child);
	assert_int_equal(find(w, 10, SHELL_START)->nzombies, 0);
	model_tick(&w->m, 100 * SEC);
	assert_int_equal(w->rec.nzombies, 0);
}

static void test_filename_keeps_tail(void **state)
{
	struct world *w = *state;
	char path[300];
	struct proc *p = find(w, 10, SHELL_START);

	memset(path, 'd', sizeof(path));
	memcpy(path, "/", 1);
	strcpy(path + sizeof(path) - 10, "/bin/prog");
	proctable_set_filename(p, path, strlen(path));
	assert_int_equal(strlen(p->filename), PROC_FILENAME_LEN - 1);
	assert_memory_equal(p->filename, "...", 3);
	assert_string_equal(p->filename + strlen(p->filename) - 9, "/bin/prog");
}

/* Checks every link and count the model keeps incrementally against a recount. */
static void check_invariants(struct model *m)
{
	struct proctable_iter it;
	struct proc *p, *c, *z;
	size_t n = 0;

	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it))) {
		uint32_t zombies = 0;
		bool listed = false;

		n++;
		for (c = p->child; c; c = c->sib_next) {
			assert_ptr_equal(c->parent, p);
			assert_true(!c->sib_next || c->sib_next->sib_prev == c);
			zombies += c->state == PROC_ZOMBIE && !(c->flags & (PROC_AUTOREAP | PROC_REAPED));
		}
		assert_int_equal(p->nzombies, zombies);
		if (p->parent) {
			for (c = p->parent->child; c && c != p; c = c->sib_next)
				;
			assert_ptr_equal(c, p);
		}
		for (z = m->zhead; z && !listed; z = z->znext)
			listed = z == p;
		assert_int_equal(listed, p->state == PROC_ZOMBIE &&
				 !(p->flags & (PROC_AUTOREAP | PROC_REPORTED | PROC_REAPED)));
		assert_ptr_equal(proctable_find(&m->table, p->pid, p->start_ns), p);
	}
	assert_int_equal(n, m->table.count);
	for (z = m->zhead; z && z->znext; z = z->znext)
		assert_true(z->exit_ns <= z->znext->exit_ns);
}

static uint32_t next_random(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* Random, even impossible, event sequences over few pids never break the model. */
static void test_random_sequences_keep_invariants(void **state)
{
	struct world *w = *state;
	struct proc *live[64];
	uint64_t seed = 42, ts = 1 * SEC;

	for (int step = 0; step < 20000; step++) {
		struct proctable_iter it;
		struct proc *p, *q;
		struct pl_event ev;
		size_t n = 0;
		uint32_t r = next_random(&seed);

		proctable_iter_init(&it, &w->m.table);
		while ((p = proctable_iter_next(&it)) && n < 64)
			live[n++] = p;
		p = live[next_random(&seed) % n];
		q = live[next_random(&seed) % n];
		ts += next_random(&seed) % (2 * SEC);
		switch (r % 8) {
		case 0:
		case 1:
			ev = ev_fork(ts, 2 + next_random(&seed) % 40, ts, p->pid, p->start_ns,
				     p->pid, "f");
			break;
		case 2:
			ev = ev_thread(ts, p->pid, p->start_ns, 100 + r % 50, p->ppid, "t");
			break;
		case 3:
			ev = ev_exec(ts, p->pid, p->start_ns, p->ppid, r & 64 ? p->pid : 100 + r % 50,
				     "/bin/x", "x");
			break;
		case 4:
		case 5:
			ev = ev_exit(ts, p->pid, p->start_ns, p->ppid, r & 64 ? p->pid : 100 + r % 50,
				     r & 128, r, q->pid, (r >> 8) % 4);
			ev.exit.parent_autoreap = (r >> 10) % 5 == 0;
			break;
		default:
			ev = ev_reap(ts, p->pid, p->start_ns, p->ppid);
			break;
		}
		apply(w, ev);
		if (step % 16 == 0)
			model_tick(&w->m, ts);
		if (step % 64 == 0)
			check_invariants(&w->m);
		if (w->m.table.count < 2) {
			struct pl_event init = ev_fork(ts, 1, ts, 0, 0, 0, "init");

			apply(w, init);
		}
	}
	check_invariants(&w->m);
	/* The sequence did reach the interesting paths. */
	assert_true(w->rec.nzombies > 10);
	assert_true(w->rec.norphans > 10);
}

/*
 * The process's name follows every event that carries the leader's comm:
 * a rename of the leader, a signal to it, the exit of the group. Another
 * thread's comm is only that thread's.
 */
static void test_comm_follows_leader(void **state)
{
	struct world *w = *state;
	struct pl_event ev;
	struct proc *c;

	apply(w, ev_fork(1 * SEC, 20, 1 * SEC, 10, SHELL_START, 10, "sh"));
	c = find(w, 20, 1 * SEC);
	ev = ev_base(PL_EV_RENAME, 2 * SEC, 20, 1 * SEC, 10, "renamed");
	strcpy(ev.rename.old_comm, "sh");
	apply(w, ev);
	assert_string_equal(c->comm, "renamed");

	ev = ev_base(PL_EV_RENAME, 3 * SEC, 20, 1 * SEC, 10, "worker-thread");
	ev.tid = 21;
	apply(w, ev);
	assert_string_equal(c->comm, "renamed");
	ev = ev_base(PL_EV_SIGNAL_DELIVER, 3 * SEC + 1, 20, 1 * SEC, 10, "worker-thread");
	ev.tid = 21;
	apply(w, ev);
	assert_string_equal(c->comm, "renamed");

	/* A rename whose event was lost: the signal to the leader still has the name. */
	ev = ev_base(PL_EV_SIGNAL_GENERATE, 4 * SEC, 20, 1 * SEC, 10, "again");
	apply(w, ev);
	assert_string_equal(c->comm, "again");

	apply(w, ev_exit(5 * SEC, 20, 1 * SEC, 10, 20, true, 0, 0, PL_REAPER_NONE));
	assert_string_equal(c->comm, "worker");
	assert_int_equal(c->state, PROC_ZOMBIE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_fork_links_child),
		T(test_thread_fork_is_not_a_child),
		T(test_exec_updates_name),
		T(test_comm_follows_leader),
		T(test_non_leader_exec),
		T(test_pid_reuse_before_reap),
		T(test_reap_reports_zombie_time),
		T(test_short_zombie_not_reported),
		T(test_autoreap_never_reported),
		T(test_leaked_zombie_reported_once),
		T(test_orphan_to_subreaper),
		T(test_orphan_to_init),
		T(test_parent_exits_count_no_threads),
		T(test_orphan_to_sibling_thread),
		T(test_dying_pid_namespace_orphans_nobody),
		T(test_reap_takes_the_model_place),
		T(test_dying_group_gives_all_children_to_reaper),
		T(test_reaped_before_free_not_reported),
		T(test_pid_reuse_means_reaped),
		T(test_late_reap_after_inference_is_not_said_again),
		T(test_double_fork_daemon),
		T(test_unknown_process_is_added),
		T(test_event_corrects_parent),
		T(test_seed_then_held_events),
		T(test_filter_reports_only_what_concerns_the_inside),
		T(test_filter_prunes_the_scan),
		T(test_reseed_keeps_report),
		T(test_child_event_names_exited_parent),
		T(test_untraced_frees_are_retired),
		T(test_zombies_confirmed_before_shown),
		T(test_confirmation_is_bounded),
		T(test_resync_says_reaps_and_keeps_exits),
		T(test_link_refuses_cycle),
		T(test_many_processes),
		T(test_filename_keeps_tail),
		T(test_random_sequences_keep_invariants),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
