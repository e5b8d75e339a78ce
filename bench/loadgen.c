/*
 * The benchmark's load generator: storms of process lifecycle events with
 * exact ground truth. One worker per CPU runs its share of the storm as fast
 * as the machine allows; at the end one JSON line on stdout says how many
 * processes, threads, execs, exits and signals the storm made, how long it
 * took and at what rate.
 *
 * Every process of the storm is named "lg-storm" (the exec storm's program is
 * "lg-true") from its fork on, so a tracer's output is matched on the name
 * alone; the workers take the name before they fork and drop it before they
 * exit, so the storm's events are exactly the ones counted below.
 *
 *   loadgen fork|exec|threads|signal [-n COUNT | -d SECONDS] [-w WORKERS] [-t THREADS] [-x PROGRAM]
 *   loadgen sleepers -n COUNT     hold COUNT idle processes until stdin closes
 *
 * -n makes COUNT processes (signals for the signal storm) in all; -d storms
 * for SECONDS instead, so a slow tracer cannot stretch a run.
 *
 * loadgen runs with a fixed address layout (ADDR_NO_RANDOMIZE, set before it
 * re-executes itself): see fix_layout().
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define STORM_COMM "lg-storm"
#define SLEEPER_COMM "lg-sleep"
#define MAIN_COMM "loadgen"
#define MAX_THREADS 64
/* Set in the environment of loadgen's re-execution, so a kernel that drops
 * ADDR_NO_RANDOMIZE across exec is an error, not a loop. */
#define LAYOUT_ENV "PLBENCH_LOADGEN_LAYOUT"

enum mode { MODE_FORK, MODE_EXEC, MODE_THREADS, MODE_SIGNAL, MODE_SLEEPERS };

static const char *const mode_names[] = {
	[MODE_FORK] = "fork", [MODE_EXEC] = "exec", [MODE_THREADS] = "threads",
	[MODE_SIGNAL] = "signal", [MODE_SLEEPERS] = "sleepers",
};

struct options {
	enum mode mode;
	long count;
	double duration;	/* > 0: storm this long instead of count */
	int workers;
	int threads;
	const char *program;
};

/* One worker's tally, in memory shared with the main process; a line each. */
struct tally {
	uint64_t processes;	/* children forked */
	uint64_t threads;	/* threads created inside them */
	uint64_t execs;		/* children whose exec succeeded */
	uint64_t exits;		/* children reaped with status 0 */
	uint64_t signals;	/* kill() calls that succeeded */
	uint64_t handled;	/* of them, delivered to the handler */
	uint64_t failures;	/* forks, execs, threads or kills that failed */
} __attribute__((aligned(64)));

static void die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen fork|exec|threads|signal [-n COUNT | -d SECONDS] [-w WORKERS] [-t THREADS] [-x PROGRAM]\n"
		"       loadgen sleepers -n COUNT\n");
	exit(2);
}

static long parse_long(const char *s, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min)
		usage();
	return v;
}

static double parse_seconds(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > 0))
		usage();
	return v;
}

