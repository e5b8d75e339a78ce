/*
 * A decoded, validated event: what the rest of the consumer works with,
 * whether it came from the ring buffer (event_decode) or from a recorded
 * JSON-lines trace (replay). Strings point into the record they came from.
 */
#ifndef PL_EVENT_H
#define PL_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "proclife.h"

/*
 * What a signal's siginfo union holds, after the kernel's siginfo_layout():
 * it depends on the signal and si_code, not on who reads it.
 */
enum siginfo_kind {
	SIGINFO_KILL,	/* pid, uid of the sending process (kill, tgkill, sigqueue, ...) */
	SIGINFO_KERNEL,	/* SI_KERNEL: the kernel's own, nothing more */
	SIGINFO_CHILD,	/* SIGCHLD from the kernel: the child's pid, uid and status */
	SIGINFO_FAULT,	/* SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP from a fault: addr */
	SIGINFO_TIMER,	/* SI_TIMER: a POSIX timer's id and overrun */
	SIGINFO_POLL,	/* SIGPOLL/SIGIO: band and fd */
	SIGINFO_SYS,	/* SIGSYS from seccomp: call address, syscall, arch */
	SIGINFO_KIND_MAX,
};

/* The fields of a siginfo union that its kind says are there; pids in the target's namespace. */
struct siginfo_fields {
	enum siginfo_kind kind;
	int32_t pid;		/* KILL: the sender; CHILD: the child */
	uint32_t uid;		/* KILL, CHILD */
	int32_t status;		/* CHILD: exit code or signal, by code */
	uint64_t addr;		/* FAULT: the faulting address; SYS: the call address */
	int32_t timerid, overrun;	/* TIMER */
	int64_t band;		/* POLL */
	int32_t fd;		/* POLL */
	int32_t syscall;	/* SYS */
	uint32_t arch;		/* SYS: AUDIT_ARCH_* */
	bool unrecorded;	/* a replayed trace from before siginfo: only the kind, from the code */
};

struct pl_event {
	enum pl_event_type type;
	uint64_t ts_ns;		/* CLOCK_BOOTTIME */
	uint64_t start_ns;	/* with pid, the process key */
	uint32_t pid, tid, ppid;
	char comm[PL_COMM_LEN + 1];
	bool context;		/* outside the filters: for the model, not to be printed */
	uint64_t cgroup_id;	/* 0 when unknown */
	uint32_t pidns;		/* 0 when unknown (a reap: the model fills it in) */
	uint32_t ns_pid;
	uint32_t place;		/* set by the consumer (model_place): index in the model's places */
	union {
		struct {
			uint64_t parent_start_ns;
			uint32_t parent_tid;
			uint32_t ns_ppid;	/* as getppid() in the child's namespace */
			bool thread;
		} fork;
		struct {
			uint32_t old_pid, uid, gid;
			const char *filename;
			size_t filename_len;
			const char *args;	/* argv strings, each NUL-terminated */
			size_t args_len;
			bool args_truncated;
			bool filename_truncated;
		} exec;
		struct {
			int status;	/* wait status */
			uint32_t reaper;
			enum pl_reaper_rule reaper_rule;
			bool thread;
			bool parent_autoreap;
		} exit;
		struct {
			/* filled in by the process model */
			int64_t zombie_ns;	/* -1 when unknown */
			bool leaked;		/* it had been reported as a leaked zombie */
			bool inferred;		/* the kernel's event never came: the model's */
			bool said;		/* came after the model had inferred it: not to be said again */
		} reap;
		struct {
			int sig, code, result;
			enum pl_disposition disposition;
			uint32_t sender_pid, sender_tid;	/* generate: the task running */
			char sender_comm[PL_COMM_LEN + 1];
			struct siginfo_fields si;
		} signal;
		struct {
			char old_comm[PL_COMM_LEN + 1];	/* comm is the new one */
		} rename;
	};
};

/* Validates a raw ring-buffer record and fills ev; -EPROTO if malformed. */
int event_decode(const void *rec, size_t size, struct pl_event *ev);

/*
 * Walks the NUL-terminated strings of an exec event's args, at most max_args
 * of them; *truncated is set when more were captured than returned.
 */
struct args_iter {
	const char *p, *end;
	unsigned int left;
};
void args_iter_init(struct args_iter *it, const struct pl_event *ev, unsigned int max_args);
bool args_iter_next(struct args_iter *it, const char **s, size_t *len);
bool args_iter_more(const struct args_iter *it);

/* The kernel's siginfo_layout(): what the union of a signal with this code holds. */
enum siginfo_kind siginfo_kind_of(int sig, int code);

const char *event_type_name(enum pl_event_type type);
/* The first type with that name; -1 for none. */
int event_type_from_name(const char *name);

#endif
