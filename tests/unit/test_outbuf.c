/* The buffered writer: when bytes reach the file, and errors that stick. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "outbuf.h"

static int memfd(void)
{
	int fd = memfd_create("outbuf-test", 0);

	assert_true(fd >= 0);
	return fd;
}

/* How many bytes have reached the file so far. */
static size_t written(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_size;
}

/* The file's whole content, NUL-terminated; the caller frees it. */
static char *contents(int fd)
{
	size_t n = written(fd);
	char *buf = malloc(n + 1);

	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, n, 0), n);
	buf[n] = '\0';
	return buf;
}

static void test_nothing_written_before_flush(void **state)
{
	struct outbuf ob;
	int fd = memfd();
	char *got;

	(void)state;
	assert_int_equal(outbuf_init(&ob, fd, 64), 0);
	outbuf_puts(&ob, "hello ");
	outbuf_putc(&ob, 'w');
	outbuf_write(&ob, "orld", 4);
	assert_int_equal(written(fd), 0);
	assert_int_equal(ob.len, 11);
	assert_int_equal(outbuf_flush(&ob), 0);
	assert_int_equal(ob.len, 0);
	got = contents(fd);
	assert_string_equal(got, "hello world");
	free(got);
	/* Flushing an empty buffer writes nothing and succeeds. */
	assert_int_equal(outbuf_flush(&ob), 0);
	assert_int_equal(written(fd), 11);
	outbuf_free(&ob);
	assert_null(ob.buf);
	close(fd);
}

static void test_full_buffer_flushes_itself(void **state)
{
	struct outbuf ob;
	int fd = memfd();
	char *got;

	(void)state;
	assert_int_equal(outbuf_init(&ob, fd, 8), 0);
	outbuf_write(&ob, "12345678", 8);
	assert_int_equal(written(fd), 0);
	/* One more byte does not fit: what was buffered goes out first. */
	outbuf_putc(&ob, '9');
	assert_int_equal(written(fd), 8);
	outbuf_write(&ob, "abcdefg", 7);
	assert_int_equal(written(fd), 8);
	outbuf_write(&ob, "hi", 2);
	assert_int_equal(written(fd), 16);
	assert_int_equal(ob.len, 2);
	assert_int_equal(outbuf_flush(&ob), 0);
	got = contents(fd);
	assert_string_equal(got, "123456789abcdefghi");
	free(got);
	outbuf_free(&ob);
	close(fd);
}

static void test_write_larger_than_capacity(void **state)
{
	char big[1000];
	struct outbuf ob;
	int fd = memfd();
	char *got;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = 'a' + i % 26;
	assert_int_equal(outbuf_init(&ob, fd, 64), 0);
	outbuf_puts(&ob, "<");
	outbuf_write(&ob, big, sizeof(big));
	/* Everything but a tail shorter than the capacity is out already. */
	assert_true(ob.len <= ob.cap);
	assert_int_equal(written(fd) + ob.len, 1 + sizeof(big));
	outbuf_puts(&ob, ">");
	assert_int_equal(outbuf_flush(&ob), 0);
	got = contents(fd);
	assert_int_equal(strlen(got), sizeof(big) + 2);
	assert_int_equal(got[0], '<');
	assert_memory_equal(got + 1, big, sizeof(big));
	assert_int_equal(got[sizeof(big) + 1], '>');
	free(got);
	outbuf_free(&ob);
	close(fd);
}

static void test_numbers(void **state)
{
	struct outbuf ob;
	int fd = memfd();
	char *got;

	(void)state;
	assert_int_equal(outbuf_init(&ob, fd, 7), 0);
	outbuf_u64(&ob, 0);
	outbuf_putc(&ob, ' ');
	outbuf_u64(&ob, 42);
	outbuf_putc(&ob, ' ');
	outbuf_u64(&ob, UINT64_MAX);
	outbuf_putc(&ob, ' ');
	outbuf_i64(&ob, -1);
	outbuf_putc(&ob, ' ');
	outbuf_i64(&ob, INT64_MIN);
	outbuf_putc(&ob, ' ');
	outbuf_i64(&ob, INT64_MAX);
	assert_int_equal(outbuf_flush(&ob), 0);
	got = contents(fd);
	assert_string_equal(got,
		"0 42 18446744073709551615 -1 -9223372036854775808 9223372036854775807");
	free(got);
	outbuf_free(&ob);
	close(fd);
}

