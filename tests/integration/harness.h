/*
 * Runs the real proclife --json around a workload and reads back its events.
 * Tests skip (not fail) unless run as root on a kernel with BTF.
 */
#ifndef PL_HARNESS_H
#define PL_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

struct trace {
	pid_t pid;
	char path[64];
	FILE *in;
	json_t *events;		/* every event read so far; a snapshot's parts as one */
	json_t *snapshot;	/* the parts of a snapshot read so far */
	int err_fd;		/* proclife's stderr */
	char err[4096];		/* what it said there, once stopped */
};

/* NULL when proclife and its test programs can run here, else why not. */
const char *harness_unsupported(void);
/* Run by CI (CI=true), where scripts/deps has installed every tool the tests use. */
bool harness_in_ci(void);
/* NULL when runc and busybox-static, which container tests need, are installed; else which is not. */
const char *harness_container_tools_missing(void);
/* The path of a test program built next to the tests. */
const char *harness_prog(const char *name);

/* Starts proclife --json with extra options (NULL-terminated); 0 once it traces. */
int trace_start(struct trace *t, const char *const *extra);
/*
 * trace_start with the shim harness_prog(shim) preloaded into proclife
 * (before a sanitizer's runtime) and var=value in its environment.
 */
int trace_start_preloaded(struct trace *t, const char *const *extra, const char *shim,
			  const char *var, const char *value);
/* The same for the readable stream: events are not parsed, t->path holds them. */
int trace_start_text(struct trace *t, const char *const *extra);
/* Waits up to 10 s for an event of type about pid (-1: any); NULL if none came. */
json_t *trace_wait(struct trace *t, const char *type, pid_t pid);
/* The same for the n-th such event (from 1): a reused pid has several. */
json_t *trace_wait_nth(struct trace *t, const char *type, pid_t pid, size_t n);
/* Waits up to 10 s for an event of type (any pid) that match accepts; NULL if none came. */
json_t *trace_wait_match(struct trace *t, const char *type,
			 bool (*match)(json_t *ev, const void *arg), const void *arg);
/* Stops proclife with sig (SIGINT, SIGTERM), reads the rest; returns its wait status. */
int trace_stop_with(struct trace *t, int sig);
int trace_stop(struct trace *t);
/* The event total of proclife's summary line; -1 if it printed none. */
long long trace_summary_total(const struct trace *t);
/* The lost count of its summary line; -1 if it printed none. */
long long trace_summary_lost(const struct trace *t);
void trace_free(struct trace *t);

/* All events of type about pid (-1: any) read so far (a new array). */
json_t *trace_find(struct trace *t, const char *type, pid_t pid);

void sleep_ms(int ms);
/* Writing it runs rcu_barrier() (Linux 6.5+): every free queued before has run. */
#define HARNESS_RCU_BARRIER "/sys/module/rcutree/parameters/do_rcu_barrier"
bool harness_rcu_barrier(void);

/*
 * Forks and execs a test program; its stdout is *out_fd when out_fd is not
 * NULL. Its stdin is /dev/null.
 */
pid_t spawn(const char *const *argv, int *out_fd);
/*
 * The same, with stdin a pipe whose write end is *hold_fd: the program's
 * "hold" waits end when the test closes it (a loaded host can stall any
 * process for longer than a sleep would allow).
 */
pid_t spawn_held(const char *const *argv, int *out_fd, int *hold_fd);

#endif
