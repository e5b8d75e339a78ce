/*
 * Replays a recorded JSON-lines trace (docs/schema.md) into the model:
 * events are applied in order, a snapshot (its parts put back together)
 * re-seeds the model, a start line of another boot empties it, and zombie
 * and orphan lines are skipped because the model derives them again.
 * A line that cannot be used is reported with its number and skipped; the
 * others still count. A start line of a newer schema ends the replay: what
 * its lines mean may have changed.
 *
 * Times in a replay are the trace's wall clock in ns since the epoch; start_ns
 * values keep the recording host's CLOCK_BOOTTIME, which only identifies
 * processes. Print with a wallclock whose boot_to_real_ns is 0.
 */
#ifndef PL_REPLAY_H
#define PL_REPLAY_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include "event.h"
#include "model.h"

/* A snapshot is split into at most this many parts (tree.h). */
#define REPLAY_SNAPSHOT_PARTS_MAX (1u << 20)

/* The parts of a snapshot read so far, until all have come. */
struct replay_parts {
	uint64_t id;
	uint32_t parts, seen;	/* parts 0: none pending */
	json_t **procs;		/* each part's "procs", by part number */
};

struct replay {
	struct model *model;
	const char *name;	/* the trace as messages name it */
	FILE *err;		/* where unusable lines are reported */
	bool until_given;	/* stop at the first line after until_ns; else read the whole trace */
	uint64_t until_ns;
	/* Optional: each event, after the model has applied it. */
	void (*on_event)(void *ctx, const struct pl_event *ev);
	void *ctx;

	/* Results. */
	unsigned long lines;	/* read */
	unsigned long events;	/* applied */
	unsigned long bad;	/* reported and skipped */
	uint64_t lost;		/* events the recorder said it lost */
	uint64_t now_ns;	/* the model was ticked up to here: the last time seen, or until_ns */

	/* Internal. */
	struct replay_parts snap;
	char boot_id[37];	/* of the last start line */
};

/*
 * Reads in to its end (or past until_ns, or to a start line of a newer
 * schema than PL_SCHEMA_VERSION, which is reported). 0 when every line was
 * used, 1 when some were reported and skipped or the rest was refused,
 * -errno when reading failed or memory ran out (not yet reported).
 */
int replay_run(struct replay *r, FILE *in);

/* "2026-11-21T05:47:00.123456789Z" (fraction optional, any offset) to ns since the epoch. */
int replay_parse_time(const char *s, uint64_t *ns);

#endif