static void parse(struct options *o, int argc, char **argv)
{
	int c;

	if (argc < 2)
		usage();
	for (o->mode = 0; o->mode <= MODE_SLEEPERS; o->mode++)
		if (!strcmp(argv[1], mode_names[o->mode]))
			break;
	if (o->mode > MODE_SLEEPERS)
		usage();
	o->count = 10000;
	o->duration = 0;
	o->workers = sysconf(_SC_NPROCESSORS_ONLN);
	o->threads = 4;
	o->program = NULL;
	optind = 2;
	while ((c = getopt(argc, argv, "n:d:w:t:x:")) != -1) {
		switch (c) {
		case 'n': o->count = parse_long(optarg, 1); break;
		case 'd': o->duration = parse_seconds(optarg); break;
		case 'w': o->workers = parse_long(optarg, 1); break;
		case 't': o->threads = parse_long(optarg, 1); break;
		case 'x': o->program = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || (o->mode == MODE_EXEC && !o->program) || o->threads > MAX_THREADS)
		usage();
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *thread_body(void *arg)
{
	return arg;
}

/* The body of one storm child; its return value is its exit status. */
static int child(const struct options *o, struct tally *t)
{
	static char *const envp[] = { NULL };
	char *argv[] = { "lg-true", "--plbench", NULL };
	pthread_t tids[MAX_THREADS];
	int n = 0;

	switch (o->mode) {
	case MODE_EXEC:
		execve(o->program, argv, envp);
		return 127;
	case MODE_THREADS:
		/* The parent waits for this child, so the tally is never written twice at once. */
		for (int i = 0; i < o->threads; i++) {
			if (pthread_create(&tids[n], NULL, thread_body, NULL))
				t->failures++;
			else
				n++;
		}
		for (int i = 0; i < n; i++)
			pthread_join(tids[i], NULL);
		t->threads += n;
		return 0;
	default:
		return 0;
	}
}

/* Past the deadline (when there is one); the clock is read through the vDSO. */
static bool done(double deadline)
{
	return deadline > 0 && now_s() >= deadline;
}

static void storm(const struct options *o, long n, double deadline, struct tally *t)
{
	for (long i = 0; deadline > 0 || i < n; i++) {
		if (done(deadline))
			break;
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			t->failures++;
			continue;
		}
		if (pid == 0)
			_exit(child(o, t));
		t->processes++;
		if (waitpid(pid, &status, 0) != pid) {
			t->failures++;
			continue;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			t->exits++;
			if (o->mode == MODE_EXEC)
				t->execs++;
		} else {
			t->failures++;
		}
	}
}

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

/* Signals to itself: each one is generated and delivered to a handler at once. */
static void signal_storm(long n, double deadline, struct tally *t)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	pid_t self = getpid();

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		die("sigaction");
	for (long i = 0; deadline > 0 || i < n; i++) {
		/* A signal takes about a microsecond: look at the clock now and then. */
		if ((i & 255) == 0 && done(deadline))
			break;
		if (kill(self, SIGUSR1))
			t->failures++;
		else
			t->signals++;
	}
	t->handled = handled;
}

static void worker(const struct options *o, long n, int start_fd, struct tally *t)
{
	double deadline;
	char c;

	prctl(PR_SET_NAME, STORM_COMM);
	/* The main process starts every worker at once by closing the pipe. */
	while (read(start_fd, &c, 1) < 0 && errno == EINTR)
		;
	deadline = o->duration > 0 ? now_s() + o->duration : 0;
	if (o->mode == MODE_SIGNAL)
		signal_storm(n, deadline, t);
	else
		storm(o, n, deadline, t);
	prctl(PR_SET_NAME, MAIN_COMM);
	_exit(0);
}

