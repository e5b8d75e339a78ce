/* Exit statuses and signals, decoded the way waitpid(2) users read them. */
#ifndef PL_STATUS_H
#define PL_STATUS_H

#include <stdbool.h>

struct exit_status {
	bool exited;		/* WIFEXITED: code is valid */
	int code;
	int sig;		/* WIFSIGNALED: the killing signal */
	bool core_dumped;
};

struct exit_status exit_status_decode(int status);

/* "SIGTERM", "SIGRTMIN+3"; NULL for numbers that are not signals. */
const char *signal_name(int sig);

/* Names of the kernel's signal_generate results and of dispositions. */
const char *signal_result_name(int result);
const char *disposition_name(int disposition);
/* "thread", "subreaper", "init", "pidns_dying"; NULL for PL_REAPER_NONE and unknown values. */
const char *reaper_rule_name(int rule);
/* The same rule in the readable stream's words, before the adopter's pid ("subreaper"). */
const char *reaper_rule_words(int rule);
/* Those words where no pid follows ("a subreaper"). */
const char *reaper_rule_alone(int rule);
/* The inverse lookups of the names above; -1 for a name that is not one. */
int reaper_rule_from_name(const char *name);
int disposition_from_name(const char *name);
/* What a signal's siginfo holds (enum siginfo_kind): "kill", "child", "fault", ... */
const char *siginfo_kind_name(int kind);
int siginfo_kind_from_name(const char *name);

#endif
