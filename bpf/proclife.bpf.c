// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "proclife.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Stable kernel ABI values not exported through BTF. */
#define SIGNAL_GROUP_EXIT 0x00000004
#define SIGCHLD 17
#define SA_NOCLDWAIT 0x00000002
#define SIG_IGN_HANDLER 1
#define MAX_ANCESTORS 32
#define PIDNS_ADDING (1U << 31)

/* Set by user space between open and load. */
const volatile __u32 arg_bytes = PL_ARGS_DEFAULT;
/* Wake the consumer only once this much is pending; 0 wakes on every event. */
const volatile __u64 wakeup_bytes = 0;
/* The kernel's sched_process_exit has no group_dead: handle_exit dedupes. */
const volatile bool exit_dedupe = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* Failed ring-buffer reservations, per CPU: the consumer reports them as lost. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Exec records are too large for the BPF stack: built here, then copied out. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_exec);
} exec_scratch SEC(".maps");

/*
 * Kernels whose sched_process_exit lacks group_dead: the last threads of a
 * group can race past signal->live == 0 together; the first to insert the
 * process key here reports the exit. The leader's free removes it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} exit_seen SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		*n += 1;
}

static __always_inline __u64 submit_flags(void)
{
	if (!wakeup_bytes)
		return 0;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void *reserve(__u32 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		count_lost();
	return e;
}

/* The pid at the task's own level: its id and namespace as seen from inside. */
static __always_inline struct upid *own_upid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);

	return (void *)pid + bpf_core_field_offset(struct pid, numbers) +
	       BPF_CORE_READ(pid, level) * bpf_core_type_size(struct upid);
}

static __always_inline void fill_header(struct pl_header *h, __u16 type, __u16 size,
					struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	/* A freed task has no pid left: both read as 0. */
	struct upid *upid = own_upid(leader);

	h->ts_ns = bpf_ktime_get_boot_ns();
	h->start_ns = BPF_CORE_READ(leader, start_boottime);
	h->pid = BPF_CORE_READ(task, tgid);
	h->tid = BPF_CORE_READ(task, pid);
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->type = type;
	h->size = size;
	BPF_CORE_READ_STR_INTO(&h->comm, task, comm);
	h->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	h->pidns = BPF_CORE_READ(upid, ns, ns.inum);
	h->ns_pid = BPF_CORE_READ(upid, nr);
}

/* As getppid() in the child: 0 when the parent is outside the child's namespace. */
static __always_inline __u32 ns_ppid(struct task_struct *real_parent, __u32 child_pidns)
{
	struct upid *upid = own_upid(BPF_CORE_READ(real_parent, group_leader));

	return BPF_CORE_READ(upid, ns, ns.inum) == child_pidns ? BPF_CORE_READ(upid, nr) : 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *real_parent = BPF_CORE_READ(child, real_parent);
	struct pl_fork *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_FORK, sizeof(*e), child);
	e->parent_tid = BPF_CORE_READ(real_parent, pid);
	e->parent_start_ns = BPF_CORE_READ(real_parent, group_leader, start_boottime);
	e->flags = BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid) ? PL_FORK_THREAD : 0;
	e->ns_ppid = ns_ppid(real_parent, e->h.pidns);
	e->pad = 0;
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 zero = 0, fn_len, args_len, size;
	unsigned long arg_start, arg_end;
	struct pl_exec *e;
	long n;

	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_EXEC, 0, task);
	e->old_pid = old_pid;
	e->uid = BPF_CORE_READ(task, cred, uid.val);
	e->gid = BPF_CORE_READ(task, cred, gid.val);
	e->flags = 0;
	e->pad = 0;

	n = bpf_probe_read_kernel_str(e->data, PL_FILENAME_MAX, BPF_CORE_READ(bprm, filename));
	fn_len = n > 0 ? n - 1 : 0;
	if (fn_len >= PL_FILENAME_MAX - 1)
		e->flags |= PL_EXEC_FILENAME_TRUNCATED;
	fn_len &= PL_FILENAME_MAX - 1;

	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	args_len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (args_len > arg_bytes) {
		args_len = arg_bytes;
		e->flags |= PL_EXEC_ARGS_TRUNCATED;
	}
	args_len &= PL_ARGS_MAX - 1;
	if (args_len && bpf_probe_read_user(e->data + fn_len, args_len, (void *)arg_start))
		args_len = 0;

	e->filename_len = fn_len;
	e->args_len = args_len;
	size = offsetof(struct pl_exec, data) + fn_len + args_len;
	e->h.size = size;
	if (size > sizeof(*e))
		return 0;
	if (bpf_ringbuf_output(&events, e, size, submit_flags()))
		count_lost();
	return 0;
}

