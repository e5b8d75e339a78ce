/*
 * The process model against real situations: a parent that leaks zombies,
 * one that ignores SIGCHLD, a subreaper adopting a grandchild, the
 * double-fork daemon, a pid forced to be reused, a zombie older than
 * proclife, and the whole tree after a storm (and after losing events)
 * compared with /proc.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <time.h>
#include <sys/prctl.h>
#include "checks.h"

#define MS 1000000LL

static const char *const fast_zombies[] = { "--zombie-age", "0.5", NULL };

/* Reads whitespace-separated pids a test program printed. */
static int read_pids(int fd, pid_t *pids, int max)
{
	char buf[256], *p, *end;
	size_t got = 0;
	ssize_t n;
	int count = 0;

	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += n;
		buf[got] = '\0';
		count = 0;
		for (p = buf; count < max; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p || (*end != '\n'))
				break;
			pids[count++] = v;
			end++;
		}
		if (count == max)
			break;
	}
	close(fd);
	return count;
}

static void leaked_zombies_blame_parent(void **state)
{
	const char *argv[] = { harness_prog("prog_target"), "leak", "2", NULL };
	struct trace t;
	pid_t parent, kids[2];
	int fd, hold;

	if (start(state, &t, fast_zombies))
		skip();
	parent = spawn_held(argv, &fd, &hold);
	assert_int_equal(read_pids(fd, kids, 2), 2);
	for (int i = 0; i < 2; i++) {
		json_t *z = wait_event(&t, "zombie", kids[i]);

		assert_int_equal(get_int(z, "ppid"), parent);
		assert_string_equal(get_str(z, "parent_comm"), "prog_target");
		assert_int_equal(get_int(z, "parent_zombies"), 2);
		assert_int_equal(get_int(z, "exit_code"), i);
		assert_true(get_int(z, "zombie_ns") >= 500 * MS);
		assert_int_equal(get_int(z, "start_ns"),
				 get_int(wait_event(&t, "fork", kids[i]), "start_ns"));
	}
	close(hold);
	assert_int_equal(WEXITSTATUS(wait_child(parent)), 0);
	for (int i = 0; i < 2; i++) {
		json_t *r = wait_event(&t, "reap", kids[i]);

		assert_true(get_bool(r, "leaked"));
		assert_true(get_int(r, "zombie_ns") >= get_int(wait_event(&t, "zombie", kids[i]), "zombie_ns"));
		assert_int_equal(get_int(r, "ppid"), parent);
	}
	stop(&t);
	for (int i = 0; i < 2; i++) {
		json_t *zs = trace_find(&t, "zombie", kids[i]);

		assert_int_equal(json_array_size(zs), 1);
		json_decref(zs);
	}
	trace_free(&t);
}

static void assert_no_zombie(struct trace *t, pid_t pid)
{
	json_t *zs = trace_find(t, "zombie", pid);

	assert_int_equal(json_array_size(zs), 0);
	json_decref(zs);
}

static void prompt_reaping_is_not_reported(void **state)
{
	const char *argv[] = { harness_prog("prog_target"), "leak", "3", NULL };
	struct trace t;
	pid_t parent, kids[3];
	int fd;

	if (start(state, &t, fast_zombies))
		skip();
	parent = spawn(argv, &fd);
	assert_int_equal(read_pids(fd, kids, 3), 3);
	wait_child(parent);
	for (int i = 0; i < 3; i++)
		assert_false(get_bool(wait_event(&t, "reap", kids[i]), "leaked"));
	/* Past the threshold: a report would have been made by now. */
	sleep_ms(800);
	stop(&t);
	for (int i = 0; i < 3; i++)
		assert_no_zombie(&t, kids[i]);
	assert_no_zombie(&t, parent);
	trace_free(&t);
}

static void ignored_sigchld_never_leaks(void **state)
{
	const char *argv[] = { harness_prog("prog_target"), "ignore", NULL };
	struct trace t;
	pid_t parent, kid;
	int fd, hold;

	if (start(state, &t, fast_zombies))
		skip();
	parent = spawn_held(argv, &fd, &hold);
	assert_int_equal(read_pids(fd, &kid, 1), 1);
	assert_true(get_bool(wait_event(&t, "exit", kid), "autoreap"));
	close(hold);
	wait_child(parent);
	stop(&t);
	assert_no_zombie(&t, kid);
	trace_free(&t);
}

