/*
 * json_put_string on arbitrary bytes must give one JSON string, with no raw
 * control byte, that jansson decodes to the input with every byte outside
 * a well-formed UTF-8 sequence replaced by U+FFFD; and the bytes written
 * must not depend on the size of the outbuf they go through.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <jansson.h>
#include "json.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/*
 * Length of the well-formed UTF-8 sequence at s, or 0: the Unicode
 * Standard's table 3-7, kept apart from json.c's own reasoning on purpose.
 */
static size_t well_formed(const uint8_t *s, size_t n)
{
	static const struct { uint8_t first_lo, first_hi, second_lo, second_hi, len; } rows[] = {
		{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
		{ 0xe0, 0xe0, 0xa0, 0xbf, 3 },
		{ 0xe1, 0xec, 0x80, 0xbf, 3 },
		{ 0xed, 0xed, 0x80, 0x9f, 3 },
		{ 0xee, 0xef, 0x80, 0xbf, 3 },
		{ 0xf0, 0xf0, 0x90, 0xbf, 4 },
		{ 0xf1, 0xf3, 0x80, 0xbf, 4 },
		{ 0xf4, 0xf4, 0x80, 0x8f, 4 },
	};

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		if (s[0] < rows[r].first_lo || s[0] > rows[r].first_hi)
			continue;
		if (n < rows[r].len || s[1] < rows[r].second_lo || s[1] > rows[r].second_hi)
			return 0;
		for (size_t i = 2; i < rows[r].len; i++)
			if (s[i] < 0x80 || s[i] > 0xbf)
				return 0;
		return rows[r].len;
	}
	return 0;
}

/* What the escaped string must decode to; *len gets its length. */
static char *expected(const uint8_t *s, size_t n, size_t *len)
{
	char *out = malloc(3 * n + 1);
	size_t o = 0;

	CHECK(out);
	for (size_t i = 0; i < n;) {
		size_t w = s[i] < 0x80 ? 1 : well_formed(s + i, n - i);

		if (w) {
			memcpy(out + o, s + i, w);
			o += w;
			i += w;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	*len = o;
	return out;
}

/* Escapes through an outbuf of capacity cap over fd; returns the bytes written. */
static size_t escape_to(int fd, size_t cap, const uint8_t *data, size_t size)
{
	struct outbuf ob;

	CHECK(lseek(fd, 0, SEEK_SET) == 0 && ftruncate(fd, 0) == 0);
	CHECK(outbuf_init(&ob, fd, cap) == 0);
	json_put_string(&ob, (const char *)data, size);
	CHECK(outbuf_flush(&ob) == 0);
	outbuf_free(&ob);
	return lseek(fd, 0, SEEK_CUR);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	size_t want_len, small;
	struct outbuf ob;
	json_error_t err;
	char *again, *want;
	json_t *j;

	if (fd < 0)
		CHECK((fd = memfd_create("fuzz-json", 0)) >= 0);
	/* Room for the worst case, six bytes per input byte: nothing is flushed. */
	CHECK(outbuf_init(&ob, -1, 6 * size + 2) == 0);
	json_put_string(&ob, (const char *)data, size);

	CHECK(ob.len >= 2 && ob.buf[0] == '"' && ob.buf[ob.len - 1] == '"');
	for (size_t i = 0; i < ob.len; i++)
		CHECK((unsigned char)ob.buf[i] >= 0x20 && ob.buf[i] != 0x7f);
	j = json_loadb(ob.buf, ob.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!j)
		fprintf(stderr, "jansson: %s\n", err.text);
	CHECK(j && json_is_string(j));
	want = expected(data, size, &want_len);
	CHECK(json_string_length(j) == want_len);
	CHECK(memcmp(json_string_value(j), want, want_len) == 0);
	json_decref(j);
	free(want);

	/*
	 * Flushing every few bytes, in the middle of escapes, changes nothing;
	 * the capacity grows with the input to bound the writes per run.
	 */
	small = (size ? data[0] % 7 : 0) + 1 + size / 16;
	CHECK(escape_to(fd, small, data, size) == ob.len);
	again = malloc(ob.len);
	CHECK(again && pread(fd, again, ob.len, 0) == (ssize_t)ob.len);
	CHECK(memcmp(ob.buf, again, ob.len) == 0);
	free(again);
	outbuf_free(&ob);
	return 0;
}
