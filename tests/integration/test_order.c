/*
 * The stream keeps causal order across CPUs: an effect is never written
 * before its cause when the two ran on different CPUs. prog_target crosscpu
 * makes such pairs in both directions (CPU A to B, then B to A), so a
 * consumer that read per-CPU buffers one after the other, whichever first,
 * would write some effect before its cause. Each round's child is forked on
 * A, renames, takes SIGUSR1 (sent from A), execs and exits on B, and is
 * reaped from A: its fork must come before all of that, its SIGUSR1's
 * generation before its delivery, its exit before its reap. Order is the
 * order of the lines, not of their times.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "checks.h"

#define ROUNDS 32

/* A process of the workload and what the stream said of it, in order. */
struct life {
	json_int_t pid, start_ns;
	size_t fork_at;		/* the index of its fork in the events */
	size_t execs, renames, exits, reaps;
	size_t generated, delivered;	/* SIGUSR1 */
};

struct key {
	pid_t pid, ppid;
};

static bool is_fork_of(json_t *ev, const void *arg)
{
	const struct key *k = arg;

	return get_int(ev, "pid") == k->pid && get_int(ev, "ppid") == k->ppid &&
	       !get_bool(ev, "thread");
}

static bool is_reap_of(json_t *ev, const void *arg)
{
	const struct life *l = arg;

	return get_int(ev, "pid") == l->pid && get_int(ev, "start_ns") == l->start_ns;
}

/* Waits for the fork of pid by ppid and starts its life there. */
static void born(struct trace *t, struct life *l, pid_t pid, pid_t ppid)
{
	struct key k = { pid, ppid };
	json_t *ev = trace_wait_match(t, "fork", is_fork_of, &k);

	if (!ev)
		fail_msg("no fork of %d by %d", pid, ppid);
	memset(l, 0, sizeof(*l));
	l->pid = pid;
	l->start_ns = get_int(ev, "start_ns");
	for (l->fork_at = 0; json_array_get(t->events, l->fork_at) != ev; l->fork_at++)
		;
}

static struct life *life_of(struct life *lives, size_t n, json_t *ev)
{
	json_t *pid = json_object_get(ev, "pid"), *start_ns = json_object_get(ev, "start_ns");

	if (!pid || !start_ns)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (lives[i].pid == json_integer_value(pid) &&
		    lives[i].start_ns == json_integer_value(start_ns))
			return &lives[i];
	return NULL;
}

/* Fails at the first event about a workload process that comes before its cause. */
static void check_causal_order(json_t *events, struct life *lives, size_t n)
{
	json_t *ev;
	size_t i;

	json_array_foreach(events, i, ev) {
		struct life *l = life_of(lives, n, ev);
		const char *type = json_string_value(json_object_get(ev, "type"));

		if (!l || i == l->fork_at)
			continue;
		if (i < l->fork_at)
			fail_msg("event %zu, %s of %lld, comes before its fork (event %zu): %s", i,
				 type, (long long)l->pid, l->fork_at, json_dumps(ev, JSON_COMPACT));
		if (!strcmp(type, "exec")) {
			l->execs++;
		} else if (!strcmp(type, "rename")) {
			l->renames++;
		} else if (!strcmp(type, "exit") && !get_bool(ev, "thread")) {
			l->exits++;
		} else if (!strcmp(type, "reap")) {
			if (!l->exits)
				fail_msg("event %zu, reap of %lld, comes before its exit: %s", i,
					 (long long)l->pid, json_dumps(ev, JSON_COMPACT));
			l->reaps++;
		} else if (!strcmp(type, "signal") && get_int(ev, "signal") == SIGUSR1) {
			if (!strcmp(get_str(ev, "stage"), "generate")) {
				l->generated++;
			} else if (l->delivered++ == l->generated) {
				fail_msg("event %zu, delivery of SIGUSR1 number %zu to %lld, comes "
					 "before its generation: %s", i, l->delivered,
					 (long long)l->pid, json_dumps(ev, JSON_COMPACT));
			}
		}
	}
}

/* The pids prog_target crosscpu printed, one per line, until it ends. */
static size_t read_pids(int fd, pid_t *pids, size_t max)
{
	FILE *f = fdopen(fd, "r");
	size_t n = 0;
	int pid;

	assert_non_null(f);
	while (n < max && fscanf(f, "%d", &pid) == 1)
		pids[n++] = pid;
	fclose(f);
	return n;
}

static void cross_cpu_causal_order(void **state)
{
	char rounds[16], self[16];
	/* Our descendants only: others' storms on the host would bury the workload. */
	const char *const opts[] = { "--pid", self, NULL };
	const char *argv[] = { harness_prog("prog_target"), "crosscpu", rounds, NULL };
	cpu_set_t cpus;
	struct life lives[1 + ROUNDS], *workload = &lives[0], *child;
	pid_t pid, pids[ROUNDS];
	struct trace t;
	int fd;

	/* Our CPUs are the workload's: the online ones, unless a cpuset or taskset says fewer. */
	assert_int_equal(sched_getaffinity(0, sizeof(cpus), &cpus), 0);
	if (CPU_COUNT(&cpus) < 2)
		fail_msg("needs 2 CPUs to order events across CPUs, this test may run on %d "
			 "(%ld online)", CPU_COUNT(&cpus), sysconf(_SC_NPROCESSORS_ONLN));
	snprintf(rounds, sizeof(rounds), "%d", ROUNDS);
	snprintf(self, sizeof(self), "%d", getpid());
	if (start(state, &t, opts))
		skip();
	pid = spawn(argv, &fd);
	assert_int_equal(read_pids(fd, pids, ROUNDS), ROUNDS);
	assert_int_equal(wait_child(pid), 0);
	born(&t, workload, pid, getpid());
	for (size_t i = 0; i < ROUNDS; i++)
		born(&t, &lives[1 + i], pids[i], pid);
	/*
	 * A free the kernel hid from BPF never comes; meanwhile the model finds
	 * the zombie gone from /proc (at --zombie-age) and the stop says its
	 * reap (docs/schema.md, reap).
	 */
	for (size_t i = 0; i <= ROUNDS; i++)
		trace_wait_match(&t, "reap", is_reap_of, &lives[i]);
	stop(&t);
	check_causal_order(t.events, lives, 1 + ROUNDS);
	assert_int_equal(workload->execs, 1);
	assert_int_equal(workload->exits, 1);
	assert_int_equal(workload->reaps, 1);
	for (child = &lives[1]; child <= &lives[ROUNDS]; child++) {
		if (child->renames != 1 || child->generated != 1 || child->delivered != 1 ||
		    child->execs != 1 || child->exits != 1 || child->reaps != 1)
			fail_msg("child %lld: %zu renames, %zu SIGUSR1 generated, %zu delivered, "
				 "%zu execs, %zu exits, %zu reaps (1 of each expected)",
				 (long long)child->pid, child->renames, child->generated,
				 child->delivered, child->execs, child->exits, child->reaps);
	}
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cross_cpu_causal_order),
	};

	return cmocka_run_group_tests_name("order", tests, NULL, NULL);
}
