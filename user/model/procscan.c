#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "clock.h"
#include "procscan.h"

/* A stat line is a few hundred bytes; a workqueue worker's name is at most 64. */
#define STAT_MAX 4096

/* The fields of /proc/PID/stat that seed a process, numbered as in proc(5). */
struct stat_fields {
	char comm[PL_COMM_LEN];
	char state;		/* 3 */
	uint32_t ppid;		/* 4 */
	uint32_t nthreads;	/* 20 */
	uint64_t starttime;	/* 22, clock ticks since boot */
	int exit_code;		/* 52, since Linux 3.5; 0 before */
};

static bool parse_pid(const char *s, uint32_t *pid)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > UINT32_MAX / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*pid = v;
	return v > 0 && v <= UINT32_MAX;
}

/* -ENOENT when the process is gone, -EPROTO when the text is not a stat line. */
static int parse_stat(char *buf, struct stat_fields *f)
{
	/* comm may hold spaces and parentheses: it ends at the last ')'. */
	char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p;
	size_t n;

	if (!*buf)
		return -ENOENT;
	if (!open || !close || close < open || close[1] != ' ' || !close[2])
		return -EPROTO;
	n = close - open - 1;
	if (n > PL_COMM_LEN - 1)
		n = PL_COMM_LEN - 1;
	memcpy(f->comm, open + 1, n);
	f->comm[n] = '\0';
	f->state = close[2];
	p = close + 3;
	f->exit_code = 0;
	for (int field = 4; field <= 52; field++) {
		char *end;
		unsigned long long v;

		if (*p != ' ')
			return field > 22 ? 0 : -EPROTO;
		/* Some fields are signed, some are ULONG_MAX: only the ones kept must fit. */
		v = strtoull(p + 1, &end, 10);
		if (end == p + 1)
			return -EPROTO;
		p = end;
		switch (field) {
		case 4:
			f->ppid = v;
			break;
		case 20:
			f->nthreads = v;
			break;
		case 22:
			f->starttime = v;
			break;
		case 52:
			f->exit_code = v;
			break;
		}
	}
	return 0;
}

static int read_stat(int dirfd, const char *pid, struct stat_fields *f)
{
	char path[32], buf[STAT_MAX];
	size_t len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/stat", pid);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return errno == ESRCH ? -ENOENT : -errno;
		}
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return parse_stat(buf, f);
}

/*
 * A leader that called pthread_exit shows state Z while its other threads
 * run; num_threads still counts it. The process is a zombie only when its
 * leader is the last task of the group.
 */
static bool group_dead(const struct stat_fields *f)
{
	return f->state == 'Z' && f->nthreads <= 1;
}

/* The threads that still run: a dead leader is no live thread. */
static uint32_t live_threads(const struct stat_fields *f)
{
	return f->state == 'Z' && f->nthreads > 1 ? f->nthreads - 1 : f->nthreads;
}

int procscan_threads(struct model *m, const char *root)
{
	uint64_t tick_ns = m->table.tick_ns;
	struct proctable_iter it;
	struct stat_fields f;
	struct proc *p;
	int dirfd;

	dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it))) {
		char name[16];

		if (p->state != PROC_ALIVE)
			continue;
		snprintf(name, sizeof(name), "%u", p->pid);
		/* Gone, or its pid taken since: its events will say. */
		if (!read_stat(dirfd, name, &f) && f.starttime == p->start_ns / tick_ns)
			p->nthreads = live_threads(&f);
	}
	close(dirfd);
	return 0;
}

int procscan_zombie(const char *root, uint32_t pid, uint64_t start_ticks)
{
	struct stat_fields f;
	char name[16];
	int dirfd, err;

	dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	snprintf(name, sizeof(name), "%u", pid);
	err = read_stat(dirfd, name, &f);
	close(dirfd);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	return f.starttime == start_ticks && group_dead(&f);
}

