/*
 * proclife against real processes: each test makes a situation happen with
 * real syscalls, then checks proclife's JSON events field by field against
 * what the test itself knows (pids from fork, statuses from waitpid).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "checks.h"

static void fork_exit_codes(void **state)
{
	static const int codes[] = { 0, 7, 255 };
	pid_t pids[3];
	struct trace t;

	if (start(state, &t, NULL))
		skip();
	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(codes[i]);
	}
	for (int i = 0; i < 3; i++) {
		int status = wait_child(pids[i]);
		json_t *fork_ev = wait_event(&t, "fork", pids[i]);
		json_t *exit_ev = wait_event(&t, "exit", pids[i]);
		json_t *reap_ev = wait_event(&t, "reap", pids[i]);

		assert_int_equal(get_int(fork_ev, "tid"), pids[i]);
		assert_int_equal(get_int(fork_ev, "ppid"), getpid());
		assert_int_equal(get_int(fork_ev, "parent_tid"), getpid());
		assert_false(get_bool(fork_ev, "thread"));
		assert_int_equal(get_int(exit_ev, "ppid"), getpid());
		assert_false(get_bool(exit_ev, "thread"));
		assert_int_equal(get_int(exit_ev, "exit_code"), WEXITSTATUS(status));
		assert_null(json_object_get(exit_ev, "signal"));
		assert_false(get_bool(exit_ev, "core_dumped"));
		assert_false(get_bool(exit_ev, "autoreap"));
		/* One process, one key: fork, exit and reap agree on the start time. */
		assert_true(get_int(fork_ev, "start_ns") > 0);
		assert_int_equal(get_int(exit_ev, "start_ns"), get_int(fork_ev, "start_ns"));
		assert_int_equal(get_int(reap_ev, "start_ns"), get_int(fork_ev, "start_ns"));
		assert_int_equal(get_int(reap_ev, "ppid"), getpid());
	}
	stop(&t);
	for (int i = 0; i < 3; i++) {
		json_t *exits = trace_find(&t, "exit", pids[i]);

		assert_int_equal(json_array_size(exits), 1);
		json_decref(exits);
	}
	trace_free(&t);
}

static void exec_args(void **state)
{
	const char *argv[] = { harness_prog("prog_target"), "args", "hello world", "", "x\ny", NULL };
	json_t *ev, *args;
	struct trace t;
	pid_t pid;

	if (start(state, &t, NULL))
		skip();
	pid = spawn(argv, NULL);
	assert_int_equal(WEXITSTATUS(wait_child(pid)), 0);
	ev = wait_event(&t, "exec", pid);
	stop(&t);
	assert_string_equal(get_str(ev, "filename"), argv[0]);
	assert_string_equal(get_str(ev, "comm"), "prog_target");
	assert_int_equal(get_int(ev, "tid"), pid);
	assert_int_equal(get_int(ev, "ppid"), getpid());
	assert_int_equal(get_int(ev, "uid"), getuid());
	assert_int_equal(get_int(ev, "gid"), getgid());
	assert_false(get_bool(ev, "args_truncated"));
	assert_null(json_object_get(ev, "old_pid"));
	args = get(ev, "args");
	assert_int_equal(json_array_size(args), 5);
	for (int i = 0; i < 5; i++)
		assert_string_equal(json_string_value(json_array_get(args, i)), argv[i]);
	trace_free(&t);
}

