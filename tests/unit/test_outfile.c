/*
 * Output files that live as long as a service: appended to, reopened,
 * rotated by size, truncated under us, and always whole lines, each file
 * beginning with its header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "outbuf.h"
#include "outfile.h"

struct dir {
	char path[64];
	char file[96];
	int headers;
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	strcpy(d->path, "/tmp/proclife-outfile-XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	snprintf(d->file, sizeof(d->file), "%s/out.jsonl", d->path);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd))
		return -1;
	free(d);
	return 0;
}

static void header(void *ctx, struct outbuf *into)
{
	struct dir *d = ctx;

	outbuf_printf(into, "H%d\n", ++d->headers);
}

/* The content of path, NUL-terminated (the caller frees it); NULL when absent. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void assert_content(const char *path, const char *want)
{
	char *got = slurp(path);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void put(struct outfile *of, const char *s)
{
	assert_int_equal(outfile_write(of, s, strlen(s)), 0);
}

/* What was there stays: copytruncate and restarts need O_APPEND, not O_TRUNC. */
static void test_appends(void **state)
{
	struct dir *d = *state;
	struct outfile_config cfg = { .path = d->file, .header = header, .ctx = d };
	struct outfile of;
	FILE *f = fopen(d->file, "w");

	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);
	assert_int_equal(outfile_open(&of, &cfg), 0);
	put(&of, "new\n");
	assert_int_equal(outfile_close(&of), 0);
	assert_content(d->file, "old\nH1\nnew\n");
}

