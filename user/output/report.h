/*
 * Prints the model's derived events, zombie and orphan, as JSON lines
 * (docs/schema.md) or as lines of the readable stream, through the same
 * formatter as the kernel's events.
 */
#ifndef PL_REPORT_H
#define PL_REPORT_H

#include "format.h"
#include "model.h"

void report_zombie(struct formatter *f, const struct model_zombie *z);
void report_orphan(struct formatter *f, const struct model_orphan *o);

/* A sink that prints both kinds through f. */
struct model_sink report_sink(struct formatter *f);

#endif
