/*
 * The table of known processes: a hash on pid (so both "this exact process"
 * and "whoever has this pid now" are one chain walk), entries keyed by
 * (pid, start_ns) because pids are reused, a pool so that steady-state
 * churn does not call malloc, and the parent/children links of the tree.
 * It knows nothing of events; the model (model.h) gives the entries meaning.
 */
#ifndef PL_PROCTABLE_H
#define PL_PROCTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"

enum proc_state {
	PROC_ALIVE,
	PROC_ZOMBIE,	/* exited, not yet reaped */
};

enum proc_flag {
	PROC_FROM_SCAN = 1 << 0,	/* first seen in the /proc scan, not born under tracing */
	PROC_COARSE = 1 << 1,		/* start_ns known to a clock tick only (from /proc) */
	PROC_EXIT_SEEN = 1 << 2,	/* exit_ns is the real exit time, not when we first saw a zombie */
	PROC_AUTOREAP = 1 << 3,		/* the parent reaps without waiting: never a leak */
	PROC_REPORTED = 1 << 4,		/* the leaked-zombie report was made */
	PROC_ORPHAN = 1 << 5,		/* orphan_ppid and orphan_rule are valid */
	PROC_SEEDED = 1 << 6,		/* present in the seed being loaded (model_seed_*) */
	PROC_REAPED = 1 << 7,		/* reaped, as /proc showed; its free (the reap event) is late */
	PROC_OUTSIDE = 1 << 8,		/* outside the filters: tracked for the processes inside */
	PROC_INFERRED = 1 << 9,		/* PROC_REAPED, and its reap said by the model: a late one is not said again */
};

/* Keeps the last bytes of a long path: the program name is at the end. */
#define PROC_FILENAME_LEN 88

struct proc {
	struct proc *hnext;			/* hash chain, or the pool's free list */
	struct proc *parent, *child;		/* child: first of the children */
	struct proc *sib_next, *sib_prev;
	struct proc *znext, *zprev;		/* the one model list it is on (list) */
	uint64_t start_ns;
	uint64_t exit_ns;	/* zombie since (CLOCK_BOOTTIME, or the replay's clock) */
	uint64_t seen_ns;	/* when the /proc scan read it: older events are already in it */
	union {
		uint64_t reaped_ns;	/* PROC_REAPED: when the model learnt it was reaped */
		uint64_t confirmed_ns;	/* a zombie past its report: when /proc last showed it */
	};
	uint32_t pid;
	uint32_t ppid;		/* kept when the parent is not in the table */
	uint32_t ptid;		/* the parent thread that forked it; 0 unknown */
	uint32_t nthreads;	/* live threads; 0 once exited */
	uint32_t nzombies;	/* children that are unreaped zombies (auto-reaped ones excluded) */
	uint32_t orphan_ppid;	/* the parent whose death made it an orphan */
	uint32_t place;		/* its cgroup and pid namespace: an index in the model's places */
	uint32_t ns_pid;	/* its pid inside its own pid namespace; 0 unknown */
	int32_t status;		/* wait status once exited */
	uint8_t state;		/* enum proc_state */
	uint8_t orphan_rule;	/* enum pl_reaper_rule */
	uint8_t list;		/* which model list holds it: the model's own numbering */
	uint16_t flags;		/* enum proc_flag */
	char comm[PL_COMM_LEN + 1];
	char filename[PROC_FILENAME_LEN];
};

struct proc_slab;

struct proctable {
	struct proc **buckets;
	size_t mask;		/* buckets - 1, a power of two minus one */
	size_t count;
	struct proc *free;
	struct proc_slab *slabs;
	uint64_t tick_ns;	/* length of a /proc clock tick, to match PROC_COARSE starts */
};

int proctable_init(struct proctable *t, uint64_t tick_ns);
void proctable_free(struct proctable *t);

/*
 * The entry for (pid, start_ns). An entry with PROC_COARSE matches any
 * start_ns in the same clock tick and is made exact by this call, so the
 * first event about a scanned process pins its identity.
 */
struct proc *proctable_find(struct proctable *t, uint32_t pid, uint64_t start_ns);
/* Who has this pid now: the newest live entry, else the newest entry, else NULL. */
struct proc *proctable_find_pid(const struct proctable *t, uint32_t pid);

/* A zeroed entry for a process not yet in the table, in no tree; NULL on ENOMEM. */
struct proc *proctable_add(struct proctable *t, uint32_t pid, uint64_t start_ns);
/* Takes p out of the hash and the tree; its children become roots. */
void proctable_del(struct proctable *t, struct proc *p);

/*
 * Moves child under parent (NULL: make it a root). A parent that is the
 * child itself or one of its descendants, which only stale data can ask
 * for, makes the child a root instead of a cycle.
 */
void proctable_link(struct proc *child, struct proc *parent);

/* Walks every entry; p may be deleted before the next call. */
struct proctable_iter {
	const struct proctable *t;
	size_t bucket;
	struct proc *next;
};

void proctable_iter_init(struct proctable_iter *it, const struct proctable *t);
struct proc *proctable_iter_next(struct proctable_iter *it);

void proctable_set_filename(struct proc *p, const char *s, size_t n);

#endif
