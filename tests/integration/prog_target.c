/*
 * The workloads integration tests trace: each mode makes one situation
 * happen for real, in a process whose pid the test knows.
 *   exit N            exit with status N
 *   args ...          exit 0 (the test checks the exec's argv)
 *   thread-exec       a non-leader thread execs "prog_target exit 7"
 *   threads N         start N threads, join them, exit 0
 *   catch             handle SIGUSR1: write 'r' to fd 1 when ready, exit 0 after the signal
 *   sleep             wait to be killed (write 'r' to fd 1 when ready)
 *   orphan            fork a child that outlives us (until stdin ends): print its pid, exit 0
 *   rename NAME       set our comm to NAME (prctl), exit 0
 *   storm N           fork N children that exit at once, reaping each
 *   signals N         send ourselves SIGUSR1 N times, handling each
 *   leak N            fork N children that exit with 0..N-1 at once; print their
 *                     pids, reap none until stdin ends, then reap them all
 *   hold N            fork N children that exit at once; print their pids, reap
 *                     none until standard input ends, then reap them all
 *   ignore            ignore SIGCHLD, fork a child that exits 3, print its pid,
 *                     exit when stdin ends
 *   daemon            fork; the child calls setsid, forks a grandchild and exits;
 *                     print the grandchild's pid (it lives until stdin ends)
 *   execs N           N times: fork a child that execs "prog_target exit 0", reap it
 *   threaded N        fork N children of 4 threads each (3 started and joined), reap them
 *   orphans N         N double forks: the child exits at once, so does the grandchild,
 *                     which its new parent (init or a subreaper) must reap
 *   leader-exit N     start N threads that live until stdin ends; print our pid,
 *                     then end the main thread alone (pthread_exit)
 *   gate MODE ...     write 'r' to fd 1 when ready; after SIGUSR1, run MODE ...
 *   tree              fork a child that forks a grandchild, which execs
 *                     "prog_target exit 3"; print "c PID" and "g PID"; reap both
 *   crosscpu N        N rounds between the first two CPUs we may use, A and B,
 *                     swapped every round: on A, fork a child, which moves to
 *                     B, renames itself "crosscpu", waits for SIGUSR1 (handled)
 *                     from us on A, execs /bin/true; reap it on A and print its
 *                     pid. Exits 3 with fewer than two CPUs
 *
 * "Until stdin ends": the test holds the write end of a pipe (spawn_held) and
 * closes it once it has seen what it needs, so no timing is assumed.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static char *self;

static void *exec_self(void *arg)
{
	char *argv[] = { self, "exit", "7", NULL };

	(void)arg;
	execv("/proc/self/exe", argv);
	_exit(100);
}

static void *idle(void *arg)
{
	(void)arg;
	usleep(20000);
	return NULL;
}

/* Blocks until the test closes our stdin. */
static void hold(void)
{
	char buf[64];

	while (read(0, buf, sizeof(buf)) > 0)
		;
}

static void *held_thread(void *arg)
{
	(void)arg;
	hold();
	return NULL;
}

/* num_threads of /proc/self/stat; 0 when it cannot be read. */
static int own_threads(void)
{
	char buf[1024], *p;
	int n = 0;
	FILE *f = fopen("/proc/self/stat", "r");

	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (p)
		sscanf(p, ") %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %d", &n);
	return n;
}

/* Forks a child that holds, prints its pid and ends: another thread adopts the child. */
static void *fork_held_child(void *arg)
{
	pid_t child = fork();

	(void)arg;
	if (child == 0) {
		hold();
		_exit(0);
	}
	printf("%d\n", child);
	fflush(stdout);
	return NULL;
}

static volatile sig_atomic_t caught;

static void on_usr1(int sig)
{
	(void)sig;
	caught = 1;
}

/* Runs us on cpu alone: sched_setaffinity moves the caller before it returns. */
static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) || sched_getcpu() != cpu ? -1 : 0;
}

/*
 * Each cause on cpu `here`, its effects on `there`: the fork and the
 * SIGUSR1's generation here; the child's rename, the signal's delivery, its
 * exec and exit there; then its free here again (our wait queues it as an RCU
 * callback on this CPU, unless the kernel offloads those). SIGUSR1 is blocked
 * but handled: the child takes it in sigsuspend, so it cannot come too early.
 */
