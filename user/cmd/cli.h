/* Command-line commands and options. */
#ifndef PL_CLI_H
#define PL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum command {
	CMD_TRACE,	/* stream every event (the default) */
	CMD_TREE,	/* print the live tree */
	CMD_ZOMBIES,	/* stream leaked zombies and their reaps */
	CMD_REPLAY,	/* rebuild the model from a recorded trace */
};

/* What the trace command prints (-e): 1 << enum pl_event_type, and the model's lines. */
#define EVENT_ZOMBIE (1u << 30)
#define EVENT_ORPHAN (1u << 31)
#define EVENTS_KERNEL (EVENT_ZOMBIE - 2)
#define EVENTS_ALL (EVENTS_KERNEL | EVENT_ZOMBIE | EVENT_ORPHAN)

struct options {
	enum command command;
	bool json;
	bool threads;		/* print per-thread exits too */
	bool verbose;
	bool check;		/* zombies: exit 3 when leaked zombies remain */
	bool zombies_view;	/* replay: print the zombies, not the tree */
	const char *output;	/* NULL: standard output */
	uint64_t rotate_size;	/* -o: rotate at this size; 0: never */
	unsigned int rotate_keep;	/* rotated files kept */
	bool host_fields;	/* --json: host and boot_id on every line */
	const char *btf_path;
	const char *replay_path;	/* "-": standard input */
	const char *metrics_addr;	/* serve /metrics there; NULL: no server */
	double duration;	/* seconds; 0: until interrupted */
	size_t ringbuf_size;
	uint32_t arg_bytes;
	unsigned int max_args;
	int64_t zombie_age_ns;
	int64_t snapshot_ns;	/* 0: no periodic snapshot */
	bool at_given;		/* replay: --at was given (the epoch itself is a valid time) */
	uint64_t at_ns;		/* replay: with at_given, ns since the epoch */
	uint32_t events;	/* EVENT_* and 1 << type: what trace prints */
	bool events_given;	/* -e */
	/* Filters; all must match. */
	uint32_t filter_pid;	/* that process and its descendants; 0: any */
	const char *filter_comm;
	bool filter_uid_on;
	uint32_t filter_uid;
	const char *filter_cgroup;	/* a cgroup v2 path */
	const char *filter_container;	/* a container id or a unique prefix of one */
};

enum cli_result {
	CLI_RUN,	/* options are valid: run the command */
	CLI_EXIT_OK,	/* --help or --version was printed */
	CLI_EXIT_USAGE,	/* an error was printed */
};

/* Exit statuses. */
#define EXIT_FAILURE_RUN 1
#define EXIT_USAGE 2
#define EXIT_LEAKED_ZOMBIES 3

enum cli_result cli_parse(struct options *o, int argc, char **argv);

/* "16M", "4096", "64k": bytes; -1 when not a size. */
long long cli_parse_size(const char *s);

#endif
