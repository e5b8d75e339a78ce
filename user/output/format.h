/* Renders events as JSON lines or as the readable stream. */
#ifndef PL_FORMAT_H
#define PL_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include "clock.h"
#include "event.h"
#include "hostid.h"
#include "outbuf.h"
#include "places.h"

/*
 * The version of docs/schema.md the JSON lines follow, in every start line.
 * It changes when a field changes meaning or goes away, not when one is added.
 */
#define PL_SCHEMA_VERSION 1

struct formatter {
	struct outbuf *ob;
	struct wallclock *clock;
	unsigned int max_args;
	bool json;
	const struct host_id *host;	/* for start lines and host fields; may be NULL */
	bool host_fields;		/* every JSON line ends with host and boot_id */
	const struct places *places;	/* the model's; NULL prints no container fields */
};

void format_event(struct formatter *f, const struct pl_event *ev);
/* count events lost since the previous report, noticed at boot_ns. */
void format_lost(struct formatter *f, uint64_t boot_ns, uint64_t count);
/*
 * What a stream or file begins with: the column titles of the readable
 * stream, or the start line (who and what wrote the file) in JSON.
 */
void format_begin(struct formatter *f);

void format_json_event(struct formatter *f, const struct pl_event *ev);
void format_json_lost(struct formatter *f, uint64_t boot_ns, uint64_t count);
void format_json_start(struct formatter *f, uint64_t boot_ns);
void format_text_event(struct formatter *f, const struct pl_event *ev);
void format_text_lost(struct formatter *f, uint64_t boot_ns, uint64_t count);
void format_text_begin(struct formatter *f);

/* Pieces for other line kinds (the model's) to share the formats with events. */
struct jw;
/* The place of an index; NULL when unknown or when f has no places. */
const struct place *format_place(const struct formatter *f, uint32_t idx);
/*
 * Where a process runs: cgroup_id; pidns and ns_pid inside a pid namespace
 * other than the host's; the container's fields and cgroup path in one.
 */
void format_json_place(struct jw *w, uint64_t cgroup_id, uint32_t pidns, uint32_t ns_pid,
		       const struct place *pl);
/* The same in the readable stream: " ctr=<12 chars of its id>", " nspid=N". */
void format_text_place(struct outbuf *ob, uint32_t pidns, uint32_t ns_pid, const struct place *pl);
/* The short container id the readable stream and the tree show. */
#define PL_SHORT_ID_LEN 12
/* exit_code, or signal and signal_name, then core_dumped, as exit events have them. */
void format_json_status(struct jw *w, int status);
/* Ends a line begun with jw_begin: the host fields if asked for, then the line. */
void format_json_end(struct formatter *f, struct jw *w);
/* Writes s with anything but printable ASCII as \xNN, so a name cannot fake a line. */
void format_text_safe(struct outbuf *ob, const char *s, size_t n);
/* The readable stream's columns: TIME EVENT PID PPID COMM, then the details follow. */
void format_text_columns(struct formatter *f, uint64_t boot_ns, const char *event,
			 uint32_t pid, uint32_t ppid, const char *comm);

#endif
