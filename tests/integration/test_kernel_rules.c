/*
 * Where proclife must say what the kernel did, by the kernel's own rules:
 * renames (task_rename), what a signal's siginfo holds (siginfo_layout),
 * signals the kernel sends itself (SEND_SIG_PRIV / SEND_SIG_NOINFO), when
 * the kernel reaps a child itself (do_notify_parent) and who adopts
 * orphans (find_new_reaper). Each case is made with real syscalls and
 * checked against what the processes themselves saw.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "checks.h"

static void write_all(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(120);
}

static void read_all(int fd, void *buf, size_t len)
{
	assert_int_equal(read(fd, buf, len), (ssize_t)len);
}

/*
 * The exit of the newest process with this pid: the n-th exit about pid
 * whose process forked after every other holder of the pid, as the fork
 * just before it in the stream says. Pids are reused on a busy host.
 */
static json_t *exit_of(struct trace *t, pid_t pid)
{
	for (size_t n = 1;; n++) {
		json_t *ev = trace_wait_nth(t, "exit", pid, n), *e;
		json_int_t start_ns = -1;
		size_t i;

		if (!ev)
			fail_msg("no exit of the newest process %d", pid);
		json_array_foreach(t->events, i, e) {
			if (e == ev)
				break;
			if (!strcmp(get_str(e, "type"), "fork") && get_int(e, "pid") == pid &&
			    !get_bool(e, "thread"))
				start_ns = get_int(e, "start_ns");
		}
		if (get_int(ev, "start_ns") == start_ns && !get_bool(ev, "thread"))
			return ev;
	}
}

/* The signal event of a stage, for sig, about pid. */
static json_t *signal_event(struct trace *t, const char *stage, pid_t pid, int sig)
{
	json_t *all = trace_find(t, "signal", pid), *ev, *found = NULL;
	size_t i;

	json_array_foreach(all, i, ev)
		if (!strcmp(get_str(ev, "stage"), stage) && get_int(ev, "signal") == sig) {
			found = ev;
			break;
		}
	if (!found)
		fail_msg("no %s of signal %d about %d", stage, sig, pid);
	json_incref(found);
	json_decref(all);
	return found;
}

/* Waits until a signal event of that stage and signal about pid has come. */
static json_t *wait_signal(struct trace *t, const char *stage, pid_t pid, int sig)
{
	for (size_t n = 1;; n++) {
		json_t *ev = trace_wait_nth(t, "signal", pid, n);

		if (!ev)
			fail_msg("no %s of signal %d about %d", stage, sig, pid);
		if (!strcmp(get_str(ev, "stage"), stage) && get_int(ev, "signal") == sig)
			return ev;
	}
}

/* The exit of the process, not of one of its threads; after its reap came. */
static json_t *process_exit(struct trace *t, pid_t pid)
{
	json_t *all = trace_find(t, "exit", pid), *ev;
	size_t i;

	json_array_foreach(all, i, ev)
		if (!get_bool(ev, "thread")) {
			json_decref(all);
			return ev;
		}
	fail_msg("no process exit for %d", pid);
	return NULL;
}

/* ---- renames ---- */

struct rename_child {
	pid_t pid;
	pid_t zombie;	/* its child, left unreaped while the test holds it */
	int hold;	/* closing it lets the child reap and exit */
};

static const char *new_name;

static void *rename_main_thread(void *arg)
{
	pthread_t *main_thread = arg;

	if (pthread_setname_np(*main_thread, new_name))
		_exit(121);
	return NULL;
}

/*
 * A child that renames its main thread (with prctl, or with
 * pthread_setname_np from another thread, which writes
 * /proc/self/task/TID/comm), then leaks a zombie until the test lets go.
 */
static void start_renamed(struct rename_child *c, const char *name, bool from_thread)
{
	int hold[2], ready[2];

	assert_int_equal(pipe(hold), 0);
	assert_int_equal(pipe(ready), 0);
	new_name = name;
	c->pid = fork();
	if (c->pid == 0) {
		pthread_t self = pthread_self(), t;
		pid_t z;
		char x;

		close(hold[1]);
		close(ready[0]);
		if (from_thread) {
			if (pthread_create(&t, NULL, rename_main_thread, &self) ||
			    pthread_join(t, NULL))
				_exit(122);
		} else if (prctl(PR_SET_NAME, name)) {
			_exit(123);
		}
		z = fork();
		if (z == 0)
			_exit(0);
		write_all(ready[1], &z, sizeof(z));
		(void)!read(hold[0], &x, 1);
		waitpid(z, NULL, 0);
		_exit(0);
	}
	close(hold[0]);
	close(ready[1]);
	read_all(ready[0], &c->zombie, sizeof(c->zombie));
	close(ready[0]);
	c->hold = hold[1];
}

