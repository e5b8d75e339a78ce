// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor under proclife's in-kernel cost: one program per primitive that
 * proclife's programs are built from, all on the fork tracepoint, so the
 * kernel's BPF run-time statistics (kernel.bpf_stats_enabled) time each one
 * over the same forks. Nothing here is part of proclife (bench/README.md).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "proclife.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* proclife's ring buffers, a ring per CPU: floor.c makes them as proclife does. */
struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 12);	/* floor.c gives a ring of its own as the model */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct ring);
} rings SEC(".maps");

/* Failed reservations: a full buffer would make reserve+submit look cheap. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} failed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_fork);
} scratch SEC(".maps");

/* As many keys as a storm has live pids, so updates replace, not insert. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} by_pid SEC(".maps");

/* A record of the fork record's size in this CPU's ring, or NULL (counted) when it is full. */
static __always_inline struct pl_fork *reserve_record(void)
{
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&rings, &cpu);
	struct pl_fork *e = ring ? bpf_ringbuf_reserve(ring, sizeof(*e), 0) : NULL;
	__u64 *n;

	if (!e && (n = bpf_map_lookup_elem(&failed, &zero)))
		*n += 1;
	return e;
}

/* What running any program costs: the tracepoint's dispatch and the stats' own clock reads. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_empty, struct task_struct *parent, struct task_struct *child)
{
	return 0;
}

/* Every proclife record starts with a CLOCK_BOOTTIME time stamp. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_ktime, struct task_struct *parent, struct task_struct *child)
{
	return bpf_ktime_get_boot_ns() == 0;
}

/* A per-CPU array element written: proclife's wakeup and lost counters, its exec scratch record. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_percpu, struct task_struct *parent, struct task_struct *child)
{
	__u32 zero = 0;
	struct pl_fork *e = bpf_map_lookup_elem(&scratch, &zero);

	if (e) {
		e->h.pid = child->tgid;
		e->h.tid = child->pid;
	}
	return 0;
}

/* The reservation's lock and its release, without a record for the consumer. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_discard, struct task_struct *parent, struct task_struct *child)
{
	struct pl_fork *e = reserve_record();

	if (e)
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * One record of the fork record's size, written whole and handed to the
 * consumer: the least any event proclife reports can cost. No wakeup, as on
 * proclife's common path (the consumer is woken once a batch is pending).
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_submit, struct task_struct *parent, struct task_struct *child)
{
	struct pl_fork *e = reserve_record();

	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->h.pid = child->tgid;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* A hash map element replaced: proclife's filter sets and exit dedupe map. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_hash, struct task_struct *parent, struct task_struct *child)
{
	__u32 key = child->pid & 511;
	__u64 value = child->tgid;

	bpf_map_update_elem(&by_pid, &key, &value, BPF_ANY);
	return 0;
}
