#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "outbuf.h"
#include "outfile.h"

int outbuf_init(struct outbuf *ob, int fd, size_t cap)
{
	ob->buf = malloc(cap);
	if (!ob->buf)
		return -ENOMEM;
	ob->len = 0;
	ob->cap = cap;
	ob->fd = fd;
	ob->err = 0;
	ob->file = NULL;
	return 0;
}

void outbuf_free(struct outbuf *ob)
{
	free(ob->buf);
	ob->buf = NULL;
	ob->len = ob->cap = 0;
}

int outbuf_open(struct outbuf *ob, const char *path, size_t cap)
{
	return outbuf_open_file(ob, &(struct outfile_config){ .path = path }, cap);
}

int outbuf_open_file(struct outbuf *ob, const struct outfile_config *cfg, size_t cap)
{
	struct outfile *of = malloc(sizeof(*of));
	int err = of ? outbuf_init(ob, -1, cap) : -ENOMEM;

	if (err) {
		fprintf(stderr, "proclife: cannot allocate the output buffer: %s\n", strerror(-err));
		free(of);
		return err;
	}
	err = outfile_open(of, cfg);
	if (err) {
		free(of);
		outbuf_free(ob);
		return err;
	}
	ob->file = of;
	return 0;
}

int outbuf_close(struct outbuf *ob)
{
	int err = ob->file ? outfile_close(ob->file) : 0;

	free(ob->file);
	ob->file = NULL;
	outbuf_free(ob);
	return err;
}

static bool in_memory(const struct outbuf *ob)
{
	return !ob->file && ob->fd < 0;
}

/* Room for n more bytes in a buffer in memory; a failure empties it, for good. */
static void grow(struct outbuf *ob, size_t n)
{
	size_t cap = ob->len + n > 2 * ob->cap ? ob->len + n : 2 * ob->cap;
	char *buf = ob->err ? NULL : realloc(ob->buf, cap);

	if (!buf) {
		ob->err = ENOMEM;
		ob->len = 0;
		return;
	}
	ob->buf = buf;
	ob->cap = cap;
}

int outbuf_flush(struct outbuf *ob)
{
	size_t off = 0;

	/* Nowhere to write to: what is held stays. */
	if (in_memory(ob))
		return -ob->err;

	if (ob->file && !ob->err && ob->len)
		ob->err = -outfile_write(ob->file, ob->buf, ob->len);
	while (!ob->file && !ob->err && off < ob->len) {
		ssize_t n = write(ob->fd, ob->buf + off, ob->len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ob->err = errno;
			break;
		}
		off += n;
	}
	ob->len = 0;
	return -ob->err;
}

void outbuf_write_slow(struct outbuf *ob, const void *p, size_t n)
{
	if (in_memory(ob)) {
		grow(ob, n);
		if (!ob->err) {
			memcpy(ob->buf + ob->len, p, n);
			ob->len += n;
		}
		return;
	}
	outbuf_flush(ob);
	if (n > ob->cap) {
		const char *s = p;

		while (n > ob->cap) {
			memcpy(ob->buf, s, ob->cap);
			ob->len = ob->cap;
			outbuf_flush(ob);
			s += ob->cap;
			n -= ob->cap;
		}
		p = s;
	}
	memcpy(ob->buf + ob->len, p, n);
	ob->len += n;
}

static const char two_digits[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static const uint64_t powers_of_ten[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
	100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
	10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL,
};

/* v >= 10: log10 from the bit length (1233 / 4096 ~ log10(2)), corrected by one compare. */
static unsigned int decimal_digits(uint64_t v)
{
	unsigned int t = (64 - __builtin_clzll(v)) * 1233 >> 12;

	return t + (v >= powers_of_ten[t]);
}

/* Two digits of x < 100 at q - 2; returns q - 2. */
static inline char *put_pair(char *q, uint32_t x)
{
	memcpy(q - 2, two_digits + x * 2, 2);
	return q - 2;
}

/*
 * Two digits per division, and 32-bit divisions where the value allows:
 * printing numbers is much of what an event costs.
 */
char *fmt_u64(char *p, uint64_t v)
{
	char *end, *q;
	uint32_t x;

	if (v < 10) {
		*p = '0' + v;
		return p + 1;
	}
	end = q = p + decimal_digits(v);
	while (v >= 100000000) {
		x = v % 100000000;
		v /= 100000000;
		for (int i = 0; i < 4; i++, x /= 100)
			q = put_pair(q, x % 100);
	}
	for (x = v; x >= 100; x /= 100)
		q = put_pair(q, x % 100);
	if (x >= 10)
		put_pair(q, x);
	else
		q[-1] = '0' + x;
	return end;
}

char *fmt_i64(char *p, int64_t v)
{
	if (v >= 0)
		return fmt_u64(p, v);
	*p++ = '-';
	return fmt_u64(p, -(uint64_t)v);
}

void outbuf_u64(struct outbuf *ob, uint64_t v)
{
	char tmp[FMT_INT_MAX];

	outbuf_write(ob, tmp, fmt_u64(tmp, v) - tmp);
}

void outbuf_i64(struct outbuf *ob, int64_t v)
{
	char tmp[FMT_INT_MAX];

	outbuf_write(ob, tmp, fmt_i64(tmp, v) - tmp);
}

void outbuf_printf(struct outbuf *ob, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	outbuf_write(ob, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}
