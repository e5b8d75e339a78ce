/*
 * Who wrote a trace: the start line every file begins with, and the host
 * fields that make pid keys unique across a fleet.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <cmocka.h>
#include "format.h"
#include "hostid.h"

#define BOOT_ID "0f6ad2a4-5b5e-4c1f-9d5e-2c7a3e1b9f00"

/* A boot id file with content, in a temporary file whose name is path. */
static void boot_id_file(char path[64], const char *content)
{
	int fd;

	strcpy(path, "/tmp/proclife-bootid-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), strlen(content));
	close(fd);
}

/* Lines a formatter writes with host h, parsed. */
static json_t *lines_with(struct host_id *h, bool host_fields, void (*write)(struct formatter *f))
{
	struct wallclock clock = { .boot_to_real_ns = 1795240020ULL * 1000000000ULL, .cached_sec = -1 };
	struct outbuf ob;
	struct formatter f = { .ob = &ob, .clock = &clock, .json = true, .host = h,
			       .host_fields = host_fields };
	int fd = memfd_create("hostid-test", 0);
	char *text, *line, *save;
	json_t *lines = json_array();
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(outbuf_init(&ob, fd, 4096), 0);
	write(&f);
	assert_int_equal(outbuf_flush(&ob), 0);
	outbuf_free(&ob);
	assert_int_equal(fstat(fd, &st), 0);
	text = calloc(1, st.st_size + 1);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, st.st_size, 0), st.st_size);
	close(fd);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);

		if (!o)
			fail_msg("not JSON (%s): %s", err.text, line);
		json_array_append_new(lines, o);
	}
	free(text);
	return lines;
}

/* The same with this host's identity and a fake boot id. */
static json_t *lines_of(bool host_fields, void (*write)(struct formatter *f))
{
	struct host_id h;
	char path[64];
	json_t *lines;

	boot_id_file(path, BOOT_ID "\n");
	assert_int_equal(host_id_read(&h, path), 0);
	unlink(path);
	lines = lines_with(&h, host_fields, write);
	host_id_free(&h);
	return lines;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void write_start(struct formatter *f)
{
	format_begin(f);
}

static void write_events(struct formatter *f)
{
	struct pl_event ev = { .type = PL_EV_FORK, .ts_ns = 5, .pid = 10, .tid = 10, .ppid = 1 };

	format_event(f, &ev);
	format_lost(f, 6, 3);
}

static void test_start_line(void **state)
{
	json_t *lines = lines_of(false, write_start), *o = json_array_get(lines, 0);
	struct utsname u;

	(void)state;
	assert_int_equal(uname(&u), 0);
	assert_int_equal(json_array_size(lines), 1);
	assert_string_equal(str(o, "type"), "start");
	assert_int_equal(strlen(str(o, "time")), 30);
	assert_string_equal(str(o, "host"), u.nodename);
	assert_string_equal(str(o, "boot_id"), BOOT_ID);
	assert_string_equal(str(o, "kernel"), u.release);
	assert_string_equal(str(o, "version"), PROCLIFE_VERSION);
	assert_int_equal(json_integer_value(json_object_get(o, "schema")), PL_SCHEMA_VERSION);
	json_decref(lines);
}

/* --host-fields: every line says which boot of which host its pids belong to. */
static void test_host_fields(void **state)
{
	json_t *with = lines_of(true, write_events), *without = lines_of(false, write_events), *o;
	struct utsname u;
	size_t i;

	(void)state;
	assert_int_equal(uname(&u), 0);
	assert_int_equal(json_array_size(with), 2);
	json_array_foreach(with, i, o) {
		assert_string_equal(str(o, "host"), u.nodename);
		assert_string_equal(str(o, "boot_id"), BOOT_ID);
	}
	json_array_foreach(without, i, o) {
		assert_null(json_object_get(o, "host"));
		assert_null(json_object_get(o, "boot_id"));
	}
	json_decref(with);
	json_decref(without);
}

static void write_start_and_events(struct formatter *f)
{
	write_start(f);
	write_events(f);
}

/*
 * Whatever bytes a host name holds (sethostname takes any 64), every line
 * stays whole JSON and says it: control bytes escaped (six bytes each),
 * bytes that are not UTF-8 as U+FFFD. The kernel release and boot id too.
 */
static void hostile(char *s, size_t n, bool control)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)(control ? 1 + i % 31 : 0xf8 + i % 8);
	s[n] = '\0';
}

static void assert_said(const char *got, const char *sent, bool control)
{
	size_t n = strlen(sent);

	if (control) {
		assert_string_equal(got, sent);
		return;
	}
	assert_int_equal(strlen(got), 3 * n);
	for (size_t i = 0; i < n; i++)
		assert_memory_equal(got + 3 * i, "\xef\xbf\xbd", 3);
}

static void test_hostile_names(void **state)
{
	(void)state;
	for (int control = 0; control <= 1; control++) {
		struct host_id h = { 0 };
		json_t *lines, *o;
		size_t i;

		hostile(h.host, sizeof(h.host) - 1, control);
		hostile(h.kernel, sizeof(h.kernel) - 1, control);
		hostile(h.boot_id, sizeof(h.boot_id) - 1, control);
		assert_int_equal(host_id_render(&h), 0);
		lines = lines_with(&h, true, write_start_and_events);
		assert_int_equal(json_array_size(lines), 3);
		json_array_foreach(lines, i, o) {
			assert_said(str(o, "host"), h.host, control);
			assert_said(str(o, "boot_id"), h.boot_id, control);
		}
		o = json_array_get(lines, 0);
		assert_string_equal(str(o, "type"), "start");
		assert_said(str(o, "kernel"), h.kernel, control);
		assert_string_equal(str(o, "version"), PROCLIFE_VERSION);
		json_decref(lines);
		host_id_free(&h);
	}
}

static void test_bad_boot_id(void **state)
{
	struct host_id h;
	char path[64];

	(void)state;
	boot_id_file(path, "short\n");
	assert_int_equal(host_id_read(&h, path), -EINVAL);
	unlink(path);
	assert_int_equal(host_id_read(&h, "/nonexistent/boot_id"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_line),
		cmocka_unit_test(test_host_fields),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_bad_boot_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
