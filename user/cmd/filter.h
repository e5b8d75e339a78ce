/*
 * The command line's filters resolved into what the kernel compares: a pid
 * checked to exist, a cgroup path turned into its id and level, a container
 * id (or a unique prefix of one) into the cgroups that hold it.
 */
#ifndef PL_FILTER_H
#define PL_FILTER_H

#include "cli.h"
#include "places.h"
#include "tracer.h"

struct filter {
	struct tracer_filter tf;	/* for tracer_config; points into cgroups */
	struct cgroup_target *cgroups;
};

/*
 * v2_mount is where the cgroup v2 hierarchy is mounted (NULL: none); lookup
 * gives a cgroup's id from its path below it. 0; -EINVAL after a usage error
 * was printed; -errno after a failure was printed.
 */
int filter_resolve(struct filter *f, const struct options *o, const char *v2_mount,
		   const struct cgroup_lookup *lookup);
void filter_free(struct filter *f);

#endif
