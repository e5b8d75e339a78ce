#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "proclife.h"

#define DEFAULT_RINGBUF (8 << 20)
#define DEFAULT_MAX_ARGS 64

static const char usage[] =
"Usage: proclife [OPTIONS]\n"
"Trace the life of every process on this host: forks, execs, exits, reaps and\n"
"signals, from BPF programs on the kernel's process tracepoints.\n"
"\n"
"Output:\n"
"  -j, --json               print JSON lines (docs/schema.md) instead of the readable stream\n"
"  -o, --output FILE        write events to FILE instead of standard output\n"
"  -T, --threads            also print the exit of each thread, not just of each process\n"
"  -a, --max-args N         print at most N arguments of an exec (default 64)\n"
"\n"
"Tracing:\n"
"  -d, --duration SECONDS   stop after SECONDS\n"
"  -b, --buffer-size SIZE   ring buffer size, a power of two (default 8M)\n"
"  -A, --arg-bytes N        capture at most N bytes of an exec's arguments\n"
"                           (default 4096, at most 16383)\n"
"      --btf FILE           kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
"  -v, --verbose            print libbpf's messages\n"
"\n"
"  -h, --help               print this help\n"
"  -V, --version            print the version\n"
"\n"
"SIGINT or SIGTERM stops tracing; everything captured is printed, then a\n"
"summary on standard error. Exit status: 0 success, 1 failure, 2 bad usage.\n";

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

static int parse_option(struct options *o, int c, const char *arg)
{
	unsigned long v;
	long long size;
	char *end;

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
		errno = 0;
		o->duration = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(o->duration) || o->duration <= 0)
			return bad("duration", arg, "expected a positive number of seconds");
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
	}
	return -1;
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	*o = (struct options){
		.ringbuf_size = DEFAULT_RINGBUF,
		.arg_bytes = PL_ARGS_DEFAULT,
		.max_args = DEFAULT_MAX_ARGS,
	};
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":jo:Ta:d:b:A:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("proclife %s\n", PROCLIFE_VERSION);
			return CLI_EXIT_OK;
		case ':':
			fprintf(stderr, "proclife: option '%s' needs a value\n", argv[optind - 1]);
			goto usage;
		case '?':
			fprintf(stderr, "proclife: unknown option '%s'\n", argv[optind - 1]);
			goto usage;
		default:
			if (parse_option(o, c, optarg))
				goto usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "proclife: unexpected argument '%s'\n", argv[optind]);
		goto usage;
	}
	return CLI_RUN;
usage:
	fputs("Try 'proclife --help' for more information.\n", stderr);
	return CLI_EXIT_USAGE;
}
