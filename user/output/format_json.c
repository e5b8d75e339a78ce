#include "format.h"
#include "json.h"
#include "status.h"

static void put_signal(struct jw *w, const char *key, const char *name_key, int sig)
{
	const char *name = signal_name(sig);

	jw_i64(w, key, sig);
	if (name)
		jw_name(w, name_key, name);
}

static void put_exec(struct jw *w, const struct pl_event *ev, unsigned int max_args)
{
	struct args_iter it;
	const char *s;
	size_t len;
	bool first = true;

	jw_str(w, "filename", ev->exec.filename, ev->exec.filename_len);
	jw_key(w, "args");
	outbuf_putc(w->ob, '[');
	args_iter_init(&it, ev, max_args);
	while (args_iter_next(&it, &s, &len)) {
		if (!first)
			outbuf_putc(w->ob, ',');
		first = false;
		json_put_string(w->ob, s, len);
	}
	outbuf_putc(w->ob, ']');
	jw_bool(w, "args_truncated", ev->exec.args_truncated || args_iter_more(&it));
	jw_bool(w, "filename_truncated", ev->exec.filename_truncated);
	jw_u64(w, "uid", ev->exec.uid);
	jw_u64(w, "gid", ev->exec.gid);
	if (ev->exec.old_pid != ev->pid)
		jw_u64(w, "old_pid", ev->exec.old_pid);
}

void format_json_status(struct jw *w, int status)
{
	struct exit_status st = exit_status_decode(status);

	if (st.exited)
		jw_i64(w, "exit_code", st.code);
	else
		put_signal(w, "signal", "signal_name", st.sig);
	jw_bool(w, "core_dumped", st.core_dumped);
}

static void put_exit(struct jw *w, const struct pl_event *ev)
{
	jw_bool(w, "thread", ev->exit.thread);
	format_json_status(w, ev->exit.status);
	jw_bool(w, "autoreap", ev->exit.parent_autoreap);
	if (ev->exit.reaper_rule != PL_REAPER_NONE) {
		jw_u64(w, "reaper", ev->exit.reaper);
		jw_name(w, "reaper_rule", reaper_rule_name(ev->exit.reaper_rule));
	}
}

/* Only the fields the union holds for this signal and code. */
static void put_siginfo(struct jw *w, const struct siginfo_fields *si)
{
	/* Nothing is written that the trace did not record. */
	if (si->unrecorded)
		return;
	jw_name(w, "siginfo", siginfo_kind_name(si->kind));
	switch (si->kind) {
	case SIGINFO_KILL:
		/* 0: a sender the target's pid namespace cannot see, or none. */
		if (si->pid) {
			jw_i64(w, "si_pid", si->pid);
			jw_u64(w, "si_uid", si->uid);
		}
		break;
	case SIGINFO_CHILD:
		jw_i64(w, "si_pid", si->pid);
		jw_u64(w, "si_uid", si->uid);
		jw_i64(w, "si_status", si->status);
		break;
	case SIGINFO_FAULT:
		jw_u64(w, "si_addr", si->addr);
		break;
	case SIGINFO_TIMER:
		jw_i64(w, "si_timerid", si->timerid);
		jw_i64(w, "si_overrun", si->overrun);
		break;
	case SIGINFO_POLL:
		jw_i64(w, "si_band", si->band);
		jw_i64(w, "si_fd", si->fd);
		break;
	case SIGINFO_SYS:
		jw_u64(w, "si_call_addr", si->addr);
		jw_i64(w, "si_syscall", si->syscall);
		jw_u64(w, "si_arch", si->arch);
		break;
	case SIGINFO_KERNEL:
	case SIGINFO_KIND_MAX:
		break;
	}
}