static void renamed_leader(void **state, const char *name, bool from_thread)
{
	const char *const opts[] = { "--zombie-age", "0.2", NULL };
	struct rename_child c;
	struct trace t;
	json_t *ev, *procs, *p;
	size_t i;
	bool seen = false;

	if (start(state, &t, opts))
		skip();
	start_renamed(&c, name, from_thread);
	ev = wait_event(&t, "rename", c.pid);
	assert_string_equal(get_str(ev, "comm"), name);
	assert_int_equal(get_int(ev, "tid"), c.pid);
	assert_string_not_equal(get_str(ev, "old_comm"), name);
	/* The leaked zombie blames its parent by the parent's current name. */
	ev = wait_event(&t, "zombie", c.zombie);
	assert_int_equal(get_int(ev, "ppid"), c.pid);
	assert_string_equal(get_str(ev, "parent_comm"), name);
	/* The tree, as a snapshot line, has the new name too. */
	kill(t.pid, SIGUSR1);
	ev = wait_event(&t, "snapshot", -1);
	procs = get(ev, "procs");
	json_array_foreach(procs, i, p)
		if (get_int(p, "pid") == c.pid) {
			assert_string_equal(get_str(p, "comm"), name);
			seen = true;
		}
	assert_true(seen);
	close(c.hold);
	assert_int_equal(wait_child(c.pid), 0);
	ev = wait_event(&t, "exit", c.pid);
	assert_string_equal(get_str(ev, "comm"), name);
	stop(&t);
	trace_free(&t);
}

static void rename_by_prctl(void **state)
{
	renamed_leader(state, "fidk-prctl", false);
}

static void rename_by_pthread_setname(void **state)
{
	renamed_leader(state, "fidk-pthread", true);
}

static void *rename_self(void *arg)
{
	int fd = *(int *)arg;
	pid_t tid = gettid();

	if (prctl(PR_SET_NAME, "fidk-thread"))
		_exit(124);
	write_all(fd, &tid, sizeof(tid));
	return NULL;
}

/* A non-leader thread's rename is reported with --threads only, and never renames the process. */
static void rename_thread(void **state, const char *const *opts, bool want_thread)
{
	struct trace t;
	json_t *renames, *ev;
	int report[2];
	pid_t pid, tid;
	size_t i, thread_renames = 0;

	if (start(state, &t, opts))
		skip();
	assert_int_equal(pipe(report), 0);
	pid = fork();
	if (pid == 0) {
		pthread_t th;

		if (pthread_create(&th, NULL, rename_self, &report[1]) || pthread_join(th, NULL))
			_exit(125);
		/* A marker after the thread's rename, in stream order. */
		if (prctl(PR_SET_NAME, "fidk-marker"))
			_exit(126);
		_exit(0);
	}
	close(report[1]);
	read_all(report[0], &tid, sizeof(tid));
	close(report[0]);
	assert_int_equal(wait_child(pid), 0);
	ev = wait_event(&t, "reap", pid);
	ev = process_exit(&t, pid);
	/* The process's name is its leader's, whatever a thread calls itself. */
	assert_string_equal(get_str(ev, "comm"), "fidk-marker");
	stop(&t);
	renames = trace_find(&t, "rename", pid);
	json_array_foreach(renames, i, ev) {
		if (get_int(ev, "tid") != tid)
			continue;
		assert_string_equal(get_str(ev, "comm"), "fidk-thread");
		thread_renames++;
	}
	assert_int_equal(thread_renames, want_thread ? 1 : 0);
	json_decref(renames);
	trace_free(&t);
}

static void thread_rename_hidden(void **state)
{
	rename_thread(state, NULL, false);
}

static void thread_rename_with_threads(void **state)
{
	const char *const opts[] = { "--threads", NULL };

	rename_thread(state, opts, true);
}

/* ---- what a delivered signal's siginfo holds ---- */

#define FAULT_ADDR 0xdead000UL

