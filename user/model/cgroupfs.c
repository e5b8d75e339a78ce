#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroupfs.h"

/* include/linux/exportfs.h: a kernfs handle is the node's 64-bit id. */
#define FILEID_KERNFS 0xfe

struct kernfs_handle {
	struct file_handle fh;
	uint64_t id;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0');
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

char *cgroupfs_mount_of(const char *line)
{
	char root[PATH_MAX], mount[PATH_MAX], fstype[64];
	const char *sep = strstr(line, " - ");
	char *copy;

	/* "36 25 0:31 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw" */
	if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
		return NULL;
	if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mount) != 2)
		return NULL;
	unescape(root);
	/* A bind mount of a subtree names paths relative to that subtree. */
	if (strcmp(root, "/"))
		return NULL;
	copy = strdup(mount);
	if (copy)
		unescape(copy);
	return copy;
}

int cgroupfs_open(struct cgroupfs *fs, const char *mountinfo)
{
	FILE *f = fopen(mountinfo, "re");
	char *line = NULL;
	size_t cap = 0;
	int err = -ENOENT;

	*fs = (struct cgroupfs){ .root_fd = -1 };
	if (!f)
		return -errno;
	while (!fs->mount && getline(&line, &cap, f) > 0)
		fs->mount = cgroupfs_mount_of(line);
	free(line);
	fclose(f);
	if (fs->mount) {
		fs->mount_len = strlen(fs->mount);
		fs->root_fd = open(fs->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		err = fs->root_fd < 0 ? -errno : 0;
	}
	if (err)
		cgroupfs_close(fs);
	return err;
}

void cgroupfs_close(struct cgroupfs *fs)
{
	if (fs->root_fd >= 0)
		close(fs->root_fd);
	free(fs->mount);
	*fs = (struct cgroupfs){ .root_fd = -1 };
}

/* A removed cgroup's handle is stale (ESTALE): false, and its last known path stays. */
static bool path_of(void *ctx, uint64_t id, char *buf, size_t size)
{
	struct cgroupfs *fs = ctx;
	struct kernfs_handle h = { .fh = { .handle_bytes = sizeof(h.id), .handle_type = FILEID_KERNFS },
				   .id = id };
	char link[PATH_MAX], proc[32];
	ssize_t n;
	int fd;

	fd = open_by_handle_at(fs->root_fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return false;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, link, sizeof(link) - 1);
	close(fd);
	if (n < (ssize_t)fs->mount_len || memcmp(link, fs->mount, fs->mount_len))
		return false;
	link[n] = '\0';
	snprintf(buf, size, "%s", n == (ssize_t)fs->mount_len ? "/" : link + fs->mount_len);
	return buf[0] == '/';
}

static bool id_of(void *ctx, const char *path, uint64_t *id)
{
	struct cgroupfs *fs = ctx;
	struct kernfs_handle h = { .fh = { .handle_bytes = sizeof(h.id) } };
	int mount_id;

	while (*path == '/')
		path++;
	if (name_to_handle_at(fs->root_fd, *path ? path : ".", &h.fh, &mount_id, 0) ||
	    h.fh.handle_type != FILEID_KERNFS || h.fh.handle_bytes != sizeof(h.id))
		return false;
	*id = h.id;
	return true;
}

struct cgroup_lookup cgroupfs_lookup(struct cgroupfs *fs)
{
	return (struct cgroup_lookup){ .path = path_of, .id = id_of, .ctx = fs };
}