static json_t *only_orphan(struct trace *t, pid_t pid)
{
	json_t *all, *o;

	o = wait_event(t, "orphan", pid);
	all = trace_find(t, "orphan", pid);
	assert_int_equal(json_array_size(all), 1);
	json_decref(all);
	return o;
}

static void subreaper_adopts_grandchild(void **state)
{
	const char *argv[] = { harness_prog("prog_target"), "orphan", NULL };
	struct trace t;
	pid_t middle, grandchild;
	json_t *o;
	int fd, hold;

	if (start(state, &t, NULL))
		skip();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	middle = spawn_held(argv, &fd, &hold);
	assert_int_equal(read_pids(fd, &grandchild, 1), 1);
	wait_child(middle);
	o = only_orphan(&t, grandchild);
	assert_int_equal(get_int(o, "ppid"), getpid());
	assert_int_equal(get_int(o, "old_ppid"), middle);
	assert_int_equal(get_int(o, "old_parent_tid"), middle);
	assert_string_equal(get_str(o, "old_parent_comm"), "prog_target");
	assert_string_equal(get_str(o, "reaper_rule"), "subreaper");
	close(hold);
	wait_child(grandchild);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	stop(&t);
	trace_free(&t);
}

/*
 * The thread that forked a child ends; the process lives on, so another of
 * its threads adopts the child. Without --threads, the end of that thread
 * is sent all the same: it has children.
 */
static void thread_adopts_child_of_ended_thread(void **state)
{
	const char *argv[] = { harness_prog("prog_target"), "thread-orphan", NULL };
	struct trace t;
	pid_t parent, child;
	json_t *o;
	int fd, hold;

	if (start(state, &t, NULL))
		skip();
	parent = spawn_held(argv, &fd, &hold);
	assert_int_equal(read_pids(fd, &child, 1), 1);
	o = only_orphan(&t, child);
	assert_int_equal(get_int(o, "ppid"), parent);
	assert_int_equal(get_int(o, "old_ppid"), parent);
	assert_int_equal(get_int(o, "old_parent_tid"), get_int(wait_event(&t, "fork", child), "parent_tid"));
	assert_true(get_int(o, "old_parent_tid") != parent);
	assert_string_equal(get_str(o, "reaper_rule"), "thread");
	close(hold);
	assert_int_equal(WEXITSTATUS(wait_child(parent)), 0);
	stop(&t);
	trace_free(&t);
}

static void double_fork_daemon(void **state)
{
	const char *argv[] = { harness_prog("prog_target"), "daemon", NULL };
	struct trace t;
	pid_t launcher, daemon_pid, adopter;
	json_t *o;
	int fd, hold;

	if (start(state, &t, NULL))
		skip();
	launcher = spawn_held(argv, &fd, &hold);
	assert_int_equal(read_pids(fd, &daemon_pid, 1), 1);
	wait_child(launcher);
	/* The daemon lives until released: /proc names its adopter, init or an ancestor subreaper. */
	adopter = ppid_of(daemon_pid);
	o = only_orphan(&t, daemon_pid);
	assert_int_equal(get_int(o, "ppid"), adopter);
	assert_string_equal(get_str(o, "reaper_rule"), adopter == 1 ? "init" : "subreaper");
	assert_int_equal(get_int(o, "old_ppid"), get_int(wait_event(&t, "fork", daemon_pid), "ppid"));
	close(hold);
	stop(&t);
	trace_free(&t);
}

static int set_last_pid(pid_t pid)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%d", pid) > 0;
	return fclose(f) || !ok ? -1 : 0;
}

/* Forks a child that exits with code and takes pid, if no one else takes it first. */
static pid_t fork_as(pid_t pid, int code)
{
	pid_t child;

	if (set_last_pid(pid - 1))
		return -1;
	child = fork();
	if (child == 0)
		_exit(code);
	if (child != pid) {
		wait_child(child);
		return -1;
	}
	return child;
}