/* The program's path; empty for kernel threads, zombies and when not permitted. */
static void read_exe(int dirfd, const char *pid, char *out, size_t size)
{
	char path[32];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/exe", pid);
	n = readlinkat(dirfd, path, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* A small file of /proc read whole; "" when it cannot be read. */
static void read_small(int dirfd, const char *pid, const char *file, char *buf, size_t size)
{
	char path[48];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pid, file);
	buf[0] = '\0';
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* The NSpid line's last field in a status file: the pid in its own namespace. */
static uint32_t last_nspid(const char *status)
{
	const char *line = strstr(status, "\nNSpid:");
	const char *end, *p;
	uint32_t v = 0;

	if (!line)
		return 0;
	line += strlen("\nNSpid:");
	end = strchr(line, '\n');
	if (!end)
		end = line + strlen(line);
	for (p = end; p > line && p[-1] >= '0' && p[-1] <= '9'; p--)
		;
	for (; p < end; p++)
		v = v * 10 + (*p - '0');
	return v;
}

/*
 * Where the process runs: the cgroup v2 line of /proc/PID/cgroup
 * ("0::/docker/<id>") and the pid namespace's inode. Its pid inside that
 * namespace only when the namespace is not the host's.
 */
static void read_place(struct model *m, int dirfd, const char *name, uint32_t pid,
		       uint32_t *place, uint32_t *ns_pid)
{
	char buf[STAT_MAX], path[48], *v2, *end;
	struct stat st;
	uint32_t pidns = 0;

	snprintf(path, sizeof(path), "%s/ns/pid", name);
	if (!fstatat(dirfd, path, &st, 0))
		pidns = st.st_ino;
	*ns_pid = pidns == PL_PIDNS_HOST ? pid : 0;
	if (pidns && pidns != PL_PIDNS_HOST) {
		read_small(dirfd, name, "status", buf, sizeof(buf));
		*ns_pid = last_nspid(buf);
	}
	read_small(dirfd, name, "cgroup", buf, sizeof(buf));
	v2 = !strncmp(buf, "0::", 3) ? buf : strstr(buf, "\n0::");
	if (!v2) {
		*place = places_intern(&m->places, 0, pidns);
		return;
	}
	v2 += v2 == buf ? 3 : 4;
	end = strchr(v2, '\n');
	if (end)
		*end = '\0';
	*place = places_intern_path(&m->places, v2, pidns);
}

static int scan_one(struct model *m, int dirfd, const char *name, uint32_t pid,
		    struct procscan_stats *st)
{
	struct stat_fields f;
	char exe[PATH_MAX];
	uint64_t seen_ns = boottime_now_ns();
	uint64_t tick_ns = m->table.tick_ns;
	uint32_t place, ns_pid;
	int err = read_stat(dirfd, name, &f);

	if (err == -ENOENT) {
		st->vanished++;
		return 0;
	}
	if (err) {
		st->malformed++;
		return 0;
	}
	read_exe(dirfd, name, exe, sizeof(exe));
	read_place(m, dirfd, name, pid, &place, &ns_pid);
	err = model_seed_add(m, &(struct model_seed){
		.pid = pid,
		.ppid = f.ppid,
		.start_ns = f.starttime * tick_ns,
		.coarse = true,
		.from_scan = true,
		.comm = f.comm,
		.filename = exe,
		.nthreads = live_threads(&f),
		.zombie = group_dead(&f),
		/* Its real exit time is unknown: its age counts from now. */
		.exit_ns = seen_ns,
		.status = f.exit_code,
		.seen_ns = seen_ns,
		.place = place,
		.ns_pid = ns_pid,
	});
	if (!err)
		st->procs++;
	return err;
}

int procscan_run(struct model *m, const char *root, struct procscan_stats *st)
{
	struct dirent *de;
	DIR *dir;
	int err = 0;

	*st = (struct procscan_stats){ 0 };
	dir = opendir(root);
	if (!dir)
		return -errno;
	model_seed_begin(m);
	while (!err) {
		uint32_t pid;

		errno = 0;
		de = readdir(dir);
		if (!de) {
			err = -errno;
			break;
		}
		if (parse_pid(de->d_name, &pid))
			err = scan_one(m, dirfd(dir), de->d_name, pid, st);
	}
	model_seed_end(m, boottime_now_ns());
	closedir(dir);
	return err;
}
