#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "outbuf.h"
#include "outfile.h"

/* A start line is a few hundred bytes; the header's buffer grows when it needs more. */
#define HEADER_CAP 1024

const char *outfile_name(const struct outfile *of)
{
	return of->cfg.path ? of->cfg.path : "standard output";
}

static int report(const char *what, const char *path, int err)
{
	if (err != -EPIPE)
		fprintf(stderr, "proclife: cannot %s %s: %s\n", what, path, strerror(-err));
	return err;
}

static int open_path(struct outfile *of)
{
	struct stat st;
	int fd = open(of->cfg.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		return report("open", of->cfg.path, -errno);
	if (fstat(fd, &st)) {
		int err = -errno;

		close(fd);
		return report("open", of->cfg.path, err);
	}
	of->fd = fd;
	of->regular = S_ISREG(st.st_mode);
	of->size = st.st_size;
	of->need_header = true;
	return 0;
}

int outfile_open(struct outfile *of, const struct outfile_config *cfg)
{
	*of = (struct outfile){ .cfg = *cfg, .fd = STDOUT_FILENO, .need_header = true };
	if (!cfg->path)
		return 0;
	if (open_path(of))
		return -EIO;
	if (cfg->rotate_size && !of->regular) {
		close(of->fd);
		fprintf(stderr, "proclife: cannot rotate %s: not a regular file\n", cfg->path);
		return -EINVAL;
	}
	return 0;
}

/* A failed write may have left part of a line: cut the file back to the last whole one. */
static void drop_partial_line(struct outfile *of, const char *p, size_t written)
{
	const char *nl = memrchr(p, '\n', written);
	size_t partial = written - (nl ? (size_t)(nl - p) + 1 : 0);
	off_t end;

	if (!partial || !of->regular)
		return;
	end = lseek(of->fd, 0, SEEK_CUR);
	if (end >= (off_t)partial && !ftruncate(of->fd, end - partial))
		of->size -= partial;
}

static int write_all(struct outfile *of, const char *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = write(of->fd, p + off, n - off);

		if (w < 0) {
			int err = -errno;

			if (err == -EINTR)
				continue;
			drop_partial_line(of, p, off);
			if (err != -EPIPE)
				of->write_errors++;
			return report("write", outfile_name(of), err);
		}
		off += w;
		of->size += w;
	}
	return 0;
}

static int write_header(struct outfile *of)
{
	struct outbuf hdr;
	int err;

	of->need_header = false;
	if (!of->cfg.header)
		return 0;
	err = outbuf_init(&hdr, -1, HEADER_CAP);
	if (err)
		return report("write", outfile_name(of), err);
	of->cfg.header(of->cfg.ctx, &hdr);
	err = outbuf_error(&hdr);
	err = err ? report("write", outfile_name(of), -err) : write_all(of, hdr.buf, hdr.len);
	outbuf_free(&hdr);
	return err;
}

static int close_fd(struct outfile *of)
{
	if (of->fd == STDOUT_FILENO || !close(of->fd))
		return 0;
	return report("write", of->cfg.path, -errno);
}

int outfile_reopen(struct outfile *of)
{
	int old = of->fd, err;

	if (!of->cfg.path)
		return 0;
	err = open_path(of);
	if (err)
		return err;
	if (close(old))
		return report("write", of->cfg.path, -errno);
	of->rotations++;
	return 0;
}

/* FILE.(keep-1) -> FILE.keep, ..., FILE -> FILE.1, then a new FILE. */
static int rotate(struct outfile *of)
{
	size_t len = strlen(of->cfg.path) + 16;
	char *from = malloc(len), *to = malloc(len);
	int err = 0;

	if (!from || !to) {
		err = report("rotate", of->cfg.path, -ENOMEM);
		goto out;
	}
	for (unsigned int i = of->cfg.rotate_keep; i > 0 && !err; i--) {
		if (i > 1)
			snprintf(from, len, "%s.%u", of->cfg.path, i - 1);
		else
			snprintf(from, len, "%s", of->cfg.path);
		snprintf(to, len, "%s.%u", of->cfg.path, i);
		if (rename(from, to) && errno != ENOENT)
			err = report("rotate", from, -errno);
	}
	if (!err)
		err = outfile_reopen(of);
out:
	free(from);
	free(to);
	return err;
}

/* Whole lines (p ends with '\n'), rotating between them. */
static int write_lines(struct outfile *of, const char *p, size_t n)
{
	uint64_t limit = of->cfg.rotate_size;
	struct stat st;
	int err;

	/* Shrunk under us: logrotate's copytruncate; the file starts anew. */
	if (of->regular && !fstat(of->fd, &st)) {
		if ((uint64_t)st.st_size < of->size)
			of->need_header = true;
		of->size = st.st_size;
	}
	while (n) {
		size_t chunk = n;

		if (limit && of->size >= limit) {
			err = rotate(of);
			if (err)
				return err;
		}
		if (of->need_header) {
			err = write_header(of);
			if (err)
				return err;
		}
		/* Up to the end of the line that reaches the limit. */
		if (limit && of->size < limit && limit - of->size < n) {
			const char *nl = memchr(p + (limit - of->size) - 1, '\n',
						n - (limit - of->size) + 1);

			chunk = nl - p + 1;
		}
		err = write_all(of, p, chunk);
		if (err)
			return err;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

static int keep_tail(struct outfile *of, const char *p, size_t n)
{
	if (!n)
		return 0;
	if (of->tail_len + n > of->tail_cap) {
		size_t cap = (of->tail_len + n) * 2;
		char *t = realloc(of->tail, cap);

		if (!t)
			return report("write", outfile_name(of), -ENOMEM);
		of->tail = t;
		of->tail_cap = cap;
	}
	memcpy(of->tail + of->tail_len, p, n);
	of->tail_len += n;
	return 0;
}

int outfile_write(struct outfile *of, const char *p, size_t n)
{
	const char *last = memrchr(p, '\n', n);
	size_t whole;
	int err;

	if (!last)
		return keep_tail(of, p, n);
	whole = last - p + 1;
	if (of->tail_len) {
		/* The waiting line ends in p: it goes out in one piece. */
		size_t first = (const char *)memchr(p, '\n', n) - p + 1;

		err = keep_tail(of, p, first);
		if (!err)
			err = write_lines(of, of->tail, of->tail_len);
		if (err)
			return err;
		of->tail_len = 0;
		p += first;
		n -= first;
		whole -= first;
	}
	err = whole ? write_lines(of, p, whole) : 0;
	return err ? err : keep_tail(of, p + whole, n - whole);
}

int outfile_close(struct outfile *of)
{
	int err = 0;

	/* Output always ends its lines; this only keeps bytes that would be lost. */
	if (of->tail_len)
		err = write_all(of, of->tail, of->tail_len);
	free(of->tail);
	of->tail = NULL;
	of->tail_len = of->tail_cap = 0;
	if (close_fd(of) && !err)
		err = -EIO;
	return err;
}