static void segv_address(void **state)
{
	struct rlimit no_core = { 0, 0 };
	struct trace t;
	json_t *ev;
	pid_t pid;
	int status;

	if (start(state, &t, NULL))
		skip();
	pid = fork();
	if (pid == 0) {
		volatile uintptr_t addr = FAULT_ADDR;

		/* cmocka catches SIGSEGV in the test process; this child must die of it. */
		signal(SIGSEGV, SIG_DFL);
		setrlimit(RLIMIT_CORE, &no_core);
		*(volatile int *)addr = 1;
		_exit(127);
	}
	status = wait_child(pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	ev = wait_signal(&t, "deliver", pid, SIGSEGV);
	stop(&t);
	assert_int_equal(get_int(ev, "code"), SEGV_MAPERR);
	assert_string_equal(get_str(ev, "siginfo"), "fault");
	assert_int_equal(get_int(ev, "si_addr"), FAULT_ADDR);
	assert_null(json_object_get(ev, "si_pid"));
	trace_free(&t);
}

static volatile sig_atomic_t got_signal;
static siginfo_t seen_info;

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	seen_info = *si;
	got_signal = 1;
}

/* Blocks sig, handles it with on_info; sigsuspend_for() waits for it. */
static void handle(int sig, sigset_t *wait_mask)
{
	struct sigaction sa = { .sa_sigaction = on_info, .sa_flags = SA_SIGINFO };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, sig);
	sigprocmask(SIG_BLOCK, &block, wait_mask);
	sigdelset(wait_mask, sig);
	sigaction(sig, &sa, NULL);
}

static void sigsuspend_for(const sigset_t *wait_mask)
{
	while (!got_signal)
		sigsuspend(wait_mask);
}

static void posix_timer_id(void **state)
{
	struct trace t;
	json_t *ev;
	int report[2], seen[2];
	pid_t pid;

	if (start(state, &t, NULL))
		skip();
	assert_int_equal(pipe(report), 0);
	pid = fork();
	if (pid == 0) {
		struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
		struct itimerspec its = { .it_value = { 0, 1000000 } };
		sigset_t wait_mask;
		timer_t timer;

		handle(SIGALRM, &wait_mask);
		if (timer_create(CLOCK_MONOTONIC, &sev, &timer) || timer_settime(timer, 0, &its, NULL))
			_exit(128);
		sigsuspend_for(&wait_mask);
		seen[0] = seen_info.si_timerid;
		seen[1] = seen_info.si_overrun;
		write_all(report[1], seen, sizeof(seen));
		_exit(seen_info.si_code == SI_TIMER ? 0 : 129);
	}
	close(report[1]);
	read_all(report[0], seen, sizeof(seen));
	close(report[0]);
	assert_int_equal(wait_child(pid), 0);
	ev = wait_signal(&t, "deliver", pid, SIGALRM);
	stop(&t);
	assert_int_equal(get_int(ev, "code"), SI_TIMER);
	assert_string_equal(get_str(ev, "siginfo"), "timer");
	assert_int_equal(get_int(ev, "si_timerid"), seen[0]);
	assert_int_equal(get_int(ev, "si_overrun"), seen[1]);
	assert_null(json_object_get(ev, "si_pid"));
	trace_free(&t);
}

static void sigchld_names_child(void **state)
{
	struct trace t;
	json_t *ev;
	int report[2];
	pid_t pid, grandchild;

	if (start(state, &t, NULL))
		skip();
	assert_int_equal(pipe(report), 0);
	pid = fork();
	if (pid == 0) {
		sigset_t wait_mask;
		pid_t g;

		handle(SIGCHLD, &wait_mask);
		g = fork();
		if (g == 0)
			_exit(5);
		sigsuspend_for(&wait_mask);
		waitpid(g, NULL, 0);
		write_all(report[1], &g, sizeof(g));
		_exit(seen_info.si_pid == g && seen_info.si_status == 5 ? 0 : 130);
	}
	close(report[1]);
	read_all(report[0], &grandchild, sizeof(grandchild));
	close(report[0]);
	assert_int_equal(wait_child(pid), 0);
	ev = wait_signal(&t, "deliver", pid, SIGCHLD);
	assert_int_equal(get_int(ev, "code"), CLD_EXITED);
	assert_string_equal(get_str(ev, "siginfo"), "child");
	assert_int_equal(get_int(ev, "si_pid"), grandchild);
	assert_int_equal(get_int(ev, "si_status"), 5);
	ev = signal_event(&t, "generate", pid, SIGCHLD);
	assert_string_equal(get_str(ev, "siginfo"), "child");
	assert_int_equal(get_int(ev, "si_pid"), grandchild);
	json_decref(ev);
	stop(&t);
	trace_free(&t);
}

