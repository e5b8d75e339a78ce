/*
 * A ring-buffer record is bytes the consumer does not trust. event_decode
 * must accept or refuse any of them without reading outside the record, and
 * whatever it accepts must format as one JSON line that jansson parses and
 * as one readable line of printable ASCII.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "event.h"
#include "format.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* Above the longest line a record can produce, so one event is never split by a flush. */
#define LINE_CAP (256 << 10)

static struct outbuf ob;
static struct wallclock wall;

static void check_json_line(const struct pl_event *ev)
{
	json_error_t err;
	json_t *o;

	CHECK(ob.len >= 2 && ob.buf[0] == '{' && ob.buf[ob.len - 1] == '\n');
	CHECK(!memchr(ob.buf, '\n', ob.len - 1));
	/* As reals, so numbers past jansson's int64 still parse: validity is what is checked. */
	o = json_loadb(ob.buf, ob.len - 1, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &err);
	if (!o)
		fprintf(stderr, "jansson: %s: %.*s\n", err.text, (int)ob.len, ob.buf);
	CHECK(o && json_is_object(o));
	CHECK(json_is_string(json_object_get(o, "type")));
	CHECK(!strcmp(json_string_value(json_object_get(o, "type")), event_type_name(ev->type)));
	CHECK(json_is_string(json_object_get(o, "comm")));
	json_decref(o);
}

static void check_text_line(void)
{
	CHECK(ob.len >= 1 && ob.buf[ob.len - 1] == '\n');
	for (size_t i = 0; i + 1 < ob.len; i++)
		CHECK((unsigned char)ob.buf[i] >= 0x20 && (unsigned char)ob.buf[i] < 0x7f);
}

static void format_both(const struct pl_event *ev, unsigned int max_args)
{
	struct formatter json = { .ob = &ob, .clock = &wall, .max_args = max_args, .json = true };
	struct formatter text = json;

	text.json = false;
	format_event(&json, ev);
	check_json_line(ev);
	CHECK(outbuf_flush(&ob) == 0);
	format_event(&text, ev);
	check_text_line();
	CHECK(outbuf_flush(&ob) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_event ev;

	if (!ob.buf) {
		int fd = open("/dev/null", O_WRONLY);

		CHECK(fd >= 0 && outbuf_init(&ob, fd, LINE_CAP) == 0);
		wallclock_init(&wall);
	}
	if (event_decode(data, size, &ev))
		return 0;
	format_both(&ev, 64);
	if (ev.type == PL_EV_EXEC)
		format_both(&ev, 1);
	/* The process model fills these in; any value must print. */
	if (ev.type == PL_EV_REAP) {
		ev.reap.zombie_ns = (int64_t)ev.start_ns;
		ev.reap.leaked = ev.pid & 1;
		format_both(&ev, 64);
	}
	return 0;
}
