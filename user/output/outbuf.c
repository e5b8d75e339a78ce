#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "outbuf.h"

int outbuf_init(struct outbuf *ob, int fd, size_t cap)
{
	ob->buf = malloc(cap);
	if (!ob->buf)
		return -ENOMEM;
	ob->len = 0;
	ob->cap = cap;
	ob->fd = fd;
	ob->err = 0;
	ob->path = NULL;
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
	int fd = STDOUT_FILENO, err;

	if (path) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			err = errno;
			fprintf(stderr, "proclife: cannot open %s: %s\n", path, strerror(err));
			return -err;
		}
	}
	err = outbuf_init(ob, fd, cap);
	if (err) {
		fprintf(stderr, "proclife: cannot allocate the output buffer: %s\n", strerror(-err));
		if (path)
			close(fd);
		return err;
	}
	ob->path = path;
	return 0;
}

int outbuf_close(struct outbuf *ob)
{
	int err = 0;

	if (ob->path && close(ob->fd)) {
		err = -errno;
		fprintf(stderr, "proclife: cannot write %s: %s\n", ob->path, strerror(-err));
	}
	outbuf_free(ob);
	ob->path = NULL;
	return err;
}

int outbuf_flush(struct outbuf *ob)
{
	size_t off = 0;

	while (!ob->err && off < ob->len) {
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