static size_t count_key(json_t *events, json_int_t start_ns)
{
	size_t i, n = 0;
	json_t *ev;

	json_array_foreach(events, i, ev)
		n += get_int(ev, "start_ns") == start_ns;
	return n;
}

/* The same pid twice: two processes, never merged. */
static void reused_pid_is_a_new_process(void **state)
{
	struct trace t;
	pid_t first, second = -1;
	json_t *z, *reaps, *r;
	json_int_t first_start;
	size_t i;

	if (start(state, &t, fast_zombies))
		skip();
	/* Other processes may grab the pid in between: a few tries. */
	for (int attempt = 0; attempt < 5 && second < 0; attempt++) {
		first = fork();
		if (first == 0)
			_exit(11);
		wait_child(first);
		first_start = get_int(wait_event(&t, "reap", first), "start_ns");
		second = fork_as(first, 22);
	}
	if (second < 0) {
		stop(&t);
		trace_free(&t);
		print_message("skipping: no pid could be reused before another process took it\n");
		skip();
	}
	z = wait_event(&t, "zombie", second);
	assert_int_equal(get_int(z, "exit_code"), 22);
	assert_true(get_int(z, "start_ns") > first_start);
	wait_child(second);
	/* Other users of the host may have had this pid too: the reap of this key. */
	for (size_t n = 1;; n++) {
		json_t *r = trace_wait_nth(&t, "reap", second, n);

		assert_non_null(r);
		if (get_int(r, "start_ns") == get_int(z, "start_ns"))
			break;
	}
	stop(&t);
	/* One reap per process key, the first never a leak, the second one. */
	reaps = trace_find(&t, "reap", first);
	assert_int_equal(count_key(reaps, first_start), 1);
	assert_int_equal(count_key(reaps, get_int(z, "start_ns")), 1);
	json_array_foreach(reaps, i, r) {
		if (get_int(r, "start_ns") == first_start)
			assert_false(get_bool(r, "leaked"));
		else if (get_int(r, "start_ns") == get_int(z, "start_ns"))
			assert_true(get_bool(r, "leaked"));
	}
	json_decref(reaps);
	trace_free(&t);
}

static void zombie_older_than_proclife(void **state)
{
	struct trace t;
	json_t *z;
	pid_t kid;

	if (harness_unsupported())
		skip();
	kid = fork();
	if (kid == 0)
		_exit(5);
	sleep_ms(50);
	assert_int_equal(start(state, &t, fast_zombies), 0);
	z = wait_event(&t, "zombie", kid);
	assert_true(get_bool(z, "zombie_since_scan"));
	assert_int_equal(get_int(z, "ppid"), getpid());
	assert_true(get_int(z, "zombie_ns") >= 500 * MS);
	wait_child(kid);
	assert_true(get_bool(wait_event(&t, "reap", kid), "leaked"));
	stop(&t);
	trace_free(&t);
}

struct procent {
	pid_t pid, ppid;
	long long start_ticks;
	bool zombie;
};

static size_t read_proc(struct procent *out, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) && n < max) {
		char path[300], buf[1024], *p, state;
		int threads;
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (!p || sscanf(p, ") %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %d %*d %lld",
				  &state, &out[n].ppid, &threads, &out[n].start_ticks) != 4)
			continue;
		out[n].pid = atoi(de->d_name);
		/* A main thread that ended shows Z while the other threads run. */
		out[n].zombie = state == 'Z' && threads <= 1;
		n++;
	}
	closedir(d);
	return n;
}

static const struct procent *find_proc(const struct procent *list, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].pid == pid)
			return &list[i];
	return NULL;
}

static json_t *find_snap(json_t *procs, pid_t pid)
{
	size_t i;
	json_t *p;

	json_array_foreach(procs, i, p)
		if (json_integer_value(json_object_get(p, "pid")) == pid)
			return p;
	return NULL;
}

/*
 * Without --threads only the ends of threads with children are sent: a
 * dump on demand counts a process's threads in /proc. Four of its threads
 * ended; the main one and one more run.
 */
