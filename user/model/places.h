/*
 * Where processes run: each distinct (cgroup v2 id, pid namespace) pair,
 * interned, so a process holds 4 bytes for both, and its cgroup's path and
 * container are worked out once per pair instead of once per event. Entries
 * are never dropped: a cgroup already removed keeps its last known path.
 */
#ifndef PL_PLACES_H
#define PL_PLACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "container.h"

/* The initial pid namespace's inode number, fixed by the kernel (PROC_PID_INIT_INO). */
#define PL_PIDNS_HOST 0xEFFFFFFCU

struct place {
	uint64_t cgroup_id;	/* 0 unknown */
	uint32_t pidns;		/* 0 unknown */
	bool in_container;	/* ctr is valid */
	char *cgroup;		/* the cgroup's path below the v2 root; NULL unknown */
	struct container_ref ctr;
};

/* How the live host names its cgroups (cgroupfs.h); both false when they cannot tell. */
struct cgroup_lookup {
	bool (*path)(void *ctx, uint64_t id, char *buf, size_t size);
	bool (*id)(void *ctx, const char *path, uint64_t *id);
	void *ctx;
};

struct places {
	struct place *v;	/* v[0] is the unknown place */
	uint32_t n, cap;
	uint32_t *slots;	/* open addressing: index into v, 0 free */
	uint32_t mask;
	struct cgroup_lookup lookup;	/* NULL members: paths come only from places_set_path */
};

int places_init(struct places *t, const struct cgroup_lookup *lookup);
void places_free(struct places *t);

/*
 * The index of (cgroup_id, pidns), added (and its path resolved) when new;
 * 0, the unknown place, when both are 0 or memory ran out.
 */
uint32_t places_intern(struct places *t, uint64_t cgroup_id, uint32_t pidns);
/* The place of an index; the unknown place for 0 and for indexes never handed out. */
const struct place *places_get(const struct places *t, uint32_t idx);
/* Records the cgroup path of a place (from a recorded trace) if none is known. */
void places_set_path(struct places *t, uint32_t idx, const char *path);
/* The place of a process read from /proc: its cgroup by path, the id looked up. */
uint32_t places_intern_path(struct places *t, const char *path, uint32_t pidns);

/* Whether a place is a pid namespace other than the host's. */
static inline bool place_in_pidns(const struct place *p)
{
	return p->pidns && p->pidns != PL_PIDNS_HOST;
}

#endif