static void test_printf(void **state)
{
	char longer[1000];
	struct outbuf ob;
	int fd = memfd();
	char *got;

	(void)state;
	memset(longer, 'z', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(outbuf_init(&ob, fd, 4096), 0);
	outbuf_printf(&ob, "%s=%d %.3f|", "x", -7, 1.5);
	assert_int_equal(outbuf_flush(&ob), 0);
	got = contents(fd);
	assert_string_equal(got, "x=-7 1.500|");
	free(got);
	/* A line too long for printf's scratch space is cut, not overrun. */
	outbuf_printf(&ob, "%s", longer);
	assert_int_equal(outbuf_flush(&ob), 0);
	assert_int_equal(written(fd), strlen("x=-7 1.500|") + 511);
	outbuf_free(&ob);
	close(fd);
}

/*
 * A reader that went away: the first write fails with EPIPE (SIGPIPE is
 * ignored, as proclife does), and from then on nothing reaches any file,
 * not even one that would accept it.
 */
static void test_sticky_error_after_closed_pipe(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct outbuf ob;
	int p[2], fd = memfd();

	(void)state;
	assert_int_equal(sigaction(SIGPIPE, &ign, &old), 0);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(outbuf_init(&ob, p[1], 16), 0);
	outbuf_puts(&ob, "lost");
	assert_int_equal(outbuf_error(&ob), 0);
	assert_int_equal(outbuf_flush(&ob), -EPIPE);
	assert_int_equal(outbuf_error(&ob), EPIPE);
	assert_int_equal(ob.len, 0);

	ob.fd = fd;
	outbuf_puts(&ob, "more than sixteen bytes, which forces a flush");
	outbuf_putc(&ob, '!');
	outbuf_u64(&ob, 12345);
	assert_int_equal(outbuf_flush(&ob), -EPIPE);
	assert_int_equal(outbuf_error(&ob), EPIPE);
	assert_int_equal(written(fd), 0);

	outbuf_free(&ob);
	close(p[1]);
	close(fd);
	assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
}

/* The error of a flush that a full buffer triggers sticks just the same. */
static void test_sticky_error_from_implicit_flush(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct outbuf ob;
	int p[2];

	(void)state;
	assert_int_equal(sigaction(SIGPIPE, &ign, &old), 0);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(outbuf_init(&ob, p[1], 4), 0);
	outbuf_write(&ob, "1234", 4);
	assert_int_equal(outbuf_error(&ob), 0);
	outbuf_write(&ob, "5", 1);
	assert_int_equal(outbuf_error(&ob), EPIPE);
	outbuf_write(&ob, "a write larger than the buffer", 30);
	assert_int_equal(outbuf_error(&ob), EPIPE);
	assert_int_equal(outbuf_flush(&ob), -EPIPE);
	outbuf_free(&ob);
	close(p[1]);
	assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
}

static void test_error_of_a_bad_descriptor(void **state)
{
	struct outbuf ob;
	int fd = open("/dev/null", O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(outbuf_init(&ob, fd, 16), 0);
	outbuf_puts(&ob, "x");
	assert_int_equal(outbuf_flush(&ob), -EBADF);
	assert_int_equal(outbuf_error(&ob), EBADF);
	outbuf_free(&ob);
	close(fd);
}

/* With no descriptor it is a string: it grows, nothing is ever cut. */
static void test_in_memory_grows(void **state)
{
	struct outbuf ob;
	char big[100];

	(void)state;
	memset(big, 'b', sizeof(big));
	assert_int_equal(outbuf_init(&ob, -1, 4), 0);
	outbuf_puts(&ob, "abc");
	outbuf_putc(&ob, 'd');
	outbuf_putc(&ob, 'e');
	outbuf_write(&ob, big, sizeof(big));
	assert_null(outbuf_room(&ob, 1000));
	outbuf_u64(&ob, 42);
	assert_int_equal(outbuf_flush(&ob), 0);
	assert_int_equal(ob.len, 5 + sizeof(big) + 2);
	assert_memory_equal(ob.buf, "abcde", 5);
	assert_memory_equal(ob.buf + 5, big, sizeof(big));
	assert_memory_equal(ob.buf + 5 + sizeof(big), "42", 2);
	assert_int_equal(outbuf_error(&ob), 0);
	outbuf_free(&ob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_written_before_flush),
		cmocka_unit_test(test_full_buffer_flushes_itself),
		cmocka_unit_test(test_write_larger_than_capacity),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_sticky_error_after_closed_pipe),
		cmocka_unit_test(test_sticky_error_from_implicit_flush),
		cmocka_unit_test(test_error_of_a_bad_descriptor),
		cmocka_unit_test(test_in_memory_grows),
	};

	return cmocka_run_group_tests_name("outbuf", tests, NULL, NULL);
}