static __always_inline bool has_children(struct task_struct *task)
{
	struct list_head *head = (void *)task + bpf_core_field_offset(struct task_struct, children);

	return BPF_CORE_READ(task, children.next) != head;
}

/* SIGCHLD ignored or SA_NOCLDWAIT: the kernel reaps the child itself. */
static __always_inline bool parent_autoreaps(struct task_struct *task)
{
	struct k_sigaction *ka;
	unsigned long flags;
	void *handler;

	ka = (void *)BPF_CORE_READ(task, real_parent, sighand) +
	     bpf_core_field_offset(struct sighand_struct, action) +
	     (SIGCHLD - 1) * bpf_core_type_size(struct k_sigaction);
	handler = BPF_CORE_READ(ka, sa.sa_handler);
	flags = BPF_CORE_READ(ka, sa.sa_flags);
	return (unsigned long)handler == SIG_IGN_HANDLER || (flags & SA_NOCLDWAIT);
}

static __always_inline __u32 pid_level(struct task_struct *task)
{
	return BPF_CORE_READ(task, thread_pid, level);
}

/* The kernel's find_new_reaper() once no thread of the group is left. */
static __always_inline __u32 find_reaper(struct task_struct *task, __u32 *rule)
{
	struct task_struct *reaper = BPF_CORE_READ(task, real_parent);
	struct signal_struct *task_sig = BPF_CORE_READ(task, signal);
	__u32 level = pid_level(task);
	struct upid *upid;

	if (BPF_CORE_READ_BITFIELD_PROBED(task_sig, has_child_subreaper)) {
		for (int i = 0; i < MAX_ANCESTORS; i++) {
			struct signal_struct *sig = BPF_CORE_READ(reaper, signal);

			if (!reaper || BPF_CORE_READ(reaper, pid) == 0 || pid_level(reaper) != level)
				break;
			if (BPF_CORE_READ_BITFIELD_PROBED(sig, is_child_subreaper) &&
			    BPF_CORE_READ(sig, live.counter) > 0) {
				*rule = PL_REAPER_SUBREAPER;
				return BPF_CORE_READ(reaper, tgid);
			}
			reaper = BPF_CORE_READ(reaper, real_parent);
		}
	}
	/* The pid namespace the task lives in is the one at its own level. */
	upid = (void *)BPF_CORE_READ(task, thread_pid) + bpf_core_field_offset(struct pid, numbers) +
	       level * bpf_core_type_size(struct upid);
	*rule = PL_REAPER_INIT;
	return BPF_CORE_READ(upid, ns, child_reaper, tgid);
}

/*
 * find_child_reaper(): when the exiting process is its pid namespace's init,
 * or the namespace is already being torn down (allocation disabled), the
 * kernel kills the rest of the namespace and its children stay with the
 * dying init, which reaps them: nobody is adopted.
 */
static __always_inline __u32 predict_reaper(struct task_struct *task, __u32 *rule)
{
	struct pid_namespace *ns = BPF_CORE_READ(own_upid(task), ns);
	__u32 init = BPF_CORE_READ(ns, child_reaper, tgid);

	if (init == (__u32)BPF_CORE_READ(task, tgid) ||
	    !(BPF_CORE_READ(ns, pid_allocated) & PIDNS_ADDING)) {
		*rule = PL_REAPER_PIDNS_DYING;
		return init;
	}
	return find_reaper(task, rule);
}