static void dump_counts_threads_without_their_ends(void **state)
{
	const char *argv[] = { harness_prog("prog_target"), "threads-ended", "4", NULL };
	struct trace t;
	json_t *snap;
	pid_t pid;
	int fd, hold;

	if (start(state, &t, NULL))
		skip();
	pid = spawn_held(argv, &fd, &hold);
	assert_int_equal(read_pids(fd, &pid, 1), 1);
	wait_event(&t, "fork", pid);
	kill(t.pid, SIGUSR1);
	snap = find_snap(get(wait_event(&t, "snapshot", -1), "procs"), pid);
	assert_non_null(snap);
	assert_int_equal(get_int(snap, "threads"), 2);
	close(hold);
	assert_int_equal(WEXITSTATUS(wait_child(pid)), 0);
	stop(&t);
	trace_free(&t);
}

static long long boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* With a family (pids, 0-terminated), only its members and their children. */
static bool in_family(const pid_t *family, pid_t pid, pid_t ppid)
{
	if (!family)
		return true;
	for (; *family; family++)
		if (*family == pid || *family == ppid)
			return true;
	return false;
}

/*
 * The model's tree (a snapshot asked for with SIGUSR1) against /proc read
 * just before and just after it. Processes that came or went in that window
 * (other users of the machine) are left out; everything else must agree:
 * the same pids, each under the same parent, the same zombies. Returns how
 * many processes were compared.
 */
static size_t assert_model_matches_proc(struct trace *t, const pid_t *family)
{
	static struct procent before[65536], after[65536];
	long tick_ns = 1000000000L / sysconf(_SC_CLK_TCK);
	size_t nb, na, i, checked = 0;
	json_t *snap, *procs, *sp;
	long long before_ns;

	before_ns = boottime_ns();
	nb = read_proc(before, 65536);
	kill(t->pid, SIGUSR1);
	snap = wait_event(t, "snapshot", -1);
	na = read_proc(after, 65536);
	procs = get(snap, "procs");
	for (i = 0; i < nb; i++) {
		const struct procent *b = &before[i], *a = find_proc(after, na, b->pid);

		if (!a || a->start_ticks != b->start_ticks || a->ppid != b->ppid || a->zombie != b->zombie ||
		    !in_family(family, b->pid, b->ppid))
			continue;
		sp = find_snap(procs, b->pid);
		if (!sp)
			fail_msg("pid %d (ppid %d) is in /proc but not in the model", b->pid, b->ppid);
		if (get_int(sp, "ppid") != b->ppid)
			fail_msg("pid %d: ppid %d in /proc, %lld in the model", b->pid, b->ppid,
				 (long long)get_int(sp, "ppid"));
		if (get_int(sp, "start_ns") / tick_ns != b->start_ticks)
			fail_msg("pid %d: a different process in the model", b->pid);
		if ((json_object_get(sp, "zombie_ns") != NULL) != b->zombie)
			fail_msg("pid %d: %s in /proc, not in the model", b->pid,
				 b->zombie ? "a zombie" : "alive");
		checked++;
	}
	json_array_foreach(procs, i, sp) {
		pid_t pid = get_int(sp, "pid");

		/* Born after the first read, gone before the second: no read saw it. */
		if (get_int(sp, "start_ns") >= before_ns || !in_family(family, pid, get_int(sp, "ppid")))
			continue;
		if (!find_proc(before, nb, pid) && !find_proc(after, na, pid))
			fail_msg("pid %d is in the model but not in /proc: %s (read at %lld)", pid,
				 json_dumps(sp, JSON_COMPACT), before_ns);
	}
	return checked;
}

/* The zombies /proc has under parent. */
static size_t zombies_under(pid_t parent)
{
	static struct procent all[65536];
	size_t n = read_proc(all, 65536), z = 0;

	for (size_t i = 0; i < n; i++)
		z += all[i].ppid == parent && all[i].zombie;
	return z;
}

/*
 * Forks, execs, 4-thread processes, 300 double-fork orphans (adopted by us,
 * a subreaper, and left unreaped: zombies), a parent holding 20 zombies and
 * a process whose main thread ended: 2 s after the storm, the snapshot is
 * /proc.
 */
