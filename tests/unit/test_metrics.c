/*
 * The Prometheus exposition of a model built from synthetic events: the
 * values, the bound on leaked-zombie series, label escaping, the address
 * syntax of --metrics, and promtool's verdict on the whole text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "cli.h"
#include "metrics_server.h"
#include "model_fixture.h"

#define INIT_START (1 * MS)

struct world {
	struct model m;
	struct recorder rec;
	struct metrics_counts c;
	uint32_t next_pid;
	char *text;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct pl_event init = ev_fork(INIT_START, 1, INIT_START, 0, 0, 0, "init");

	if (!w || fixture_model(&w->m, &w->rec) || model_apply(&w->m, &init))
		return -1;
	w->next_pid = 1000;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	model_free(&w->m);
	free(w->text);
	free(w);
	return 0;
}

static void apply(struct world *w, struct pl_event ev)
{
	assert_int_equal(model_apply(&w->m, &ev), 0);
}

/* A parent named comm under init with n children that exited at 1 s; its pid. */
static uint32_t leaker(struct world *w, const char *comm, int n)
{
	uint32_t parent = w->next_pid++;
	uint64_t pstart = parent * MS;

	apply(w, ev_fork(pstart, parent, pstart, 1, INIT_START, 1, comm));
	for (int i = 0; i < n; i++) {
		uint32_t kid = w->next_pid++;

		apply(w, ev_fork(pstart, kid, kid * MS, parent, pstart, parent, comm));
		apply(w, ev_exit(1 * SEC, kid, kid * MS, parent, kid, true, 0, 0, PL_REAPER_NONE));
	}
	return parent;
}

static const char *render(struct world *w)
{
	size_t len;
	FILE *f;

	free(w->text);
	w->text = NULL;
	f = open_memstream(&w->text, &len);
	assert_non_null(f);
	assert_int_equal(metrics_render(f, &w->m, &w->c), 0);
	assert_int_equal(fclose(f), 0);
	return w->text;
}

