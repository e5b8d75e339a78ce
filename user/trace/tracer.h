/* The BPF side's lifecycle: open, configure, load, attach, poll, destroy. */
#ifndef PL_TRACER_H
#define PL_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "proclife.h"

/* A cgroup v2 to trace with everything below it. */
struct cgroup_target {
	uint64_t id;		/* its inode number on the v2 hierarchy */
	uint32_t level;		/* 0: the root */
};

/* What to trace, decided in the kernel; a zero field filters nothing. */
struct tracer_filter {
	uint32_t pid;		/* that process and its descendants */
	const char *comm;	/* NULL: any name */
	bool uid_on;
	uint32_t uid;		/* the real uid */
	const struct cgroup_target *cgroups;	/* in any of them */
	size_t ncgroups;
};

struct tracer_config {
	const char *btf_path;	/* NULL: the running kernel's */
	size_t ringbuf_size;	/* bytes, a power of two */
	uint32_t arg_bytes;
	bool thread_renames;	/* report renames of every thread, not only of leaders */
	bool thread_exits;	/* report every thread's end, not only of those with children */
	/* Which events' programs to load: 1 << enum pl_event_type; a filter adds those that keep its sets. */
	uint32_t programs;
	struct tracer_filter filter;
	bool verbose;		/* pass libbpf's messages to stderr */
};

/* Called for each ring-buffer record; a negative return stops the poll. */
typedef int (*tracer_record_fn)(void *ctx, void *data, size_t size);

struct tracer;

/* Each returns 0 or -errno, having said on stderr what failed. */
int tracer_start(struct tracer **out, const struct tracer_config *cfg,
		 tracer_record_fn fn, void *ctx);
/*
 * With a filter on: enters the processes that exist now into the kernel's
 * sets, and lists those inside (*out, malloc'ed, for the caller to free).
 */
int tracer_seed_filter(struct tracer *t, struct pl_seed **out, size_t *n);
/*
 * Waits up to timeout_ms for records, then passes on, in order, those that
 * are ready: a record may wait for an older one still being written on
 * another CPU (user/trace/ringread.h).
 */
int tracer_poll(struct tracer *t, int timeout_ms);
/* When stopping: passes on every record committed until now. */
int tracer_drain(struct tracer *t);
/* Readable when the kernel has woken the consumer: poll it with other fds, then tracer_poll(t, 0). */
int tracer_fd(const struct tracer *t);
/* Bytes the kernel has written and the consumer has not read yet: of the fullest CPU's ring, with its size. */
void tracer_ring_usage(const struct tracer *t, uint64_t *pending, uint64_t *size);
/* Events not sent since start: failed ring-buffer reservations and skipped programs. */
int tracer_lost(struct tracer *t, uint64_t *total);
void tracer_destroy(struct tracer *t);

#endif
