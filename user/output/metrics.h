/*
 * The Prometheus text exposition of the live loop's counters and of the
 * process model (docs/metrics.md lists every metric). Rendering reads the
 * model as it stands; the HTTP side is metrics_server.h.
 */
#ifndef PL_METRICS_H
#define PL_METRICS_H

#include <stdint.h>
#include <stdio.h>
#include "model.h"

/*
 * Leaked zombies by parent: the parents holding the most get a series each;
 * the rest are summed into one series with parent_pid="other".
 */
#define METRICS_TOP_PARENTS 10

/* What the loop counts and samples; the model supplies the rest. */
struct metrics_counts {
	uint64_t events[PL_EV_TYPE_MAX];	/* kernel events received, by type */
	uint64_t orphans[PL_REAPER_INIT + 1];	/* by reaper rule */
	uint64_t leaked_reports;	/* zombies reported as leaked */
	uint64_t malformed;		/* ring-buffer records dropped */
	uint64_t lost;			/* events the kernel could not send */
	uint64_t ring_pending;		/* bytes written to the fullest CPU's ring, not yet read */
	uint64_t ring_size;		/* each CPU's ring */
	uint64_t rotations;		/* output files begun by a rotation or a reopen */
	uint64_t clock_steps;		/* wall-clock steps followed (clock.h) */
};

/* Writes every metric to f; 0, or -errno when reading our own usage failed. */
int metrics_render(FILE *f, const struct model *m, const struct metrics_counts *c);

#endif
