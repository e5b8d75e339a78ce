/*
 * The host's cgroup v2 hierarchy, wherever it is mounted: /sys/fs/cgroup on
 * a pure v2 host, /sys/fs/cgroup/unified on a hybrid one (found in
 * /proc/self/mountinfo). Translates between a cgroup's id, as BPF reads it
 * (the kernfs node id), and its path below the hierarchy's root, through
 * file handles: no walk of the tree.
 */
#ifndef PL_CGROUPFS_H
#define PL_CGROUPFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "places.h"

struct cgroupfs {
	int root_fd;		/* the mount's root directory, -1 when none was found */
	char *mount;		/* where it is mounted */
	size_t mount_len;
};

/* -ENOENT when no cgroup v2 hierarchy is mounted, -errno when it cannot be opened. */
int cgroupfs_open(struct cgroupfs *fs, const char *mountinfo);
void cgroupfs_close(struct cgroupfs *fs);

/* Parses one line of mountinfo: the mount point of a cgroup2 mount of the root, else NULL. */
char *cgroupfs_mount_of(const char *line);

/* The lookups of places.h for this hierarchy: ctx is the struct cgroupfs. */
struct cgroup_lookup cgroupfs_lookup(struct cgroupfs *fs);

#endif
