/*
 * The filters against the real kernel: events outside them are absent,
 * events inside are complete (a tree of processes, some born after start),
 * zombies inside are still named with their parent, and the commands that
 * need no signals do not load the signal programs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "cgroupfs.h"
#include "checks.h"

/* A workload started as "gate MODE ...": it waits for SIGUSR1 to run MODE. */
struct gated {
	pid_t pid;
	int out;	/* its stdout */
	int hold;	/* its stdin: closing it ends a mode's hold */
};

static void gate(struct gated *g, const char *const *mode)
{
	const char *argv[8] = { harness_prog("prog_target"), "gate" };

	for (int i = 0; mode[i] && i < 5; i++)
		argv[2 + i] = mode[i];
	g->pid = spawn_held(argv, &g->out, &g->hold);
	assert_true(g->pid > 0);
	{
		char c;

		assert_int_equal(read(g->out, &c, 1), 1);
	}
}

/* Everything a gated tree printed, until the whole tree has exited. */
struct tree {
	pid_t root, child, grandchild;
};

static void run_tree(struct gated *g, struct tree *t)
{
	char buf[256] = "";
	size_t got = 0;
	ssize_t n;

	assert_int_equal(kill(g->pid, SIGUSR1), 0);
	while (got < sizeof(buf) - 1 && (n = read(g->out, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	close(g->out);
	close(g->hold);
	t->root = g->pid;
	assert_non_null(strstr(buf, "c "));
	assert_non_null(strstr(buf, "g "));
	assert_int_equal(sscanf(strstr(buf, "c "), "c %d", &t->child), 1);
	assert_int_equal(sscanf(strstr(buf, "g "), "g %d", &t->grandchild), 1);
	assert_int_equal(wait_child(g->pid), 0);
}

static json_t *only_event(struct trace *t, const char *type, pid_t pid)
{
	json_t *all = trace_find(t, type, pid), *ev;

	if (json_array_size(all) != 1)
		fail_msg("%zu %s events for pid %d, expected 1", json_array_size(all), type, pid);
	ev = json_array_get(all, 0);
	json_decref(all);
	return ev;
}

/* Every event of the tree's life: the forks, the exec, the exits and the reaps. */
static void expect_tree(struct trace *t, const struct tree *tr)
{
	wait_event(t, "reap", tr->root);
	wait_event(t, "reap", tr->child);
	wait_event(t, "reap", tr->grandchild);
	assert_int_equal(get_int(only_event(t, "fork", tr->child), "ppid"), tr->root);
	assert_int_equal(get_int(only_event(t, "fork", tr->grandchild), "ppid"), tr->child);
	assert_int_equal(get_int(only_event(t, "exec", tr->grandchild), "ppid"), tr->child);
	assert_int_equal(get_int(only_event(t, "exit", tr->grandchild), "exit_code"), 3);
	assert_int_equal(get_int(only_event(t, "exit", tr->child), "exit_code"), 0);
	assert_int_equal(get_int(only_event(t, "exit", tr->root), "exit_code"), 0);
}

static size_t count(struct trace *t, const char *type, pid_t pid)
{
	json_t *all = trace_find(t, type, pid);
	size_t n = json_array_size(all);

	json_decref(all);
	return n;
}

static size_t events_of(struct trace *t, pid_t pid)
{
	json_t *ev;
	size_t i, n = 0;

	json_array_foreach(t->events, i, ev)
		n += json_integer_value(json_object_get(ev, "pid")) == pid;
	return n;
}

static void expect_absent(struct trace *t, const struct tree *tr)
{
	assert_int_equal(events_of(t, tr->root), 0);
	assert_int_equal(events_of(t, tr->child), 0);
	assert_int_equal(events_of(t, tr->grandchild), 0);
}

static void pid_follows_forks_born_after_start(void **state)
{
	const char *mode[] = { "tree", NULL };
	struct gated in, out;
	struct tree tin, tout;
	struct trace t;
	char pid[16];

	gate(&in, mode);
	gate(&out, mode);
	snprintf(pid, sizeof(pid), "%d", in.pid);
	if (start(state, &t, (const char *[]){ "-p", pid, NULL })) {
		kill(in.pid, SIGKILL);
		kill(out.pid, SIGKILL);
		skip();
	}
	run_tree(&out, &tout);
	run_tree(&in, &tin);
	expect_tree(&t, &tin);
	stop(&t);
	expect_absent(&t, &tout);
	trace_free(&t);
}

/* The zombies of a parent inside -p are reported, with the parent named. */
static void zombies_inside_pid_set(void **state)
{
	const char *mode[] = { "leak", "2", NULL };
	struct gated in;
	struct trace t;
	char pid[16], buf[64] = "";
	pid_t kids[2];
	size_t got = 0;
	ssize_t n;

	gate(&in, mode);
	snprintf(pid, sizeof(pid), "%d", in.pid);
	if (start(state, &t, (const char *[]){ "-p", pid, "-z", "1", NULL })) {
		kill(in.pid, SIGKILL);
		skip();
	}
	assert_int_equal(kill(in.pid, SIGUSR1), 0);
	while (got < sizeof(buf) - 1 && (n = read(in.out, buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += n;
		buf[got] = '\0';
		if (sscanf(buf, "%d\n%d\n", &kids[0], &kids[1]) == 2 && strchr(strchr(buf, '\n') + 1, '\n'))
			break;
	}
	for (int i = 0; i < 2; i++) {
		json_t *z = wait_event(&t, "zombie", kids[i]);

		assert_int_equal(get_int(z, "ppid"), in.pid);
		assert_string_equal(get_str(z, "parent_comm"), "prog_target");
		assert_int_equal(get_int(z, "parent_zombies"), 2);
	}
	close(in.out);
	close(in.hold);
	wait_child(in.pid);
	stop(&t);
	trace_free(&t);
}

/* -c: a process is inside once its name matches: after an exec or a rename into it. */
static void comm_matches_the_current_name(void **state)
{
	char name[16], link[64];
	const char *renamed[] = { harness_prog("prog_target"), "rename", name, NULL };
	const char *other[] = { harness_prog("prog_target"), "exit", "5", NULL };
	const char *via_link[] = { link, "exit", "5", NULL };
	pid_t a, b, c;
	struct trace t;

	snprintf(name, sizeof(name), "plf-%d", getpid() % 10000000);
	snprintf(link, sizeof(link), "/tmp/%s", name);
	unlink(link);
	assert_int_equal(symlink(harness_prog("prog_target"), link), 0);
	if (start(state, &t, (const char *[]){ "-c", name, NULL })) {
		unlink(link);
		skip();
	}
	a = spawn(via_link, NULL);
	b = spawn(renamed, NULL);
	c = spawn(other, NULL);
	wait_child(a);
	wait_child(b);
	wait_child(c);
	unlink(link);
	wait_event(&t, "reap", a);
	wait_event(&t, "reap", b);
	assert_string_equal(get_str(only_event(&t, "exec", a), "comm"), name);
	assert_int_equal(get_int(only_event(&t, "exit", a), "exit_code"), 5);
	assert_string_equal(get_str(only_event(&t, "exit", b), "comm"), name);
	stop(&t);
	/* Forked under the test's name, each matched only from its exec or rename. */
	assert_int_equal(count(&t, "fork", a), 0);
	assert_int_equal(count(&t, "exec", b), 0);
	assert_int_equal(events_of(&t, c), 0);
	trace_free(&t);
}

/* -u: a child that setuid()s to the uid is inside from then on. */
static void uid_matches_after_setuid(void **state)
{
	uid_t uid = 50000 + getpid() % 10000;
	char uidarg[16];
	const char *other[] = { harness_prog("prog_target"), "exit", "4", NULL };
	struct trace t;
	pid_t a, b;

	snprintf(uidarg, sizeof(uidarg), "%u", uid);
	if (start(state, &t, (const char *[]){ "-u", uidarg, NULL }))
		skip();
	a = fork();
	if (a == 0) {
		if (setgid(uid) || setuid(uid))
			_exit(120);
		execl(harness_prog("prog_target"), "prog_target", "exit", "4", (char *)NULL);
		_exit(121);
	}
	b = spawn(other, NULL);
	assert_int_equal(WEXITSTATUS(wait_child(a)), 4);
	wait_child(b);
	wait_event(&t, "reap", a);
	assert_int_equal(get_int(only_event(&t, "exec", a), "uid"), uid);
	assert_int_equal(get_int(only_event(&t, "exit", a), "exit_code"), 4);
	stop(&t);
	assert_int_equal(count(&t, "fork", a), 0);
	assert_int_equal(events_of(&t, b), 0);
	trace_free(&t);
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

/* --cgroup: a process moved into a cgroup below the target is inside, with its descendants. */
static void cgroup_and_below(void **state)
{
	const char *mode[] = { "tree", NULL };
	struct cgroupfs fs;
	char top[256], inner[320], procs[352], rel[64], pid[16];
	struct gated in, out;
	struct tree tin, tout;
	struct trace t;

	if (harness_unsupported() || cgroupfs_open(&fs, "/proc/self/mountinfo"))
		skip();
	snprintf(rel, sizeof(rel), "/proclife-filter-%d", getpid());
	snprintf(top, sizeof(top), "%s%s", fs.mount, rel);
	snprintf(inner, sizeof(inner), "%s/inner", top);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", inner);
	cgroupfs_close(&fs);
	assert_int_equal(mkdir(top, 0755), 0);
	assert_int_equal(mkdir(inner, 0755), 0);
	gate(&in, mode);
	gate(&out, mode);
	snprintf(pid, sizeof(pid), "%d", in.pid);
	write_file(procs, pid);
	assert_int_equal(start(state, &t, (const char *[]){ "--cgroup", rel, NULL }), 0);
	run_tree(&out, &tout);
	run_tree(&in, &tin);
	expect_tree(&t, &tin);
	stop(&t);
	expect_absent(&t, &tout);
	trace_free(&t);
	assert_int_equal(rmdir(inner), 0);
	assert_int_equal(rmdir(top), 0);
}

/* A runc container from a busybox root filesystem, its cgroup named as Docker names it. */
struct container {
	char dir[64];
	char name[32];
	char id[65];
	pid_t init;
};

static int run_cmd(const char *const *argv)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Fails the test when runc cannot start it: harness_container_tools_missing() said the tools are here. */
static void container_start(struct container *c, const char *script)
{
	const char *dirs[] = { "rootfs", "rootfs/bin", "rootfs/proc", "rootfs/dev", "rootfs/sys", "rootfs/tmp" };
	const char *applets[] = { "sh", "sleep", "true" };
	char path[256], state_dir[96], pidfile[96];
	unsigned char rnd[32];
	json_t *cfg, *args;
	FILE *f;
	int fd;

	snprintf(c->dir, sizeof(c->dir), "/tmp/proclife-runc-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->name, sizeof(c->name), "proclife-filter-%d", getpid());
	fd = open("/dev/urandom", O_RDONLY);
	assert_int_equal(read(fd, rnd, sizeof(rnd)), (ssize_t)sizeof(rnd));
	close(fd);
	for (int i = 0; i < 32; i++)
		snprintf(c->id + 2 * i, 3, "%02x", rnd[i]);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", c->dir, dirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/rootfs/bin/busybox", c->dir);
	assert_int_equal(run_cmd((const char *[]){ "cp", "/bin/busybox", path, NULL }), 0);
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
		snprintf(path, sizeof(path), "%s/rootfs/bin/%s", c->dir, applets[i]);
		assert_int_equal(symlink("busybox", path), 0);
	}
	snprintf(path, sizeof(path), "%s/rootfs/go", c->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	if (run_cmd((const char *[]){ "runc", "spec", "-b", c->dir, NULL }))
		fail_msg("runc spec -b %s failed", c->dir);
	snprintf(path, sizeof(path), "%s/config.json", c->dir);
	cfg = json_load_file(path, 0, NULL);
	assert_non_null(cfg);
	json_object_set_new(json_object_get(cfg, "process"), "terminal", json_false());
	args = json_pack("[sss]", "/bin/sh", "-c", script);
	json_object_set_new(json_object_get(cfg, "process"), "args", args);
	snprintf(path, sizeof(path), "/docker/%s", c->id);
	json_object_set_new(json_object_get(cfg, "linux"), "cgroupsPath", json_string(path));
	snprintf(path, sizeof(path), "%s/config.json", c->dir);
	assert_int_equal(json_dump_file(cfg, path, 0), 0);
	json_decref(cfg);
	snprintf(state_dir, sizeof(state_dir), "%s/state", c->dir);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", c->dir);
	if (run_cmd((const char *[]){ "runc", "--root", state_dir, "run", "-d", "--pid-file", pidfile,
				       "-b", c->dir, c->name, NULL }))
		fail_msg("runc cannot start a container from %s (its error is above)", c->dir);
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &c->init), 1);
	fclose(f);
}

static void container_stop(struct container *c)
{
	char state_dir[96];

	snprintf(state_dir, sizeof(state_dir), "%s/state", c->dir);
	run_cmd((const char *[]){ "runc", "--root", state_dir, "delete", "-f", c->name, NULL });
	run_cmd((const char *[]){ "rm", "-rf", c->dir, NULL });
}

/* The first exec of filename, waiting for execs as they come. */
static json_t *exec_of(struct trace *t, const char *filename)
{
	json_t *ev;

	for (size_t n = 1; (ev = trace_wait_nth(t, "exec", -1, n)); n++)
		if (!strcmp(get_str(ev, "filename"), filename))
			return ev;
	fail_msg("no exec of %s", filename);
	return NULL;
}

static int container_teardown(void **state)
{
	struct container *c = *state;

	if (c->dir[0])
		container_stop(c);
	free(c);
	return 0;
}

static int container_setup(void **state)
{
	*state = calloc(1, sizeof(struct container));
	return *state ? 0 : -1;
}

static void open_gate(const struct container *c)
{
	char go[96];
	int fd;

	snprintf(go, sizeof(go), "%s/rootfs/go", c->dir);
	fd = open(go, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
}

/* --container PREFIX: the container's processes, born after start, and nothing else. */
static void container_by_prefix(void **state)
{
	const char *other[] = { harness_prog("prog_target"), "exit", "5", NULL };
	struct container *cp = *state, c;
	struct trace t;
	char prefix[13];
	pid_t b, shell;

	if (harness_unsupported())
		skip();
	if (harness_container_tools_missing())
		lacking(harness_container_tools_missing());
	container_start(cp, "read x < /go; /bin/true; exec sleep 30");
	c = *cp;
	snprintf(prefix, sizeof(prefix), "%.12s", c.id);
	assert_int_equal(start(state, &t, (const char *[]){ "--container", prefix, NULL }), 0);
	b = spawn(other, NULL);
	wait_child(b);
	open_gate(&c);
	shell = get_int(exec_of(&t, "/bin/true"), "pid");
	assert_int_equal(get_int(only_event(&t, "fork", shell), "ppid"), c.init);
	wait_event(&t, "reap", shell);
	assert_int_equal(get_int(only_event(&t, "exit", shell), "exit_code"), 0);
	/* busybox's sh execs its applets through /proc/self/exe: argv says which. */
	assert_string_equal(json_string_value(json_array_get(get(wait_event(&t, "exec", c.init), "args"), 0)),
			    "sleep");
	container_stop(cp);
	cp->dir[0] = '\0';
	wait_event(&t, "exit", c.init);
	stop(&t);
	assert_int_equal(events_of(&t, b), 0);
	trace_free(&t);
}

/*
 * zombies --container: the container's PID 1 never waits, so its children
 * stay zombies, reported with it as their parent; a leak outside is not.
 */
static void container_zombies(void **state)
{
	const char *leak[] = { harness_prog("prog_target"), "leak", "1", "3", NULL };
	struct container *c = *state;
	struct trace t;
	char prefix[13], buf[32] = "";
	pid_t outside, outside_kid = 0;
	json_t *zombies, *z;
	size_t i;
	int fd;

	if (harness_unsupported())
		skip();
	if (harness_container_tools_missing())
		lacking(harness_container_tools_missing());
	container_start(c, "read x < /go; /bin/true & /bin/true & exec sleep 30");
	snprintf(prefix, sizeof(prefix), "%.12s", c->id);
	assert_int_equal(start(state, &t, (const char *[]){ "--container", prefix, "-z", "0.5", NULL }), 0);
	outside = spawn(leak, &fd);
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	outside_kid = atoi(buf);
	open_gate(c);
	assert_non_null(trace_wait_nth(&t, "zombie", -1, 2));
	wait_child(outside);
	stop(&t);
	zombies = trace_find(&t, "zombie", -1);
	assert_int_equal(json_array_size(zombies), 2);
	json_array_foreach(zombies, i, z)
		assert_int_equal(get_int(z, "ppid"), c->init);
	json_decref(zombies);
	assert_int_equal(events_of(&t, outside_kid), 0);
	trace_free(&t);
}

struct run {
	int status;
	char err[1024];
};

static void run_proclife(struct run *r, const char *const *args)
{
	const char *argv[16] = { getenv("PROCLIFE") };
	int fds[2], argc = 1;
	ssize_t n;
	pid_t pid;

	for (; *args && argc < 15; args++)
		argv[argc++] = *args;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(fds[1], 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], r->err, sizeof(r->err) - 1);
	r->err[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	r->status = wait_child(pid);
}

/* A prefix that names two containers, or none, is a usage error that says so. */
static void container_prefix_ambiguous_or_unknown(void **state)
{
	struct cgroupfs fs;
	char top[256], docker[288], a[400], b[400], prefix[24], unknown[32];
	struct run r;

	(void)state;
	if (harness_unsupported() || cgroupfs_open(&fs, "/proc/self/mountinfo"))
		skip();
	snprintf(top, sizeof(top), "%s/proclife-filter-ids-%d", fs.mount, getpid());
	cgroupfs_close(&fs);
	snprintf(prefix, sizeof(prefix), "%016x", (unsigned)getpid() * 2654435761u);
	snprintf(docker, sizeof(docker), "%s/docker", top);
	snprintf(a, sizeof(a), "%s/%s0%047d", docker, prefix, 0);
	snprintf(b, sizeof(b), "%s/%s1%047d", docker, prefix, 0);
	assert_int_equal(mkdir(top, 0755), 0);
	assert_int_equal(mkdir(docker, 0755), 0);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	run_proclife(&r, (const char *[]){ "--container", prefix, "-d", "0.1", NULL });
	assert_int_equal(WEXITSTATUS(r.status), 2);
	assert_non_null(strstr(r.err, "is ambiguous"));
	snprintf(unknown, sizeof(unknown), "%s2", prefix);
	run_proclife(&r, (const char *[]){ "--container", unknown, "-d", "0.1", NULL });
	assert_int_equal(WEXITSTATUS(r.status), 2);
	assert_non_null(strstr(r.err, "no container"));
	snprintf(unknown, sizeof(unknown), "%s0", prefix);
	run_proclife(&r, (const char *[]){ "--container", unknown, "-d", "0.1", NULL });
	assert_int_equal(WEXITSTATUS(r.status), 0);
	rmdir(a);
	rmdir(b);
	rmdir(docker);
	rmdir(top);
}

/* The number of a line "field: N" of /proc/pid/fdinfo/fd (prog_id, map_id); 0 when none. */
static unsigned fdinfo_id(pid_t pid, int fd, const char *field)
{
	char path[64], line[128];
	size_t n = strlen(field);
	unsigned id = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			id = strtoul(line + n + 1, NULL, 10);
	fclose(f);
	return id;
}

/* The names of the BPF programs a process holds, as one comma-separated string. */
static void programs_of(pid_t pid, char *out, size_t size)
{
	char dir[64], path[128], link[64];
	size_t len = 0;

	out[0] = '\0';
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	for (int fd = 0; fd < 1024; fd++) {
		struct bpf_prog_info info = { 0 };
		__u32 info_len = sizeof(info);
		ssize_t n;
		int pfd;

		snprintf(path, sizeof(path), "%s/%d", dir, fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "anon_inode:bpf-prog"))
			continue;
		pfd = bpf_prog_get_fd_by_id(fdinfo_id(pid, fd, "prog_id"));
		if (pfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(pfd, &info, &info_len))
			len += snprintf(out + len, size - len, "%s,", info.name);
		close(pfd);
	}
}

/* The programs loaded by proclife with args, once it traces. */
static void programs_for(const char *const *args, char *out, size_t size)
{
	struct trace t;

	assert_int_equal(trace_start_text(&t, args), 0);
	programs_of(t.pid, out, size);
	trace_stop(&t);
	trace_free(&t);
}

static void commands_load_only_the_programs_they_need(void **state)
{
	char progs[512];

	(void)state;
	if (harness_unsupported())
		skip();
	programs_for((const char *[]){ "zombies", NULL }, progs, sizeof(progs));
	assert_non_null(strstr(progs, "handle_fork"));
	assert_null(strstr(progs, "handle_signal"));
	programs_for((const char *[]){ "tree", "-d", "30", NULL }, progs, sizeof(progs));
	assert_non_null(strstr(progs, "handle_free"));
	assert_null(strstr(progs, "handle_signal"));
	programs_for((const char *[]){ "-e", "exec", NULL }, progs, sizeof(progs));
	assert_string_equal(progs, "handle_exec,");
	/* A filter's sets are kept whatever is printed: -p's by forks, -c's (for reaps) by exits. */
	programs_for((const char *[]){ "-e", "exec", "-p", "1", NULL }, progs, sizeof(progs));
	assert_non_null(strstr(progs, "handle_fork"));
	programs_for((const char *[]){ "-e", "reap", "-c", "x", NULL }, progs, sizeof(progs));
	assert_non_null(strstr(progs, "handle_exit"));
	/* The kernel keeps 15 bytes of a program's name. */
	programs_for((const char *[]){ NULL }, progs, sizeof(progs));
	assert_non_null(strstr(progs, "handle_signal_g"));
	assert_non_null(strstr(progs, "handle_signal_d"));
}

#define RCU_BARRIER HARNESS_RCU_BARRIER

static void rcu_barrier(void)
{
	assert_true(harness_rcu_barrier());
}

/* -e reap alone: the programs that keep -c's set still run, so a reap inside is sent. */
static void reaps_alone_under_a_filter(void **state)
{
	char name[16];
	const char *renamed[] = { harness_prog("prog_target"), "rename", name, NULL };
	struct trace t;
	pid_t a;

	if (access(RCU_BARRIER, W_OK)) {
		print_message("skipping: the kernel has no %s (Linux 6.5 or newer)\n", RCU_BARRIER);
		skip();
	}
	snprintf(name, sizeof(name), "plf-reap-%d", getpid() % 100000);
	if (start(state, &t, (const char *[]){ "-e", "reap", "-c", name, NULL }))
		skip();
	a = spawn(renamed, NULL);
	wait_child(a);
	rcu_barrier();
	assert_string_equal(get_str(wait_event(&t, "reap", a), "comm"), name);
	stop(&t);
	trace_free(&t);
}

/* Whether pid is in the BPF map called name that process holder holds. */
static bool in_map_of(pid_t holder, const char *name, pid_t pid)
{
	uint32_t key = pid;
	uint64_t value;
	bool found = false, seen = false;

	for (int fd = 0; fd < 1024 && !seen; fd++) {
		struct bpf_map_info info = { 0 };
		__u32 info_len = sizeof(info);
		unsigned id = fdinfo_id(holder, fd, "map_id");
		int mfd;

		if (!id || (mfd = bpf_map_get_fd_by_id(id)) < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &info, &info_len) && !strcmp(info.name, name)) {
			seen = true;
			found = !bpf_map_lookup_elem(mfd, &key, &value);
		}
		close(mfd);
	}
	if (!seen)
		fail_msg("proclife %d holds no map %s", holder, name);
	return found;
}

/* While proclife is held at the gate: p reaps z, then proclife goes on. */
struct gate_work {
	const char *gate;
	int to_p, from_p;
	bool done;
};

static void *work_at_gate(void *arg)
{
	struct gate_work *g = arg;
	/* Returns once proclife has opened the gate for reading: it is attached and held. */
	int fd = open(g->gate, O_WRONLY | O_CLOEXEC);
	char c;

	g->done = fd >= 0 && write(g->to_p, "r", 1) == 1 && read(g->from_p, &c, 1) == 1;
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* A child that takes name and exits at once. */
static pid_t named_exit(const char *name)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(prctl(PR_SET_NAME, name) ? 1 : 0);
	assert_true(pid > 0);
	return pid;
}

/*
 * A free only reads the filter's sets. Zombie z of parent p, named for -c,
 * exited before proclife attached its programs and is reaped before it
 * reads /proc (a preloaded gate holds it there): no event found it inside,
 * so its reap is not sent, and p is not followed from then on. Once z's
 * free has run (an RCU barrier), the exit of a later process of that name
 * marks where z's reap would be.
 */
static void free_only_reads_the_sets(void **state)
{
	char name[16], dir[] = "/tmp/proclife-gate-XXXXXX", gate[64];
	const char *args[] = { "-c", name, NULL };
	struct trace t;
	struct gate_work g = { .gate = gate };
	pthread_t thread;
	int to_p[2], from_p[2];
	pid_t p, z, marker;
	char c;

	(void)state;
	if (harness_unsupported())
		skip();
	if (access(RCU_BARRIER, W_OK)) {
		print_message("skipping: the kernel has no %s (Linux 6.5 or newer)\n", RCU_BARRIER);
		skip();
	}
	snprintf(name, sizeof(name), "plf-free-%d", getpid() % 100000);
	/* Not inherited by proclife, which would keep p waiting for their end. */
	assert_int_equal(pipe2(to_p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(from_p, O_CLOEXEC), 0);
	p = fork();
	if (p == 0) {
		/* p: says when z is a zombie, reaps it when told, says so, and lives until told to end. */
		close(to_p[1]);
		close(from_p[0]);
		z = named_exit(name);
		if (waitid(P_PID, z, &(siginfo_t){ 0 }, WEXITED | WNOWAIT) ||
		    write(from_p[1], &z, sizeof(z)) != sizeof(z) || read(to_p[0], &c, 1) != 1 ||
		    waitpid(z, NULL, 0) != z || write(from_p[1], "r", 1) != 1)
			_exit(1);
		while (read(to_p[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(to_p[0]);
	close(from_p[1]);
	assert_int_equal(read(from_p[0], &z, sizeof(z)), (ssize_t)sizeof(z));

	assert_non_null(mkdtemp(dir));
	snprintf(gate, sizeof(gate), "%s/gate", dir);
	assert_int_equal(mkfifo(gate, 0600), 0);
	g.to_p = to_p[1];
	g.from_p = from_p[0];
	assert_int_equal(pthread_create(&thread, NULL, work_at_gate, &g), 0);
	assert_int_equal(trace_start_preloaded(&t, args, "shim_scan_gate.so", "PROCLIFE_SCAN_GATE",
					       gate), 0);

	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(g.done);
	unlink(gate);
	rmdir(dir);

	rcu_barrier();
	marker = named_exit(name);
	wait_child(marker);
	wait_event(&t, "exit", marker);
	assert_int_equal(events_of(&t, z), 0);
	assert_false(in_map_of(t.pid, "context", p));
	close(to_p[1]);
	close(from_p[0]);
	assert_int_equal(wait_child(p), 0);
	stop(&t);
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pid_follows_forks_born_after_start),
		cmocka_unit_test(zombies_inside_pid_set),
		cmocka_unit_test(comm_matches_the_current_name),
		cmocka_unit_test(uid_matches_after_setuid),
		cmocka_unit_test(cgroup_and_below),
		cmocka_unit_test_setup_teardown(container_by_prefix, container_setup, container_teardown),
		cmocka_unit_test_setup_teardown(container_zombies, container_setup, container_teardown),
		cmocka_unit_test(container_prefix_ambiguous_or_unknown),
		cmocka_unit_test(commands_load_only_the_programs_they_need),
		cmocka_unit_test(reaps_alone_under_a_filter),
		cmocka_unit_test(free_only_reads_the_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
