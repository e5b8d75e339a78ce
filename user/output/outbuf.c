#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
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

int outbuf_flush(struct outbuf *ob)
{
	size_t off = 0;

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

void outbuf_write(struct outbuf *ob, const void *p, size_t n)
{
	if (ob->len + n > ob->cap) {
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
	}
	memcpy(ob->buf + ob->len, p, n);
	ob->len += n;
}

void outbuf_puts(struct outbuf *ob, const char *s)
{
	outbuf_write(ob, s, strlen(s));
}

void outbuf_putc(struct outbuf *ob, char c)
{
	if (ob->len == ob->cap)
		outbuf_flush(ob);
	ob->buf[ob->len++] = c;
}

void outbuf_u64(struct outbuf *ob, uint64_t v)
{
	char tmp[20];
	int i = sizeof(tmp);

	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	outbuf_write(ob, tmp + i, sizeof(tmp) - i);
}

void outbuf_i64(struct outbuf *ob, int64_t v)
{
	if (v < 0) {
		outbuf_putc(ob, '-');
		outbuf_u64(ob, -(uint64_t)v);
	} else {
		outbuf_u64(ob, v);
	}
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
