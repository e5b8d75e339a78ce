#include <string.h>
#include "format.h"
#include "status.h"

/*
 * Names and arguments are chosen by whoever runs the process: anything but
 * printable ASCII is shown as \xNN so a line cannot fake another line or
 * drive the terminal.
 */
void format_text_safe(struct outbuf *ob, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 0xf] };

		if (c >= 0x20 && c < 0x7f && c != '\\')
			continue;
		outbuf_write(ob, s + run, i - run);
		if (c == '\\')
			outbuf_write(ob, "\\\\", 2);
		else
			outbuf_write(ob, esc, 4);
		run = i + 1;
	}
	outbuf_write(ob, s + run, n - run);
}

/* An argument that holds a space or quote is quoted, so argument boundaries stay visible. */
static void put_arg(struct outbuf *ob, const char *s, size_t n)
{
	bool quote = n == 0 || memchr(s, ' ', n) || memchr(s, '\'', n) || memchr(s, '"', n);

	if (!quote) {
		format_text_safe(ob, s, n);
		return;
	}
	outbuf_putc(ob, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			outbuf_write(ob, "\\x27", 4);
		else
			format_text_safe(ob, s + i, 1);
	}
	outbuf_putc(ob, '\'');
}

static void put_padded(struct outbuf *ob, const char *s, size_t width)
{
	size_t n = strlen(s);

	format_text_safe(ob, s, n);
	while (n++ < width)
		outbuf_putc(ob, ' ');
}

static void put_num_col(struct outbuf *ob, uint64_t v, size_t width)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = '0' + v % 10;
		v /= 10;
	} while (v);
	outbuf_write(ob, tmp + sizeof(tmp) - n, n);
	while (n++ < width)
		outbuf_putc(ob, ' ');
}

void format_text_columns(struct formatter *f, uint64_t boot_ns, const char *event,
			 uint32_t pid, uint32_t ppid, const char *comm)
{
	char time[16];

	wallclock_hms(f->clock, boot_ns, time);
	outbuf_write(f->ob, time, 15);
	outbuf_putc(f->ob, ' ');
	put_padded(f->ob, event, 8);
	put_num_col(f->ob, pid, 8);
	put_num_col(f->ob, ppid, 8);
	put_padded(f->ob, comm, 17);
}

static void put_signame(struct outbuf *ob, int sig)
{
	const char *name = signal_name(sig);

	if (name)
		outbuf_puts(ob, name);
	else
		outbuf_printf(ob, "signal %d", sig);
}

static void put_exec(struct formatter *f, const struct pl_event *ev)
{
	struct outbuf *ob = f->ob;
	struct args_iter it;
	const char *s;
	size_t len;
	bool first = true;

	format_text_safe(ob, ev->exec.filename, ev->exec.filename_len);
	if (ev->exec.filename_truncated)
		outbuf_puts(ob, "...");
	outbuf_puts(ob, " [");
	args_iter_init(&it, ev, f->max_args);
	while (args_iter_next(&it, &s, &len)) {
		if (!first)
			outbuf_putc(ob, ' ');
		first = false;
		put_arg(ob, s, len);
	}
	if (ev->exec.args_truncated || args_iter_more(&it))
		outbuf_puts(ob, " ...");
	outbuf_puts(ob, "] uid=");
	outbuf_u64(ob, ev->exec.uid);
	if (ev->exec.old_pid != ev->pid) {
		outbuf_puts(ob, " old_pid=");
		outbuf_u64(ob, ev->exec.old_pid);
	}
}

/* The kernel kills what is left of a pid namespace whose init dies. */
static void put_pidns_dying(struct outbuf *ob, const struct pl_event *ev)
{
	if (ev->exit.reaper == ev->pid) {
		outbuf_puts(ob, ", its pid namespace dies with it: the kernel kills the rest");
		return;
	}
	outbuf_puts(ob, ", its pid namespace is dying: children stay with its init ");
	outbuf_u64(ob, ev->exit.reaper);
}

static void put_exit(struct outbuf *ob, const struct pl_event *ev)
{
	struct exit_status st = exit_status_decode(ev->exit.status);

	if (ev->exit.thread) {
		outbuf_puts(ob, "thread ");
		outbuf_u64(ob, ev->tid);
		outbuf_putc(ob, ' ');
	}
	if (st.exited) {
		outbuf_puts(ob, "exited ");
		outbuf_i64(ob, st.code);
	} else {
		outbuf_puts(ob, "killed by ");
		put_signame(ob, st.sig);
		if (st.core_dumped)
			outbuf_puts(ob, " (core dumped)");
	}
	if (ev->exit.reaper_rule == PL_REAPER_PIDNS_DYING) {
		put_pidns_dying(ob, ev);
	} else if (ev->exit.reaper_rule != PL_REAPER_NONE &&
		   ev->exit.reaper_rule != PL_REAPER_THREAD) {
		outbuf_puts(ob, ", children to ");
		outbuf_puts(ob, reaper_rule_words(ev->exit.reaper_rule));
		outbuf_putc(ob, ' ');
		outbuf_u64(ob, ev->exit.reaper);
	}
}

