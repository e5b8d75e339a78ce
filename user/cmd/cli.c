#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "event.h"
#include "proclife.h"
#include "metrics_server.h"
#include "model.h"
#include "outfile.h"
#include "replay.h"

#define DEFAULT_RINGBUF (8 << 20)
#define DEFAULT_MAX_ARGS 64

/* A static build has no metrics server: its help does not offer one. */
#ifdef PROCLIFE_NO_METRICS_SERVER
#define METRICS_USAGE ""
#else
#define METRICS_USAGE \
"      --metrics [ADDR:]PORT\n" \
"                           serve Prometheus metrics at http://ADDR:PORT/metrics\n" \
"                           (only PORT: on 127.0.0.1; [ADDR]:PORT for IPv6)\n"
#endif

static const char usage[] =
"Usage: proclife [COMMAND] [OPTIONS]\n"
"Trace the life of every process on this host (forks, execs, exits, reaps and\n"
"signals) from BPF programs on the kernel's process tracepoints, keep a model of\n"
"the process tree, and report leaked zombies and orphans.\n"
"\n"
"Commands:\n"
"  trace                    stream every event (the default)\n"
"  tree                     print the live process tree and exit (after -d SECONDS)\n"
"  zombies                  stream only leaked zombies and their reaps\n"
"  replay FILE              rebuild the model from a recorded JSON-lines trace\n"
"                           ('-': standard input) and print its tree\n"
"\n"
"Output:\n"
"  -j, --json               print JSON lines (docs/schema.md) instead of text\n"
"  -o, --output FILE        append to FILE instead of writing to standard output;\n"
"                           SIGHUP reopens it (logrotate's create mode)\n"
"      --rotate-size SIZE   -o: rotate FILE once it holds SIZE bytes (such as 100M),\n"
"                           between lines: FILE -> FILE.1 -> ... -> FILE.N\n"
"      --rotate-keep N      --rotate-size: keep N rotated files (default 5, at most 1000)\n"
"      --host-fields        --json: add host and boot_id to every line, for fleets\n"
"  -T, --threads            also print the exit and renames of each thread,\n"
"                           not just of each process\n"
"  -a, --max-args N         print at most N arguments of an exec (default 64)\n"
METRICS_USAGE
"\n"
"Model:\n"
"  -z, --zombie-age SECONDS a zombie unreaped for longer is leaked (default 5)\n"
"  -s, --snapshot SECONDS   trace --json: a snapshot of the whole tree at start and\n"
"                           every SECONDS, for consumers that join late\n"
"      --check              zombies: exit with status 3 if leaked zombies remain\n"
"      --at TIME            replay: the state at TIME (RFC 3339), not at the end\n"
"      --zombies            replay: print the zombies instead of the tree\n"
"\n"
"Tracing:\n"
"  -d, --duration SECONDS   stop after SECONDS\n"
"  -b, --buffer-size SIZE   ring buffer space, a power of two, shared among\n"
"                           the CPUs (default 8M)\n"
"  -A, --arg-bytes N        capture at most N bytes of an exec's arguments\n"
"                           (default 4096, at most 16383)\n"
"      --btf FILE           kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
"  -v, --verbose            print libbpf's messages\n"
"\n"
"Filters (decided in the kernel; when several are given, all must match):\n"
"  -p, --pid PID            process PID and its descendants, those born later too\n"
"  -c, --comm NAME          processes named NAME (at most 15 bytes) at an event;\n"
"                           one that execs into NAME starts matching\n"
"  -u, --uid UID            processes whose real user id is UID at an event\n"
"      --cgroup PATH        processes in the cgroup v2 PATH or below it (PATH from\n"
"                           the v2 mount, or under it, such as /system.slice/cron.service)\n"
"      --container ID       processes of the container ID, or of a unique prefix of it\n"
"  -e, --events LIST        trace: print only these, separated by commas:\n"
"                           fork, exec, exit, reap, signal, rename, zombie, orphan\n"
"  A process stays traced from its first matching event until it is reaped;\n"
"  the tree also shows the parents of the processes traced.\n"
"\n"
"  -h, --help               print this help\n"
"  -V, --version            print the version\n"
"\n"
"Examples:\n"
"  proclife                                 # every process event on this host\n"
"  proclife -p 1234                         # process 1234 and all its descendants\n"
"  proclife -c nginx -e exec,exit           # execs and exits of processes named nginx\n"
"  proclife -u 1000 -e exec                 # what user 1000 runs\n"
"  proclife --cgroup /system.slice/cron.service  # one systemd service and its children\n"
"  proclife zombies --container 3f2a9c      # leaked zombies in one container\n"
"  proclife tree -p 1234                    # the subtree of 1234, under its parent\n"
"\n"
"SIGINT or SIGTERM stops tracing; everything captured is printed, then a\n"
"summary on standard error. SIGUSR1 prints the current tree into the stream.\n"
"SIGHUP reopens -o FILE (without -o it stops, as a closed terminal should).\n"
"Exit status: 0 success, 1 failure (or a replay with unusable lines), 2 bad\n"
"usage, 3 leaked zombies remain (zombies --check).\n";

