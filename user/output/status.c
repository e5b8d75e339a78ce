#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include "event.h"
#include "status.h"

struct exit_status exit_status_decode(int status)
{
	struct exit_status st = { 0 };

	if (WIFEXITED(status)) {
		st.exited = true;
		st.code = WEXITSTATUS(status);
	} else {
		st.sig = WTERMSIG(status);
		st.core_dumped = WCOREDUMP(status);
	}
	return st;
}

static const char *const names[] = {
	[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
	[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
	[SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
	[SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU",
	[SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
	[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR",
	[SIGSYS] = "SIGSYS",
};

/* The kernel's numbering: glibc reserves the first real-time signals for itself. */
#define KERNEL_SIGRTMIN 32
#define KERNEL_SIGRTMAX 64

static const char *const rt_names[] = {
	"SIGRTMIN", "SIGRTMIN+1", "SIGRTMIN+2", "SIGRTMIN+3", "SIGRTMIN+4",
	"SIGRTMIN+5", "SIGRTMIN+6", "SIGRTMIN+7", "SIGRTMIN+8", "SIGRTMIN+9",
	"SIGRTMIN+10", "SIGRTMIN+11", "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14",
	"SIGRTMIN+15", "SIGRTMAX-16", "SIGRTMAX-15", "SIGRTMAX-14", "SIGRTMAX-13",
	"SIGRTMAX-12", "SIGRTMAX-11", "SIGRTMAX-10", "SIGRTMAX-9", "SIGRTMAX-8",
	"SIGRTMAX-7", "SIGRTMAX-6", "SIGRTMAX-5", "SIGRTMAX-4", "SIGRTMAX-3",
	"SIGRTMAX-2", "SIGRTMAX-1", "SIGRTMAX",
};

const char *signal_name(int sig)
{
	if (sig > 0 && sig < (int)(sizeof(names) / sizeof(names[0])) && names[sig])
		return names[sig];
	if (sig >= KERNEL_SIGRTMIN && sig <= KERNEL_SIGRTMAX)
		return rt_names[sig - KERNEL_SIGRTMIN];
	return NULL;
}

const char *signal_result_name(int result)
{
	static const char *const results[] = {
		"delivered", "ignored", "already_pending", "overflow_fail", "lose_info",
	};

	if (result >= 0 && result < (int)(sizeof(results) / sizeof(results[0])))
		return results[result];
	return "unknown";
}

/*
 * One table per vocabulary: the JSON name, and the readable stream's words
 * for the adopter, before its pid ("subreaper 22"), and alone ("a
 * subreaper") where they differ.
 */
static const struct {
	const char *name, *words, *alone;
} reaper_rules[] = {
	[PL_REAPER_THREAD] = { .name = "thread", .words = "a sibling thread" },
	[PL_REAPER_SUBREAPER] = { .name = "subreaper", .words = "subreaper", .alone = "a subreaper" },
	[PL_REAPER_INIT] = { .name = "init", .words = "init" },
	[PL_REAPER_PIDNS_DYING] = { .name = "pidns_dying", .words = "the dying namespace's init" },
};

static const char *const dispositions[] = {
	[PL_DISP_DEFAULT] = "default",
	[PL_DISP_IGNORED] = "ignored",
	[PL_DISP_HANDLER] = "handler",
};

static const char *const siginfo_kinds[SIGINFO_KIND_MAX] = {
	[SIGINFO_KILL] = "kill",
	[SIGINFO_KERNEL] = "kernel",
	[SIGINFO_CHILD] = "child",
	[SIGINFO_FAULT] = "fault",
	[SIGINFO_TIMER] = "timer",
	[SIGINFO_POLL] = "poll",
	[SIGINFO_SYS] = "sys",
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

const char *reaper_rule_name(int rule)
{
	return rule > PL_REAPER_NONE && rule < COUNT(reaper_rules) ? reaper_rules[rule].name : NULL;
}

const char *reaper_rule_words(int rule)
{
	return rule > PL_REAPER_NONE && rule < COUNT(reaper_rules) ? reaper_rules[rule].words : NULL;
}

const char *reaper_rule_alone(int rule)
{
	const char *alone = rule > PL_REAPER_NONE && rule < COUNT(reaper_rules) ?
				    reaper_rules[rule].alone : NULL;

	return alone ? alone : reaper_rule_words(rule);
}

int reaper_rule_from_name(const char *name)
{
	for (int r = PL_REAPER_NONE + 1; r < COUNT(reaper_rules); r++)
		if (!strcmp(name, reaper_rules[r].name))
			return r;
	return -1;
}

const char *disposition_name(int disposition)
{
	return disposition >= 0 && disposition < COUNT(dispositions) ? dispositions[disposition] :
								      "unknown";
}

int disposition_from_name(const char *name)
{
	for (int d = 0; d < COUNT(dispositions); d++)
		if (!strcmp(name, dispositions[d]))
			return d;
	return -1;
}

const char *siginfo_kind_name(int kind)
{
	return kind >= 0 && kind < COUNT(siginfo_kinds) ? siginfo_kinds[kind] : "unknown";
}

int siginfo_kind_from_name(const char *name)
{
	for (int k = 0; k < COUNT(siginfo_kinds); k++)
		if (!strcmp(name, siginfo_kinds[k]))
			return k;
	return -1;
}
