/* Renders events as JSON lines or as the readable stream. */
#ifndef PL_FORMAT_H
#define PL_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include "clock.h"
#include "event.h"
#include "outbuf.h"

struct formatter {
	struct outbuf *ob;
	struct wallclock *clock;
	unsigned int max_args;
	bool json;
};

void format_event(struct formatter *f, const struct pl_event *ev);
/* count events lost since the previous report, noticed at boot_ns. */
void format_lost(struct formatter *f, uint64_t boot_ns, uint64_t count);
/* The column titles of the readable stream; nothing for JSON. */
void format_begin(struct formatter *f);

void format_json_event(struct formatter *f, const struct pl_event *ev);
void format_json_lost(struct formatter *f, uint64_t boot_ns, uint64_t count);
void format_text_event(struct formatter *f, const struct pl_event *ev);
void format_text_lost(struct formatter *f, uint64_t boot_ns, uint64_t count);
void format_text_begin(struct formatter *f);

#endif
