/*
 * The live process model: applies events to the process table and derives
 * what no single event says: a zombie nobody reaps (leaked, blamed on its
 * parent) and a process re-parented because its parent thread or process
 * died (orphan). Derived events go to a sink supplied by the caller.
 *
 * Start-up without a race: attach the tracer and hold its events, seed the
 * table from /proc (procscan.h) between model_seed_begin and model_seed_end,
 * then apply the held events in order; an event always wins over the scan.
 * A snapshot line of a recorded trace seeds the same way.
 *
 * Times are whatever clock the events carry (CLOCK_BOOTTIME live, the
 * trace's wall clock in a replay); only differences matter here.
 */
#ifndef PL_MODEL_H
#define PL_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include "event.h"
#include "places.h"
#include "proctable.h"

#define MODEL_ZOMBIE_AGE_DEFAULT_NS (5 * 1000000000LL)

/* A zombie that has waited longer than the threshold: reported once. */
struct model_zombie {
	const struct proc *proc;
	const struct proc *parent;	/* NULL when the parent is not in the table */
	uint64_t ts_ns;			/* when the threshold check found it */
	int64_t age_ns;
};

/* A live process whose parent thread or parent process died. */
struct model_orphan {
	const struct proc *proc;	/* already under its new parent */
	const struct proc *old_parent;	/* the process whose thread or last thread ended */
	uint32_t old_ptid;		/* the thread that ended */
	const struct proc *parent;	/* the adopter; NULL when not in the table */
	uint32_t ppid;			/* the adopter's pid */
	enum pl_reaper_rule rule;
	uint64_t ts_ns;
};

/* Called from inside model_apply and model_tick: a sink must not change the model. */
struct model_sink {
	void (*zombie)(void *ctx, const struct model_zombie *z);
	void (*orphan)(void *ctx, const struct model_orphan *o);
	/*
	 * Asked before a zombie is reported, shown or counted, and now and then
	 * about old ones: the reap event is the task's free, an RCU grace period
	 * after the wait (a loaded host stretches it), and some frees are never
	 * traced. false: it is gone already. NULL trusts the events.
	 */
	bool (*still_zombie)(void *ctx, const struct proc *p);
	/* A reap the model inferred because the kernel's event never came. */
	void (*inferred_reap)(void *ctx, const struct pl_event *ev);
	void *ctx;
};

/* Which threads' exits the events carry, and so whether threads are counted. */
enum model_threads {
	MODEL_THREADS_EVERY_EXIT,
	/*
	 * A recorded trace: without --threads it has none, and thread forks
	 * are counted only once a thread's exit shows it has them, so counts
	 * never only grow.
	 */
	MODEL_THREADS_EXITS_IF_RECORDED,
	/* Only the exits of threads with children, to re-parent them: threads are not counted. */
	MODEL_THREADS_PARENT_EXITS,
};

struct model_opts {
	int64_t zombie_age_ns;	/* a zombie older than this is leaked */
	long clk_tck;		/* sysconf(_SC_CLK_TCK): the unit of /proc start times */
	struct model_sink sink;	/* either callback may be NULL */
	enum model_threads threads;
	const struct cgroup_lookup *cgroups;	/* NULL: cgroup paths only from seeds and traces */
};

/*
 * How long a process known to be reaped (its pid reused, or gone from /proc)
 * waits for its reap event, late by an RCU grace period, before the model
 * stops waiting: some frees are never traced.
 */
#define MODEL_REAP_GRACE_NS (10 * 1000000000LL)

/*
 * Zombies past their report, and those of auto-reaping parents, have no
 * deadline left; a free the kernel does not trace would keep them forever.
 * model_tick asks /proc about the least recently confirmed of them, at most
 * MODEL_CONFIRM_BATCH per call and each at most once per interval.
 */
#define MODEL_CONFIRM_INTERVAL_NS (1000000000LL)
#define MODEL_CONFIRM_BATCH 16

/* The list a process is on (struct proc's list): at most one. */
enum model_list {
	MODEL_LIST_NONE,
	MODEL_LIST_UNREPORTED,	/* zhead: zombies waiting for the threshold */
	MODEL_LIST_CONFIRM,	/* chead: other zombies, to be confirmed now and then */
	MODEL_LIST_REAPED,	/* rhead: PROC_REAPED, awaiting their reap event */
};

