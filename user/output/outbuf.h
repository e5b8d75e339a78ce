/*
 * A buffered writer over a file descriptor. Errors are sticky: after the
 * first failed write nothing more is written and outbuf_error() tells why,
 * so formatters never check each call.
 *
 * With no descriptor (fd < 0) it is a string in memory: it grows to hold all
 * that is written, so a line rendered to be kept or measured is never cut
 * (after a failed allocation it is empty and outbuf_error() is ENOMEM).
 */
#ifndef PL_OUTBUF_H
#define PL_OUTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* What the inline writers below do when the buffer is full. */
void outbuf_write_slow(struct outbuf *ob, const void *p, size_t n);

/*
 * The writers run for every field of every event: the common case, room in
 * the buffer, is inline; only a full buffer costs a call.
 */
static inline void outbuf_write(struct outbuf *ob, const void *p, size_t n)
{
	if (__builtin_expect(ob->cap - ob->len >= n, 1)) {
		memcpy(ob->buf + ob->len, p, n);
		ob->len += n;
	} else {
		outbuf_write_slow(ob, p, n);
	}
}

static inline void outbuf_puts(struct outbuf *ob, const char *s)
{
	outbuf_write(ob, s, strlen(s));
}

static inline void outbuf_putc(struct outbuf *ob, char c)
{
	if (__builtin_expect(ob->len == ob->cap, 0))
		outbuf_write_slow(ob, &c, 1);
	else
		ob->buf[ob->len++] = c;
}

/*
 * Where the next n bytes go when the buffer has room for them (after a
 * flush if needed), so a writer can fill them without a check per byte;
 * NULL when there is no such room (n is more than the whole buffer holds,
 * or a buffer in memory is full): the caller writes through outbuf_write.
 * outbuf_commit() says how many were written.
 */
static inline char *outbuf_room(struct outbuf *ob, size_t n)
{
	if (__builtin_expect(ob->cap - ob->len < n, 0)) {
		outbuf_flush(ob);
		if (ob->cap - ob->len < n)
			return NULL;
	}
	return ob->buf + ob->len;
}

static inline void outbuf_commit(struct outbuf *ob, const char *end)
{
	ob->len = end - ob->buf;
}

/* The most bytes fmt_u64 and fmt_i64 write. */
#define FMT_INT_MAX 20
/* Write v in decimal at p, return the end. */
char *fmt_u64(char *p, uint64_t v);
char *fmt_i64(char *p, int64_t v);

void outbuf_u64(struct outbuf *ob, uint64_t v);
void outbuf_i64(struct outbuf *ob, int64_t v);
void outbuf_printf(struct outbuf *ob, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