static void exec_args_truncated(void **state)
{
	char long_arg[200], arg_bytes[24];
	const char *const opts[] = { "--arg-bytes", arg_bytes, "--max-args", "3", NULL };
	const char *argv[] = { harness_prog("prog_target"), "args", long_arg, NULL };
	const char *many[] = { harness_prog("prog_target"), "args", "a", "b", "c", NULL };
	json_t *ev;
	struct trace t;
	pid_t pid;

	/* Room for every argument of `many` whatever the checkout's path: only --max-args cuts it. */
	snprintf(arg_bytes, sizeof(arg_bytes), "%zu", strlen(many[0]) + sizeof("args a b c"));
	if (start(state, &t, opts))
		skip();
	memset(long_arg, 'z', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = '\0';
	pid = spawn(argv, NULL);
	wait_child(pid);
	ev = wait_event(&t, "exec", pid);
	assert_true(get_bool(ev, "args_truncated"));
	pid = spawn(many, NULL);
	wait_child(pid);
	ev = wait_event(&t, "exec", pid);
	assert_true(get_bool(ev, "args_truncated"));
	assert_int_equal(json_array_size(get(ev, "args")), 3);
	stop(&t);
	trace_free(&t);
}

static void thread_exec(void **state)
{
	const char *argv[] = { harness_prog("prog_target"), "thread-exec", NULL };
	json_t *ev, *execs;
	struct trace t;
	pid_t pid;
	int status;

	if (start(state, &t, NULL))
		skip();
	pid = spawn(argv, NULL);
	status = wait_child(pid);
	assert_int_equal(WEXITSTATUS(status), 7);
	ev = wait_event(&t, "exit", pid);
	assert_int_equal(get_int(ev, "exit_code"), 7);
	stop(&t);
	/* The first exec is the spawn; the second by the non-leader thread keeps the pid. */
	execs = trace_find(&t, "exec", pid);
	assert_int_equal(json_array_size(execs), 2);
	ev = json_array_get(execs, 1);
	assert_int_equal(get_int(ev, "pid"), pid);
	assert_int_equal(get_int(ev, "tid"), pid);
	assert_true(get_int(ev, "old_pid") != pid);
	assert_int_equal(get_int(ev, "start_ns"), get_int(json_array_get(execs, 0), "start_ns"));
	assert_string_equal(json_string_value(json_array_get(get(ev, "args"), 1)), "exit");
	json_decref(execs);
	trace_free(&t);
}

/*
 * The programs read every task's pid namespace; the host's is not written
 * (docs/schema.md). Any other number read for a host process would be.
 */
static void check_host_pidns(json_t *ev)
{
	assert_null(json_object_get(ev, "pidns"));
	assert_null(json_object_get(ev, "ns_pid"));
}

static void sigterm_kill(void **state)
{
	char comm[17] = "";
	const char *argv[] = { harness_prog("prog_target"), "sleep", NULL };
	json_t *ev, *sigs;
	struct trace t;
	int fd, status;
	pid_t pid;
	bool generated = false, delivered = false;
	size_t i;

	if (start(state, &t, NULL))
		skip();
	assert_int_equal(prctl(PR_GET_NAME, comm), 0);
	pid = spawn(argv, &fd);
	read_ready(fd);
	kill(pid, SIGTERM);
	status = wait_child(pid);
	assert_true(WIFSIGNALED(status));
	ev = wait_event(&t, "exit", pid);
	stop(&t);
	assert_int_equal(get_int(ev, "signal"), WTERMSIG(status));
	assert_string_equal(get_str(ev, "signal_name"), "SIGTERM");
	assert_null(json_object_get(ev, "exit_code"));
	assert_false(get_bool(ev, "core_dumped"));
	sigs = trace_find(&t, "signal", pid);
	json_array_foreach(sigs, i, ev) {
		if (!strcmp(get_str(ev, "stage"), "generate") && get_int(ev, "signal") == SIGTERM) {
			assert_int_equal(get_int(ev, "sender_pid"), getpid());
			assert_string_equal(get_str(ev, "sender_comm"), comm);
			assert_string_equal(get_str(ev, "result"), "delivered");
			check_host_pidns(ev);
			generated = true;
		}
		/* The kernel turns a fatal signal into SIGKILL before delivery. */
		if (!strcmp(get_str(ev, "stage"), "deliver") && get_int(ev, "signal") == SIGKILL)
			delivered = true;
	}
	assert_true(generated);
	assert_true(delivered);
	json_decref(sigs);
	trace_free(&t);
}

static void caught_signal(void **state)
{
	const char *argv[] = { harness_prog("prog_target"), "catch", NULL };
	json_t *sigs, *ev;
	struct trace t;
	int fd;
	pid_t pid;
	bool delivered = false;
	size_t i;

	if (start(state, &t, NULL))
		skip();
	pid = spawn(argv, &fd);
	read_ready(fd);
	kill(pid, SIGUSR1);
	assert_int_equal(WEXITSTATUS(wait_child(pid)), 0);
	ev = wait_event(&t, "exit", pid);
	assert_int_equal(get_int(ev, "exit_code"), 0);
	stop(&t);
	sigs = trace_find(&t, "signal", pid);
	json_array_foreach(sigs, i, ev) {
		if (strcmp(get_str(ev, "stage"), "deliver") || get_int(ev, "signal") != SIGUSR1)
			continue;
		assert_string_equal(get_str(ev, "signal_name"), "SIGUSR1");
		assert_string_equal(get_str(ev, "disposition"), "handler");
		/* kill(2): the sender's pid and uid, as the target's pid namespace sees them. */
		assert_string_equal(get_str(ev, "siginfo"), "kill");
		assert_int_equal(get_int(ev, "si_pid"), getpid());
		assert_int_equal(get_int(ev, "si_uid"), getuid());
		assert_int_equal(get_int(ev, "tid"), pid);
		check_host_pidns(ev);
		delivered = true;
	}
	assert_true(delivered);
	json_decref(sigs);
	trace_free(&t);
}

static void multithreaded(void **state, const char *const *opts, size_t want_thread_exits)
{
	const char *argv[] = { harness_prog("prog_target"), "threads", "4", NULL };
	json_t *forks, *exits, *ev;
	size_t i, threads = 0, process_exits = 0, thread_exits = 0;
	struct trace t;
	pid_t pid;

	if (start(state, &t, opts))
		skip();
	pid = spawn(argv, NULL);
	assert_int_equal(WEXITSTATUS(wait_child(pid)), 0);
	wait_event(&t, "reap", pid);
	stop(&t);
	forks = trace_find(&t, "fork", pid);
	json_array_foreach(forks, i, ev) {
		if (!get_bool(ev, "thread"))
			continue;
		assert_true(get_int(ev, "tid") != pid);
		/* A thread's real parent is its process's parent, not the creating thread. */
		assert_int_equal(get_int(ev, "parent_tid"), getpid());
		assert_int_equal(get_int(ev, "ppid"), getpid());
		threads++;
	}
	assert_int_equal(threads, 4);
	exits = trace_find(&t, "exit", pid);
	json_array_foreach(exits, i, ev) {
		if (get_bool(ev, "thread")) {
			thread_exits++;
		} else {
			process_exits++;
			assert_int_equal(get_int(ev, "exit_code"), 0);
		}
	}
	assert_int_equal(process_exits, 1);
	assert_int_equal(thread_exits, want_thread_exits);
	json_decref(forks);
	json_decref(exits);
	trace_free(&t);
}

static void threads_one_exit(void **state)
{
	multithreaded(state, NULL, 0);
}

static void threads_with_thread_exits(void **state)
{
	const char *const opts[] = { "--threads", NULL };

	multithreaded(state, opts, 4);
}

static void ignored_sigchld_autoreaps(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct trace t;
	json_t *ev;
	pid_t pid;

	if (start(state, &t, NULL))
		skip();
	sigaction(SIGCHLD, &ign, &old);
	pid = fork();
	if (pid == 0)
		_exit(3);
	ev = wait_event(&t, "exit", pid);
	assert_true(get_bool(ev, "autoreap"));
	wait_event(&t, "reap", pid);
	sigaction(SIGCHLD, &old, NULL);
	stop(&t);
	trace_free(&t);
}

/* The exit of the process with this pid that parent forked; waits for it. */
static json_t *exit_of_child(struct trace *t, pid_t pid, pid_t parent)
{
	json_int_t start_ns = -1;
	json_t *ev;

	for (size_t n = 1; start_ns < 0; n++) {
		ev = trace_wait_nth(t, "fork", pid, n);
		if (!ev)
			fail_msg("no fork of %d by %d", pid, parent);
		if (get_int(ev, "ppid") == parent && !get_bool(ev, "thread"))
			start_ns = get_int(ev, "start_ns");
	}
	for (size_t n = 1;; n++) {
		ev = trace_wait_nth(t, "exit", pid, n);
		if (!ev)
			fail_msg("no exit of %d started at %lld", pid, (long long)start_ns);
		if (get_int(ev, "start_ns") == start_ns)
			return ev;
	}
}

static void orphan_reaper(void **state, bool subreaper)
{
	const char *argv[] = { harness_prog("prog_target"), "orphan", NULL };
	char buf[32] = "";
	struct trace t;
	json_t *ev;
	pid_t pid, grandchild, adopter;
	int fd, hold;

	if (start(state, &t, NULL))
		skip();
	if (subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid = spawn_held(argv, &fd, &hold);
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	grandchild = atoi(buf);
	wait_child(pid);
	/* An ancestor of ours may be a subreaper: the kernel's choice is the truth. */
	adopter = ppid_of(grandchild);
	ev = wait_event(&t, "exit", pid);
	if (subreaper) {
		assert_int_equal(adopter, getpid());
		assert_string_equal(get_str(ev, "reaper_rule"), "subreaper");
		assert_int_equal(get_int(ev, "reaper"), getpid());
		close(hold);
		assert_int_equal(wait_child(grandchild) & 0xffff, 0);
		prctl(PR_SET_CHILD_SUBREAPER, 0);
	} else {
		assert_int_equal(get_int(ev, "reaper"), adopter);
		assert_string_equal(get_str(ev, "reaper_rule"), adopter == 1 ? "init" : "subreaper");
		close(hold);
	}
	/*
	 * The orphan's own exit names the process that adopted it. Its pid may
	 * have been another process's earlier in the trace: its fork under pid
	 * gives the start time that tells them apart.
	 */
	ev = exit_of_child(&t, grandchild, pid);
	assert_int_equal(get_int(ev, "ppid"), adopter);
	stop(&t);
	trace_free(&t);
}

static void orphan_to_init(void **state)
{
	orphan_reaper(state, false);
}

static void orphan_to_subreaper(void **state)
{
	orphan_reaper(state, true);
}

/* Whether (pid, start_ns) is one of the n processes in keys (pid, start pairs). */
static bool is_ours(const json_int_t (*keys)[2], size_t n, json_t *ev)
{
	json_int_t pid = get_int(ev, "pid"), start_ns = get_int(ev, "start_ns");

	for (size_t i = 0; i < n; i++)
		if (keys[i][0] == pid && keys[i][1] == start_ns)
			return true;
	return false;
}

/* for i in $(seq 1000); do /bin/true; done: every exec and exit, nothing lost. */
static void thousand_execs(void **state)
{
	const char *argv[] = { "/bin/true", NULL };
	static json_int_t keys[1000][2];
	pid_t last = 0;
	struct trace t;
	json_t *ev;
	size_t i, nkeys = 0, execs = 0, exits = 0;

	if (start(state, &t, NULL))
		skip();
	for (i = 0; i < 1000; i++) {
		last = spawn(argv, NULL);
		assert_int_equal(WEXITSTATUS(wait_child(last)), 0);
	}
	wait_event(&t, "exit", last);
	stop(&t);
	/* Pids are reused by other processes meanwhile: ours are the keys we forked. */
	json_array_foreach(t.events, i, ev)
		if (!strcmp(get_str(ev, "type"), "fork") && get_int(ev, "ppid") == getpid() &&
		    !get_bool(ev, "thread") && nkeys < 1000) {
			keys[nkeys][0] = get_int(ev, "pid");
			keys[nkeys++][1] = get_int(ev, "start_ns");
		}
	assert_int_equal(nkeys, 1000);
	json_array_foreach(t.events, i, ev) {
		const char *type = get_str(ev, "type");

		if (!strcmp(type, "exec") && is_ours(keys, nkeys, ev)) {
			assert_string_equal(get_str(ev, "filename"), "/bin/true");
			execs++;
		} else if (!strcmp(type, "exit") && is_ours(keys, nkeys, ev)) {
			assert_int_equal(get_int(ev, "exit_code"), 0);
			exits++;
		}
	}
	assert_int_equal(execs, 1000);
	assert_int_equal(exits, 1000);
	assert_int_equal(trace_summary_lost(&t), 0);
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fork_exit_codes),
		cmocka_unit_test(exec_args),
		cmocka_unit_test(exec_args_truncated),
		cmocka_unit_test(thread_exec),
		cmocka_unit_test(sigterm_kill),
		cmocka_unit_test(caught_signal),
		cmocka_unit_test(threads_one_exit),
		cmocka_unit_test(threads_with_thread_exits),
		cmocka_unit_test(ignored_sigchld_autoreaps),
		cmocka_unit_test(orphan_to_init),
		cmocka_unit_test(orphan_to_subreaper),
		cmocka_unit_test(thousand_execs),
	};

	return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