/* The sample line of a series, as "name{labels} value". */
static void assert_line(const char *text, const char *line)
{
	char want[512];
	const char *p;

	snprintf(want, sizeof(want), "\n%s\n", line);
	p = strstr(text, want);
	if (!p)
		fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void test_counts_and_gauges(void **state)
{
	struct world *w = *state;
	const char *t;
	uint32_t p1, p2;

	w->c.events[PL_EV_FORK] = 7;
	w->c.events[PL_EV_SIGNAL_GENERATE] = 2;
	w->c.events[PL_EV_SIGNAL_DELIVER] = 3;
	w->c.orphans[PL_REAPER_SUBREAPER] = 4;
	w->c.lost = 9;
	w->c.ring_pending = 4096;
	w->c.ring_size = 1 << 20;
	w->c.rotations = 6;
	w->c.clock_steps = 2;
	p1 = leaker(w, "leaky", 3);
	p2 = leaker(w, "drip", 1);
	/* Exited at 1 s, so leaked by 6.5 s; not yet at 5.5 s. */
	model_tick(&w->m, 5500 * MS);
	assert_line(render(w), "proclife_leaked_zombies 0");
	assert_line(w->text, "proclife_zombies 4");
	model_tick(&w->m, 6500 * MS);
	t = render(w);
	assert_line(t, "proclife_events_total{type=\"fork\"} 7");
	/* Both signal stages are the schema's one "signal" type. */
	assert_line(t, "proclife_events_total{type=\"signal\"} 5");
	assert_line(t, "proclife_events_total{type=\"exec\"} 0");
	assert_line(t, "proclife_orphans_total{rule=\"subreaper\"} 4");
	assert_line(t, "proclife_orphans_total{rule=\"init\"} 0");
	assert_line(t, "proclife_events_lost_total 9");
	assert_line(t, "proclife_ring_buffer_pending_bytes 4096");
	assert_line(t, "proclife_ring_buffer_size_bytes 1048576");
	assert_line(t, "proclife_output_rotations_total 6");
	/* A failed write ends the run before a scrape could see a count move. */
	assert_null(strstr(t, "write_errors"));
	assert_line(t, "proclife_clock_steps_total 2");
	/* init and the two parents. */
	assert_line(t, "proclife_processes 3");
	assert_line(t, "proclife_zombies 4");
	assert_line(t, "proclife_leaked_zombies 4");
	{
		char line[128];

		snprintf(line, sizeof(line),
			 "proclife_leaked_zombies_by_parent{parent_pid=\"%u\",parent_comm=\"leaky\"} 3", p1);
		assert_line(t, line);
		snprintf(line, sizeof(line),
			 "proclife_leaked_zombies_by_parent{parent_pid=\"%u\",parent_comm=\"drip\"} 1", p2);
		assert_line(t, line);
	}
	assert_null(strstr(t, "{parent_pid=\"other\""));
	assert_line(t, "proclife_build_info{version=\"" PROCLIFE_VERSION "\",commit=\"" PROCLIFE_COMMIT "\"} 1");
	assert_non_null(strstr(t, "\nprocess_cpu_seconds_total "));
	assert_non_null(strstr(t, "\nprocess_resident_memory_bytes "));
}

static bool gone(void *ctx, const struct proc *p)
{
	(void)ctx;
	(void)p;
	return false;
}

/* A leaked zombie /proc no longer has (its free untraced) is counted nowhere. */
static void test_reaped_zombie_not_counted(void **state)
{
	struct world *w = *state;
	const char *t;

	leaker(w, "leaky", 1);
	model_tick(&w->m, 6500 * MS);
	assert_line(render(w), "proclife_leaked_zombies 1");
	w->m.sink.still_zombie = gone;
	model_tick(&w->m, 7500 * MS);
	t = render(w);
	assert_line(t, "proclife_leaked_zombies 0");
	assert_line(t, "proclife_zombies 0");
}

static void test_reap_clears_the_parent(void **state)
{
	struct world *w = *state;
	uint32_t p = leaker(w, "leaky", 1);
	uint32_t kid = p + 1;
	const char *t;

	model_tick(&w->m, 6500 * MS);
	assert_line(render(w), "proclife_leaked_zombies 1");
	apply(w, ev_reap(7 * SEC, kid, kid * MS, p));
	t = render(w);
	assert_line(t, "proclife_leaked_zombies 0");
	assert_line(t, "proclife_zombies 0");
	assert_null(strstr(t, "proclife_leaked_zombies_by_parent{"));
}

/* Parent i of 1..n holds i zombies: the top ones get series, the rest one sum. */
static void test_parents_beyond_the_bound_are_folded(void **state)
{
	struct world *w = *state;
	const int n = METRICS_TOP_PARENTS + 3;
	uint32_t pids[METRICS_TOP_PARENTS + 3];
	char line[160];
	const char *t, *p;
	int series = 0;

	for (int i = 1; i <= n; i++)
		pids[i - 1] = leaker(w, "many", i);
	model_tick(&w->m, 6500 * MS);
	t = render(w);
	for (p = t; (p = strstr(p, "\nproclife_leaked_zombies_by_parent{")); p++)
		series++;
	assert_int_equal(series, METRICS_TOP_PARENTS + 1);
	snprintf(line, sizeof(line),
		 "proclife_leaked_zombies_by_parent{parent_pid=\"%u\",parent_comm=\"many\"} %d",
		 pids[n - 1], n);
	assert_line(t, line);
	/* The three smallest: 1 + 2 + 3. */
	assert_line(t, "proclife_leaked_zombies_by_parent{parent_pid=\"other\",parent_comm=\"\"} 6");
	snprintf(line, sizeof(line), "parent_pid=\"%u\"", pids[2]);
	assert_null(strstr(t, line));
	snprintf(line, sizeof(line), "parent_pid=\"%u\"", pids[3]);
	assert_non_null(strstr(t, line));
}

static void test_label_values_are_escaped(void **state)
{
	struct world *w = *state;
	char line[160];

	leaker(w, "a\"b\\c\nd\xff", 1);
	model_tick(&w->m, 6500 * MS);
	snprintf(line, sizeof(line), "parent_comm=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\"} 1");
	assert_non_null(strstr(render(w), line));
}

/* promtool reads the text from its standard input. */
static int promtool_check(const char *text)
{
	FILE *p = popen("promtool check metrics", "w");
	int status;

	assert_non_null(p);
	fputs(text, p);
	status = pclose(p);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_promtool_accepts_the_text(void **state)
{
	struct world *w = *state;

	leaker(w, "bad\"name\n", 2);
	for (int i = 0; i < METRICS_TOP_PARENTS + 1; i++)
		leaker(w, "many", 1);
	model_tick(&w->m, 6500 * MS);
	assert_int_equal(promtool_check(render(w)), 0);
	/* And it does object to what breaks the conventions. */
	assert_int_not_equal(promtool_check("# TYPE proclife_things counter\nproclife_things 1\n"), 0);
}

/* docs/metrics.md's table lists exactly the metrics rendered. */
static void test_documented(void **state)
{
	struct world *w = *state;
	FILE *f = fopen("docs/metrics.md", "r");
	char *line = NULL, name[128], row[140];
	size_t cap = 0, rows = 0, types = 0;
	const char *t = render(w), *p;

	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "| `%127[a-z_]` |", name) != 1)
			continue;
		snprintf(row, sizeof(row), "# TYPE %s ", name);
		if (!strstr(t, row))
			fail_msg("docs/metrics.md lists %s, which is not rendered", name);
		rows++;
	}
	free(line);
	fclose(f);
	for (p = strstr(t, "# TYPE "); p; p = strstr(p + 1, "# TYPE "))
		types++;
	assert_int_equal(rows, types);
}

