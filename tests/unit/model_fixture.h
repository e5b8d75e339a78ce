/*
 * Synthetic events and a recording sink for the model's unit tests: each
 * helper builds the event the BPF side would send for one kernel step.
 */
#ifndef PL_MODEL_FIXTURE_H
#define PL_MODEL_FIXTURE_H

#include <string.h>
#include "model.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define TICK_HZ 100

struct rec_zombie {
	uint32_t pid, ppid, parent_zombies;
	char parent_comm[PL_COMM_LEN + 1];
	int64_t age_ns;
	bool has_parent;
};

struct rec_orphan {
	uint32_t pid, old_ppid, old_ptid, ppid;
	enum pl_reaper_rule rule;
	bool has_parent;
};

struct recorder {
	struct rec_zombie zombies[16];
	struct rec_orphan orphans[16];
	int nzombies, norphans;
};

static inline void rec_zombie(void *ctx, const struct model_zombie *z)
{
	struct recorder *r = ctx;
	struct rec_zombie *o = &r->zombies[r->nzombies++ % 16];

	*o = (struct rec_zombie){
		.pid = z->proc->pid, .ppid = z->proc->ppid, .age_ns = z->age_ns,
		.has_parent = z->parent != NULL,
		.parent_zombies = z->parent ? z->parent->nzombies : 0,
	};
	if (z->parent)
		strcpy(o->parent_comm, z->parent->comm);
}

static inline void rec_orphan(void *ctx, const struct model_orphan *or)
{
	struct recorder *r = ctx;

	r->orphans[r->norphans++ % 16] = (struct rec_orphan){
		.pid = or->proc->pid, .old_ppid = or->old_parent->pid, .old_ptid = or->old_ptid,
		.ppid = or->ppid, .rule = or->rule, .has_parent = or->parent != NULL,
	};
}

static inline int fixture_model(struct model *m, struct recorder *r)
{
	struct model_opts o = {
		.zombie_age_ns = 5 * SEC,
		.clk_tck = TICK_HZ,
		.sink = { .zombie = rec_zombie, .orphan = rec_orphan, .ctx = r },
	};

	memset(r, 0, sizeof(*r));
	return model_init(m, &o);
}

static inline struct pl_event ev_base(enum pl_event_type type, uint64_t ts, uint32_t pid,
				      uint64_t start, uint32_t ppid, const char *comm)
{
	struct pl_event ev = {
		.type = type, .ts_ns = ts, .pid = pid, .tid = pid, .ppid = ppid, .start_ns = start,
	};

	strncpy(ev.comm, comm, PL_COMM_LEN);
	return ev;
}

/* A new process pid forked by thread ptid of process (ppid, pstart). */
static inline struct pl_event ev_fork(uint64_t ts, uint32_t pid, uint64_t start, uint32_t ppid,
				      uint64_t pstart, uint32_t ptid, const char *comm)
{
	struct pl_event ev = ev_base(PL_EV_FORK, ts, pid, start, ppid, comm);

	ev.fork.parent_start_ns = pstart;
	ev.fork.parent_tid = ptid;
	return ev;
}

static inline struct pl_event ev_thread(uint64_t ts, uint32_t pid, uint64_t start, uint32_t tid,
					uint32_t ppid, const char *comm)
{
	struct pl_event ev = ev_base(PL_EV_FORK, ts, pid, start, ppid, comm);

	ev.tid = tid;
	ev.fork.thread = true;
	ev.fork.parent_tid = pid;
	return ev;
}

static inline struct pl_event ev_exec(uint64_t ts, uint32_t pid, uint64_t start, uint32_t ppid,
				      uint32_t old_pid, const char *filename, const char *comm)
{
	struct pl_event ev = ev_base(PL_EV_EXEC, ts, pid, start, ppid, comm);

	ev.exec.old_pid = old_pid;
	ev.exec.filename = filename;
	ev.exec.filename_len = strlen(filename);
	ev.exec.args = "";
	return ev;
}

/*
 * The end of thread tid; process says whether it was the last one. A
 * process's exit carries its name: the fixtures' processes are "worker"s.
 */
static inline struct pl_event ev_exit(uint64_t ts, uint32_t pid, uint64_t start, uint32_t ppid,
				      uint32_t tid, bool process, int status, uint32_t reaper,
				      enum pl_reaper_rule rule)
{
	struct pl_event ev = ev_base(PL_EV_EXIT, ts, pid, start, ppid, "worker");

	ev.tid = tid;
	ev.exit.thread = !process;
	ev.exit.status = status;
	ev.exit.reaper = reaper;
	ev.exit.reaper_rule = rule;
	return ev;
}

static inline struct pl_event ev_reap(uint64_t ts, uint32_t pid, uint64_t start, uint32_t ppid)
{
	struct pl_event ev = ev_base(PL_EV_REAP, ts, pid, start, ppid, "x");

	ev.reap.zombie_ns = -1;
	return ev;
}

#endif
