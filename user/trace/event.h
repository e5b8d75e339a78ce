/*
 * A decoded, validated event: what the rest of the consumer works with,
 * whether it came from the ring buffer (event_decode) or from a recorded
 * JSON-lines trace (replay). Strings point into the record they came from.
 */
#ifndef PL_EVENT_H
#define PL_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "proclife.h"

struct pl_event {
	enum pl_event_type type;
	uint64_t ts_ns;		/* CLOCK_BOOTTIME */
	uint64_t start_ns;	/* with pid, the process key */
	uint32_t pid, tid, ppid;
	char comm[PL_COMM_LEN + 1];
	bool context;		/* outside the filters: for the model, not to be printed */
	uint64_t cgroup_id;	/* 0 when unknown */
	uint32_t pidns;		/* 0 when unknown (a reap: the model fills it in) */
	uint32_t ns_pid;
	uint32_t place;		/* set by the consumer (model_place): index in the model's places */
	union {
		struct {
			uint64_t parent_start_ns;
			uint32_t parent_tid;
			uint32_t ns_ppid;	/* as getppid() in the child's namespace */
			bool thread;
		} fork;
		struct {
			uint32_t old_pid, uid, gid;
			const char *filename;
			size_t filename_len;
			const char *args;	/* argv strings, each NUL-terminated */
			size_t args_len;
			bool args_truncated;
			bool filename_truncated;
		} exec;
		struct {
			int status;	/* wait status */
			uint32_t reaper;
			enum pl_reaper_rule reaper_rule;
			bool thread;
			bool parent_autoreap;
		} exit;
		struct {
			/* filled in by the process model */
			int64_t zombie_ns;	/* -1 when unknown */
			bool leaked;		/* it had been reported as a leaked zombie */
			bool inferred;		/* the kernel's event never came: the model's */
		} reap;
		struct {
			int sig, code, result;
			enum pl_disposition disposition;
			uint32_t sender_pid, sender_tid;
			char sender_comm[PL_COMM_LEN + 1];
		} signal;
	};
};

/* Validates a raw ring-buffer record and fills ev; -EPROTO if malformed. */
int event_decode(const void *rec, size_t size, struct pl_event *ev);

/*
 * Walks the NUL-terminated strings of an exec event's args, at most max_args
 * of them; *truncated is set when more were captured than returned.
 */
struct args_iter {
	const char *p, *end;
	unsigned int left;
};
void args_iter_init(struct args_iter *it, const struct pl_event *ev, unsigned int max_args);
bool args_iter_next(struct args_iter *it, const char **s, size_t *len);
bool args_iter_more(const struct args_iter *it);

const char *event_type_name(enum pl_event_type type);
/* The first type with that name; -1 for none. */
int event_type_from_name(const char *name);

#endif