/* What the siginfo adds, for the kinds that are not a process's kill. */
static void put_siginfo(struct outbuf *ob, const struct siginfo_fields *si)
{
	if (si->unrecorded)
		return;
	switch (si->kind) {
	case SIGINFO_CHILD:
		outbuf_printf(ob, " (child %d, status %d)", si->pid, si->status);
		break;
	case SIGINFO_FAULT:
		outbuf_printf(ob, " (address 0x%llx)", (unsigned long long)si->addr);
		break;
	case SIGINFO_TIMER:
		outbuf_printf(ob, " (timer %d, overrun %d)", si->timerid, si->overrun);
		break;
	case SIGINFO_POLL:
		outbuf_printf(ob, " (fd %d, band 0x%llx)", si->fd, (unsigned long long)si->band);
		break;
	case SIGINFO_SYS:
		outbuf_printf(ob, " (syscall %d at 0x%llx)", si->syscall,
			      (unsigned long long)si->addr);
		break;
	case SIGINFO_KILL:
	case SIGINFO_KERNEL:
	case SIGINFO_KIND_MAX:
		break;
	}
}

static void put_signal(struct outbuf *ob, const struct pl_event *ev)
{
	const struct siginfo_fields *si = &ev->signal.si;

	put_signame(ob, ev->signal.sig);
	if (ev->type == PL_EV_SIGNAL_GENERATE) {
		/* Only a kill names a sender; else the kernel sent it while this task ran. */
		outbuf_puts(ob, si->kind == SIGINFO_KILL ? " from " : " from the kernel in ");
		outbuf_u64(ob, ev->signal.sender_pid);
		outbuf_puts(ob, " (");
		format_text_safe(ob, ev->signal.sender_comm, strlen(ev->signal.sender_comm));
		outbuf_puts(ob, ")");
		put_siginfo(ob, si);
		outbuf_putc(ob, ' ');
		outbuf_puts(ob, signal_result_name(ev->signal.result));
	} else {
		outbuf_puts(ob, " delivered, ");
		outbuf_puts(ob, disposition_name(ev->signal.disposition));
		if (si->kind == SIGINFO_KILL && si->pid && !si->unrecorded)
			outbuf_printf(ob, ", from pid %d uid %u", si->pid, si->uid);
		else if (si->kind != SIGINFO_KILL)
			outbuf_puts(ob, ", from the kernel");
		put_siginfo(ob, si);
	}
}

void format_text_event(struct formatter *f, const struct pl_event *ev)
{
	struct outbuf *ob = f->ob;
	const char *name = event_type_name(ev->type);

	if (ev->type == PL_EV_SIGNAL_DELIVER)
		name = "deliver";
	else if (ev->type == PL_EV_FORK && ev->fork.thread)
		name = "thread";
	format_text_columns(f, ev->ts_ns, name, ev->pid, ev->ppid, ev->comm);
	switch (ev->type) {
	case PL_EV_FORK:
		if (ev->fork.thread) {
			outbuf_puts(ob, "tid ");
			outbuf_u64(ob, ev->tid);
		}
		break;
	case PL_EV_EXEC:
		put_exec(f, ev);
		break;
	case PL_EV_EXIT:
		put_exit(ob, ev);
		break;
	case PL_EV_REAP:
		if (ev->reap.zombie_ns >= 0)
			outbuf_printf(ob, "zombie for %.3f s", ev->reap.zombie_ns / 1e9);
		if (ev->reap.leaked)
			outbuf_puts(ob, ev->reap.zombie_ns >= 0 ? ", leaked" : "leaked zombie");
		if (ev->reap.inferred)
			outbuf_puts(ob, " (inferred: the kernel's free event never came)");
		break;
	case PL_EV_SIGNAL_GENERATE:
	case PL_EV_SIGNAL_DELIVER:
		put_signal(ob, ev);
		break;
	case PL_EV_RENAME:
		if (ev->tid != ev->pid) {
			outbuf_puts(ob, "thread ");
			outbuf_u64(ob, ev->tid);
			outbuf_putc(ob, ' ');
		}
		outbuf_puts(ob, "was ");
		format_text_safe(ob, ev->rename.old_comm, strlen(ev->rename.old_comm));
		break;
	case PL_EV_TYPE_MAX:
		break;
	}
	format_text_place(ob, ev->pidns, ev->ns_pid, format_place(f, ev->place));
	outbuf_putc(ob, '\n');
}

void format_text_lost(struct formatter *f, uint64_t boot_ns, uint64_t count)
{
	char time[16];

	wallclock_hms(f->clock, boot_ns, time);
	outbuf_write(f->ob, time, 15);
	outbuf_printf(f->ob, " LOST    %llu events: the ring buffer was full\n",
		      (unsigned long long)count);
}

void format_text_begin(struct formatter *f)
{
	outbuf_puts(f->ob, "TIME            EVENT   PID     PPID    COMM             DETAILS\n");
}