/* A line reaches the file only once it ends, so nothing can cut it. */
static void test_whole_lines_only(void **state)
{
	struct dir *d = *state;
	struct outfile_config cfg = { .path = d->file };
	struct outfile of;

	assert_int_equal(outfile_open(&of, &cfg), 0);
	put(&of, "{\"a\":");
	assert_content(d->file, "");
	put(&of, "1}\n{\"b\"");
	assert_content(d->file, "{\"a\":1}\n");
	put(&of, ":2}\n{\"c\":3}\n");
	assert_content(d->file, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
	assert_int_equal(outfile_close(&of), 0);
}

/* logrotate's create mode: the file is renamed, SIGHUP reopens the path. */
static void test_reopen(void **state)
{
	struct dir *d = *state;
	struct outfile_config cfg = { .path = d->file, .header = header, .ctx = d };
	struct outfile of;
	char moved[128];

	snprintf(moved, sizeof(moved), "%s.1", d->file);
	assert_int_equal(outfile_open(&of, &cfg), 0);
	put(&of, "a\nb");
	assert_int_equal(rename(d->file, moved), 0);
	put(&of, "\n");
	assert_int_equal(outfile_reopen(&of), 0);
	put(&of, "c\n");
	assert_int_equal(outfile_close(&of), 0);
	assert_content(moved, "H1\na\nb\n");
	assert_content(d->file, "H2\nc\n");
	assert_int_equal(of.rotations, 1);
}

/* logrotate's copytruncate: writes go on at the new end, after a new header. */
static void test_truncated_under_us(void **state)
{
	struct dir *d = *state;
	struct outfile_config cfg = { .path = d->file, .header = header, .ctx = d };
	struct outfile of;

	assert_int_equal(outfile_open(&of, &cfg), 0);
	put(&of, "a\nb\n");
	assert_int_equal(truncate(d->file, 0), 0);
	put(&of, "c\n");
	assert_int_equal(outfile_close(&of), 0);
	/* No hole of NUL bytes where the old lines were. */
	assert_content(d->file, "H2\nc\n");
}

/* By size: between lines, FILE -> FILE.1 -> FILE.2, the oldest dropped. */
static void test_rotate_by_size(void **state)
{
	struct dir *d = *state;
	struct outfile_config cfg = {
		.path = d->file, .rotate_size = 10, .rotate_keep = 2, .header = header, .ctx = d,
	};
	struct outfile of;
	char name[128];

	assert_int_equal(outfile_open(&of, &cfg), 0);
	/* The line that reaches the limit stays whole; the next one begins a file. */
	put(&of, "0123\n4567\n89ab\ncdef\n");
	put(&of, "gh\nij\nkl\nmn\nop\nqr\nst\n");
	/* H1: 0123 4567, then H2: 89ab cdef, were dropped. */
	assert_int_equal(outfile_close(&of), 0);
	snprintf(name, sizeof(name), "%s.2", d->file);
	assert_content(name, "H3\ngh\nij\nkl\n");
	snprintf(name, sizeof(name), "%s.1", d->file);
	assert_content(name, "H4\nmn\nop\nqr\n");
	assert_content(d->file, "H5\nst\n");
	snprintf(name, sizeof(name), "%s.3", d->file);
	assert_null(slurp(name));
	assert_int_equal(of.rotations, 4);
}

/* A long line split across buffer flushes is still never split across files. */
static void test_rotate_keeps_lines_whole(void **state)
{
	struct dir *d = *state;
	struct outfile_config cfg = { .path = d->file, .rotate_size = 4096, .rotate_keep = 200 };
	struct outbuf ob;
	unsigned int lines = 0, files = 0;
	char name[128];

	assert_int_equal(outbuf_open_file(&ob, &cfg, 1000), 0);
	for (unsigned int i = 0; i < 2000; i++)
		outbuf_printf(&ob, "{\"n\":%u,\"pad\":\"%.*s\"}\n", i, (int)(i % 300), "x"
			      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_int_equal(outbuf_flush(&ob), 0);
	assert_int_equal(outbuf_close(&ob), 0);
	/* Newest first: counting down from the oldest gives the lines in order. */
	for (int k = 200; k >= 0; k--) {
		char *text, *line, *save;

		if (k)
			snprintf(name, sizeof(name), "%s.%d", d->file, k);
		else
			snprintf(name, sizeof(name), "%s", d->file);
		text = slurp(name);
		if (!text)
			continue;
		files++;
		/* At most the limit and the one line that reached it. */
		assert_true(strlen(text) < 4096 + 400);
		assert_int_equal(text[strlen(text) - 1], '\n');
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned int n;

			assert_int_equal(sscanf(line, "{\"n\":%u,", &n), 1);
			assert_int_equal(n, lines);
			assert_int_equal(line[strlen(line) - 1], '}');
			lines++;
		}
		free(text);
	}
	assert_int_equal(lines, 2000);
	assert_true(files > 10);
}

/* A full disk is a failure, told once and counted; a closed pipe is not. */
static void test_write_errors(void **state)
{
	struct outfile_config cfg = { .path = "/dev/full" };
	struct outfile of;
	int fds[2];

	(void)state;
	assert_int_equal(outfile_open(&of, &cfg), 0);
	assert_int_equal(outfile_write(&of, "a\n", 2), -ENOSPC);
	assert_int_equal(of.write_errors, 1);
	outfile_close(&of);

	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(outfile_open(&of, &(struct outfile_config){ 0 }), 0);
	of.fd = fds[1];
	assert_int_equal(outfile_write(&of, "a\n", 2), -EPIPE);
	assert_int_equal(of.write_errors, 0);
	close(fds[1]);
	of.fd = -1;
	free(of.tail);
}

/* A header larger than any start line so far: whole, however long. */
#define BIG_HEADER (64 << 10)

static void big_header(void *ctx, struct outbuf *into)
{
	(void)ctx;
	for (int i = 0; i < BIG_HEADER; i++)
		outbuf_putc(into, 'h');
	outbuf_putc(into, '\n');
}

static void test_big_header(void **state)
{
	struct dir *d = *state;
	struct outfile_config cfg = { .path = d->file, .header = big_header };
	struct outfile of;
	char *got;

	assert_int_equal(outfile_open(&of, &cfg), 0);
	put(&of, "a\n");
	assert_int_equal(outfile_close(&of), 0);
	got = slurp(d->file);
	assert_non_null(got);
	assert_int_equal(strlen(got), BIG_HEADER + 3);
	assert_int_equal(strspn(got, "h"), BIG_HEADER);
	assert_string_equal(got + BIG_HEADER, "\na\n");
	free(got);
}

/* Rotation renames files: only a regular file can be rotated. */
static void test_rotate_needs_a_file(void **state)
{
	struct outfile_config cfg = { .path = "/dev/null", .rotate_size = 4096, .rotate_keep = 1 };
	struct outfile of;

	(void)state;
	assert_int_equal(outfile_open(&of, &cfg), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_appends),
		T(test_whole_lines_only),
		T(test_reopen),
		T(test_truncated_under_us),
		T(test_rotate_by_size),
		T(test_rotate_keeps_lines_whole),
		T(test_write_errors),
		T(test_rotate_needs_a_file),
		T(test_big_header),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
