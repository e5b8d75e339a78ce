// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "proclife.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Stable kernel ABI values not exported through BTF. */
#define SIGNAL_GROUP_EXIT 0x00000004
#define PF_EXITING 0x00000004
#define SIGCHLD 17
#define SA_NOCLDWAIT 0x00000002
#define SIG_IGN_HANDLER 1
#define SI_USER 0
#define SI_KERNEL 0x80
/* signal_generate's info is a pointer, or one of these (include/linux/sched/signal.h). */
#define SEND_SIG_NOINFO 0
#define SEND_SIG_PRIV 1
/*
 * Bounds of the bpf_loop walks: a thread group's threads and a process's
 * ancestors. Each walk stops at its answer; the bound only keeps a
 * corrupted list from looping forever.
 */
#define MAX_WALK (1 << 22)
#define PIDNS_ADDING (1U << 31)

/* Set by user space between open and load. */
const volatile __u32 arg_bytes = PL_ARGS_DEFAULT;
/*
 * Wake the consumer once this CPU has submitted this much to its ring
 * since it last did; 0 wakes on every event.
 */
const volatile __u64 wakeup_bytes = 0;
/* The kernel's sched_process_exit has no group_dead: handle_exit dedupes. */
const volatile bool exit_dedupe = false;
/* --threads: renames of every thread, not just of thread-group leaders. */
const volatile bool thread_renames = false;
/*
 * Every thread's end, for --threads and for thread counts (the tree,
 * snapshots). Otherwise only the end of a thread with children is sent:
 * the model needs it to re-parent them.
 */
const volatile bool thread_exits = false;

/*
 * A ring buffer per CPU, each CPU writing its own: sharing one, CPUs queue
 * for its lock and pass its positions' cache lines back and forth on every
 * record. User space sizes the rings, creates one for each online CPU and
 * merges them in time order (user/trace/ringread.h); a CPU without a ring
 * loses its events, and counts them.
 */
struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 12);	/* user space gives a ring of its own as the model */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct ring);
} rings SEC(".maps");

/* Failed ring-buffer reservations, per CPU: the consumer reports them as lost. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/*
 * Bytes submitted on this CPU since it last woke the consumer. A counter
 * of its own, not bpf_ringbuf_query: the consumer position it would read
 * is a cache line the consumer writes. A program interrupting another on
 * the same CPU may lose an increment: a wakeup comes a little late.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} unsignalled SEC(".maps");

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

/*
 * Filters (-p, -c, -u, --cgroup, --container), decided here before anything
 * is reserved: an event outside them costs no ring-buffer space. All off
 * unless user space sets filter_on. A process is inside from the first event
 * at which it matches until it is reaped (map `inside`), so its exit and reap
 * reach the model even after it renamed, changed uid or moved. The model also
 * needs some events of processes outside (PL_HDR_CONTEXT): those of the
 * parents of processes inside (map `context`: their exit re-parents, their
 * exec names) and the exit and reap of their exited children.
 */
const volatile bool filter_on = false;
const volatile __u32 filter_pid = 0;		/* -p: that process and its descendants */
const volatile bool filter_sticky = false;	/* a filter besides -p: `inside` holds the set */
const volatile bool filter_comm_on = false;
const volatile char filter_comm[PL_COMM_LEN] = {};
const volatile bool filter_uid_on = false;
const volatile __u32 filter_uid = 0;
const volatile bool filter_cgroup_on = false;
/* Levels of the targets in filter_cgroups below the root (level 0). */
const volatile __u32 filter_cgroup_min_level = 0;
const volatile __u32 filter_cgroup_max_level = 0;

#define MAX_CGROUP_LEVELS 32
#define MAX_PID_DEPTH 64

enum verdict { FILTER_OUT, FILTER_IN, FILTER_CONTEXT };

/* tgid -> the process's start_boottime, so a reused pid is not taken for it. */
struct pid_set {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);		/* sized by user space when a filter is on */
	__type(key, __u32);
	__type(value, __u64);
};

struct pid_set descendants SEC(".maps");
struct pid_set inside SEC(".maps");
struct pid_set context SEC(".maps");