long long cli_parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || v > (1ULL << 40) >> shift)
		return -1;
	return (long long)(v << shift);
}

static int bad(const char *opt, const char *arg, const char *why)
{
	fprintf(stderr, "proclife: invalid %s '%s': %s\n", opt, arg, why);
	return -1;
}

static int parse_uint(const char *opt, const char *arg, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || v < min || v > max) {
		char why[64];

		snprintf(why, sizeof(why), "expected a whole number from %lu to %lu", min, max);
		return bad(opt, arg, why);
	}
	*out = v;
	return 0;
}

static int parse_seconds(const char *what, const char *arg, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(*out) || *out <= 0 || *out > 1e9)
		return bad(what, arg, "expected a positive number of seconds");
	return 0;
}

/* The kernel's names (event.h) plus the model's lines. */
static const char *const derived_names[] = { "zombie", "orphan" };
static const uint32_t derived_bits[] = { EVENT_ZOMBIE, EVENT_ORPHAN };

static uint32_t event_bits(const char *name)
{
	uint32_t bits = 0;

	for (size_t i = 0; i < sizeof(derived_names) / sizeof(derived_names[0]); i++)
		if (!strcmp(name, derived_names[i]))
			return derived_bits[i];
	/* Types that share a name (the stages of a signal) go together. */
	for (int u = 1; u < PL_EV_TYPE_MAX; u++)
		if (!strcmp(event_type_name(u), name))
			bits |= 1u << u;
	return bits;
}

static int bad_events(const char *arg)
{
	char why[256];
	size_t n = snprintf(why, sizeof(why), "expected names separated by commas from");

	for (int t = 1; t < PL_EV_TYPE_MAX && n < sizeof(why); t++)
		if (event_type_from_name(event_type_name(t)) == t)
			n += snprintf(why + n, sizeof(why) - n, " %s,", event_type_name(t));
	for (size_t i = 0; i < sizeof(derived_names) / sizeof(derived_names[0]) && n < sizeof(why); i++)
		n += snprintf(why + n, sizeof(why) - n, " %s%s", derived_names[i],
			      i + 1 < sizeof(derived_names) / sizeof(derived_names[0]) ? "," : "");
	return bad("event list", arg, why);
}