static int crosscpu_round(int here, int there)
{
	int ready[2], status;
	pid_t child;
	char c;

	if (pin(here) || pipe(ready))
		return -1;
	child = fork();
	if (child == 0) {
		char *true_argv[] = { "true", NULL };
		sigset_t none;

		sigemptyset(&none);
		if (pin(there) || prctl(PR_SET_NAME, "crosscpu") || write(ready[1], "r", 1) != 1)
			_exit(110);
		while (!caught)
			sigsuspend(&none);
		execv("/bin/true", true_argv);
		_exit(111);
	}
	close(ready[1]);
	if (child < 0 || read(ready[0], &c, 1) != 1 || kill(child, SIGUSR1) ||
	    waitpid(child, &status, 0) != child || status != 0)
		return -1;
	close(ready[0]);
	dprintf(1, "%d\n", child);
	return 0;
}

static int crosscpu(int rounds)
{
	int cpu[2], n = 0;
	cpu_set_t set;
	sigset_t usr1;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 4;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpu[n++] = c;
	if (n < 2) {
		fprintf(stderr, "prog_target: crosscpu needs two CPUs, we may run on %d\n", n);
		return 3;
	}
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	signal(SIGUSR1, on_usr1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	for (int i = 0; i < rounds; i++)
		if (crosscpu_round(cpu[i % 2], cpu[1 - i % 2])) {
			fprintf(stderr, "prog_target: crosscpu round %d (CPU %d to %d) failed\n",
				i, cpu[i % 2], cpu[1 - i % 2]);
			return 5;
		}
	return 0;
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc >= 3 && !strcmp(argv[1], "exit"))
		return atoi(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "args"))
		return 0;
	if (argc >= 2 && !strcmp(argv[1], "thread-exec")) {
		pthread_t t;

		pthread_create(&t, NULL, exec_self, NULL);
		pthread_join(t, NULL);
		return 101;
	}
	if (argc >= 3 && !strcmp(argv[1], "threads")) {
		int n = atoi(argv[2]);
		pthread_t t[64];

		for (int i = 0; i < n && i < 64; i++)
			pthread_create(&t[i], NULL, idle, NULL);
		for (int i = 0; i < n && i < 64; i++)
			pthread_join(t[i], NULL);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "catch")) {
		sigset_t none;

		sigemptyset(&none);
		signal(SIGUSR1, on_usr1);
		if (write(1, "r", 1) != 1)
			return 102;
		while (!caught)
			sigsuspend(&none);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "sleep")) {
		if (write(1, "r", 1) != 1)
			return 102;
		for (;;)
			pause();
	}
	if (argc >= 2 && !strcmp(argv[1], "orphan")) {
		pid_t child = fork();

		if (child == 0) {
			hold();
			_exit(0);
		}
		printf("%d\n", child);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "threads-ended")) {
		pthread_t t[64];
		int n = atoi(argv[2]);

		for (int i = 0; i < n && i < 64; i++)
			if (pthread_create(&t[i], NULL, idle, NULL))
				return 107;
		for (int i = 0; i < n && i < 64; i++)
			pthread_join(t[i], NULL);
		/* A joined thread is counted until the kernel releases it, a little later. */
		while (own_threads() > 1)
			sched_yield();
		if (pthread_create(&t[0], NULL, held_thread, NULL))
			return 107;
		printf("%d\n", getpid());
		fflush(stdout);
		hold();
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "thread-orphan")) {
		pthread_t t;

		if (pthread_create(&t, NULL, fork_held_child, NULL) || pthread_join(t, NULL))
			return 108;
		hold();
		return wait(NULL) > 0 ? 0 : 109;
	}
	if (argc >= 3 && !strcmp(argv[1], "rename"))
		return prctl(PR_SET_NAME, argv[2]) ? 103 : 0;
	if (argc >= 3 && !strcmp(argv[1], "storm")) {
		for (long i = 0, n = atol(argv[2]); i < n; i++) {
			pid_t child = fork();

			if (child == 0)
				_exit(0);
			if (child > 0)
				waitpid(child, NULL, 0);
		}
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "signals")) {
		signal(SIGUSR1, on_usr1);
		for (long i = 0, n = atol(argv[2]); i < n; i++)
			if (kill(getpid(), SIGUSR1))
				return 104;
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "leak")) {
		int n = atoi(argv[2]);

		for (int i = 0; i < n; i++) {
			pid_t child = fork();

			if (child == 0)
				_exit(i);
			printf("%d\n", child);
		}
		fflush(stdout);
		hold();
		while (wait(NULL) > 0)
			;
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "hold")) {
		char c;

		for (int i = 0, n = atoi(argv[2]); i < n; i++) {
			pid_t child = fork();

			if (child == 0)
				_exit(0);
			printf("%d\n", child);
		}
		fflush(stdout);
		while (read(0, &c, 1) > 0)
			;
		while (wait(NULL) > 0)
			;
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "ignore")) {
		pid_t child;

		signal(SIGCHLD, SIG_IGN);
		child = fork();
		if (child == 0)
			_exit(3);
		printf("%d\n", child);
		fflush(stdout);
		hold();
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "daemon")) {
		int fds[2];
		pid_t child, grandchild = 0;

		if (pipe(fds))
			return 104;
		child = fork();
		if (child == 0) {
			setsid();
			grandchild = fork();
			if (grandchild == 0) {
				hold();
				_exit(0);
			}
			if (write(fds[1], &grandchild, sizeof(grandchild)) != sizeof(grandchild))
				_exit(105);
			_exit(0);
		}
		if (read(fds[0], &grandchild, sizeof(grandchild)) != sizeof(grandchild))
			return 106;
		waitpid(child, NULL, 0);
		printf("%d\n", grandchild);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "execs")) {
		for (long i = 0, n = atol(argv[2]); i < n; i++) {
			pid_t child = fork();

			if (child == 0) {
				char *args[] = { self, "exit", "0", NULL };

				execv("/proc/self/exe", args);
				_exit(100);
			}
			if (child > 0)
				waitpid(child, NULL, 0);
		}
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "threaded")) {
		for (long i = 0, n = atol(argv[2]); i < n; i++) {
			if (fork() == 0) {
				pthread_t t[3];

				for (int j = 0; j < 3; j++)
					pthread_create(&t[j], NULL, idle, NULL);
				for (int j = 0; j < 3; j++)
					pthread_join(t[j], NULL);
				_exit(0);
			}
		}
		while (wait(NULL) > 0)
			;
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "orphans")) {
		for (long i = 0, n = atol(argv[2]); i < n; i++) {
			pid_t child = fork();

			if (child == 0) {
				if (fork() == 0)
					_exit(0);
				_exit(0);
			}
			if (child > 0)
				waitpid(child, NULL, 0);
		}
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "leader-exit")) {
		pthread_t t;

		for (int i = 0, n = atoi(argv[2]); i < n; i++)
			if (pthread_create(&t, NULL, held_thread, NULL))
				return 107;
		printf("%d\n", getpid());
		fflush(stdout);
		pthread_exit(NULL);
	}
	if (argc >= 3 && !strcmp(argv[1], "gate")) {
		sigset_t none;

		sigemptyset(&none);
		signal(SIGUSR1, on_usr1);
		if (write(1, "r", 1) != 1)
			return 102;
		while (!caught)
			sigsuspend(&none);
		/* By its path, so that it keeps its name. */
		argv[1] = self;
		execv(self, argv + 1);
		return 100;
	}
	if (argc >= 2 && !strcmp(argv[1], "tree")) {
		pid_t child = fork();

		if (child == 0) {
			pid_t grandchild = fork();

			if (grandchild == 0) {
				char *exit3[] = { self, "exit", "3", NULL };

				execv("/proc/self/exe", exit3);
				_exit(100);
			}
			dprintf(1, "g %d\n", grandchild);
			waitpid(grandchild, NULL, 0);
			_exit(0);
		}
		dprintf(1, "c %d\n", child);
		waitpid(child, NULL, 0);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "crosscpu"))
		return crosscpu(atoi(argv[2]));
	fprintf(stderr, "prog_target: unknown mode\n");
	return 2;
}
