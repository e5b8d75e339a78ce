/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI between proclife's BPF programs and its consumer: every record in
 * the ring buffer starts with struct pl_header and carries the payload of its
 * type. Fields are fixed-width so the layout is identical on both sides.
 * Change a layout only together with PL_ABI_VERSION.
 */
#ifndef PROCLIFE_H
#define PROCLIFE_H

/* BPF code gets these types from vmlinux.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PL_ABI_VERSION 2

#define PL_COMM_LEN 16
/* Capture limits of the exec event's variable tail; both must be powers of 2. */
#define PL_FILENAME_MAX 512
#define PL_ARGS_MAX 16384
#define PL_ARGS_DEFAULT 4096

enum pl_event_type {
	PL_EV_FORK = 1,
	PL_EV_EXEC = 2,
	PL_EV_EXIT = 3,
	PL_EV_REAP = 4,	/* sched_process_free of a thread-group leader */
	PL_EV_SIGNAL_GENERATE = 5,
	PL_EV_SIGNAL_DELIVER = 6,
	PL_EV_RENAME = 7,	/* a thread's comm changed (prctl, /proc/PID/task/TID/comm) */
	PL_EV_TYPE_MAX,
};

struct pl_header {
	__u64 ts_ns;	/* CLOCK_BOOTTIME */
	__u64 start_ns;	/* process start, CLOCK_BOOTTIME: with pid, the process key */
	__u32 pid;	/* tgid of the process the event is about */
	__u32 tid;
	__u32 ppid;	/* tgid of its real parent */
	__u8 type;	/* enum pl_event_type */
	__u8 flags;	/* PL_HDR_* */
	__u16 size;	/* whole record, header included */
	char comm[PL_COMM_LEN];
	/* Read at event time: the cgroup may be gone when user space looks. */
	__u64 cgroup_id;	/* cgroup v2 id (kernfs node id) */
	__u32 pidns;	/* inode number of the process's pid namespace; 0 once reaped */
	__u32 ns_pid;	/* its tgid inside that namespace; 0 once reaped */
};

/*
 * Under a filter: the process is outside it, but the model needs the event
 * (it is the parent of a process inside, or an exited child of one), so it is
 * applied and not printed.
 */
#define PL_HDR_CONTEXT 0x1

#define PL_FORK_THREAD 0x1

struct pl_fork {
	struct pl_header h;
	__u64 parent_start_ns;
	__u32 parent_tid;	/* the thread that is the child's real_parent */
	__u32 flags;		/* PL_FORK_* */
	__u32 ns_ppid;		/* the parent's tgid in the child's pid namespace; 0 outside it */
	__u32 pad;
};

#define PL_EXEC_ARGS_TRUNCATED 0x1
#define PL_EXEC_FILENAME_TRUNCATED 0x2

struct pl_exec {
	struct pl_header h;
	__u32 old_pid;		/* tid that called execve; differs from pid for a non-leader */
	__u32 uid;
	__u32 gid;
	__u16 filename_len;	/* bytes of data[] holding the filename, no NUL */
	__u16 args_len;		/* bytes after it: argv strings, each NUL-terminated */
	__u32 flags;		/* PL_EXEC_* */
	__u32 pad;
	char data[PL_FILENAME_MAX + PL_ARGS_MAX];
};

/* Who adopts the children of an exiting task (the kernel's find_new_reaper). */
enum pl_reaper_rule {
	PL_REAPER_NONE = 0,	/* no children */
	PL_REAPER_THREAD = 1,	/* a live sibling thread: the process stays the parent */
	PL_REAPER_SUBREAPER = 2,
	PL_REAPER_INIT = 3,	/* the init of the pid namespace */
	/*
	 * The pid namespace is dying with its init (zap_pid_ns_processes): the
	 * kernel kills the rest, and children stay with the dying init, which
	 * reaps them. reaper is that init; nothing is orphaned.
	 */
	PL_REAPER_PIDNS_DYING = 4,
};

#define PL_EXIT_THREAD 0x1		/* one thread ended; the process lives on */
/*
 * The kernel reaps it at once (do_notify_parent): the parent ignores SIGCHLD
 * or set SA_NOCLDWAIT, its exit_signal is SIGCHLD and it is not ptraced.
 */
#define PL_EXIT_PARENT_AUTOREAP 0x2

struct pl_exit {
	struct pl_header h;
	__s32 status;		/* as waitpid(2) would report it */
	__u32 reaper;		/* tgid that adopts the children, when reaper_rule != NONE */
	__u32 reaper_rule;	/* enum pl_reaper_rule */
	__u32 flags;		/* PL_EXIT_* */
};

struct pl_reap {
	struct pl_header h;
};

enum pl_disposition {
	PL_DISP_DEFAULT = 0,
	PL_DISP_IGNORED = 1,
	PL_DISP_HANDLER = 2,
};

/* Bytes of the siginfo union (_sifields) a record carries: every layout's fields fit. */
#define PL_SIFIELDS_LEN 32

struct pl_signal {
	struct pl_header h;	/* pid/tid: the target */
	__s32 sig;
	__s32 code;		/* si_code; SI_USER for SEND_SIG_NOINFO, SI_KERNEL for SEND_SIG_PRIV */
	__s32 result;		/* generate: TRACE_SIGNAL_* (0 delivered, 1 ignored, ...) */
	__u32 disposition;	/* deliver: enum pl_disposition */
	__u32 sender_pid;	/* generate: current's tgid */
	__u32 sender_tid;	/* generate: current's tid */
	char sender_comm[PL_COMM_LEN];	/* generate: current's comm */
	/*
	 * The siginfo's union as the kernel filled it for the target; what it
	 * holds depends on sig and code (the kernel's siginfo_layout). Pids in
	 * it are as the target's pid namespace sees them.
	 */
	__u8 sifields[PL_SIFIELDS_LEN];
};

struct pl_rename {
	struct pl_header h;	/* comm: the new name; tid: the renamed thread */
	char old_comm[PL_COMM_LEN];
};

/* Written by the seed_filter iterator: a process inside the filters. */
struct pl_seed {
	__u32 pid;
	__u32 pad;
	__u64 start_ns;
};

#endif