/* Ids of the target cgroups (--cgroup, --container). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u8);
} filter_cgroups SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		*n += 1;
}

static __always_inline __u64 task_start(struct task_struct *task)
{
	return BPF_CORE_READ(task, group_leader, start_boottime);
}

static __always_inline bool set_has(void *set, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 *start = bpf_map_lookup_elem(set, &tgid);

	return start && (!*start || *start == task_start(task));
}

/* A full set loses a process of the filter: counted as lost, so /proc is read again. */
static __always_inline void set_put(void *set, __u32 tgid, __u64 start)
{
	if (bpf_map_update_elem(set, &tgid, &start, BPF_ANY))
		count_lost();
}

static __always_inline void set_drop(void *set, __u32 tgid, __u64 start)
{
	__u64 *v = bpf_map_lookup_elem(set, &tgid);

	if (v && (!*v || *v == start))
		bpf_map_delete_elem(set, &tgid);
}

static __always_inline bool comm_matches(struct task_struct *task)
{
	char comm[PL_COMM_LEN];

	BPF_CORE_READ_STR_INTO(&comm, task, comm);
	for (int i = 0; i < PL_COMM_LEN; i++) {
		if (comm[i] != filter_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* Kernels before 6.0 keep the ancestors' ids, later ones pointers to them. */
struct cgroup___ids {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* Not inlined: clang would hoist the offsets of both layouts out of the caller's loop. */
static __noinline __u64 cgroup_ancestor_id(struct cgroup *cgrp, int level)
{
	if (bpf_core_field_exists(struct cgroup___ids, ancestor_ids)) {
		struct cgroup___ids *old = (void *)cgrp;

		return BPF_CORE_READ(old, ancestor_ids[level]);
	}
	return BPF_CORE_READ(cgrp, ancestors[level], kn, id);
}

/* In a target cgroup or below it, on the v2 hierarchy. */
static __always_inline bool cgroup_matches(struct task_struct *task)
{
	struct cgroup *cgrp = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	__u32 level = BPF_CORE_READ(cgrp, level);

	for (int i = 0; i < MAX_CGROUP_LEVELS; i++) {
		__u32 l = filter_cgroup_min_level + i;
		__u64 id;

		if (l > filter_cgroup_max_level || l > level)
			break;
		id = cgroup_ancestor_id(cgrp, l);
		if (bpf_map_lookup_elem(&filter_cgroups, &id))
			return true;
	}
	return false;
}

static __always_inline bool matches(struct task_struct *task)
{
	if (filter_pid && !set_has(&descendants, task))
		return false;
	if (filter_comm_on && !comm_matches(task))
		return false;
	if (filter_uid_on && BPF_CORE_READ(task, cred, uid.val) != filter_uid)
		return false;
	if (filter_cgroup_on && !cgroup_matches(task))
		return false;
	return true;
}

static __always_inline bool in_filter(struct task_struct *task)
{
	if (!filter_sticky)
		return matches(task);
	if (set_has(&inside, task))
		return true;
	if (!matches(task))
		return false;
	set_put(&inside, BPF_CORE_READ(task, tgid), task_start(task));
	return true;
}

static __always_inline void watch(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 start = task_start(task), *v = bpf_map_lookup_elem(&context, &tgid);

	if (!v || *v != start)
		set_put(&context, tgid, start);
}

/* Whether an event about task is sent, and how. */
static __always_inline enum verdict verdict(struct task_struct *task)
{
	if (!filter_on)
		return FILTER_IN;
	if (in_filter(task)) {
		watch(BPF_CORE_READ(task, real_parent));
		return FILTER_IN;
	}
	return set_has(&context, task) ? FILTER_CONTEXT : FILTER_OUT;
}

static __always_inline __u8 header_flags(enum verdict v)
{
	return v == FILTER_CONTEXT ? PL_HDR_CONTEXT : 0;
}

static __always_inline __u64 submit_flags(__u32 size)
{
	__u32 zero = 0;
	__u64 *n;

	if (!wakeup_bytes)
		return 0;
	n = bpf_map_lookup_elem(&unsignalled, &zero);
	if (!n)
		return BPF_RB_FORCE_WAKEUP;
	*n += size;
	if (*n < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	*n = 0;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void *cpu_ring(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&rings, &cpu);
}

/*
 * The timestamp is read before the reservation: the consumer's merge needs
 * every record reserved before this one on this CPU to carry an earlier
 * time than anything this event causes (user/trace/ringread.h).
 */
static __always_inline void *reserve(__u32 size)
{
	__u64 ts = bpf_ktime_get_boot_ns();
	void *ring = cpu_ring();
	struct pl_header *h;

	h = ring ? bpf_ringbuf_reserve(ring, size, 0) : NULL;
	if (!h) {
		count_lost();
		return NULL;
	}
	h->ts_ns = ts;
	return h;
}

/*
 * tp_btf arguments are BTF pointers: their fields, and the fields of the
 * tasks and structures they point to, are plain loads that the verifier
 * turns into fault-safe ones (a NULL on the way reads as 0). Each costs a
 * load instead of a helper call; BPF_CORE_READ is left where the verifier
 * needs it: a variable index, a bitfield, and the signal tracepoints' siginfo,
 * which may be SEND_SIG_PRIV ((void *)1) and which 6.12 types as a scalar.
 */

/* comm is kept NUL-padded by the kernel: two loads copy it whole. */
static __always_inline void copy_comm(char dst[PL_COMM_LEN], struct task_struct *task)
{
	const __u64 *src = (const void *)task->comm;

	((__u64 *)dst)[0] = src[0];
	((__u64 *)dst)[1] = src[1];
}

/* The pid at the task's own level: its id and namespace as seen from inside. */
static __always_inline struct upid *own_upid(struct task_struct *task)
{
	struct pid *pid = task->thread_pid;

	return (void *)pid + bpf_core_field_offset(struct pid, numbers) +
	       pid->level * bpf_core_type_size(struct upid);
}

/*
 * The namespace (its inode number) and the pid in it at the task's own
 * level. Most tasks are in the initial namespace, level 0: a constant
 * index, read through typed pointers. A deeper level is a variable index
 * into pid->numbers, read by helper. A freed task has no pid left: both
 * read as 0.
 */
static __always_inline void own_pidns(struct task_struct *task, __u32 *inum, __u32 *nr)
{
	struct pid *pid = task->thread_pid;
	struct upid *upid;

	if (!pid->level) {
		*inum = pid->numbers[0].ns->ns.inum;
		*nr = pid->numbers[0].nr;
		return;
	}
	upid = own_upid(task);
	*inum = BPF_CORE_READ(upid, ns, ns.inum);
	*nr = BPF_CORE_READ(upid, nr);
}

static __always_inline void fill_header(struct pl_header *h, __u16 type, __u16 size,
					struct task_struct *task)
{
	h->start_ns = task->group_leader->start_boottime;
	h->pid = task->tgid;
	h->tid = task->pid;
	h->ppid = task->real_parent->tgid;
	h->type = type;
	h->flags = 0;
	h->size = size;
	copy_comm(h->comm, task);
	h->cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	own_pidns(task->group_leader, &h->pidns, &h->ns_pid);
}

/* As getppid() in the child: 0 when the parent is outside the child's namespace. */
static __always_inline __u32 ns_ppid(struct task_struct *real_parent, __u32 child_pidns)
{
	__u32 inum, nr;

	own_pidns(real_parent->group_leader, &inum, &nr);
	return inum == child_pidns ? nr : 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *real_parent = child->real_parent;
	bool thread = child->pid != child->tgid;
	struct pl_fork *e;

	/* A thread's real_parent is its process's parent: it is already in or out. */
	if (filter_pid && !thread && set_has(&descendants, real_parent))
		set_put(&descendants, BPF_CORE_READ(child, tgid), BPF_CORE_READ(child, start_boottime));
	if (verdict(child) != FILTER_IN)
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_FORK, sizeof(*e), child);
	e->parent_tid = real_parent->pid;
	e->parent_start_ns = real_parent->group_leader->start_boottime;
	e->flags = thread ? PL_FORK_THREAD : 0;
	e->ns_ppid = ns_ppid(real_parent, e->h.pidns);
	e->pad = 0;
	bpf_ringbuf_submit(e, submit_flags(sizeof(*e)));
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	enum verdict v = verdict(task);
	__u32 zero = 0, fn_len, args_len, size;
	unsigned long arg_start, arg_end;
	struct pl_exec *e;
	void *ring;
	long n;

	if (v == FILTER_OUT)
		return 0;
	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return 0;
	/* Read before the record is written, and so before it is reserved, as reserve() does. */
	e->h.ts_ns = bpf_ktime_get_boot_ns();
	fill_header(&e->h, PL_EV_EXEC, 0, task);
	e->h.flags = header_flags(v);
	e->old_pid = old_pid;
	e->uid = task->cred->uid.val;
	e->gid = task->cred->gid.val;
	e->flags = 0;
	e->pad = 0;

	n = bpf_probe_read_kernel_str(e->data, PL_FILENAME_MAX, bprm->filename);
	fn_len = n > 0 ? n - 1 : 0;
	if (fn_len >= PL_FILENAME_MAX - 1)
		e->flags |= PL_EXEC_FILENAME_TRUNCATED;
	fn_len &= PL_FILENAME_MAX - 1;

	arg_start = task->mm->arg_start;
	arg_end = task->mm->arg_end;
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
	ring = cpu_ring();
	if (!ring || bpf_ringbuf_output(ring, e, size, submit_flags(size)))
		count_lost();
	return 0;
}

static __always_inline bool has_children(struct task_struct *task)
{
	return task->children.next != &task->children;
}

/*
 * The kernel's do_notify_parent: it reaps a process itself when the parent
 * ignores SIGCHLD or set SA_NOCLDWAIT, but only if the process's exit
 * signal is SIGCHLD and no tracer waits for it.
 */
static __always_inline bool parent_autoreaps(struct task_struct *leader)
{
	struct k_sigaction *ka = &leader->real_parent->sighand->action[SIGCHLD - 1];

	if (leader->ptrace || leader->exit_signal != SIGCHLD)
		return false;
	return (unsigned long)ka->sa.sa_handler == SIG_IGN_HANDLER ||
	       (ka->sa.sa_flags & SA_NOCLDWAIT);
}

static __always_inline __u32 pid_level(struct task_struct *task)
{
	return task->thread_pid->level;
}

/* The state of a find_alive_thread walk over signal->thread_head. */
struct thread_walk {
	struct list_head *head;
	struct list_head *pos;
	bool found;
};

static long thread_step(__u64 i, void *ctx)
{
	struct thread_walk *w = ctx;
	struct list_head *pos = w->pos;
	struct task_struct *t;

	w->pos = BPF_CORE_READ(pos, next);
	if (!w->pos || w->pos == w->head)
		return 1;
	t = (void *)w->pos - bpf_core_field_offset(struct task_struct, thread_node);
	if (!(BPF_CORE_READ(t, flags) & PF_EXITING)) {
		w->found = true;
		return 1;
	}
	return 0;
}

/* The kernel's find_alive_thread: whether a thread of the group is not exiting. */
static __always_inline bool has_alive_thread(struct task_struct *task)
{
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	struct thread_walk w = {
		.head = (void *)sig + bpf_core_field_offset(struct signal_struct, thread_head),
	};

	w.pos = w.head;
	bpf_loop(MAX_WALK, thread_step, &w, 0);
	return w.found;
}

/* The state of find_new_reaper's walk up the real parents. */
struct ancestor_walk {
	struct task_struct *reaper;
	__u32 level;
	__u32 tgid;	/* the subreaper found; 0 none */
};

static long ancestor_step(__u64 i, void *ctx)
{
	struct ancestor_walk *w = ctx;
	struct task_struct *r = w->reaper;
	struct signal_struct *sig;

	/* The walk ends at init_task (pid 0) or at the pid namespace's border. */
	if (!r || BPF_CORE_READ(r, pid) == 0 || BPF_CORE_READ(r, thread_pid, level) != w->level)
		return 1;
	sig = BPF_CORE_READ(r, signal);
	if (BPF_CORE_READ_BITFIELD_PROBED(sig, is_child_subreaper) && has_alive_thread(r)) {
		w->tgid = BPF_CORE_READ(r, tgid);
		return 1;
	}
	w->reaper = BPF_CORE_READ(r, real_parent);
	return 0;
}

/*
 * The kernel's find_new_reaper() once no thread of the group is left to
 * adopt: the nearest child subreaper with a thread that is not exiting,
 * else the init of the pid namespace.
 */
static __always_inline __u32 find_reaper(struct task_struct *task, __u32 *rule)
{
	struct signal_struct *task_sig = task->signal;
	__u32 level = pid_level(task);
	struct upid *upid;

	if (BPF_CORE_READ_BITFIELD_PROBED(task_sig, has_child_subreaper)) {
		struct ancestor_walk w = { .reaper = task->real_parent, .level = level };

		bpf_loop(MAX_WALK, ancestor_step, &w, 0);
		if (w.tgid) {
			*rule = PL_REAPER_SUBREAPER;
			return w.tgid;
		}
	}
	/* The pid namespace the task lives in is the one at its own level. */
	upid = (void *)BPF_CORE_READ(task, thread_pid) + bpf_core_field_offset(struct pid, numbers) +
	       level * bpf_core_type_size(struct upid);
	*rule = PL_REAPER_INIT;
	return BPF_CORE_READ(upid, ns, child_reaper, tgid);
}

/*
 * Who adopts the children of an exiting task. First find_alive_thread(): a
 * thread of the same group that is not exiting (PF_EXITING) keeps them.
 * Then find_child_reaper(): when the exiting process is its pid
 * namespace's init, or the namespace is already being torn down
 * (allocation disabled), the kernel kills the rest of the namespace and
 * its children stay with the dying init, which reaps them: nobody is
 * adopted. Else find_new_reaper()'s subreaper or init.
 */
static __always_inline __u32 predict_reaper(struct task_struct *task, bool group_dead, __u32 *rule)
{
	struct pid_namespace *ns = BPF_CORE_READ(own_upid(task), ns);
	__u32 init = BPF_CORE_READ(ns, child_reaper, tgid);

	if (!group_dead && has_alive_thread(task)) {
		*rule = PL_REAPER_THREAD;
		return task->tgid;
	}
	if (init == (__u32)BPF_CORE_READ(task, tgid) ||
	    !(BPF_CORE_READ(ns, pid_allocated) & PIDNS_ADDING)) {
		*rule = PL_REAPER_PIDNS_DYING;
		return init;
	}
	return find_reaper(task, rule);
}

static __always_inline int wait_status(struct task_struct *task)
{
	struct signal_struct *sig = task->signal;

	if (sig->flags & SIGNAL_GROUP_EXIT)
		return sig->group_exit_code;
	return task->group_leader->exit_code;
}

/* The exit of a process outside the filter whose parent is inside: the model counts the zombie. */
static __always_inline enum verdict exit_verdict(struct task_struct *task, bool group_dead)
{
	enum verdict v = verdict(task);

	if (v != FILTER_OUT || !filter_on || !group_dead || !in_filter(BPF_CORE_READ(task, real_parent)))
		return v;
	/* Its reap must follow. */
	set_put(&context, BPF_CORE_READ(task, tgid), task_start(task));
	return FILTER_CONTEXT;
}

static __always_inline int emit_exit(struct task_struct *task, bool group_dead)
{
	struct task_struct *leader = task->group_leader;
	enum verdict v = exit_verdict(group_dead ? leader : task, group_dead);
	bool parent = has_children(task);
	struct pl_exit *e;

	/* The verdict first: it keeps the filter's sets as a sent exit would. */
	if (v == FILTER_OUT || (!group_dead && !parent && !thread_exits))
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	/* A process exit speaks for the process: its leader's name and id. */
	fill_header(&e->h, PL_EV_EXIT, sizeof(*e), group_dead ? leader : task);
	e->h.flags = header_flags(v);
	e->reaper = 0;
	e->reaper_rule = PL_REAPER_NONE;
	e->flags = 0;
	if (group_dead) {
		e->h.tid = task->pid;
		e->status = wait_status(task);
		if (parent_autoreaps(leader))
			e->flags |= PL_EXIT_PARENT_AUTOREAP;
	} else {
		e->status = task->exit_code;
		e->flags |= PL_EXIT_THREAD;
	}
	if (parent)
		e->reaper = predict_reaper(task, group_dead, &e->reaper_rule);
	/* The adopter is now the parent of processes the model follows. */
	if (filter_on && e->reaper_rule >= PL_REAPER_SUBREAPER)
		set_put(&context, e->reaper, 0);
	bpf_ringbuf_submit(e, submit_flags(sizeof(*e)));
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
	bool group_dead = task->signal->live.counter == 0;
	__u8 one = 1;
	__u64 key;

	if (group_dead) {
		key = (__u64)task->tgid << 32 ^ task->group_leader->start_boottime;
		if (bpf_map_update_elem(&exit_seen, &key, &one, BPF_NOEXIST))
			return 0;
	}
	return emit_exit(task, group_dead);
}

/*
 * A free only reads the sets: the process was inside, or followed for the
 * model, from an earlier event (its exit at the latest: nothing the
 * filters look at changes after it), or its reap is not sent. Judging it
 * afresh here would put it inside at its last moment and watch its parent,
 * which would then be followed until it dies.
 */
static __always_inline enum verdict free_verdict(struct task_struct *task)
{
	if (!filter_on)
		return FILTER_IN;
	if (filter_sticky ? set_has(&inside, task) : set_has(&descendants, task))
		return FILTER_IN;
	return set_has(&context, task) ? FILTER_CONTEXT : FILTER_OUT;
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(handle_free, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 start = BPF_CORE_READ(task, start_boottime);
	struct pl_reap *e;
	enum verdict v;
	__u64 key;

	if ((__u32)BPF_CORE_READ(task, pid) != tgid)
		return 0;
	if (exit_dedupe) {
		key = (__u64)tgid << 32 ^ start;
		bpf_map_delete_elem(&exit_seen, &key);
	}
	v = free_verdict(task);
	if (filter_pid)
		set_drop(&descendants, tgid, start);
	if (filter_sticky)
		set_drop(&inside, tgid, start);
	if (filter_on)
		set_drop(&context, tgid, start);
	if (v == FILTER_OUT)
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_REAP, sizeof(*e), task);
	e->h.flags = header_flags(v);
	bpf_ringbuf_submit(e, submit_flags(sizeof(*e)));
	return 0;
}

/* The kernel's task_tgid_nr_ns(task, task_active_pid_ns(target)): 0 when not visible there. */
static __always_inline __u32 tgid_seen_by(struct task_struct *task, struct task_struct *target)
{
	struct pid *theirs = BPF_CORE_READ(target, thread_pid);
	struct pid *ours = BPF_CORE_READ(task, group_leader, thread_pid);
	__u32 level = BPF_CORE_READ(theirs, level);
	__u64 at = bpf_core_field_offset(struct pid, numbers) + level * bpf_core_type_size(struct upid);
	struct upid *their_upid = (void *)theirs + at, *our_upid = (void *)ours + at;

	if (BPF_CORE_READ(ours, level) < level ||
	    BPF_CORE_READ(our_upid, ns) != BPF_CORE_READ(their_upid, ns))
		return 0;
	return BPF_CORE_READ(our_upid, nr);
}

/*
 * The verifier takes a tp_btf pointer argument for non-NULL and drops a
 * NULL check on it as dead code: the raw value is read as a number.
 */
static __always_inline unsigned long raw_arg(unsigned long long *ctx, int n)
{
	unsigned long v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &ctx[n]);
	return v;
}

/* A kernel_siginfo from si_code on, as 64-bit kernels lay it out. */
struct siginfo_tail {
	__s32 code;
	__u32 pad;
	__u8 fields[PL_SIFIELDS_LEN];
};
#define SI_CODE_TO_FIELDS offsetof(struct siginfo_tail, fields)

/*
 * si_code and the siginfo union as the target gets them. info (argument
 * 1 of both tracepoints) may be no pointer but SEND_SIG_NOINFO (SI_USER)
 * or SEND_SIG_PRIV (SI_KERNEL), as include/trace/events/signal.h's
 * TP_STORE_SIGINFO decodes it. A generated NOINFO signal is queued with
 * current as its sender; a delivered one is the group exit's SIGKILL,
 * whose siginfo the kernel cleared.
 */
static __always_inline void store_siginfo(struct pl_signal *e, unsigned long long *ctx,
					  struct kernel_siginfo *info,
					  struct task_struct *target, bool generate)
{
	unsigned long special = raw_arg(ctx, 1);

	__builtin_memset(e->sifields, 0, sizeof(e->sifields));
	if (special == SEND_SIG_NOINFO && !generate) {
		e->code = SI_USER;
	} else if (special == SEND_SIG_NOINFO) {
		struct task_struct *cur = bpf_get_current_task_btf();
		__u32 *kill = (__u32 *)e->sifields;

		e->code = SI_USER;
		kill[0] = tgid_seen_by(cur, target);
		kill[1] = BPF_CORE_READ(cur, cred, uid.val);
	} else if (special == SEND_SIG_PRIV) {
		e->code = SI_KERNEL;
	} else if (bpf_core_field_offset(struct kernel_siginfo, _sifields) -
		   bpf_core_field_offset(struct kernel_siginfo, si_code) == SI_CODE_TO_FIELDS) {
		struct siginfo_tail si;

		/* One read: on 64-bit kernels the union follows si_code and 4 bytes of padding. */
		bpf_core_read(&si, sizeof(si), &info->si_code);
		e->code = si.code;
		__builtin_memcpy(e->sifields, si.fields, sizeof(e->sifields));
	} else {
		e->code = BPF_CORE_READ(info, si_code);
		bpf_core_read(e->sifields, sizeof(e->sifields), &info->_sifields);
	}
}

SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	struct task_struct *cur = (void *)bpf_get_current_task_btf();
	struct pl_signal *e;

	if (filter_on && !in_filter(task))
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_SIGNAL_GENERATE, sizeof(*e), task);
	e->sig = sig;
	store_siginfo(e, ctx, info, task, true);
	e->result = result;
	e->disposition = 0;
	e->sender_pid = cur->tgid;
	e->sender_tid = cur->pid;
	copy_comm(e->sender_comm, cur);
	bpf_ringbuf_submit(e, submit_flags(sizeof(*e)));
	return 0;
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(handle_signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	struct task_struct *cur = (void *)bpf_get_current_task_btf();
	unsigned long handler;
	struct pl_signal *e;

	if (filter_on && !in_filter(cur))
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_SIGNAL_DELIVER, sizeof(*e), cur);
	e->sig = sig;
	store_siginfo(e, ctx, info, cur, false);
	e->result = 0;
	handler = (unsigned long)ka->sa.sa_handler;
	e->disposition = handler == 0 ? PL_DISP_DEFAULT :
			 handler == SIG_IGN_HANDLER ? PL_DISP_IGNORED : PL_DISP_HANDLER;
	e->sender_pid = 0;
	e->sender_tid = 0;
	__builtin_memset(e->sender_comm, 0, sizeof(e->sender_comm));
	bpf_ringbuf_submit(e, submit_flags(sizeof(*e)));
	return 0;
}

/*
 * The tracepoint fires before the copy: task->comm is still the old name.
 * An exec renames too, but its exec event already carries the new name.
 */
SEC("tp_btf/task_rename")
int BPF_PROG(handle_rename, struct task_struct *task, const char *comm)
{
	struct pl_rename *e;

	if (bpf_core_field_exists(task->in_execve) && BPF_CORE_READ_BITFIELD(task, in_execve))
		return 0;
	if (!thread_renames && task->pid != task->tgid)
		return 0;
	if (filter_on && !in_filter(task))
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_RENAME, sizeof(*e), task);
	__builtin_memcpy(e->old_comm, e->h.comm, sizeof(e->old_comm));
	__builtin_memset(e->h.comm, 0, sizeof(e->h.comm));
	bpf_probe_read_kernel_str(e->h.comm, sizeof(e->h.comm), comm);
	bpf_ringbuf_submit(e, submit_flags(sizeof(*e)));
	return 0;
}

/*
 * Run once at start and after lost events, when a filter is on: puts the
 * processes that already exist into the sets and writes those inside
 * (struct pl_seed), which the consumer keeps from its /proc scan.
 */
static __always_inline bool descends_from_target(struct task_struct *task)
{
	for (int i = 0; i < MAX_PID_DEPTH && task; i++) {
		__u32 tgid = BPF_CORE_READ(task, tgid);

		if (tgid == filter_pid)
			return true;
		if (!tgid)
			return false;
		task = BPF_CORE_READ(task, real_parent);
	}
	return false;
}

SEC("iter/task")
int seed_filter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task, *parent;
	struct pl_seed rec = { 0 };

	if (!task || task->pid != task->tgid)
		return 0;
	rec.pid = task->tgid;
	rec.start_ns = task->start_boottime;
	if (filter_pid && descends_from_target(task))
		set_put(&descendants, rec.pid, rec.start_ns);
	parent = task->real_parent;
	if (in_filter(task)) {
		watch(parent);
		bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	} else if (task->exit_state && in_filter(parent)) {
		set_put(&context, rec.pid, rec.start_ns);
	}
	return 0;
}
