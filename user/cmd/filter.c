#include <errno.h>
#include <fts.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container.h"
#include "filter.h"

/* A container's cgroups (the systemd driver can give it more than one). */
#define MAX_CGROUP_TARGETS 64

static uint32_t path_level(const char *rel)
{
	uint32_t level = 0;

	for (const char *p = rel; *p; p++)
		level += *p == '/' && p[1] && p[1] != '/';
	return level;
}

static int add_target(struct filter *f, const struct cgroup_lookup *lookup, const char *rel)
{
	struct cgroup_target *t;

	if (f->tf.ncgroups == MAX_CGROUP_TARGETS) {
		fprintf(stderr, "proclife: more than %d cgroups to filter on\n", MAX_CGROUP_TARGETS);
		return -EINVAL;
	}
	t = &f->cgroups[f->tf.ncgroups];
	if (!lookup->id(lookup->ctx, rel, &t->id)) {
		fprintf(stderr, "proclife: cannot find the id of cgroup %s\n", rel);
		return -ENOENT;
	}
	t->level = path_level(rel);
	f->tf.ncgroups++;
	return 0;
}

/* PATH below the mount, or from the hierarchy's root as /proc/PID/cgroup shows it. */
static int resolve_cgroup(struct filter *f, const char *v2_mount, const struct cgroup_lookup *lookup,
			  const char *path)
{
	size_t mlen = strlen(v2_mount);
	char full[PATH_MAX], real[PATH_MAX];

	if (!strncmp(path, v2_mount, mlen) && (path[mlen] == '/' || !path[mlen]))
		path += mlen;
	if (snprintf(full, sizeof(full), "%s/%s", v2_mount, path) >= (int)sizeof(full) ||
	    !realpath(full, real)) {
		fprintf(stderr, "proclife: no cgroup %s in the cgroup v2 hierarchy at %s\n", path, v2_mount);
		return -EINVAL;
	}
	if (strncmp(real, v2_mount, mlen) || (real[mlen] != '/' && real[mlen])) {
		fprintf(stderr, "proclife: %s is not in the cgroup v2 hierarchy at %s\n", path, v2_mount);
		return -EINVAL;
	}
	return add_target(f, lookup, real[mlen] ? real + mlen : "/");
}

struct container_match {
	char id[PL_CONTAINER_ID_LEN];
	char other[PL_CONTAINER_ID_LEN];	/* a second container the prefix names */
};

/*
 * Walks the hierarchy for the cgroups of containers whose id starts with
 * prefix; a container's own cgroup stands for everything below it.
 */
static int resolve_container(struct filter *f, const char *v2_mount, const struct cgroup_lookup *lookup,
			     const char *prefix)
{
	char *roots[] = { (char *)v2_mount, NULL };
	size_t mlen = strlen(v2_mount), plen = strlen(prefix);
	struct container_match m = { .id = "" };
	FTSENT *e;
	FTS *fts;
	int err = 0;

	fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	if (!fts) {
		err = -errno;
		fprintf(stderr, "proclife: cannot read %s: %s\n", v2_mount, strerror(-err));
		return err;
	}
	while (!err && (e = fts_read(fts))) {
		struct container_ref ref;
		const char *rel = e->fts_path + mlen;

		if (e->fts_info != FTS_D || !*rel || !container_from_cgroup_path(rel, &ref) ||
		    strncmp(ref.id, prefix, plen))
			continue;
		if (!m.id[0])
			snprintf(m.id, sizeof(m.id), "%s", ref.id);
		if (strcmp(m.id, ref.id)) {
			snprintf(m.other, sizeof(m.other), "%s", ref.id);
			break;
		}
		err = add_target(f, lookup, rel);
		fts_set(fts, e, FTS_SKIP);
	}
	fts_close(fts);
	if (err)
		return err;
	if (m.other[0]) {
		fprintf(stderr, "proclife: container prefix '%s' is ambiguous: %s, %s... (give more of the id)\n",
			prefix, m.id, m.other);
		return -EINVAL;
	}
	if (!m.id[0]) {
		fprintf(stderr, "proclife: no container '%s' in the cgroup v2 hierarchy at %s\n", prefix, v2_mount);
		return -EINVAL;
	}
	return 0;
}

/* The kernel follows processes: a thread's id would match nothing. */
static int check_pid(uint32_t pid)
{
	char path[32], line[64];
	unsigned tgid = pid;
	FILE *st;

	if (kill(pid, 0) && errno == ESRCH) {
		fprintf(stderr, "proclife: no process %u\n", pid);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	st = fopen(path, "re");
	while (st && fgets(line, sizeof(line), st) && sscanf(line, "Tgid: %u", &tgid) != 1)
		;
	if (st)
		fclose(st);
	if (tgid != pid) {
		fprintf(stderr, "proclife: %u is a thread of process %u: give the process\n", pid, tgid);
		return -EINVAL;
	}
	return 0;
}

int filter_resolve(struct filter *f, const struct options *o, const char *v2_mount,
		   const struct cgroup_lookup *lookup)
{
	const char *cgroup_opt = o->filter_cgroup ? "--cgroup" : "--container";
	int err;

	*f = (struct filter){
		.tf = {
			.pid = o->filter_pid, .comm = o->filter_comm,
			.uid_on = o->filter_uid_on, .uid = o->filter_uid,
		},
	};
	if (o->filter_pid && check_pid(o->filter_pid))
		return -EINVAL;
	if (!o->filter_cgroup && !o->filter_container)
		return 0;
	if (!v2_mount) {
		fprintf(stderr, "proclife: %s needs the cgroup v2 hierarchy, which is not mounted\n", cgroup_opt);
		return -EINVAL;
	}
	f->cgroups = calloc(MAX_CGROUP_TARGETS, sizeof(*f->cgroups));
	if (!f->cgroups) {
		fprintf(stderr, "proclife: cannot resolve %s: %s\n", cgroup_opt, strerror(ENOMEM));
		return -ENOMEM;
	}
	f->tf.cgroups = f->cgroups;
	err = o->filter_cgroup ? resolve_cgroup(f, v2_mount, lookup, o->filter_cgroup) :
				 resolve_container(f, v2_mount, lookup, o->filter_container);
	if (err)
		filter_free(f);
	return err;
}

void filter_free(struct filter *f)
{
	free(f->cgroups);
	*f = (struct filter){ 0 };
}