static void sigqueue_names_sender(void **state)
{
	struct trace t;
	json_t *ev;
	int ready[2];
	pid_t pid;

	if (start(state, &t, NULL))
		skip();
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		sigset_t wait_mask;

		handle(SIGUSR1, &wait_mask);
		write_all(ready[1], "r", 1);
		sigsuspend_for(&wait_mask);
		_exit(seen_info.si_code == SI_QUEUE && seen_info.si_pid == getppid() ? 0 : 131);
	}
	close(ready[1]);
	read_ready(ready[0]);
	assert_int_equal(sigqueue(pid, SIGUSR1, (union sigval){ .sival_int = 42 }), 0);
	assert_int_equal(wait_child(pid), 0);
	ev = wait_signal(&t, "deliver", pid, SIGUSR1);
	assert_int_equal(get_int(ev, "code"), SI_QUEUE);
	assert_string_equal(get_str(ev, "siginfo"), "kill");
	assert_int_equal(get_int(ev, "si_pid"), getpid());
	assert_int_equal(get_int(ev, "si_uid"), getuid());
	assert_null(json_object_get(ev, "sender_pid"));
	ev = signal_event(&t, "generate", pid, SIGUSR1);
	assert_int_equal(get_int(ev, "si_pid"), getpid());
	assert_int_equal(get_int(ev, "sender_pid"), getpid());
	json_decref(ev);
	stop(&t);
	trace_free(&t);
}

/* ---- signals the kernel sends ---- */

/*
 * RLIMIT_CPU's SIGXCPU comes from the kernel (SEND_SIG_PRIV): SI_KERNEL,
 * no sender, although the process itself was running.
 */
static void rlimit_cpu_from_kernel(void **state)
{
	struct rlimit no_core = { 0, 0 }, cpu = { 1, RLIM_INFINITY };
	struct trace t;
	json_t *ev;
	pid_t pid;
	int status;

	if (start(state, &t, NULL))
		skip();
	pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		setrlimit(RLIMIT_CPU, &cpu);
		for (volatile unsigned long n = 0;; n++)
			;
	}
	status = wait_child(pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGXCPU);
	wait_signal(&t, "deliver", pid, SIGXCPU);
	stop(&t);
	ev = signal_event(&t, "generate", pid, SIGXCPU);
	assert_int_equal(get_int(ev, "code"), SI_KERNEL);
	assert_string_equal(get_str(ev, "siginfo"), "kernel");
	assert_null(json_object_get(ev, "si_pid"));
	json_decref(ev);
	ev = signal_event(&t, "deliver", pid, SIGXCPU);
	assert_int_equal(get_int(ev, "code"), SI_KERNEL);
	assert_string_equal(get_str(ev, "siginfo"), "kernel");
	json_decref(ev);
	trace_free(&t);
}

/*
 * The parent-death signal is sent without a siginfo (SEND_SIG_NOINFO): the
 * kernel queues it as SI_USER from the dying parent, which is what the
 * child sees.
 */
static void pdeath_signal_from_parent(void **state)
{
	struct trace t;
	json_t *ev;
	int report[2];
	pid_t middle, ids[3];

	if (start(state, &t, NULL))
		skip();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	assert_int_equal(pipe(report), 0);
	middle = fork();
	if (middle == 0) {
		int ready[2];
		pid_t child;

		if (pipe(ready))
			_exit(132);
		child = fork();
		if (child == 0) {
			sigset_t wait_mask;
			pid_t me[3];

			handle(SIGUSR2, &wait_mask);
			prctl(PR_SET_PDEATHSIG, SIGUSR2);
			write_all(ready[1], "r", 1);
			sigsuspend_for(&wait_mask);
			me[0] = getpid();
			me[1] = seen_info.si_pid;
			me[2] = seen_info.si_code;
			write_all(report[1], me, sizeof(me));
			_exit(0);
		}
		if (read(ready[0], ids, 1) != 1)
			_exit(133);
		_exit(0);
	}
	close(report[1]);
	assert_int_equal(wait_child(middle), 0);
	read_all(report[0], ids, sizeof(ids));
	close(report[0]);
	assert_int_equal(wait_child(ids[0]), 0);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	assert_int_equal(ids[1], middle);
	assert_int_equal(ids[2], SI_USER);
	ev = wait_signal(&t, "deliver", ids[0], SIGUSR2);
	assert_int_equal(get_int(ev, "code"), SI_USER);
	assert_int_equal(get_int(ev, "si_pid"), middle);
	stop(&t);
	ev = signal_event(&t, "generate", ids[0], SIGUSR2);
	assert_int_equal(get_int(ev, "code"), SI_USER);
	assert_string_equal(get_str(ev, "siginfo"), "kill");
	assert_int_equal(get_int(ev, "si_pid"), middle);
	assert_int_equal(get_int(ev, "sender_pid"), middle);
	json_decref(ev);
	trace_free(&t);
}

