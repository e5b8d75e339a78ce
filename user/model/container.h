/*
 * Which container a cgroup v2 path belongs to, read from the names that
 * container runtimes and the kubelet give their cgroups. Pure string work:
 * no file is read.
 */
#ifndef PL_CONTAINER_H
#define PL_CONTAINER_H

#include <stdbool.h>

#define PL_CONTAINER_ID_LEN 65
#define PL_POD_UID_LEN 37

struct container_ref {
	char id[PL_CONTAINER_ID_LEN];	/* the container id as the runtime names it (usually 64 hex) */
	char pod_uid[PL_POD_UID_LEN];	/* Kubernetes pod uid, "" when none */
	const char *runtime;	/* "docker", "containerd", "cri-o", "podman", "runc", "cri": static */
};

/*
 * Parses a cgroup v2 path ("/system.slice/docker-<64 hex>.scope"); false when
 * no known layout matches (out untouched). The deepest container wins, so a
 * container nested in another (kind, docker-in-docker) is the inner one, and a
 * cgroup below a container's own (its init.scope) still belongs to it.
 */
bool container_from_cgroup_path(const char *path, struct container_ref *out);

#endif
