/*
 * Processes in containers and pid namespaces, against the real thing: a
 * runc container (busybox rootfs built here, Docker-style cgroupsPath) whose
 * PID 1 never waits, so it collects zombies and an adopted orphan, then is
 * SIGKILLed, which kills its namespace; and pid namespaces made by unshare,
 * one inside another. Every step waits on a pipe or on proclife's own
 * events, never on time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include "checks.h"

/* PROC_PID_INIT_INO: the host's pid namespace. */
#define HOST_PIDNS 4026531836LL

static const char *const fast_zombies[] = { "--zombie-age", "0.5", NULL };

/*
 * PID 1 starts two children and, through a shell that exits, an orphan, all
 * waiting for a line on stdin; a subshell with two children stays alive; then
 * PID 1 becomes sleep, which never waits. Programs go by path: busybox runs
 * a bare applet name as /proc/self/exe, which would name them all "exe".
 * Background jobs read fd 3: a shell gives their stdin /dev/null.
 */
static const char container_script[] =
	"exec 3<&0; (read a <&3; exit 3) & (read b <&3; exit 4) & "
	"/bin/sh -c '(read c <&3; exit 5) &'; "
	"(/bin/sleep 1000 & /bin/sleep 1000) & echo ready; exec /bin/sleep 1000";

struct bundle {
	char dir[64];
	char id[65];		/* the container id in its cgroup path */
	char name[64];		/* runc's name for it */
};

/* The test's container, for the teardown to remove even after a failed check. */
static struct bundle bundle;

static int run_wait(const char *const *argv)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Forks argv with its stdin and stdout on pipes held by the test. */
static pid_t spawn_piped(const char *const *argv, int *in_fd, int *out_fd)
{
	int in[2], out[2];
	pid_t pid;

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*in_fd = in[1];
	*out_fd = out[0];
	return pid;
}

static void read_line(int fd, const char *want)
{
	char buf[128];
	size_t got = 0;

	while (got < sizeof(buf) - 1 && read(fd, buf + got, 1) == 1 && buf[got] != '\n')
		got++;
	buf[got] = '\0';
	assert_string_equal(buf, want);
}

static void random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];
	int fd = open("/dev/urandom", O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(read(fd, raw, n), (ssize_t)n);
	close(fd);
	for (size_t i = 0; i < n; i++)
		out[i] = hex[raw[i] & 0xf];
	out[n] = '\0';
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	int err = in < 0 || out < 0;

	while (!err && (n = read(in, buf, sizeof(buf))) > 0)
		err = write(out, buf, n) != n;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return err ? -1 : 0;
}

