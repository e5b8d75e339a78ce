/*
 * The JSON string escaper and object writer: every output must be exactly
 * the documented escaping and must parse back (jansson) to the expected
 * string, whatever bytes came in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "json.h"
#include "outbuf.h"

/* U+FFFD as UTF-8, the replacement for every byte of an invalid sequence. */
#define R "\xef\xbf\xbd"
/* A string literal and its length, embedded NULs included. */
#define S(x) x, sizeof(x) - 1

/* An outbuf over an anonymous file, read back once the writing is done. */
struct capture {
	int fd;
	struct outbuf ob;
};

static void capture_open(struct capture *c, size_t cap)
{
	c->fd = memfd_create("json-test", 0);
	assert_true(c->fd >= 0);
	assert_int_equal(outbuf_init(&c->ob, c->fd, cap), 0);
}

/* Flushes, returns everything written (NUL-terminated, caller frees) and closes. */
static char *capture_take(struct capture *c, size_t *len)
{
	struct stat st;
	char *buf;

	assert_int_equal(outbuf_flush(&c->ob), 0);
	assert_int_equal(outbuf_error(&c->ob), 0);
	assert_int_equal(fstat(c->fd, &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(c->fd, buf, st.st_size, 0), st.st_size);
	buf[st.st_size] = '\0';
	*len = st.st_size;
	outbuf_free(&c->ob);
	close(c->fd);
	return buf;
}

static char *escape(const char *in, size_t n, size_t cap, size_t *len)
{
	struct capture c;

	capture_open(&c, cap);
	json_put_string(&c.ob, in, n);
	return capture_take(&c, len);
}

/* A JSON string value stays on one line and holds no raw control bytes. */
static void assert_no_raw_controls(const char *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = out[i];

		if (c < 0x20 || c == 0x7f)
			fail_msg("raw byte 0x%02x at offset %zu of the output", c, i);
	}
}

static void assert_decodes_to(const char *out, size_t len, const char *want, size_t want_len)
{
	json_error_t err;
	json_t *j = json_loadb(out, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

	if (!j)
		fail_msg("jansson rejects %.*s: %s", (int)len, out, err.text);
	assert_true(json_is_string(j));
	assert_int_equal(json_string_length(j), want_len);
	if (want_len)
		assert_memory_equal(json_string_value(j), want, want_len);
	json_decref(j);
}

/*
 * in escapes to exactly json (quotes included), which parses back to
 * decoded; through a tiny outbuf and a roomy one, so flushing in the middle
 * of an escape changes nothing.
 */
static void expect(const char *in, size_t in_len, const char *json, size_t json_len,
		   const char *decoded, size_t decoded_len)
{
	static const size_t caps[] = { 1, 3, 4096 };

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		size_t len;
		char *out = escape(in, in_len, caps[i], &len);

		assert_int_equal(len, json_len);
		assert_memory_equal(out, json, json_len);
		assert_no_raw_controls(out, len);
		assert_decodes_to(out, len, decoded, decoded_len);
		free(out);
	}
}

/* For input that must come back unchanged. */
static void expect_same(const char *in, size_t in_len, const char *json, size_t json_len)
{
	expect(in, in_len, json, json_len, in, in_len);
}

static void test_plain_ascii(void **state)
{
	(void)state;
	expect_same(S(""), S("\"\""));
	expect_same(S("bash"), S("\"bash\""));
	expect_same(S(" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~"),
		    S("\" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~\""));
}

static void test_quotes_and_backslashes(void **state)
{
	(void)state;
	expect_same(S("\""), S("\"\\\"\""));
	expect_same(S("\\"), S("\"\\\\\""));
	expect_same(S("say \"hi\" to C:\\tmp\\"), S("\"say \\\"hi\\\" to C:\\\\tmp\\\\\""));
	/* A backslash that looks like an escape is kept literal. */
	expect_same(S("\\n\\u0041"), S("\"\\\\n\\\\u0041\""));
}

