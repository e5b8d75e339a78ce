/*
 * The workload of the multi-kernel test. It makes each lifecycle case that
 * proclife must report (an exit code, an exec, a kill by a signal, a caught
 * signal, a zombie, an orphan, a rename, and the exits of multithreaded
 * processes that drive the per-thread exit path) and prints on stdout, one
 * JSON object a line, the events it expects; check.sh matches them against
 * proclife's stream field by field; check.jq says what the keys of an
 * expectation mean.
 *
 * Usage: workload EVENTS, where EVENTS is the file proclife writes: the
 * zombie is held until it is reported there, not for a guessed time.
 *
 * Built static so one binary runs in any guest and on the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_CODE_PLAIN 42
#define EXIT_CODE_EXEC 7
#define EXIT_CODE_CAUGHT 3
#define EXIT_CODE_ZOMBIE 5
#define EXIT_CODE_ORPHAN 9
#define EXIT_CODE_GROUP 11
#define EXIT_CODE_RENAMED 12
/* The threshold session.sh gives proclife; the zombie is held past it. */
#define ZOMBIE_AGE_MS 100
/* How long the stream may take to report the zombie before the workload gives up. */
#define REPORT_WAIT_MS 120000
/* An orphan waits this long at most to be adopted before giving up. */
#define ADOPT_WAIT_MS 5000
#define THREADS 3
#define RENAMED "wl-renamed"
#define EXEC_CHILD_MODE "exec-child"
/* comm is the executable's basename cut to TASK_COMM_LEN - 1 bytes. */
#define COMM_MAX 15

static const char *const exec_child_tail[] = { "alpha", "beta gamma" };

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("workload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void die_errno(const char *what)
{
	die("%s: %s", what, strerror(errno));
}

static void put_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/*
 * Prints one expectation. The variadic part is key/format pairs ended by
 * NULL, where a format is "d" (int), "s" (string), "b" (bool as int),
 * "n" (null, no value) or "a" (string array: count, then char **).
 */
static void expect(const char *id, const char *type, ...)
{
	const char *key;
	va_list ap;

	printf("{\"id\":");
	put_json_string(id);
	printf(",\"type\":");
	put_json_string(type);
	va_start(ap, type);
	while ((key = va_arg(ap, const char *))) {
		const char *fmt = va_arg(ap, const char *);

		printf(",");
		put_json_string(key);
		printf(":");
		switch (fmt[0]) {
		case 'd':
			printf("%d", va_arg(ap, int));
			break;
		case 's':
			put_json_string(va_arg(ap, const char *));
			break;
		case 'b':
			printf("%s", va_arg(ap, int) ? "true" : "false");
			break;
		case 'n':
			printf("null");
			break;
		case 'a': {
			int n = va_arg(ap, int);
			char *const *v = va_arg(ap, char *const *);

			printf("[");
			for (int i = 0; i < n; i++) {
				if (i)
					printf(",");
				put_json_string(v[i]);
			}
			printf("]");
			break;
		}
		default:
			die("bad expectation format '%s' for key %s", fmt, key);
		}
	}
	va_end(ap);
	printf("}\n");
	fflush(stdout);
}

static pid_t fork_or_die(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	return pid;
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("waitpid");
	return status;
}

static void want_exit_code(pid_t pid, int status, int code)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
		die("child %d: wait status 0x%x, want exit code %d", pid, status,
		    code);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		if (errno != EINTR)
			die_errno("nanosleep");
}

static void pipe_or_die(int fds[2])
{
	if (pipe(fds) < 0)
		die_errno("pipe");
}

static void write_all(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		die_errno("pipe write");
}

static void read_all(int fd, void *buf, size_t len)
{
	ssize_t n;

	while ((n = read(fd, buf, len)) < 0)
		if (errno != EINTR)
			die_errno("pipe read");
	if ((size_t)n != len)
		die("pipe read: short read (%zd of %zu bytes)", n, len);
}

static void expect_fork(const char *id, pid_t pid, pid_t ppid)
{
	expect(id, "fork", "pid", "d", pid, "ppid", "d", ppid,
	       "thread", "b", 0, NULL);
}

static void expect_exit_code(const char *id, const char *after, pid_t pid,
			     int code)
{
	expect(id, "exit", "after", "s", after, "pid", "d", pid,
	       "exit_code", "d", code, "signal", "n", NULL);
}

static void expect_reap(const char *id, const char *after, pid_t pid)
{
	expect(id, "reap", "after", "s", after, "pid", "d", pid, NULL);
}

