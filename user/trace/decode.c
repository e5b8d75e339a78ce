#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include "event.h"

static const char *const type_names[PL_EV_TYPE_MAX] = {
	[PL_EV_FORK] = "fork",
	[PL_EV_EXEC] = "exec",
	[PL_EV_EXIT] = "exit",
	[PL_EV_REAP] = "reap",
	[PL_EV_SIGNAL_GENERATE] = "signal",
	[PL_EV_SIGNAL_DELIVER] = "signal",
	[PL_EV_RENAME] = "rename",
};

const char *event_type_name(enum pl_event_type type)
{
	if (type <= 0 || type >= PL_EV_TYPE_MAX)
		return "unknown";
	return type_names[type];
}

int event_type_from_name(const char *name)
{
	/* The first type of a name wins: "signal" reads as its generate stage. */
	for (int t = 1; t < PL_EV_TYPE_MAX; t++)
		if (!strcmp(name, type_names[t]))
			return t;
	return -1;
}

/* Kernel strings are NUL-terminated, but a record is not trusted to be. */
static void copy_comm(char dst[PL_COMM_LEN + 1], const char src[PL_COMM_LEN])
{
	size_t n = strnlen(src, PL_COMM_LEN);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const size_t fixed_size[PL_EV_TYPE_MAX] = {
	[PL_EV_FORK] = sizeof(struct pl_fork),
	[PL_EV_EXEC] = offsetof(struct pl_exec, data),
	[PL_EV_EXIT] = sizeof(struct pl_exit),
	[PL_EV_REAP] = sizeof(struct pl_reap),
	[PL_EV_SIGNAL_GENERATE] = sizeof(struct pl_signal),
	[PL_EV_SIGNAL_DELIVER] = sizeof(struct pl_signal),
	[PL_EV_RENAME] = sizeof(struct pl_rename),
};

/* The kernel's si_code values (include/uapi/asm-generic/siginfo.h). */
#define CODE_SI_KERNEL 0x80
#define CODE_SI_TIMER (-2)
#define CODE_SI_SIGIO (-5)
#define CODE_NSIGPOLL 6

/* Signals whose positive codes below their limit have a layout of their own (kernel/signal.c). */
static const struct {
	int limit;
	enum siginfo_kind kind;
} sig_specific[] = {
	[SIGILL] = { 11, SIGINFO_FAULT },
	[SIGFPE] = { 15, SIGINFO_FAULT },
	[SIGSEGV] = { 10, SIGINFO_FAULT },
	[SIGBUS] = { 5, SIGINFO_FAULT },
	[SIGTRAP] = { 6, SIGINFO_FAULT },
	[SIGCHLD] = { 6, SIGINFO_CHILD },
	[SIGPOLL] = { 6, SIGINFO_POLL },
	[SIGSYS] = { 2, SIGINFO_SYS },
};

enum siginfo_kind siginfo_kind_of(int sig, int code)
{
	if (code > SI_USER && code < CODE_SI_KERNEL) {
		if (sig > 0 && sig < (int)(sizeof(sig_specific) / sizeof(sig_specific[0])) &&
		    sig_specific[sig].limit && code <= sig_specific[sig].limit)
			return sig_specific[sig].kind;
		return code <= CODE_NSIGPOLL ? SIGINFO_POLL : SIGINFO_KILL;
	}
	if (code == CODE_SI_KERNEL)
		return SIGINFO_KERNEL;
	if (code == CODE_SI_TIMER)
		return SIGINFO_TIMER;
	if (code == CODE_SI_SIGIO)
		return SIGINFO_POLL;
	return SIGINFO_KILL;
}

/* The union bytes are the kernel's, which are the C library's siginfo_t union. */
static void decode_sifields(int sig, int code, const __u8 raw[PL_SIFIELDS_LEN],
			    struct siginfo_fields *f)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	memcpy((char *)&si + offsetof(siginfo_t, _sifields), raw, PL_SIFIELDS_LEN);
	*f = (struct siginfo_fields){ .kind = siginfo_kind_of(sig, code) };
	switch (f->kind) {
	case SIGINFO_KILL:
		f->pid = si.si_pid;
		f->uid = si.si_uid;
		break;
	case SIGINFO_CHILD:
		f->pid = si.si_pid;
		f->uid = si.si_uid;
		f->status = si.si_status;
		break;
	case SIGINFO_FAULT:
		f->addr = (uintptr_t)si.si_addr;
		break;
	case SIGINFO_TIMER:
		f->timerid = si.si_timerid;
		f->overrun = si.si_overrun;
		break;
	case SIGINFO_POLL:
		f->band = si.si_band;
		f->fd = si.si_fd;
		break;
	case SIGINFO_SYS:
		f->addr = (uintptr_t)si.si_call_addr;
		f->syscall = si.si_syscall;
		f->arch = si.si_arch;
		break;
	case SIGINFO_KERNEL:
	case SIGINFO_KIND_MAX:
		break;
	}
}