static void test_short_escapes(void **state)
{
	(void)state;
	expect_same(S("a\nb"), S("\"a\\nb\""));
	expect_same(S("\r\n"), S("\"\\r\\n\""));
	expect_same(S("\tx\t"), S("\"\\tx\\t\""));
	expect_same(S("\b"), S("\"\\b\""));
	expect_same(S("\f"), S("\"\\f\""));
}

static void test_other_control_bytes(void **state)
{
	static const char hex[] = "0123456789abcdef";

	(void)state;
	expect_same(S("\x01"), S("\"\\u0001\""));
	expect_same(S("\x0b"), S("\"\\u000b\""));
	expect_same(S("\x1b[2J"), S("\"\\u001b[2J\""));
	expect_same(S("\x1f"), S("\"\\u001f\""));
	for (int c = 1; c < 0x20; c++) {
		char in[1] = { (char)c };
		char json[9] = { '"', '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf], '"' };
		size_t json_len = 8;

		switch (c) {
		case '\n': memcpy(json, "\"\\n\"", 4); json_len = 4; break;
		case '\r': memcpy(json, "\"\\r\"", 4); json_len = 4; break;
		case '\t': memcpy(json, "\"\\t\"", 4); json_len = 4; break;
		case '\b': memcpy(json, "\"\\b\"", 4); json_len = 4; break;
		case '\f': memcpy(json, "\"\\f\"", 4); json_len = 4; break;
		}
		expect_same(in, 1, json, json_len);
	}
}

static void test_del(void **state)
{
	(void)state;
	expect_same(S("\x7f"), S("\"\\u007f\""));
	expect_same(S("a\x7f" "b"), S("\"a\\u007fb\""));
}

static void test_embedded_nul(void **state)
{
	(void)state;
	expect_same(S("\0"), S("\"\\u0000\""));
	expect_same(S("a\0b\0"), S("\"a\\u0000b\\u0000\""));
}

static void test_valid_utf8_passes_through(void **state)
{
	static const char *const seqs[] = {
		"\xc2\x80",		/* U+0080, the smallest 2-byte */
		"\xc3\xa9",		/* é */
		"\xdf\xbf",		/* U+07FF */
		"\xe0\xa0\x80",		/* U+0800, the smallest 3-byte */
		"\xe2\x82\xac",		/* € */
		"\xed\x9f\xbf",		/* U+D7FF, just below the surrogates */
		"\xee\x80\x80",		/* U+E000, just above them */
		"\xef\xbf\xbd",		/* U+FFFD itself */
		"\xef\xbf\xbf",		/* U+FFFF */
		"\xf0\x90\x80\x80",	/* U+10000, the smallest 4-byte */
		"\xf0\x9f\x98\x80",	/* 😀 */
		"\xf4\x8f\xbf\xbf",	/* U+10FFFF, the largest code point */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		char in[16], json[32];
		size_t n = strlen(seqs[i]);

		/* Alone, and between ASCII so sequence boundaries are exercised. */
		json[0] = '"';
		memcpy(json + 1, seqs[i], n);
		json[n + 1] = '"';
		expect_same(seqs[i], n, json, n + 2);
		snprintf(in, sizeof(in), "a%sb", seqs[i]);
		snprintf(json, sizeof(json), "\"a%sb\"", seqs[i]);
		expect_same(in, n + 2, json, n + 4);
	}
	expect_same(S("gr\xc3\xbc\xc3\x9f" "e \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x90\xa7"),
		    S("\"gr\xc3\xbc\xc3\x9f" "e \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x90\xa7\""));
}

static void test_invalid_lone_continuation(void **state)
{
	(void)state;
	expect(S("\x80"), S("\"" R "\""), S(R));
	expect(S("a\xbf" "b"), S("\"a" R "b\""), S("a" R "b"));
	expect(S("\xc3\xa9\xa9"), S("\"\xc3\xa9" R "\""), S("\xc3\xa9" R));
}

static void test_invalid_truncated_sequence(void **state)
{
	(void)state;
	/* At the end of the string: each byte of the stump is replaced. */
	expect(S("a\xc3"), S("\"a" R "\""), S("a" R));
	expect(S("a\xe2\x82"), S("\"a" R R "\""), S("a" R R));
	expect(S("\xf0\x9f\x98"), S("\"" R R R "\""), S(R R R));
	/* Cut short by ASCII, by a quote or by another lead byte. */
	expect(S("\xe2\x82" "A"), S("\"" R R "A\""), S(R R "A"));
	expect(S("\xc3\""), S("\"" R "\\\"\""), S(R "\""));
	expect(S("\xe2\xc3\xa9"), S("\"" R "\xc3\xa9\""), S(R "\xc3\xa9"));
}

static void test_invalid_overlong(void **state)
{
	(void)state;
	expect(S("\xc0\xaf"), S("\"" R R "\""), S(R R));
	expect(S("\xc1\xbf"), S("\"" R R "\""), S(R R));
	expect(S("\xc0\x80"), S("\"" R R "\""), S(R R));
	expect(S("\xe0\x80\xaf"), S("\"" R R R "\""), S(R R R));
	expect(S("\xe0\x9f\xbf"), S("\"" R R R "\""), S(R R R));
	expect(S("\xf0\x80\x80\xaf"), S("\"" R R R R "\""), S(R R R R));
	expect(S("\xf0\x8f\xbf\xbf"), S("\"" R R R R "\""), S(R R R R));
}

static void test_invalid_surrogates(void **state)
{
	(void)state;
	expect(S("\xed\xa0\x80"), S("\"" R R R "\""), S(R R R));
	expect(S("\xed\xbf\xbf"), S("\"" R R R "\""), S(R R R));
	/* A CESU-8 pair for U+1F600. */
	expect(S("\xed\xa0\xbd\xed\xb8\x80"), S("\"" R R R R R R "\""), S(R R R R R R));
}

static void test_invalid_above_max_code_point(void **state)
{
	(void)state;
	expect(S("\xf4\x90\x80\x80"), S("\"" R R R R "\""), S(R R R R));
	expect(S("\xf4\xbf\xbf\xbf"), S("\"" R R R R "\""), S(R R R R));
}

static void test_invalid_lead_bytes_f5_to_ff(void **state)
{
	(void)state;
	for (int c = 0xf5; c <= 0xff; c++) {
		char in[2] = { (char)c, 'x' };

		expect(in, 1, S("\"" R "\""), S(R));
		expect(in, 2, S("\"" R "x\""), S(R "x"));
	}
	expect(S("\xf5\x80\x80\x80"), S("\"" R R R R "\""), S(R R R R));
	expect(S("\xfe\xff"), S("\"" R R "\""), S(R R));
}

/*
 * A chunk with every kind of byte, repeated past 1 MiB and written through
 * a 4 KiB outbuf: the escaper must neither drop nor reorder anything while
 * the buffer flushes hundreds of times.
 */
static void test_long_string(void **state)
{
	static const char chunk_in[] =
		"plain text, \"quoted\" \\ back\nline\ttab\x01\x7f "
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 bad:\x80\xed\xa0\x80\xc3|";
	static const char chunk_out[] =
		"plain text, \"quoted\" \\ back\nline\ttab\x01\x7f "
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 bad:" R R R R R "|";
	const size_t in_chunk = sizeof(chunk_in) - 1, out_chunk = sizeof(chunk_out) - 1;
	const size_t reps = (1 << 20) / in_chunk + 1;
	char *in = malloc(reps * in_chunk), *want = malloc(reps * out_chunk), *out;
	size_t len;

	(void)state;
	assert_non_null(in);
	assert_non_null(want);
	for (size_t i = 0; i < reps; i++) {
		memcpy(in + i * in_chunk, chunk_in, in_chunk);
		memcpy(want + i * out_chunk, chunk_out, out_chunk);
	}
	out = escape(in, reps * in_chunk, 4096, &len);
	assert_true(len > reps * in_chunk);
	assert_no_raw_controls(out, len);
	assert_decodes_to(out, len, want, reps * out_chunk);
	free(out);

	/* One long run with nothing to escape goes out in capacity-sized pieces. */
	memset(in, 'x', reps * in_chunk);
	out = escape(in, reps * in_chunk, 4096, &len);
	assert_int_equal(len, reps * in_chunk + 2);
	assert_int_equal(out[0], '"');
	assert_int_equal(out[len - 1], '"');
	assert_decodes_to(out, len, in, reps * in_chunk);
	free(out);
	free(in);
	free(want);
}

static void test_object_writer_exact(void **state)
{
	struct capture c;
	struct jw w;
	size_t len;
	char *out;

	(void)state;
	capture_open(&c, 16);
	jw_begin(&w, &c.ob);
	jw_cstr(&w, "type", "fork");
	jw_str(&w, "s", S("a\0\"b"));
	jw_u64(&w, "big", UINT64_MAX);
	jw_i64(&w, "neg", INT64_MIN);
	jw_u64(&w, "zero", 0);
	jw_bool(&w, "t", true);
	jw_bool(&w, "f", false);
	jw_key(&w, "raw");
	outbuf_puts(&c.ob, "[]");
	jw_end(&w);
	jw_begin(&w, &c.ob);
	jw_end(&w);
	out = capture_take(&c, &len);
	assert_string_equal(out,
		"{\"type\":\"fork\",\"s\":\"a\\u0000\\\"b\",\"big\":18446744073709551615,"
		"\"neg\":-9223372036854775808,\"zero\":0,\"t\":true,\"f\":false,\"raw\":[]}\n"
		"{}\n");
	free(out);
}

static void test_object_writer_parses(void **state)
{
	struct capture c;
	json_error_t err;
	struct jw w;
	json_t *o;
	size_t len;
	char *out;

	(void)state;
	capture_open(&c, 4096);
	jw_begin(&w, &c.ob);
	jw_cstr(&w, "comm", "evil\n\"name\x1b");
	jw_u64(&w, "pid", 4194304);
	jw_i64(&w, "delta", -42);
	jw_i64(&w, "max", INT64_MAX);
	jw_bool(&w, "thread", true);
	jw_end(&w);
	out = capture_take(&c, &len);
	assert_int_equal(out[len - 1], '\n');
	assert_null(memchr(out, '\n', len - 1));
	o = json_loadb(out, len, 0, &err);
	if (!o)
		fail_msg("jansson rejects %s: %s", out, err.text);
	assert_int_equal(json_object_size(o), 5);
	assert_string_equal(json_string_value(json_object_get(o, "comm")), "evil\n\"name\x1b");
	assert_int_equal(json_integer_value(json_object_get(o, "pid")), 4194304);
	assert_int_equal(json_integer_value(json_object_get(o, "delta")), -42);
	assert_true(json_integer_value(json_object_get(o, "max")) == INT64_MAX);
	assert_true(json_is_true(json_object_get(o, "thread")));
	json_decref(o);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_ascii),
		cmocka_unit_test(test_quotes_and_backslashes),
		cmocka_unit_test(test_short_escapes),
		cmocka_unit_test(test_other_control_bytes),
		cmocka_unit_test(test_del),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_valid_utf8_passes_through),
		cmocka_unit_test(test_invalid_lone_continuation),
		cmocka_unit_test(test_invalid_truncated_sequence),
		cmocka_unit_test(test_invalid_overlong),
		cmocka_unit_test(test_invalid_surrogates),
		cmocka_unit_test(test_invalid_above_max_code_point),
		cmocka_unit_test(test_invalid_lead_bytes_f5_to_ff),
		cmocka_unit_test(test_long_string),
		cmocka_unit_test(test_object_writer_exact),
		cmocka_unit_test(test_object_writer_parses),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