static void case_exit_code(void)
{
	pid_t child = fork_or_die();

	if (child == 0)
		_exit(EXIT_CODE_PLAIN);
	want_exit_code(child, wait_status(child), EXIT_CODE_PLAIN);
	expect_fork("exit_code.fork", child, getpid());
	expect_exit_code("exit_code.exit", "exit_code.fork", child,
			 EXIT_CODE_PLAIN);
	expect_reap("exit_code.reap", "exit_code.exit", child);
}

static void case_exec(const char *self, const char *comm)
{
	char *argv[] = { (char *)comm, EXEC_CHILD_MODE,
			 (char *)exec_child_tail[0], (char *)exec_child_tail[1],
			 NULL };
	int argc = sizeof(argv) / sizeof(argv[0]) - 1;
	pid_t child = fork_or_die();

	if (child == 0) {
		execv(self, argv);
		fprintf(stderr, "workload: execv %s: %s\n", self,
			strerror(errno));
		_exit(127);
	}
	want_exit_code(child, wait_status(child), EXIT_CODE_EXEC);
	expect_fork("exec.fork", child, getpid());
	expect("exec.exec", "exec", "after", "s", "exec.fork",
	       "pid", "d", child, "ppid", "d", getpid(), "filename", "s", self,
	       "args", "a", argc, argv, "args_truncated", "b", 0,
	       "comm", "s", comm, "old_pid", "n", NULL);
	expect("exec.exit", "exit", "after", "s", "exec.exec",
	       "pid", "d", child, "comm", "s", comm,
	       "exit_code", "d", EXIT_CODE_EXEC, "signal", "n", NULL);
}