static void put_signal_event(struct jw *w, const struct pl_event *ev)
{
	bool generate = ev->type == PL_EV_SIGNAL_GENERATE;

	jw_name(w, "stage", generate ? "generate" : "deliver");
	put_signal(w, "signal", "signal_name", ev->signal.sig);
	jw_i64(w, "code", ev->signal.code);
	put_siginfo(w, &ev->signal.si);
	if (generate) {
		jw_u64(w, "sender_pid", ev->signal.sender_pid);
		jw_u64(w, "sender_tid", ev->signal.sender_tid);
		jw_cstr(w, "sender_comm", ev->signal.sender_comm);
		jw_name(w, "result", signal_result_name(ev->signal.result));
	} else {
		jw_name(w, "disposition", disposition_name(ev->signal.disposition));
	}
}

void format_json_event(struct formatter *f, const struct pl_event *ev)
{
	char time[31];
	struct jw w;

	wallclock_rfc3339(f->clock, ev->ts_ns, time);
	jw_begin(&w, f->ob);
	jw_name(&w, "type", event_type_name(ev->type));
	jw_ascii(&w, "time", time, 30);
	jw_u64(&w, "pid", ev->pid);
	jw_u64(&w, "tid", ev->tid);
	jw_u64(&w, "ppid", ev->ppid);
	jw_cstr(&w, "comm", ev->comm);
	jw_u64(&w, "start_ns", ev->start_ns);
	format_json_place(&w, ev->cgroup_id, ev->pidns, ev->ns_pid, format_place(f, ev->place));
	switch (ev->type) {
	case PL_EV_FORK:
		jw_bool(&w, "thread", ev->fork.thread);
		jw_u64(&w, "parent_tid", ev->fork.parent_tid);
		jw_u64(&w, "parent_start_ns", ev->fork.parent_start_ns);
		if (ev->pidns && ev->pidns != PL_PIDNS_HOST)
			jw_u64(&w, "ns_ppid", ev->fork.ns_ppid);
		break;
	case PL_EV_EXEC:
		put_exec(&w, ev, f->max_args);
		break;
	case PL_EV_EXIT:
		put_exit(&w, ev);
		break;
	case PL_EV_REAP:
		if (ev->reap.zombie_ns >= 0)
			jw_i64(&w, "zombie_ns", ev->reap.zombie_ns);
		jw_bool(&w, "leaked", ev->reap.leaked);
		if (ev->reap.inferred)
			jw_bool(&w, "inferred", true);
		break;
	case PL_EV_SIGNAL_GENERATE:
	case PL_EV_SIGNAL_DELIVER:
		put_signal_event(&w, ev);
		break;
	case PL_EV_RENAME:
		jw_cstr(&w, "old_comm", ev->rename.old_comm);
		break;
	case PL_EV_TYPE_MAX:
		break;
	}
	format_json_end(f, &w);
}

void format_json_lost(struct formatter *f, uint64_t boot_ns, uint64_t count)
{
	char time[31];
	struct jw w;

	wallclock_rfc3339(f->clock, boot_ns, time);
	jw_begin(&w, f->ob);
	jw_name(&w, "type", "lost");
	jw_ascii(&w, "time", time, 30);
	jw_u64(&w, "count", count);
	format_json_end(f, &w);
}

void format_json_end(struct formatter *f, struct jw *w)
{
	if (f->host_fields && f->host)
		outbuf_puts(w->ob, f->host->fields_json);
	jw_end(w);
}

void format_json_start(struct formatter *f, uint64_t boot_ns)
{
	char time[31];
	struct jw w;

	wallclock_rfc3339(f->clock, boot_ns, time);
	jw_begin(&w, f->ob);
	jw_cstr(&w, "type", "start");
	jw_str(&w, "time", time, 30);
	jw_cstr(&w, "host", f->host->host);
	jw_cstr(&w, "boot_id", f->host->boot_id);
	jw_cstr(&w, "kernel", f->host->kernel);
	jw_cstr(&w, "version", PROCLIFE_VERSION);
	jw_u64(&w, "schema", PL_SCHEMA_VERSION);
	jw_end(&w);
}
