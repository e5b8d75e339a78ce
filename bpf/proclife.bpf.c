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

/* Set by user space between open and load. */
const volatile __u32 arg_bytes = PL_ARGS_DEFAULT;
/* Wake the consumer only once this much is pending; 0 wakes on every event. */
const volatile __u64 wakeup_bytes = 0;
/* The kernel's sched_process_exit has no group_dead: handle_exit dedupes. */
const volatile bool exit_dedupe = false;
/* --threads: renames of every thread, not just of thread-group leaders. */
const volatile bool thread_renames = false;

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

static __always_inline void fill_header(struct pl_header *h, __u16 type, __u16 size,
					struct task_struct *task)
{
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->start_ns = task->group_leader->start_boottime;
	h->pid = task->tgid;
	h->tid = task->pid;
	h->ppid = task->real_parent->tgid;
	h->type = type;
	h->size = size;
	copy_comm(h->comm, task);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *real_parent = child->real_parent;
	struct pl_fork *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_FORK, sizeof(*e), child);
	e->parent_tid = real_parent->pid;
	e->parent_start_ns = real_parent->group_leader->start_boottime;
	e->flags = child->pid != child->tgid ? PL_FORK_THREAD : 0;
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
	if (bpf_ringbuf_output(&events, e, size, submit_flags()))
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
 * The kernel's find_new_reaper(): a thread of the same group that is not
 * exiting, else the nearest child subreaper with such a thread, else the
 * init of the pid namespace.
 */
static __always_inline __u32 find_reaper(struct task_struct *task, bool group_dead, __u32 *rule)
{
	struct signal_struct *task_sig = task->signal;
	__u32 level = pid_level(task);
	struct upid *upid;

	if (!group_dead && has_alive_thread(task)) {
		*rule = PL_REAPER_THREAD;
		return task->tgid;
	}
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

static __always_inline int wait_status(struct task_struct *task)
{
	struct signal_struct *sig = task->signal;

	if (sig->flags & SIGNAL_GROUP_EXIT)
		return sig->group_exit_code;
	return task->group_leader->exit_code;
}

static __always_inline int emit_exit(struct task_struct *task, bool group_dead)
{
	struct task_struct *leader = task->group_leader;
	struct pl_exit *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	/* A process exit speaks for the process: its leader's name and id. */
	fill_header(&e->h, PL_EV_EXIT, sizeof(*e), group_dead ? leader : task);
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
	if (has_children(task))
		e->reaper = find_reaper(task, group_dead, &e->reaper_rule);
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

SEC("tp_btf/sched_process_free")
int BPF_PROG(handle_free, struct task_struct *task)
{
	struct pl_reap *e;
	__u64 key;

	if (task->pid != task->tgid)
		return 0;
	if (exit_dedupe) {
		key = (__u64)task->tgid << 32 ^ task->start_boottime;
		bpf_map_delete_elem(&exit_seen, &key);
	}
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_REAP, sizeof(*e), task);
	bpf_ringbuf_submit(e, submit_flags());
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
	} else {
		e->code = BPF_CORE_READ(info, si_code);
		bpf_core_read(e->sifields, sizeof(e->sifields), &info->_sifields);
	}
}

SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct pl_signal *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_SIGNAL_GENERATE, sizeof(*e), task);
	e->sig = sig;
	store_siginfo(e, ctx, info, task, true);
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
	struct task_struct *cur = bpf_get_current_task_btf();
	struct pl_signal *e = reserve(sizeof(*e));
	unsigned long handler;

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
	bpf_ringbuf_submit(e, submit_flags());
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
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->h, PL_EV_RENAME, sizeof(*e), task);
	__builtin_memcpy(e->old_comm, e->h.comm, sizeof(e->old_comm));
	__builtin_memset(e->h.comm, 0, sizeof(e->h.comm));
	bpf_probe_read_kernel_str(e->h.comm, sizeof(e->h.comm), comm);
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}
