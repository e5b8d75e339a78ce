/*
 * --metrics end to end: the endpoint answers only what it should and
 * promtool accepts what it serves; a real Prometheus (Debian's) scrapes it
 * every second and records the leaked zombies of a test program, blamed on
 * the right parent, then sees them go once the program reaps them. Every
 * wait polls with a deadline; teardown kills whatever the test started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <time.h>
#include <ctype.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include "checks.h"

#define DEADLINE_S 60
#define POLL_MS 200

struct world {
	struct trace t;
	bool tracing;
	pid_t prometheus;
	pid_t holder;		/* the parent that keeps zombies */
	int holder_in;		/* closing it makes the holder reap */
	char dir[64];		/* Prometheus's config, storage and log */
	int port, prom_port;
};

static struct world *world;

/* A port the kernel just found free on loopback. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

struct reply {
	int status;
	char *body;	/* NUL-terminated */
	size_t len;
};

/* One HTTP/1.0 request to 127.0.0.1:port; -1 when nobody answered. */
static int http(int port, const char *method, const char *path, struct reply *r)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { .tv_sec = DEADLINE_S };
	char req[2048], *raw = NULL, *sep;
	size_t len = 0, cap = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n", method, path, port);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	do {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 65536;
			raw = realloc(raw, cap + 1);
			assert_non_null(raw);
		}
		n = read(fd, raw + len, cap - len);
		if (n > 0)
			len += n;
	} while (n > 0);
	close(fd);
	if (!raw || !len) {
		free(raw);
		return -1;
	}
	raw[len] = '\0';
	sep = strstr(raw, "\r\n\r\n");
	if (!sep || sscanf(raw, "HTTP/1.%*d %d", &r->status) != 1)
		fail_msg("not an HTTP response: %s", raw);
	r->len = len - (sep + 4 - raw);
	r->body = malloc(r->len + 1);
	assert_non_null(r->body);
	memcpy(r->body, sep + 4, r->len + 1);
	free(raw);
	return 0;
}

static int get_status(int port, const char *method, const char *path, size_t *body_len)
{
	struct reply r;

	assert_int_equal(http(port, method, path, &r), 0);
	if (body_len)
		*body_len = r.len;
	free(r.body);
	return r.status;
}

/* zombies, so that the output file stays small on a busy host. */
static void start_proclife(struct world *w)
{
	char addr[32];
	const char *args[] = { "zombies", "-z", "0.5", "--metrics", addr, NULL };

	w->port = free_port();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", w->port);
	assert_int_equal(trace_start(&w->t, args), 0);
	w->tracing = true;
}

