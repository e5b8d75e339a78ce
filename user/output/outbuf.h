/*
 * A buffered writer over a file descriptor. Errors are sticky: after the
 * first failed write nothing more is written and outbuf_error() tells why,
 * so formatters never check each call.
 */
#ifndef PL_OUTBUF_H
#define PL_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

struct outbuf {
	char *buf;
	size_t len, cap;
	int fd;
	int err;	/* first errno of a failed write, 0 if none */
	struct outfile *file;	/* set by outbuf_open: where flushes go, owned */
};

int outbuf_init(struct outbuf *ob, int fd, size_t cap);
void outbuf_free(struct outbuf *ob);
/*
 * The output of a command, through an outfile (outfile.h): path (created or
 * appended to) or, for NULL, standard output. Failures are reported on
 * stderr, a closed pipe aside; outbuf_close flushes nothing (the caller
 * flushed what it meant to keep).
 */
struct outfile_config;
int outbuf_open(struct outbuf *ob, const char *path, size_t cap);
int outbuf_open_file(struct outbuf *ob, const struct outfile_config *cfg, size_t cap);
int outbuf_close(struct outbuf *ob);
int outbuf_flush(struct outbuf *ob);
static inline int outbuf_error(const struct outbuf *ob) { return ob->err; }

void outbuf_write(struct outbuf *ob, const void *p, size_t n);
void outbuf_puts(struct outbuf *ob, const char *s);
void outbuf_putc(struct outbuf *ob, char c);
void outbuf_u64(struct outbuf *ob, uint64_t v);
void outbuf_i64(struct outbuf *ob, int64_t v);
void outbuf_printf(struct outbuf *ob, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
