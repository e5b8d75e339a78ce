/*
 * Seeds the model from /proc at start-up: every process with its parent,
 * name, program, thread count and whether it is a zombie. Processes come
 * and go while the directory is read; one that vanishes is skipped.
 */
#ifndef PL_PROCSCAN_H
#define PL_PROCSCAN_H

#include "model.h"

struct procscan_stats {
	unsigned long procs;		/* seeded */
	unsigned long vanished;		/* listed, gone before its stat could be read */
	unsigned long malformed;	/* a stat file that could not be parsed */
};

/*
 * Reads root (normally "/proc") into m through model_seed_*. Returns 0, or
 * -errno when root cannot be read or memory ran out; the caller reports it.
 */
int procscan_run(struct model *m, const char *root, struct procscan_stats *st);

/*
 * Sets the thread count of every live process of m from root, for a model
 * whose events carry only some threads' ends (MODEL_THREADS_PARENT_EXITS).
 * Returns 0, or -errno when root cannot be read.
 */
int procscan_threads(struct model *m, const char *root);

/*
 * Whether the process with this pid and start time (clock ticks) is still a
 * zombie, its whole thread group dead: 1 yes, 0 no (gone, or alive), -errno
 * when /proc could not say.
 */
int procscan_zombie(const char *root, uint32_t pid, uint64_t start_ticks);

#endif