static void test_addresses(void **state)
{
	struct sockaddr_storage sa;
	struct sockaddr_in *in = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
	static const char *const bad[] = {
		"", "0", "65536", "-1", "+80", "80x", ":80", "1.2.3:80", "host:80", "::1:80",
		"[::1]", "[::1]80", "[1.2.3.4]:80", "127.0.0.1:", NULL,
	};
	socklen_t len;

	(void)state;
	assert_int_equal(metrics_parse_addr("9810", &sa, &len), 0);
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 9810);
	assert_int_equal(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(metrics_parse_addr("0.0.0.0:80", &sa, &len), 0);
	assert_int_equal(in->sin_addr.s_addr, htonl(INADDR_ANY));
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(metrics_parse_addr("[::1]:65535", &sa, &len), 0);
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 65535);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	for (int i = 0; bad[i]; i++)
		if (!metrics_parse_addr(bad[i], &sa, &len))
			fail_msg("'%s' was accepted", bad[i]);
}

static void test_cli_option(void **state)
{
	char *trace[] = { "proclife", "--metrics", "9810", NULL };
	char *replay[] = { "proclife", "replay", "x", "--metrics", "9810", NULL };
	char *bad[] = { "proclife", "--metrics", "localhost:9810", NULL };
	struct options o;

	(void)state;
	assert_int_equal(cli_parse(&o, 3, trace), CLI_RUN);
	assert_string_equal(o.metrics_addr, "9810");
	assert_int_equal(cli_parse(&o, 5, replay), CLI_EXIT_USAGE);
	assert_int_equal(cli_parse(&o, 3, bad), CLI_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counts_and_gauges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reap_clears_the_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reaped_zombie_not_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parents_beyond_the_bound_are_folded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_values_are_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promtool_accepts_the_text, setup, teardown),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_cli_option),
		cmocka_unit_test_setup_teardown(test_documented, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