static __always_inline int wait_status(struct task_struct *task)
{
	struct signal_struct *sig = BPF_CORE_READ(task, signal);

	if (BPF_CORE_READ(sig, flags) & SIGNAL_GROUP_EXIT)
		return BPF_CORE_READ(sig, group_exit_code);
	return BPF_CORE_READ(task, group_leader, exit_code);
}

static __always_inline int emit_exit(struct task_struct *task, bool group_dead)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct pl_exit *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	/* A process exit speaks for the process: its leader's name and id. */
	fill_header(&e->h, PL_EV_EXIT, sizeof(*e), group_dead ? leader : task);
	e->reaper = 0;
	e->reaper_rule = PL_REAPER_NONE;
	e->flags = 0;
	if (group_dead) {
		e->h.tid = BPF_CORE_READ(task, pid);
		e->status = wait_status(task);
		if (parent_autoreaps(leader))
			e->flags |= PL_EXIT_PARENT_AUTOREAP;
		if (has_children(task))
			e->reaper = predict_reaper(task, &e->reaper_rule);
	} else {
		e->status = BPF_CORE_READ(task, exit_code);
		e->flags |= PL_EXIT_THREAD;
		if (has_children(task) && (BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT)) {
			/*
			 * The whole group is dying: the kernel skips siblings that are
			 * already exiting, and every child ends with the final reaper.
			 */
			e->reaper = predict_reaper(task, &e->reaper_rule);
		} else if (has_children(task)) {
			e->reaper = e->h.pid;
			e->reaper_rule = PL_REAPER_THREAD;
		}
	}
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit_group_dead, struct task_struct *task, bool group_dead)
{
	return emit_exit(task, group_dead);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	bool group_dead = BPF_CORE_READ(task, signal, live.counter) == 0;
	__u8 one = 1;
	__u64 key;

	if (group_dead) {
		key = (__u64)BPF_CORE_READ(task, tgid) << 32 ^
		      BPF_CORE_READ(task, group_leader, start_boottime);
		if (bpf_map_update_elem(&exit_seen, &key, &one, BPF_NOEXIST))
			return 0;
	}
	return emit_exit(task, group_dead);
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(handle_free, struct task_struct *task)
{
	struct pl_reap *e;
	__u64 key;

	if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid))
		return 0;
	if (exit_dedupe) {
		key = (__u64)BPF_CORE_READ(task, tgid) << 32 ^ BPF_CORE_READ(task, start_boottime);
		bpf_map_delete_elem(&exit_seen, &key);
	}
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_REAP, sizeof(*e), task);
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	struct task_struct *cur = (void *)bpf_get_current_task_btf();
	struct pl_signal *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_SIGNAL_GENERATE, sizeof(*e), task);
	e->sig = sig;
	e->code = BPF_CORE_READ(info, si_code);
	e->result = result;
	e->disposition = 0;
	e->sender_pid = cur->tgid;
	e->sender_tid = cur->pid;
	bpf_get_current_comm(e->sender_comm, sizeof(e->sender_comm));
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(handle_signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	struct task_struct *cur = (void *)bpf_get_current_task_btf();
	struct pl_signal *e = reserve(sizeof(*e));
	unsigned long handler;

	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_SIGNAL_DELIVER, sizeof(*e), cur);
	e->sig = sig;
	e->code = BPF_CORE_READ(info, si_code);
	e->result = 0;
	handler = (unsigned long)BPF_CORE_READ(ka, sa.sa_handler);
	e->disposition = handler == 0 ? PL_DISP_DEFAULT :
			 handler == SIG_IGN_HANDLER ? PL_DISP_IGNORED : PL_DISP_HANDLER;
	e->sender_pid = BPF_CORE_READ(info, _sifields._kill._pid);
	e->sender_tid = 0;
	__builtin_memset(e->sender_comm, 0, sizeof(e->sender_comm));
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}