struct model {
	struct proctable table;
	struct places places;
	struct proc *zhead, *ztail;	/* unreported zombies, oldest first */
	struct proc *chead, *ctail;	/* other zombies, least recently confirmed first */
	struct proc *rhead, *rtail;	/* PROC_REAPED, awaiting their reap event, oldest first */
	uint64_t inferred_reaps;
	enum model_threads threads;
	bool count_threads;	/* every thread's fork and exit is in the events */
	int64_t zombie_age_ns;
	long clk_tck;
	struct model_sink sink;
};

int model_init(struct model *m, const struct model_opts *o);
void model_free(struct model *m);

/*
 * Sets ev->place from its cgroup and pid namespace; call before printing or
 * applying it. A reap's place is the model's, set by model_apply.
 */
void model_place(struct model *m, struct pl_event *ev);

/*
 * Applies one event; orphans it causes reach the sink before it returns.
 * A reap event gets ev->reap.zombie_ns filled in (-1 when unknown), and
 * the process's place and namespace pid when the kernel had freed them.
 * 0, or -ENOMEM when a new process could not be tracked.
 */
int model_apply(struct model *m, struct pl_event *ev);

/*
 * Under a filter (-p, -c, ...) the model also holds processes outside it,
 * from events flagged context: the parents of processes inside and their
 * exited children. A zombie is reported when it or its parent is inside, an
 * orphan when it is inside. After a /proc scan, model_filter keeps the
 * processes inside (as the kernel listed them), their parents and their
 * zombie children, marks all but the first PROC_OUTSIDE, and forgets the rest.
 */
void model_filter(struct model *m, const struct pl_seed *inside, size_t n);

/*
 * Reports zombies that have become older than the threshold by now_ns,
 * confirms a few older zombies (MODEL_CONFIRM_BATCH), and infers the reaps
 * whose events did not come within MODEL_REAP_GRACE_NS.
 */
void model_tick(struct model *m, uint64_t now_ns);

/*
 * Asks the sink's still_zombie about every zombie, before the model is shown
 * or its zombies counted: one that is gone counts as reaped from now_ns.
 */
void model_confirm_zombies(struct model *m, uint64_t now_ns);

/* At the end: every process known to be reaped gets its (inferred) reap now. */
void model_flush_reaped(struct model *m, uint64_t now_ns);

/* Zombies reported as leaked and still not reaped. */
size_t model_leaked(const struct model *m);

/* A process as read from /proc or from a snapshot line. */
struct model_seed {
	uint32_t pid, ppid;
	uint32_t ptid;		/* the parent thread that forked it; 0 unknown */
	uint64_t start_ns;
	bool coarse;		/* start_ns is only as precise as a /proc clock tick */
	bool from_scan;
	const char *comm;
	const char *filename;	/* NULL or "" when unknown */
	uint32_t nthreads;
	bool zombie;
	uint64_t exit_ns;	/* zombie since */
	bool exit_seen;		/* exit_ns is the real exit, not when the zombie was first seen */
	bool autoreap;		/* the parent reaps it without waiting */
	int status;		/* wait status of a zombie, when known */
	uint32_t orphan_ppid;	/* 0: not known to be an orphan */
	enum pl_reaper_rule orphan_rule;
	uint64_t seen_ns;	/* when it was read: events stamped earlier are already in it */
	uint32_t place;		/* index in the model's places; 0 unknown */
	uint32_t ns_pid;	/* its pid in its own pid namespace; 0 unknown */
};

/*
 * Seeding replaces the table's view with the seed's: processes absent from
 * the seed are dropped, each with an inferred reap; the others are updated,
 * keeping whether a zombie was already reported and, when the seed does not
 * know them (a /proc scan), its exit time and status. Parents are linked at
 * the end.
 */
void model_seed_begin(struct model *m);
int model_seed_add(struct model *m, const struct model_seed *s);
/* now_ns: when the seed was taken, the time of the reaps it infers. */
void model_seed_end(struct model *m, uint64_t now_ns);

#endif