static int setup(void **state)
{
	if (harness_unsupported())
		return 0;
	world = calloc(1, sizeof(*world));
	if (!world)
		return -1;
	world->holder_in = -1;
	*state = world;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Runs whether the test passed or failed midway. */
static int teardown(void **state)
{
	struct world *w = *state;

	if (!w)
		return 0;
	if (w->holder_in >= 0)
		close(w->holder_in);
	if (w->holder > 0)
		waitpid(w->holder, NULL, 0);
	if (w->prometheus > 0) {
		kill(w->prometheus, SIGKILL);
		waitpid(w->prometheus, NULL, 0);
	}
	if (w->tracing) {
		trace_stop(&w->t);
		trace_free(&w->t);
	}
	if (w->dir[0])
		nftw(w->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(w);
	world = NULL;
	return 0;
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

static void endpoint_serves_only_metrics(void **state)
{
	struct world *w = *state;
	unsigned long long pending, ring = 4096;
	char size_line[64];
	struct reply r;
	const char *p;
	size_t len;

	if (!w)
		skip();
	/* The default 8 MiB is shared among the online CPUs, a power of two each. */
	while (ring * 2 <= 8388608ULL / sysconf(_SC_NPROCESSORS_ONLN))
		ring *= 2;
	snprintf(size_line, sizeof(size_line), "\nproclife_ring_buffer_size_bytes %llu\n", ring);
	start_proclife(w);
	assert_int_equal(http(w->port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\nproclife_processes "));
	assert_non_null(strstr(r.body, "\nproclife_events_total{type=\"fork\"} "));
	assert_non_null(strstr(r.body, size_line));
	/* Read from the rings' own positions: never more than one holds. */
	p = strstr(r.body, "\nproclife_ring_buffer_pending_bytes ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "\nproclife_ring_buffer_pending_bytes %llu", &pending), 1);
	assert_true(pending <= ring);
	assert_int_equal(promtool_check(r.body), 0);
	free(r.body);
	assert_int_equal(get_status(w->port, "HEAD", "/metrics", &len), 200);
	assert_int_equal(len, 0);
	assert_int_equal(get_status(w->port, "GET", "/", NULL), 404);
	assert_int_equal(get_status(w->port, "GET", "/metrics/x", NULL), 404);
	assert_int_equal(get_status(w->port, "POST", "/metrics", NULL), 405);
	assert_int_equal(get_status(w->port, "DELETE", "/metrics", NULL), 405);
	/* A query string does not make it another page. */
	assert_int_equal(get_status(w->port, "GET", "/metrics?x=1", NULL), 200);
}

/*
 * Eight idle connections fill the server: a ninth request waits until the
 * server has timed them out (closed them), and only then gets its answer.
 */
static void connections_are_bounded_and_time_out(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct world *w = *state;
	int idle[8];
	char c;

	if (!w)
		skip();
	start_proclife(w);
	a.sin_port = htons(w->port);
	for (int i = 0; i < 8; i++) {
		idle[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(connect(idle[i], (struct sockaddr *)&a, sizeof(a)), 0);
	}
	assert_int_equal(get_status(w->port, "GET", "/metrics", NULL), 200);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(recv(idle[i], &c, 1, MSG_DONTWAIT), 0);
		close(idle[i]);
	}
}

/* The port is taken: proclife says so and exits 1 before tracing. */
static void busy_port_is_an_error(void **state)
{
	struct world *w = *state;
	char addr[32], err[512], want[96];
	const char *argv[] = { getenv("PROCLIFE"), "-d", "1", "-o", "/dev/null", "--metrics", addr, NULL };
	int fd = open("/tmp", O_TMPFILE | O_RDWR, 0600), status;
	ssize_t n;
	pid_t pid;

	if (!w)
		skip();
	assert_true(fd >= 0);
	start_proclife(w);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", w->port);
	pid = fork();
	if (pid == 0) {
		dup2(fd, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	status = wait_child(pid);
	n = pread(fd, err, sizeof(err) - 1, 0);
	close(fd);
	assert_true(n >= 0);
	err[n] = '\0';
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	snprintf(want, sizeof(want), "proclife: cannot serve metrics on %s: Address already in use\n", addr);
	assert_string_equal(err, want);
}

/* The parent that holds n zombies until its standard input closes. */
static pid_t start_holder(struct world *w, int n, pid_t *kids)
{
	int in[2], out[2];
	char count[16], buf[256] = "";
	size_t got = 0;
	ssize_t r;
	int lines = 0;

	snprintf(count, sizeof(count), "%d", n);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	w->holder = fork();
	if (w->holder == 0) {
		const char *argv[] = { harness_prog("prog_target"), "hold", count, NULL };

		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	w->holder_in = in[1];
	while (lines < n && got < sizeof(buf) - 1 && (r = read(out[0], buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += r;
		buf[got] = '\0';
		lines = 0;
		for (char *p = buf; (p = strchr(p, '\n')); p++)
			lines++;
	}
	close(out[0]);
	assert_int_equal(lines, n);
	for (int i = 0, off = 0, used; i < n; i++, off += used)
		assert_int_equal(sscanf(buf + off, "%d\n%n", &kids[i], &used), 1);
	return w->holder;
}

static void start_prometheus(struct world *w)
{
	char path[128], listen[64];
	FILE *f;
	int log;

	snprintf(w->dir, sizeof(w->dir), "/tmp/proclife-prom-XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	snprintf(path, sizeof(path), "%s/prometheus.yml", w->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"global:\n"
		"  scrape_interval: 1s\n"
		"  scrape_timeout: 1s\n"
		"scrape_configs:\n"
		"  - job_name: proclife\n"
		"    static_configs:\n"
		"      - targets: ['127.0.0.1:%d']\n", w->port);
	assert_int_equal(fclose(f), 0);
	w->prom_port = free_port();
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", w->prom_port);
	w->prometheus = fork();
	if (w->prometheus == 0) {
		char config[160], storage[160], logpath[160];

		snprintf(config, sizeof(config), "--config.file=%s", path);
		snprintf(storage, sizeof(storage), "--storage.tsdb.path=%s/data", w->dir);
		snprintf(logpath, sizeof(logpath), "%s/log", w->dir);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(log, 1);
		dup2(log, 2);
		execlp("prometheus", "prometheus", config, storage, listen, "--log.level=warn", (char *)NULL);
		_exit(127);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void prometheus_log(const struct world *w)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "tail -n 20 %s/log >&2", w->dir);
	if (system(cmd))
		fprintf(stderr, "(no Prometheus log)\n");
}

static void wait_ready(struct world *w)
{
	for (double end = now_s() + DEADLINE_S; now_s() < end; sleep_ms(POLL_MS)) {
		struct reply r;

		if (waitpid(w->prometheus, NULL, WNOHANG) == w->prometheus) {
			w->prometheus = 0;
			prometheus_log(w);
			fail_msg("prometheus exited");
		}
		if (http(w->prom_port, "GET", "/-/ready", &r))
			continue;
		free(r.body);
		if (r.status == 200)
			return;
	}
	prometheus_log(w);
	fail_msg("prometheus was not ready within %d s", DEADLINE_S);
}

/* The series a PromQL query returns now (a new reference). */
static json_t *query(struct world *w, const char *promql)
{
	char path[1024], *p;
	struct reply r;
	json_error_t err;
	json_t *doc, *result;

	p = path + snprintf(path, sizeof(path), "/api/v1/query?query=");
	for (const unsigned char *s = (const unsigned char *)promql; *s; s++) {
		assert_true(p < path + sizeof(path) - 4);
		p += (isalnum(*s) || *s == '_') ? sprintf(p, "%c", *s) : sprintf(p, "%%%02X", *s);
	}
	assert_int_equal(http(w->prom_port, "GET", path, &r), 0);
	doc = json_loads(r.body, 0, &err);
	if (!doc || r.status != 200)
		fail_msg("query %s: status %d: %s", promql, r.status, r.body);
	free(r.body);
	result = json_object_get(json_object_get(doc, "data"), "result");
	assert_true(json_is_array(result));
	json_incref(result);
	json_decref(doc);
	return result;
}

static double sample_value(json_t *series)
{
	return atof(json_string_value(json_array_get(json_object_get(series, "value"), 1)));
}

/* Polls promql until it returns n series (the first with value v, when n). */
static json_t *wait_query(struct world *w, const char *promql, size_t n, double v)
{
	json_t *res = NULL;

	for (double end = now_s() + DEADLINE_S; now_s() < end; sleep_ms(POLL_MS)) {
		json_decref(res);
		res = query(w, promql);
		if (json_array_size(res) == n && (!n || sample_value(json_array_get(res, 0)) == v))
			return res;
	}
	fail_msg("%s: %s after %d s", promql, json_dumps(res, JSON_COMPACT), DEADLINE_S);
	return NULL;
}

static void prometheus_records_leaked_zombies(void **state)
{
	struct world *w = *state;
	char q[256];
	pid_t kids[3], holder;
	json_t *res, *labels;

	if (!w)
		skip();
	start_proclife(w);
	start_prometheus(w);
	wait_ready(w);
	json_decref(wait_query(w, "up{job=\"proclife\"}", 1, 1));

	holder = start_holder(w, 3, kids);
	snprintf(q, sizeof(q), "proclife_leaked_zombies_by_parent{parent_pid=\"%d\"}", holder);
	res = wait_query(w, q, 1, 3);
	labels = json_object_get(json_array_get(res, 0), "metric");
	assert_string_equal(json_string_value(json_object_get(labels, "parent_comm")), "prog_target");
	json_decref(res);
	/* The host may have other leaks; ours are among them. */
	res = query(w, "proclife_leaked_zombies >= 3");
	assert_int_equal(json_array_size(res), 1);
	json_decref(res);

	/* The holder reaps its children and exits: the series goes stale. */
	close(w->holder_in);
	w->holder_in = -1;
	wait_child(holder);
	w->holder = 0;
	json_decref(wait_query(w, q, 0, 0));
	res = query(w, "proclife_events_total{type=\"reap\"} > 0");
	assert_int_equal(json_array_size(res), 1);
	json_decref(res);
}

/* proclife_events_total{type="exit"} as the endpoint serves it now. */
static unsigned long long exits_received(int port)
{
	unsigned long long n;
	struct reply r;
	const char *p;

	assert_int_equal(http(port, "GET", "/metrics", &r), 0);
	p = strstr(r.body, "\nproclife_events_total{type=\"exit\"} ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "\nproclife_events_total{type=\"exit\"} %llu", &n), 1);
	free(r.body);
	return n;
}

/* The exits the kernel sent while a process of 32 threads ran: -c keeps the host's own out. */
static unsigned long long exits_around_threads(struct world *w, const char *option)
{
	const char *argv[] = { harness_prog("prog_target"), "threads", "32", NULL };
	char addr[32];
	const char *args[] = { "-c", "prog_target", "--metrics", addr, option, NULL };
	unsigned long long before, sent;
	pid_t pid;

	w->port = free_port();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", w->port);
	assert_int_equal(trace_start(&w->t, args), 0);
	w->tracing = true;
	before = exits_received(w->port);
	pid = spawn(argv, NULL);
	assert_int_equal(WEXITSTATUS(wait_child(pid)), 0);
	/* The reap comes after every thread's end: all of them have been read. */
	assert_non_null(trace_wait(&w->t, "reap", pid));
	sent = exits_received(w->port) - before;
	trace_stop(&w->t);
	trace_free(&w->t);
	w->tracing = false;
	return sent;
}

/*
 * The kernel sends the end of a thread without children only when it is
 * used: --threads prints it (as the tree and snapshots count it). Without,
 * the process of 32 threads brings 32 exits fewer. (Under ASan its leak
 * check at exit adds a task of the same name to both counts.)
 */
static void thread_ends_are_sent_when_used(void **state)
{
	struct world *w = *state;
	unsigned long long plain, threads;

	if (!w)
		skip();
	plain = exits_around_threads(w, NULL);
	threads = exits_around_threads(w, "--threads");
	if (threads - plain != 32)
		fail_msg("exits received: %llu without --threads, %llu with", plain, threads);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(endpoint_serves_only_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(connections_are_bounded_and_time_out, setup, teardown),
		cmocka_unit_test_setup_teardown(busy_port_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(prometheus_records_leaked_zombies, setup, teardown),
		cmocka_unit_test_setup_teardown(thread_ends_are_sent_when_used, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