static void case_killed(void)
{
	char comm[17] = "";
	int ready[2], status;
	pid_t child;

	pipe_or_die(ready);
	child = fork_or_die();
	if (child == 0) {
		close(ready[0]);
		write_all(ready[1], "r", 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	read_all(ready[0], (char[1]){ 0 }, 1);
	close(ready[0]);
	if (kill(child, SIGTERM) < 0)
		die_errno("kill SIGTERM");
	status = wait_status(child);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
		die("child %d: wait status 0x%x, want killed by SIGTERM",
		    child, status);
	expect_fork("killed.fork", child, getpid());
	if (prctl(PR_GET_NAME, comm) < 0)
		die_errno("prctl PR_GET_NAME");
	/* In the host's pid namespace: none is written. */
	expect("killed.generate", "signal", "after", "s", "killed.fork",
	       "stage", "s", "generate", "pid", "d", child,
	       "signal", "d", SIGTERM, "sender_pid", "d", getpid(),
	       "sender_comm", "s", comm, "pidns", "n", NULL);
	expect("killed.exit", "exit", "after", "s", "killed.generate",
	       "pid", "d", child, "signal", "d", SIGTERM,
	       "core_dumped", "b", 0, "exit_code", "n", NULL);
	expect_reap("killed.reap", "killed.exit", child);
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void caught_child(int ready_fd)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t block, wait_mask;

	/* Blocked until sigsuspend so the signal cannot slip in before it. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &block, &wait_mask) < 0)
		die_errno("sigprocmask");
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		die_errno("sigaction SIGUSR1");
	write_all(ready_fd, "r", 1);
	sigdelset(&wait_mask, SIGUSR1);
	while (!got_usr1)
		sigsuspend(&wait_mask);
	_exit(EXIT_CODE_CAUGHT);
}

static void case_caught(void)
{
	int ready[2];
	pid_t child;

	pipe_or_die(ready);
	child = fork_or_die();
	if (child == 0) {
		close(ready[0]);
		caught_child(ready[1]);
	}
	close(ready[1]);
	read_all(ready[0], (char[1]){ 0 }, 1);
	close(ready[0]);
	if (kill(child, SIGUSR1) < 0)
		die_errno("kill SIGUSR1");
	want_exit_code(child, wait_status(child), EXIT_CODE_CAUGHT);
	expect_fork("caught.fork", child, getpid());
	expect("caught.generate", "signal", "after", "s", "caught.fork",
	       "stage", "s", "generate", "pid", "d", child,
	       "signal", "d", SIGUSR1, "sender_pid", "d", getpid(), NULL);
	expect("caught.deliver", "signal", "after", "s", "caught.generate",
	       "stage", "s", "deliver", "pid", "d", child,
	       "signal", "d", SIGUSR1, "siginfo", "s", "kill",
	       "si_pid", "d", getpid(), "si_uid", "d", getuid(), "pidns", "n", NULL);
	expect_exit_code("caught.exit", "caught.deliver", child,
			 EXIT_CODE_CAUGHT);
}

/*
 * Whether the stream proclife writes has a zombie line about pid yet. f is
 * read on from where the last call stopped; a line still being written is
 * read again next time.
 */
static int zombie_reported(FILE *f, pid_t pid)
{
	char line[4096], key[32];
	long pos;

	snprintf(key, sizeof(key), "\"pid\":%d,", pid);
	for (;;) {
		pos = ftell(f);
		if (!fgets(line, sizeof(line), f))
			break;
		if (!strchr(line, '\n')) {
			fseek(f, pos, SEEK_SET);
			break;
		}
		if (strstr(line, "\"type\":\"zombie\"") && strstr(line, key))
			return 1;
	}
	clearerr(f);
	return 0;
}

static void case_zombie(const char *events)
{
	siginfo_t info;
	pid_t child = fork_or_die();
	int waited = 0;
	FILE *f;

	if (child == 0)
		_exit(EXIT_CODE_ZOMBIE);
	f = fopen(events, "r");
	if (!f)
		die_errno(events);
	/* WNOWAIT: know the child is a zombie without reaping it. */
	while (waitid(P_PID, child, &info, WEXITED | WNOWAIT) < 0)
		if (errno != EINTR)
			die_errno("waitid");
	/* Held until reported, however slow the consumer is. */
	while (!zombie_reported(f, child)) {
		if (waited >= REPORT_WAIT_MS)
			die("zombie %d: not reported in %s after %d ms", child, events,
			    REPORT_WAIT_MS);
		sleep_ms(10);
		waited += 10;
	}
	fclose(f);
	want_exit_code(child, wait_status(child), EXIT_CODE_ZOMBIE);
	expect_fork("zombie.fork", child, getpid());
	expect_exit_code("zombie.exit", "zombie.fork", child, EXIT_CODE_ZOMBIE);
	expect("zombie.zombie", "zombie", "after", "s", "zombie.exit",
	       "pid", "d", child, "ppid", "d", getpid(),
	       "exit_code", "d", EXIT_CODE_ZOMBIE, "core_dumped", "b", 0, NULL);
	expect_reap("zombie.reap", "zombie.exit", child);
	expect("zombie.reap_age", "reap", "after", "s", "zombie.exit",
	       "pid", "d", child, "leaked", "b", 1,
	       "min:zombie_ns", "d", ZOMBIE_AGE_MS * 1000000, NULL);
}

/* The grandchild: waits to be adopted, then tells the workload who it is. */
static void orphan_grandchild(pid_t first_parent, int report_fd)
{
	pid_t ids[2];
	int waited = 0;

	while (getppid() == first_parent) {
		if (waited >= ADOPT_WAIT_MS)
			die("orphan %d: not adopted after %d ms", getpid(),
			    ADOPT_WAIT_MS);
		sleep_ms(1);
		waited++;
	}
	ids[0] = getpid();
	ids[1] = getppid();
	write_all(report_fd, ids, sizeof(ids));
	_exit(EXIT_CODE_ORPHAN);
}

/*
 * The workload is a child subreaper, so the orphan is adopted by it and not
 * by whatever init runs: the new parent is known, and the workload reaps it.
 */
static void case_orphan(void)
{
	int report[2];
	pid_t middle, ids[2];

	pipe_or_die(report);
	middle = fork_or_die();
	if (middle == 0) {
		pid_t me = getpid();

		close(report[0]);
		if (fork_or_die() == 0)
			orphan_grandchild(me, report[1]);
		_exit(0);
	}
	close(report[1]);
	want_exit_code(middle, wait_status(middle), 0);
	read_all(report[0], ids, sizeof(ids));
	close(report[0]);
	if (ids[1] != getpid())
		die("orphan %d: adopted by %d, want the subreaper %d", ids[0],
		    ids[1], getpid());
	want_exit_code(ids[0], wait_status(ids[0]), EXIT_CODE_ORPHAN);
	expect_fork("orphan.middle_fork", middle, getpid());
	expect_fork("orphan.fork", ids[0], middle);
	expect("orphan.middle_exit", "exit", "after", "s", "orphan.middle_fork",
	       "pid", "d", middle, "exit_code", "d", 0, "signal", "n",
	       "reaper", "d", getpid(), "reaper_rule", "s", "subreaper", NULL);
	/* Printed next to the exit that causes it, before or after. */
	expect("orphan.orphan", "orphan", "after", "s", "orphan.fork",
	       "pid", "d", ids[0], "ppid", "d", getpid(),
	       "old_ppid", "d", middle, "reaper_rule", "s", "subreaper", NULL);
	expect("orphan.exit", "exit", "after", "s", "orphan.middle_exit",
	       "pid", "d", ids[0], "ppid", "d", getpid(),
	       "exit_code", "d", EXIT_CODE_ORPHAN, "signal", "n", NULL);
	expect_reap("orphan.reap", "orphan.exit", ids[0]);
}

/* A rename of the leader, then an exit under the new name. */
static void case_rename(const char *comm)
{
	pid_t child = fork_or_die();

	if (child == 0) {
		if (prctl(PR_SET_NAME, RENAMED) < 0)
			_exit(100);
		_exit(EXIT_CODE_RENAMED);
	}
	want_exit_code(child, wait_status(child), EXIT_CODE_RENAMED);
	expect_fork("rename.fork", child, getpid());
	expect("rename.rename", "rename", "after", "s", "rename.fork",
	       "pid", "d", child, "tid", "d", child, "comm", "s", RENAMED,
	       "old_comm", "s", comm, NULL);
	expect("rename.exit", "exit", "after", "s", "rename.rename",
	       "pid", "d", child, "comm", "s", RENAMED, "thread", "b", 0,
	       "exit_code", "d", EXIT_CODE_RENAMED, NULL);
}

/*
 * The multithreaded cases: each process has THREADS threads besides its
 * leader, and its end must be one process exit (the per-thread exit path of
 * older kernels dedupes), with the right status, then one reap.
 */
struct mt {
	int go;		/* a thread reads it: the workload's go-ahead */
	int report;	/* a thread writes its tid there */
	int code;
};

static void *mt_block(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *mt_exit_group(void *arg)
{
	struct mt *m = arg;
	char c;

	read_all(m->go, &c, 1);
	_exit(m->code);
}

static void *mt_outlive_leader(void *arg)
{
	struct mt *m = arg;
	char c;

	read_all(m->go, &c, 1);
	return NULL;
}

static void *mt_exec(void *arg)
{
	struct mt *m = arg;
	pid_t tid = gettid();
	char self[PATH_MAX];
	char *argv[] = { self, EXEC_CHILD_MODE, NULL };
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		_exit(101);
	self[n] = '\0';
	write_all(m->report, &tid, sizeof(tid));
	execv(self, argv);
	_exit(102);
}

static void start_threads(int n, void *(*fn)(void *), void *arg)
{
	pthread_t t;

	for (int i = 0; i < n; i++)
		if (pthread_create(&t, NULL, fn, arg))
			die("pthread_create failed");
}

/* The leader of pid has ended while its threads run: /proc shows it as Z. */
static void wait_leader_gone(pid_t pid)
{
	char path[64], buf[512], *p;
	int waited = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (;;) {
		FILE *f = fopen(path, "r");

		p = NULL;
		if (f && fgets(buf, sizeof(buf), f))
			p = strrchr(buf, ')');
		if (f)
			fclose(f);
		if (p && p[1] == ' ' && p[2] == 'Z')
			return;
		if (waited >= ADOPT_WAIT_MS)
			die("leader %d: still running after %d ms", pid, ADOPT_WAIT_MS);
		sleep_ms(1);
		waited++;
	}
}

static void expect_one_process_exit(const char *id, pid_t pid)
{
	char count_id[64];

	snprintf(count_id, sizeof(count_id), "%s_once", id);
	expect(count_id, "exit", "count", "d", 1, "pid", "d", pid, "thread", "b", 0, NULL);
}

static void case_threads_killed(void)
{
	int ready[2], status;
	pid_t child;

	pipe_or_die(ready);
	child = fork_or_die();
	if (child == 0) {
		start_threads(THREADS, mt_block, NULL);
		write_all(ready[1], "r", 1);
		mt_block(NULL);
	}
	close(ready[1]);
	read_all(ready[0], (char[1]){ 0 }, 1);
	close(ready[0]);
	if (kill(child, SIGKILL) < 0)
		die_errno("kill SIGKILL");
	status = wait_status(child);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		die("child %d: wait status 0x%x, want killed by SIGKILL", child, status);
	expect_fork("mt_killed.fork", child, getpid());
	expect("mt_killed.exit", "exit", "after", "s", "mt_killed.fork", "pid", "d", child,
	       "thread", "b", 0, "signal", "d", SIGKILL, "exit_code", "n", NULL);
	expect_one_process_exit("mt_killed.exit", child);
	expect_reap("mt_killed.reap", "mt_killed.exit", child);
}

static void case_threads_exit_group(void)
{
	struct mt m = { .code = EXIT_CODE_GROUP };
	int go[2];
	pid_t child;

	pipe_or_die(go);
	m.go = go[0];
	child = fork_or_die();
	if (child == 0) {
		start_threads(THREADS - 1, mt_block, NULL);
		start_threads(1, mt_exit_group, &m);
		mt_block(NULL);
	}
	close(go[0]);
	write_all(go[1], "g", 1);
	close(go[1]);
	want_exit_code(child, wait_status(child), EXIT_CODE_GROUP);
	expect_fork("mt_group.fork", child, getpid());
	expect("mt_group.exit", "exit", "after", "s", "mt_group.fork", "pid", "d", child,
	       "thread", "b", 0, "exit_code", "d", EXIT_CODE_GROUP, NULL);
	expect_one_process_exit("mt_group.exit", child);
	expect_reap("mt_group.reap", "mt_group.exit", child);
}

static void case_threads_leader_first(void)
{
	struct mt m = { 0 };
	int go[2];
	pid_t child;

	pipe_or_die(go);
	m.go = go[0];
	child = fork_or_die();
	if (child == 0) {
		close(go[1]);
		start_threads(THREADS, mt_outlive_leader, &m);
		pthread_exit(NULL);
	}
	close(go[0]);
	wait_leader_gone(child);
	/* Each thread reads one byte, then ends; the last one ends the process. */
	for (int i = 0; i < THREADS; i++)
		write_all(go[1], "g", 1);
	close(go[1]);
	want_exit_code(child, wait_status(child), 0);
	expect_fork("mt_leader.fork", child, getpid());
	expect("mt_leader.exit", "exit", "after", "s", "mt_leader.fork", "pid", "d", child,
	       "thread", "b", 0, "exit_code", "d", 0, NULL);
	expect_one_process_exit("mt_leader.exit", child);
	expect_reap("mt_leader.reap", "mt_leader.exit", child);
}

static void case_threads_exec(void)
{
	struct mt m = { 0 };
	int report[2];
	pid_t child, tid;

	pipe_or_die(report);
	m.report = report[1];
	child = fork_or_die();
	if (child == 0) {
		close(report[0]);
		start_threads(THREADS - 1, mt_block, NULL);
		start_threads(1, mt_exec, &m);
		mt_block(NULL);
	}
	close(report[1]);
	read_all(report[0], &tid, sizeof(tid));
	close(report[0]);
	want_exit_code(child, wait_status(child), EXIT_CODE_EXEC);
	expect_fork("mt_exec.fork", child, getpid());
	/* The exec'ing thread takes over the leader's pid. */
	expect("mt_exec.exec", "exec", "after", "s", "mt_exec.fork", "pid", "d", child,
	       "tid", "d", child, "old_pid", "d", tid, NULL);
	expect("mt_exec.exit", "exit", "after", "s", "mt_exec.exec", "pid", "d", child,
	       "thread", "b", 0, "exit_code", "d", EXIT_CODE_EXEC, NULL);
	expect_one_process_exit("mt_exec.exit", child);
	expect_reap("mt_exec.reap", "mt_exec.exit", child);
}

static void self_path(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n < 0)
		die_errno("readlink /proc/self/exe");
	buf[n] = '\0';
}

static void comm_of(const char *path, char *comm)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strnlen(base, COMM_MAX);
	memcpy(comm, base, len);
	comm[len] = '\0';
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], comm[COMM_MAX + 1];

	if (argc >= 2 && !strcmp(argv[1], EXEC_CHILD_MODE))
		return EXIT_CODE_EXEC;
	if (argc != 2) {
		fprintf(stderr, "usage: %s EVENTS\n", argv[0]);
		return 2;
	}
	self_path(self, sizeof(self));
	comm_of(self, comm);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die_errno("prctl PR_SET_CHILD_SUBREAPER");

	expect("workload.exec", "exec", "pid", "d", getpid(),
	       "ppid", "d", getppid(), "args", "a", argc, argv,
	       "comm", "s", comm, NULL);
	case_exit_code();
	case_exec(self, comm);
	case_killed();
	case_caught();
	case_zombie(argv[1]);
	case_orphan();
	case_rename(comm);
	case_threads_killed();
	case_threads_exit_group();
	case_threads_leader_first();
	case_threads_exec();
	expect_exit_code("workload.exit", "workload.exec", getpid(), 0);
	return 0;
}