static int run_storm(const struct options *o)
{
	struct tally *tallies, sum = { 0 };
	int start[2], failed_workers = 0;
	double t0, elapsed;
	const char *unit;
	uint64_t done;

	tallies = mmap(NULL, sizeof(*tallies) * o->workers, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tallies == MAP_FAILED)
		die("mmap");
	if (pipe(start))
		die("pipe");
	for (int i = 0; i < o->workers; i++) {
		long share = o->count / o->workers + (i < o->count % o->workers);
		pid_t pid = fork();

		if (pid < 0)
			die("fork a worker");
		if (pid == 0) {
			close(start[1]);
			worker(o, share, start[0], &tallies[i]);
		}
	}
	close(start[0]);
	t0 = now_s();
	close(start[1]);
	for (int i = 0; i < o->workers; i++) {
		int status;

		if (wait(&status) < 0)
			die("wait for a worker");
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed_workers++;
	}
	elapsed = now_s() - t0;

	for (int i = 0; i < o->workers; i++) {
		sum.processes += tallies[i].processes;
		sum.threads += tallies[i].threads;
		sum.execs += tallies[i].execs;
		sum.exits += tallies[i].exits;
		sum.signals += tallies[i].signals;
		sum.handled += tallies[i].handled;
		sum.failures += tallies[i].failures;
	}
	done = o->mode == MODE_SIGNAL ? sum.signals : sum.processes;
	unit = o->mode == MODE_SIGNAL ? "signals/s" : "processes/s";
	printf("{\"mode\":\"%s\",\"workers\":%d,\"threads_per_process\":%d,"
	       "\"processes\":%llu,\"threads\":%llu,\"execs\":%llu,\"exits\":%llu,"
	       "\"signals\":%llu,\"signals_handled\":%llu,\"failures\":%llu,"
	       "\"elapsed_s\":%.6f,\"rate\":%.1f,\"unit\":\"%s\"}\n",
	       mode_names[o->mode], o->workers, o->mode == MODE_THREADS ? o->threads : 0,
	       (unsigned long long)sum.processes, (unsigned long long)sum.threads,
	       (unsigned long long)sum.execs, (unsigned long long)sum.exits,
	       (unsigned long long)sum.signals, (unsigned long long)sum.handled,
	       (unsigned long long)sum.failures, elapsed, done / elapsed, unit);
	return sum.failures || failed_workers ? 1 : 0;
}

/*
 * Idle processes for the start-up measurement, held until standard input
 * closes; they also die with this process (PR_SET_PDEATHSIG).
 */
static int run_sleepers(const struct options *o)
{
	pid_t self = getpid(), *pids;
	char buf[64];
	long alive = 0;
	ssize_t n;

	pids = calloc(o->count, sizeof(*pids));
	if (!pids)
		die("calloc");
	for (long i = 0; i < o->count; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "loadgen: fork sleeper %ld: %s\n", i, strerror(errno));
			break;
		}
		if (pid == 0) {
			prctl(PR_SET_NAME, SLEEPER_COMM);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != self)
				_exit(0);
			for (;;)
				pause();
		}
		pids[alive++] = pid;
	}
	printf("{\"mode\":\"sleepers\",\"processes\":%ld}\n", alive);
	fflush(stdout);
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
	for (long i = 0; i < alive; i++)
		kill(pids[i], SIGKILL);
	for (long i = 0; i < alive; i++)
		waitpid(pids[i], NULL, 0);
	free(pids);
	return alive == o->count ? 0 : 1;
}

/*
 * A storm's rate depends on where the kernel put its mappings: with a random
 * layout they spread over more page tables, which every fork copies and every
 * exit frees, and that changes from one run to the next. A fixed layout takes
 * that variance out of the comparison of two runs (the lead's A/A runs,
 * 2026-11-29: the spread of untraced/untraced pairs a third to 40% lower), and
 * makes the storm faster, so a tracer's share of it is larger, not smaller.
 * Every process of the storm inherits the layout, lg-true included (exec
 * keeps the personality of a program that is not set-id).
 */
static void fix_layout(char **argv)
{
	int persona = personality(0xffffffff);

	if (persona < 0)
		die("cannot read the personality");
	if (persona & ADDR_NO_RANDOMIZE)
		return;
	if (getenv(LAYOUT_ENV)) {
		fprintf(stderr, "loadgen: ADDR_NO_RANDOMIZE was set, but it is gone after re-executing\n");
		exit(1);
	}
	if (personality(persona | ADDR_NO_RANDOMIZE) < 0)
		die("cannot set ADDR_NO_RANDOMIZE");
	if (setenv(LAYOUT_ENV, "1", 1))
		die("setenv");
	execv("/proc/self/exe", argv);
	die("cannot re-execute /proc/self/exe with a fixed address layout");
}

int main(int argc, char **argv)
{
	struct options o;

	parse(&o, argc, argv);
	fix_layout(argv);
	prctl(PR_SET_NAME, MAIN_COMM);
	return o.mode == MODE_SLEEPERS ? run_sleepers(&o) : run_storm(&o);
}
