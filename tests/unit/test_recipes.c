/*
 * The jq recipes of docs/schema.md, run on the trace they are documented
 * with: each must print exactly what the document says it prints.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define MARK "<!-- recipe -->\n```sh\n"

/* A path next to this source file's directory. */
static void source_path(char *out, size_t size, const char *rel)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;

	snprintf(out, size, "%.*s/%s", dir, slash ? __FILE__ : ".", rel);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
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

static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	char buf[4096];
	size_t n;

	assert_non_null(p);
	assert_non_null(mem);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, mem);
	fclose(mem);
	if (pclose(p))
		fail_msg("recipe failed: %s", cmd);
	return out;
}

static void test_recipes(void **state)
{
	char doc[4096], data[4096];
	char *text, *at;
	int recipes = 0;

	(void)state;
	if (system("jq --version >/dev/null 2>&1"))
		fail_msg("jq is not installed (scripts/deps --test installs it)");
	source_path(doc, sizeof(doc), "../../docs/schema.md");
	source_path(data, sizeof(data), "data/recipes");
	text = slurp(doc);
	assert_int_equal(chdir(data), 0);
	for (at = strstr(text, MARK); at; at = strstr(at, MARK)) {
		char *cmd = at + strlen(MARK), *end = strstr(cmd, "```\n```text\n"), *want, *want_end;
		char *got;

		assert_non_null(end);
		*end = '\0';
		want = end + strlen("```\n```text\n");
		want_end = strstr(want, "```\n");
		assert_non_null(want_end);
		*want_end = '\0';
		got = run(cmd);
		if (strcmp(got, want))
			fail_msg("recipe\n%s\nprinted\n%s\ninstead of\n%s", cmd, got, want);
		free(got);
		recipes++;
		at = want_end + 1;
	}
	free(text);
	assert_true(recipes >= 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recipes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