static void storm_leaves_model_equal_to_proc(void **state)
{
	const char *storm[] = { harness_prog("prog_target"), "storm", "2000", NULL };
	const char *execs[] = { harness_prog("prog_target"), "execs", "300", NULL };
	const char *threaded[] = { harness_prog("prog_target"), "threaded", "100", NULL };
	const char *orphans[] = { harness_prog("prog_target"), "orphans", "300", NULL };
	const char *leak[] = { harness_prog("prog_target"), "leak", "20", NULL };
	const char *ended[] = { harness_prog("prog_target"), "leader-exit", "3", NULL };
	const char *const opts[] = { "--threads", NULL };
	pid_t pids[4], holder, leader, kids[20];
	int fd, hold_kids, hold_leader;
	struct trace t;

	if (start(state, &t, opts))
		skip();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	holder = spawn_held(leak, &fd, &hold_kids);
	assert_int_equal(read_pids(fd, kids, 20), 20);
	leader = spawn_held(ended, &fd, &hold_leader);
	assert_int_equal(read_pids(fd, &leader, 1), 1);
	pids[0] = spawn(storm, NULL);
	pids[1] = spawn(execs, NULL);
	pids[2] = spawn(threaded, NULL);
	pids[3] = spawn(orphans, NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(wait_child(pids[i]), 0);
	sleep_ms(2000);
	/* The grandchildren are ours now, unreaped; the holder's 20 too are zombies. */
	assert_true(zombies_under(getpid()) >= 300);
	assert_int_equal(zombies_under(holder), 20);
	assert_true(assert_model_matches_proc(&t, NULL) > 300);
	close(hold_kids);
	close(hold_leader);
	wait_child(holder);
	wait_child(leader);
	stop(&t);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	assert_int_equal(trace_summary_lost(&t), 0);
	trace_free(&t);
}

/* Events lost while the reader is stopped: /proc puts the model right again. */
static void lost_events_resync_from_proc(void **state)
{
	/* Overflows while stopped, yet keeps up with the host's own churn afterwards. */
	const char *const opts[] = { "--buffer-size", "256K", NULL };
	const char *storm[] = { harness_prog("prog_target"), "storm", "3000", NULL };
	const char *sleeper[] = { harness_prog("prog_target"), "sleep", NULL };
	pid_t sleepers[5], family[3] = { getpid() };
	struct trace t;
	json_t *lost;

	if (start(state, &t, opts))
		skip();
	kill(t.pid, SIGSTOP);
	family[1] = spawn(storm, NULL);
	wait_child(family[1]);
	/* Born while their fork events could not be queued. */
	for (int i = 0; i < 5; i++) {
		int fd;

		sleepers[i] = spawn(sleeper, &fd);
		read_ready(fd);
	}
	kill(t.pid, SIGCONT);
	lost = wait_event(&t, "lost", -1);
	assert_true(get_int(lost, "count") > 0);
	/*
	 * The re-scan follows the loss within a second. Other users of the host
	 * may keep the small buffer overflowing: only our processes are compared.
	 */
	sleep_ms(1700);
	assert_true(assert_model_matches_proc(&t, family) >= 5);
	for (int i = 0; i < 5; i++) {
		kill(sleepers[i], SIGKILL);
		wait_child(sleepers[i]);
	}
	stop(&t);
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(leaked_zombies_blame_parent),
		cmocka_unit_test(prompt_reaping_is_not_reported),
		cmocka_unit_test(ignored_sigchld_never_leaks),
		cmocka_unit_test(subreaper_adopts_grandchild),
		cmocka_unit_test(thread_adopts_child_of_ended_thread),
		cmocka_unit_test(dump_counts_threads_without_their_ends),
		cmocka_unit_test(double_fork_daemon),
		cmocka_unit_test(reused_pid_is_a_new_process),
		cmocka_unit_test(zombie_older_than_proclife),
		cmocka_unit_test(storm_leaves_model_equal_to_proc),
		cmocka_unit_test(lost_events_resync_from_proc),
	};

	return cmocka_run_group_tests_name("live model", tests, NULL, NULL);
}
