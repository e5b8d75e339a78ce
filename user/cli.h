/* Command-line options. */
#ifndef PL_CLI_H
#define PL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct options {
	bool json;
	bool threads;		/* print per-thread exits too */
	bool verbose;
	const char *output;	/* NULL: standard output */
	double duration;	/* seconds; 0: until interrupted */
	size_t ringbuf_size;
	uint32_t arg_bytes;
	unsigned int max_args;
	const char *btf_path;
};

enum cli_result {
	CLI_RUN,	/* options are valid: trace */
	CLI_EXIT_OK,	/* --help or --version was printed */
	CLI_EXIT_USAGE,	/* an error was printed */
};

enum cli_result cli_parse(struct options *o, int argc, char **argv);

/* "16M", "4096", "64k": bytes; -1 when not a size. */
long long cli_parse_size(const char *s);

#endif