static int decode_exec(const struct pl_exec *e, size_t size, struct pl_event *ev)
{
	size_t tail = size - offsetof(struct pl_exec, data);

	if (e->filename_len >= PL_FILENAME_MAX || e->args_len >= PL_ARGS_MAX ||
	    (size_t)e->filename_len + e->args_len != tail)
		return -EPROTO;
	ev->exec.old_pid = e->old_pid;
	ev->exec.uid = e->uid;
	ev->exec.gid = e->gid;
	ev->exec.filename = e->data;
	ev->exec.filename_len = e->filename_len;
	ev->exec.args = e->data + e->filename_len;
	ev->exec.args_len = e->args_len;
	ev->exec.args_truncated = e->flags & PL_EXEC_ARGS_TRUNCATED;
	ev->exec.filename_truncated = e->flags & PL_EXEC_FILENAME_TRUNCATED;
	return 0;
}

int event_decode(const void *rec, size_t size, struct pl_event *ev)
{
	const struct pl_header *h = rec;

	if (size < sizeof(*h) || h->size != size)
		return -EPROTO;
	if (h->type <= 0 || h->type >= PL_EV_TYPE_MAX || (h->flags & ~PL_HDR_CONTEXT))
		return -EPROTO;
	if (h->type == PL_EV_EXEC ? size < fixed_size[h->type] : size != fixed_size[h->type])
		return -EPROTO;

	ev->type = h->type;
	ev->ts_ns = h->ts_ns;
	ev->start_ns = h->start_ns;
	ev->pid = h->pid;
	ev->tid = h->tid;
	ev->ppid = h->ppid;
	copy_comm(ev->comm, h->comm);
	ev->context = h->flags & PL_HDR_CONTEXT;
	ev->cgroup_id = h->cgroup_id;
	ev->pidns = h->pidns;
	ev->ns_pid = h->ns_pid;

	switch (h->type) {
	case PL_EV_FORK: {
		const struct pl_fork *e = rec;

		ev->fork.parent_start_ns = e->parent_start_ns;
		ev->fork.parent_tid = e->parent_tid;
		ev->fork.ns_ppid = e->ns_ppid;
		ev->fork.thread = e->flags & PL_FORK_THREAD;
		return 0;
	}
	case PL_EV_EXEC:
		return decode_exec(rec, size, ev);
	case PL_EV_EXIT: {
		const struct pl_exit *e = rec;

		if (e->reaper_rule > PL_REAPER_PIDNS_DYING)
			return -EPROTO;
		ev->exit.status = e->status;
		ev->exit.reaper = e->reaper;
		ev->exit.reaper_rule = e->reaper_rule;
		ev->exit.thread = e->flags & PL_EXIT_THREAD;
		ev->exit.parent_autoreap = e->flags & PL_EXIT_PARENT_AUTOREAP;
		return 0;
	}
	case PL_EV_REAP:
		ev->reap.zombie_ns = -1;
		ev->reap.leaked = false;
		ev->reap.inferred = false;
		ev->reap.said = false;
		return 0;
	case PL_EV_RENAME: {
		const struct pl_rename *e = rec;

		copy_comm(ev->rename.old_comm, e->old_comm);
		return 0;
	}
	default: {
		const struct pl_signal *e = rec;

		if (e->disposition > PL_DISP_HANDLER)
			return -EPROTO;
		ev->signal.sig = e->sig;
		ev->signal.code = e->code;
		ev->signal.result = e->result;
		ev->signal.disposition = e->disposition;
		ev->signal.sender_pid = e->sender_pid;
		ev->signal.sender_tid = e->sender_tid;
		copy_comm(ev->signal.sender_comm, e->sender_comm);
		decode_sifields(e->sig, e->code, e->sifields, &ev->signal.si);
		return 0;
	}
	}
}

void args_iter_init(struct args_iter *it, const struct pl_event *ev, unsigned int max_args)
{
	it->p = ev->exec.args;
	it->end = ev->exec.args + ev->exec.args_len;
	it->left = max_args;
}

bool args_iter_next(struct args_iter *it, const char **s, size_t *len)
{
	const char *nul;

	if (!it->left || it->p >= it->end)
		return false;
	nul = memchr(it->p, '\0', it->end - it->p);
	*s = it->p;
	/* The last argument may have been cut by the capture limit. */
	*len = (nul ? nul : it->end) - it->p;
	it->p = nul ? nul + 1 : it->end;
	it->left--;
	return true;
}

bool args_iter_more(const struct args_iter *it)
{
	return it->p < it->end;
}