static int parse_events(const char *arg, uint32_t *out)
{
	const char *p = arg;

	*out = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char name[32];
		uint32_t bits;

		if (!len || len >= sizeof(name))
			return bad_events(arg);
		memcpy(name, p, len);
		name[len] = '\0';
		bits = event_bits(name);
		if (!bits)
			return bad_events(arg);
		*out |= bits;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int parse_option(struct options *o, int c, const char *arg)
{
	unsigned long v;
	long long size;
	double secs;

	switch (c) {
	case 'j':
		o->json = true;
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case 'T':
		o->threads = true;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case 'd':
		return parse_seconds("duration", arg, &o->duration);
	case 'z':
		if (parse_seconds("zombie age", arg, &secs))
			return -1;
		o->zombie_age_ns = secs * 1e9;
		return 0;
	case 's':
		if (parse_seconds("snapshot interval", arg, &secs))
			return -1;
		o->snapshot_ns = secs * 1e9;
		return 0;
	case 'C':
		o->check = true;
		return 0;
	case 'Z':
		o->zombies_view = true;
		return 0;
	case 'W':
		if (replay_parse_time(arg, &o->at_ns))
			return bad("time", arg, "expected RFC 3339, such as 2026-11-21T05:47:00Z");
		o->at_given = true;
		return 0;
	case 'b':
		size = cli_parse_size(arg);
		if (size < 4096 || (size & (size - 1)))
			return bad("buffer size", arg, "expected a power of two of at least 4096 bytes, such as 16M");
		o->ringbuf_size = size;
		return 0;
	case 'A':
		if (parse_uint("argument bytes", arg, 0, PL_ARGS_MAX - 1, &v))
			return -1;
		o->arg_bytes = v;
		return 0;
	case 'a':
		if (parse_uint("argument count", arg, 0, 1u << 20, &v))
			return -1;
		o->max_args = v;
		return 0;
	case 'B':
		o->btf_path = arg;
		return 0;
	case 'R':
		size = cli_parse_size(arg);
		if (size < 4096)
			return bad("rotate size", arg, "expected a size of at least 4096 bytes, such as 100M");
		o->rotate_size = size;
		return 0;
	case 'K':
		if (parse_uint("rotate keep", arg, 1, OUTFILE_ROTATE_KEEP_MAX, &v))
			return -1;
		o->rotate_keep = v;
		return 0;
	case 'H':
		o->host_fields = true;
		return 0;
	case 'p':
		if (parse_uint("pid", arg, 1, 0x7fffffff, &v))
			return -1;
		o->filter_pid = v;
		return 0;
	case 'c':
		if (!*arg || strlen(arg) >= PL_COMM_LEN)
			return bad("process name", arg, "expected 1 to 15 bytes, as the kernel keeps them");
		o->filter_comm = arg;
		return 0;
	case 'u':
		if (parse_uint("uid", arg, 0, 0xfffffffe, &v))
			return -1;
		o->filter_uid_on = true;
		o->filter_uid = v;
		return 0;
	case 'G':
		if (!*arg)
			return bad("cgroup", arg, "expected a cgroup v2 path");
		o->filter_cgroup = arg;
		return 0;
	case 'N':
		if (!*arg)
			return bad("container", arg, "expected a container id or a prefix of one");
		o->filter_container = arg;
		return 0;
	case 'e':
		o->events_given = true;
		return parse_events(arg, &o->events);
	case 'M': {
#ifdef PROCLIFE_NO_METRICS_SERVER
		fputs("proclife: --metrics: this build has no metrics server (static build)\n", stderr);
		return -1;
#else
		struct sockaddr_storage sa;
		socklen_t len;

		if (metrics_parse_addr(arg, &sa, &len))
			return bad("metrics address", arg,
				   "expected PORT, ADDR:PORT or [ADDR]:PORT with a numeric address");
		o->metrics_addr = arg;
		return 0;
#endif
	}
	}
	return -1;
}

static const char *const command_names[] = {
	[CMD_TRACE] = "trace", [CMD_TREE] = "tree", [CMD_ZOMBIES] = "zombies", [CMD_REPLAY] = "replay",
};

/* The command and its operand are the non-option arguments, in any position. */
static int parse_command(struct options *o, int argc, char **argv)
{
	int i = optind;

	if (i < argc) {
		size_t c;

		for (c = 0; c < sizeof(command_names) / sizeof(command_names[0]); c++)
			if (!strcmp(argv[i], command_names[c]))
				break;
		if (c == sizeof(command_names) / sizeof(command_names[0])) {
			fprintf(stderr, "proclife: unknown command '%s'\n", argv[i]);
			return -1;
		}
		o->command = c;
		i++;
	}
	if (o->command == CMD_REPLAY) {
		if (i == argc) {
			fprintf(stderr, "proclife: replay needs a trace file ('-' for standard input)\n");
			return -1;
		}
		o->replay_path = argv[i++];
	}
	if (i < argc) {
		fprintf(stderr, "proclife: unexpected argument '%s'\n", argv[i]);
		return -1;
	}
	return 0;
}

static int only_for(const char *option, bool given, enum command cmd, const struct options *o)
{
	if (!given || o->command == cmd)
		return 0;
	fprintf(stderr, "proclife: %s is for the %s command\n", option, command_names[cmd]);
	return -1;
}

static int check_combination(const struct options *o)
{
	if (only_for("--snapshot", o->snapshot_ns, CMD_TRACE, o) ||
	    only_for("--check", o->check, CMD_ZOMBIES, o) ||
	    only_for("--at", o->at_given, CMD_REPLAY, o) ||
	    only_for("--zombies", o->zombies_view, CMD_REPLAY, o))
		return -1;
	if (only_for("--events", o->events_given, CMD_TRACE, o))
		return -1;
	if (o->command == CMD_REPLAY && (o->filter_pid || o->filter_comm || o->filter_uid_on ||
					 o->filter_cgroup || o->filter_container)) {
		fprintf(stderr, "proclife: filters are for the live commands (trace, tree, zombies)\n");
		return -1;
	}
	if (o->filter_cgroup && o->filter_container) {
		fprintf(stderr, "proclife: --cgroup and --container cannot be combined\n");
		return -1;
	}
	if (o->metrics_addr && o->command == CMD_REPLAY) {
		fprintf(stderr, "proclife: --metrics is for the live commands\n");
		return -1;
	}
	if (o->snapshot_ns && !o->json) {
		fprintf(stderr, "proclife: --snapshot needs --json\n");
		return -1;
	}
	if (o->host_fields && !o->json) {
		fprintf(stderr, "proclife: --host-fields needs --json\n");
		return -1;
	}
	if (o->rotate_size && !o->output) {
		fprintf(stderr, "proclife: --rotate-size needs --output FILE\n");
		return -1;
	}
	if (o->rotate_keep && !o->rotate_size) {
		fprintf(stderr, "proclife: --rotate-keep needs --rotate-size\n");
		return -1;
	}
	return 0;
}

/* A long option names itself; a short one may sit inside a bundle such as -jx. */
static const char *option_name(const char *arg, int opt, char buf[3])
{
	if (!strncmp(arg, "--", 2) || !opt)
		return arg;
	buf[0] = '-';
	buf[1] = opt;
	buf[2] = '\0';
	return buf;
}

enum cli_result cli_parse(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "threads", no_argument, NULL, 'T' },
		{ "max-args", required_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, 'd' },
		{ "buffer-size", required_argument, NULL, 'b' },
		{ "arg-bytes", required_argument, NULL, 'A' },
		{ "btf", required_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "zombie-age", required_argument, NULL, 'z' },
		{ "snapshot", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'C' },
		{ "zombies", no_argument, NULL, 'Z' },
		{ "at", required_argument, NULL, 'W' },
		{ "rotate-size", required_argument, NULL, 'R' },
		{ "rotate-keep", required_argument, NULL, 'K' },
		{ "host-fields", no_argument, NULL, 'H' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "uid", required_argument, NULL, 'u' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "container", required_argument, NULL, 'N' },
		{ "events", required_argument, NULL, 'e' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	char shortopt[3];
	int c;

	*o = (struct options){
		.ringbuf_size = DEFAULT_RINGBUF,
		.arg_bytes = PL_ARGS_DEFAULT,
		.max_args = DEFAULT_MAX_ARGS,
		.zombie_age_ns = MODEL_ZOMBIE_AGE_DEFAULT_NS,
		.events = EVENTS_ALL,
	};
	opterr = 0;
	/* 0, not 1: glibc then also forgets a bundle of short options left half-read. */
	optind = 0;
	while ((c = getopt_long(argc, argv, ":jo:Ta:d:b:A:vz:s:p:c:u:e:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("proclife %s (commit %s)\n", PROCLIFE_VERSION, PROCLIFE_COMMIT);
			return CLI_EXIT_OK;
		case ':':
			fprintf(stderr, "proclife: option '%s' needs a value\n",
				option_name(argv[optind - 1], optopt, shortopt));
			goto usage;
		case '?':
			fprintf(stderr, "proclife: unknown option '%s'\n",
				option_name(argv[optind - 1], optopt, shortopt));
			goto usage;
		default:
			if (parse_option(o, c, optarg))
				goto usage;
		}
	}
	if (parse_command(o, argc, argv))
		goto usage;
	if (check_combination(o))
		goto usage;
	return CLI_RUN;
usage:
	fputs("Try 'proclife --help' for more information.\n", stderr);
	return CLI_EXIT_USAGE;
}