/* ---- autoreap: do_notify_parent's rule ---- */

/*
 * Under a parent that ignores SIGCHLD, a child whose exit signal is not
 * SIGCHLD, or that is ptraced, is not reaped by the kernel: a real zombie.
 */
static void not_autoreaped(void **state, bool ptraced)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_chld, old_usr1;
	struct trace t;
	json_t *ev;
	pid_t pid;
	int status;

	if (start(state, &t, NULL))
		skip();
	sigaction(SIGCHLD, &ign, &old_chld);
	/* The exit signal of the clone below: ignored, so it kills nobody. */
	sigaction(SIGUSR1, &ign, &old_usr1);
	pid = ptraced ? fork() : (pid_t)syscall(SYS_clone, SIGUSR1, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		if (ptraced && ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(134);
		_exit(4);
	}
	assert_true(pid > 0);
	ev = exit_of(&t, pid);
	assert_false(get_bool(ev, "autoreap"));
	/* The kernel agrees: it is there to be waited for. */
	assert_int_equal(waitpid(pid, &status, __WALL), pid);
	assert_int_equal(WEXITSTATUS(status), 4);
	sigaction(SIGCHLD, &old_chld, NULL);
	sigaction(SIGUSR1, &old_usr1, NULL);
	stop(&t);
	trace_free(&t);
}

static void other_exit_signal_not_autoreaped(void **state)
{
	not_autoreaped(state, false);
}

static void ptraced_not_autoreaped(void **state)
{
	not_autoreaped(state, true);
}

/* ---- find_new_reaper ---- */

#define CHAIN_DEPTH 40

/*
 * This process is level depth of a chain of single children. Level 1
 * writes its pid, forks the bottom process (which writes its pid and waits
 * on hold) and exits at once: the bottom is orphaned CHAIN_DEPTH levels
 * below the test, a subreaper. Every other level reaps its child.
 */
static void __attribute__((noreturn)) chain(int depth, int report, int hold)
{
	pid_t me = getpid(), child;
	char x;

	if (depth == 1)
		write_all(report, &me, sizeof(me));
	child = fork();
	if (child == 0 && depth == 1) {
		me = getpid();
		write_all(report, &me, sizeof(me));
		(void)!read(hold, &x, 1);
		_exit(0);
	}
	if (child == 0)
		chain(depth - 1, report, hold);
	if (depth > 1)
		waitpid(child, NULL, 0);
	_exit(0);
}

static void deep_subreaper(void **state)
{
	struct trace t;
	json_t *ev;
	int report[2], hold[2];
	pid_t top, ids[2];

	if (start(state, &t, NULL))
		skip();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	assert_int_equal(pipe(report), 0);
	assert_int_equal(pipe(hold), 0);
	top = fork();
	if (top == 0) {
		close(report[0]);
		close(hold[1]);
		chain(CHAIN_DEPTH, report[1], hold[0]);
	}
	close(report[1]);
	close(hold[0]);
	/* Two writers: level 1's pid, then the bottom's. */
	read_all(report[0], &ids[0], sizeof(ids[0]));
	read_all(report[0], &ids[1], sizeof(ids[1]));
	close(report[0]);
	ev = exit_of(&t, ids[0]);
	assert_string_equal(get_str(ev, "reaper_rule"), "subreaper");
	assert_int_equal(get_int(ev, "reaper"), getpid());
	/* The kernel's choice, read back from the orphan. */
	assert_int_equal(ppid_of(ids[1]), getpid());
	close(hold[1]);
	assert_int_equal(wait_child(ids[1]), 0);
	assert_int_equal(wait_child(top), 0);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	stop(&t);
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rename_by_prctl),
		cmocka_unit_test(rename_by_pthread_setname),
		cmocka_unit_test(thread_rename_hidden),
		cmocka_unit_test(thread_rename_with_threads),
		cmocka_unit_test(segv_address),
		cmocka_unit_test(posix_timer_id),
		cmocka_unit_test(sigchld_names_child),
		cmocka_unit_test(sigqueue_names_sender),
		cmocka_unit_test(rlimit_cpu_from_kernel),
		cmocka_unit_test(pdeath_signal_from_parent),
		cmocka_unit_test(other_exit_signal_not_autoreaped),
		cmocka_unit_test(ptraced_not_autoreaped),
		cmocka_unit_test(deep_subreaper),
	};

	return cmocka_run_group_tests_name("kernel_rules", tests, NULL, NULL);
}