/* A bundle whose rootfs is busybox alone (harness_container_tools_missing() said both are here). */
static void make_bundle(struct bundle *b, const char *script)
{
	const char *spec[] = { "runc", "spec", "--bundle", b->dir, NULL };
	char path[256];
	json_t *cfg, *args;

	snprintf(b->dir, sizeof(b->dir), "/tmp/proclife-ctr-XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	random_hex(b->id, 64);
	snprintf(b->name, sizeof(b->name), "proclife-test-%d-%.8s", getpid(), b->id);
	snprintf(path, sizeof(path), "%s/rootfs", b->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/rootfs/bin", b->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/rootfs/bin/busybox", b->dir);
	assert_int_equal(copy_file("/bin/busybox", path), 0);
	if (run_wait(spec) != 0)
		fail_msg("runc spec --bundle %s failed", b->dir);
	for (const char *const *a = (const char *const[]){ "sh", "sleep", NULL }; *a; a++) {
		snprintf(path, sizeof(path), "%s/rootfs/bin/%s", b->dir, *a);
		assert_int_equal(symlink("busybox", path), 0);
	}
	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	cfg = json_load_file(path, 0, NULL);
	assert_non_null(cfg);
	args = json_pack("[sss]", "/bin/sh", "-c", script);
	json_object_set_new(json_object_get(cfg, "process"), "args", args);
	json_object_set_new(json_object_get(cfg, "process"), "terminal", json_false());
	snprintf(path, sizeof(path), "/docker/%s", b->id);
	json_object_set_new(json_object_get(cfg, "linux"), "cgroupsPath", json_string(path));
	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	assert_int_equal(json_dump_file(cfg, path, 0), 0);
	json_decref(cfg);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int remove_bundle(void **state)
{
	const char *del[] = { "runc", "delete", "--force", bundle.name, NULL };

	(void)state;
	if (bundle.name[0])
		run_wait(del);
	if (bundle.dir[0])
		nftw(bundle.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	bundle = (struct bundle){ 0 };
	return 0;
}

static bool has_str(json_t *ev, const char *key, const char *want)
{
	json_t *v = json_object_get(ev, key);

	return json_is_string(v) && !strcmp(json_string_value(v), want);
}

static json_int_t int_or(json_t *ev, const char *key, json_int_t dflt)
{
	json_t *v = json_object_get(ev, key);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* The container's init once it has become sleep. */
static bool is_init_sleep(json_t *ev, const void *id)
{
	return has_str(ev, "container_id", id) && int_or(ev, "ns_pid", 0) == 1 &&
	       has_str(ev, "filename", "/bin/sleep");
}

static bool has_ppid(json_t *ev, const void *ppid)
{
	return int_or(ev, "ppid", -1) == *(const pid_t *)ppid;
}

struct zombie_wait {
	pid_t parent;
	pid_t seen[8];
	int n;
};

static bool new_zombie_of(json_t *ev, const void *arg)
{
	const struct zombie_wait *zw = arg;
	pid_t pid = int_or(ev, "pid", -1);

	for (int i = 0; i < zw->n; i++)
		if (zw->seen[i] == pid)
			return false;
	return int_or(ev, "ppid", -1) == zw->parent;
}

/* The last field of NSpid in /proc/PID/status: its pid in its own namespace. */
static long nspid_of(pid_t pid, int *levels)
{
	char path[64], line[256];
	long last = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strlen("NSpid:"), *end;

		if (strncmp(line, "NSpid:", 6))
			continue;
		*levels = 0;
		for (long v; (v = strtol(p, &end, 10)), end != p; p = end) {
			last = v;
			++*levels;
		}
	}
	fclose(f);
	return last;
}

static void check_in_pidns(json_t *ev, pid_t pid, json_int_t pidns)
{
	int levels;

	assert_int_equal(get_int(ev, "pidns"), pidns);
	assert_int_not_equal(pidns, HOST_PIDNS);
	assert_int_equal(get_int(ev, "ns_pid"), nspid_of(pid, &levels));
	assert_true(levels >= 2);
}

static void check_container(json_t *ev, const struct bundle *b)
{
	char cgroup[80];

	snprintf(cgroup, sizeof(cgroup), "/docker/%s", b->id);
	assert_string_equal(get_str(ev, "container_id"), b->id);
	assert_string_equal(get_str(ev, "container_runtime"), "docker");
	assert_string_equal(get_str(ev, "cgroup"), cgroup);
}

static char *read_all(int fd)
{
	size_t cap = 1 << 16, got = 0;
	char *buf = malloc(cap);
	ssize_t n;

	assert_non_null(buf);
	while ((n = read(fd, buf + got, cap - 1 - got)) > 0) {
		got += n;
		if (got == cap - 1) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[got] = '\0';
	close(fd);
	return buf;
}

static char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	return read_all(fd);
}

/* The tree marks where the container starts, at its init. */
static void check_tree_marks_init(pid_t init, const struct bundle *b)
{
	const char *argv[] = { getenv("PROCLIFE"), "tree", NULL };
	char want[96];
	int fd;
	pid_t pid = spawn(argv, &fd);
	char *out = read_all(fd);

	assert_int_equal(WEXITSTATUS(wait_child(pid)), 0);
	snprintf(want, sizeof(want), "%d sleep [container %.12s docker]", init, b->id);
	if (!strstr(out, want))
		fail_msg("no \"%s\" in the tree:\n%s", want, out);
	free(out);
}

/* Zombies of a PID 1 that never waits: three, each named in the container. */
static void check_zombies(struct trace *t, const struct bundle *b, json_t *init_exec,
			  pid_t *orphan)
{
	struct zombie_wait zw = { .parent = get_int(init_exec, "pid") };
	bool codes[8] = { false };

	for (int i = 0; i < 3; i++) {
		json_t *z = trace_wait_match(t, "zombie", new_zombie_of, &zw);
		pid_t pid;

		if (!z)
			fail_msg("zombie %d of the container's init never came", i + 1);
		pid = get_int(z, "pid");
		zw.seen[zw.n++] = pid;
		check_container(z, b);
		check_in_pidns(z, pid, get_int(init_exec, "pidns"));
		assert_true(get_int(z, "ns_pid") > 1);
		assert_string_equal(get_str(z, "parent_comm"), "sleep");
		assert_int_equal(get_int(z, "parent_ns_pid"), 1);
		assert_true(get_bool(z, "parent_ns_init"));
		assert_true(get_int(z, "exit_code") >= 3 && get_int(z, "exit_code") <= 5);
		assert_false(codes[get_int(z, "exit_code")]);
		codes[get_int(z, "exit_code")] = true;
		if (get_int(z, "exit_code") == 5)
			*orphan = pid;
	}
}

static void container_init_collects_zombies_then_dies(void **state)
{
	const char *kill_argv[] = { "runc", "kill", NULL, "KILL", NULL };
	struct bundle *b = &bundle;
	struct trace t, text;
	json_t *init_exec, *orphan, *ev, *init_exit;
	pid_t runc, init, orphan_pid = 0;
	size_t before_kill, i, killed = 0;
	int in, out;
	char *stream, want[160];
	const char *lacks;

	if (start(state, &t, fast_zombies))
		skip();
	if ((lacks = harness_container_tools_missing())) {
		stop(&t);
		trace_free(&t);
		lacking(lacks);
	}
	assert_int_equal(trace_start_text(&text, fast_zombies), 0);
	make_bundle(b, container_script);
	runc = spawn_piped((const char *[]){ "runc", "run", "--bundle", b->dir, b->name, NULL },
			   &in, &out);
	read_line(out, "ready");
	init_exec = trace_wait_match(&t, "exec", is_init_sleep, b->id);
	assert_non_null(init_exec);
	init = get_int(init_exec, "pid");
	check_container(init_exec, b);

	/* Release the two children and the orphan: they exit, and nobody waits. */
	assert_int_equal(write(in, "1\n2\n3\n", 6), 6);
	check_zombies(&t, b, init_exec, &orphan_pid);

	orphan = trace_wait_match(&t, "orphan", has_ppid, &init);
	assert_non_null(orphan);
	assert_int_equal(get_int(orphan, "pid"), orphan_pid);
	assert_string_equal(get_str(orphan, "reaper_rule"), "init");
	check_container(orphan, b);
	check_in_pidns(orphan, orphan_pid, get_int(init_exec, "pidns"));
	assert_int_equal(get_int(orphan, "parent_ns_pid"), 1);
	assert_true(get_bool(orphan, "parent_ns_init"));

	check_tree_marks_init(init, b);

	/* SIGKILL to PID 1: the kernel kills the rest of its namespace. */
	before_kill = json_array_size(t.events);
	kill_argv[2] = b->name;
	assert_int_equal(run_wait(kill_argv), 0);
	wait_child(runc);
	wait_event(&t, "reap", init);
	init_exit = wait_event(&t, "exit", init);
	assert_int_equal(get_int(init_exit, "signal"), SIGKILL);
	assert_string_equal(get_str(init_exit, "reaper_rule"), "pidns_dying");
	assert_int_equal(get_int(init_exit, "reaper"), init);
	stop(&t);
	stop(&text);

	for (i = before_kill; i < json_array_size(t.events); i++) {
		ev = json_array_get(t.events, i);
		if (!has_str(ev, "container_id", b->id))
			continue;
		if (has_str(ev, "type", "orphan"))
			fail_msg("an orphan of the dying namespace: %s", json_dumps(ev, 0));
		if (!has_str(ev, "type", "exit"))
			continue;
		assert_int_equal(get_int(ev, "signal"), SIGKILL);
		if (json_object_get(ev, "reaper_rule"))
			assert_string_equal(get_str(ev, "reaper_rule"), "pidns_dying");
		killed++;
	}
	/* init, and the subshell (it became its last sleep) with its first sleep */
	assert_true(killed >= 3);

	stream = read_file(text.path);
	snprintf(want, sizeof(want), "the container's PID 1 (sleep) does not reap; run it with an "
		 "init that does (docker run --init, tini) ctr=%.12s", b->id);
	if (!strstr(stream, want))
		fail_msg("the readable stream does not say \"%s\"", want);
	free(stream);
	close(in);
	close(out);
	trace_free(&t);
	trace_free(&text);
}

/* The first fork event whose parent is ppid: the namespace init unshare made. */
static json_t *child_of(struct trace *t, pid_t ppid)
{
	json_t *fork = trace_wait_match(t, "fork", has_ppid, &ppid);

	if (!fork)
		fail_msg("no fork by %d", ppid);
	return fork;
}

static void unshare_orphan_adopted_by_namespace_init(void **state)
{
	const char *argv[] = { "unshare", "--pid", "--fork", "sh", "-c",
			       "exec 3<&0; sh -c '(read a <&3; exit 7) &'; echo ready; read b",
			       NULL };
	struct trace t;
	json_t *init_fork, *orphan;
	pid_t unshare, init, orphan_pid;
	int in, out;

	if (start(state, &t, NULL))
		skip();
	unshare = spawn_piped(argv, &in, &out);
	read_line(out, "ready");
	init_fork = child_of(&t, unshare);
	init = get_int(init_fork, "pid");
	assert_int_equal(get_int(init_fork, "ns_pid"), 1);
	assert_int_equal(get_int(init_fork, "ns_ppid"), 0);
	orphan = trace_wait_match(&t, "orphan", has_ppid, &init);
	assert_non_null(orphan);
	orphan_pid = get_int(orphan, "pid");
	assert_string_equal(get_str(orphan, "reaper_rule"), "init");
	check_in_pidns(orphan, orphan_pid, get_int(init_fork, "pidns"));
	assert_int_equal(get_int(orphan, "parent_ns_pid"), 1);
	assert_true(get_bool(orphan, "parent_ns_init"));

	assert_int_equal(write(in, "a\nb\n", 4), 4);
	assert_int_equal(WEXITSTATUS(wait_child(unshare)), 0);
	wait_event(&t, "exit", orphan_pid);
	stop(&t);
	close(in);
	close(out);
	trace_free(&t);
}

static void nested_pid_namespaces(void **state)
{
	const char *argv[] = { "unshare", "--pid", "--fork", "sh", "-c",
			       "unshare --pid --fork sh -c "
			       "\"exec 3<&0; sh -c '(read a <&3) &'; echo ready; read b\"; read c",
			       NULL };
	struct trace t;
	json_t *outer, *inner_unshare, *inner, *orphan;
	pid_t unshare, outer_init, inner_init, orphan_pid;
	int in, out, levels;

	if (start(state, &t, NULL))
		skip();
	unshare = spawn_piped(argv, &in, &out);
	read_line(out, "ready");
	outer = child_of(&t, unshare);
	outer_init = get_int(outer, "pid");
	inner_unshare = child_of(&t, outer_init);
	assert_int_equal(get_int(inner_unshare, "pidns"), get_int(outer, "pidns"));
	assert_int_equal(get_int(inner_unshare, "ns_ppid"), 1);
	inner = child_of(&t, get_int(inner_unshare, "pid"));
	inner_init = get_int(inner, "pid");
	/* A namespace inside the first: its init is 1 there, its parent outside. */
	assert_int_not_equal(get_int(inner, "pidns"), get_int(outer, "pidns"));
	assert_int_equal(get_int(inner, "ns_pid"), 1);
	assert_int_equal(get_int(inner, "ns_ppid"), 0);

	orphan = trace_wait_match(&t, "orphan", has_ppid, &inner_init);
	assert_non_null(orphan);
	orphan_pid = get_int(orphan, "pid");
	check_in_pidns(orphan, orphan_pid, get_int(inner, "pidns"));
	nspid_of(orphan_pid, &levels);
	assert_int_equal(levels, 3);
	assert_int_equal(get_int(orphan, "parent_ns_pid"), 1);
	assert_true(get_bool(orphan, "parent_ns_init"));

	assert_int_equal(write(in, "a\nb\nc\n", 6), 6);
	assert_int_equal(WEXITSTATUS(wait_child(unshare)), 0);
	stop(&t);
	close(in);
	close(out);
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(container_init_collects_zombies_then_dies, remove_bundle),
		cmocka_unit_test(unshare_orphan_adopted_by_namespace_init),
		cmocka_unit_test(nested_pid_namespaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
