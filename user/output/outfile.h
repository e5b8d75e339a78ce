/*
 * Where output lines land: standard output, or a file that lives as long as
 * a service does. A file is appended to (O_APPEND, so logrotate's
 * copytruncate leaves no hole), reopened on request (logrotate's create
 * mode renames it and sends SIGHUP) and, when asked, rotated by size:
 * FILE -> FILE.1 -> ... -> FILE.keep, the oldest dropped.
 *
 * Only whole lines reach the file: a line begun but not ended waits in the
 * outfile, so no rotation, reopen or truncation ever falls inside a line,
 * and a write that fails half-way is cut back to the last whole line.
 * Every new file (the first, a reopened or rotated one, one truncated under
 * us) begins with the header, written just before its first line.
 */
#ifndef PL_OUTFILE_H
#define PL_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbuf;

struct outfile_config {
	const char *path;		/* NULL: standard output */
	uint64_t rotate_size;		/* rotate once the file holds this much; 0: never */
	unsigned int rotate_keep;	/* rotated files kept: FILE.1 .. FILE.keep */
	/* Optional: writes the lines every new file begins with into `into`. */
	void (*header)(void *ctx, struct outbuf *into);
	void *ctx;
};

struct outfile {
	struct outfile_config cfg;
	int fd;
	bool regular;		/* a regular file: sizes mean something */
	bool need_header;	/* the next line starts a new file */
	uint64_t size;		/* the file's size as of our last write */
	char *tail;		/* a line begun and not yet ended */
	size_t tail_len, tail_cap;
	uint64_t rotations;	/* by size, or reopened on request */
	uint64_t write_errors;	/* writes that failed, a closed pipe aside */
};

#define OUTFILE_ROTATE_KEEP_DEFAULT 5
#define OUTFILE_ROTATE_KEEP_MAX 1000

/*
 * Each returns 0 or -errno; every failure but a closed pipe (-EPIPE) has
 * been reported on stderr, naming the file.
 */
int outfile_open(struct outfile *of, const struct outfile_config *cfg);
/* Appends n bytes of the stream; lines reach the file once ended. */
int outfile_write(struct outfile *of, const char *p, size_t n);
/* Closes the file and opens its path again (standard output: nothing to do). */
int outfile_reopen(struct outfile *of);
/* Writes a line left unended, then closes. */
int outfile_close(struct outfile *of);
/* "standard output" or the path, for messages. */
const char *outfile_name(const struct outfile *of);

#endif
