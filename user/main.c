#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "clock.h"
#include "event.h"
#include "format.h"
#include "outbuf.h"
#include "tracer.h"

#define POLL_MS 100
#define OUTBUF_SIZE (256 << 10)

struct session {
	const struct options *opts;
	struct outbuf out;
	struct wallclock clock;
	struct formatter fmt;
	struct tracer *tracer;
	uint64_t counts[PL_EV_TYPE_MAX];
	uint64_t malformed;
	uint64_t lost;
};

/* Set by the signal handler, read by the loop: the only state a handler may share. */
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int install_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the poll must return so the loop sees the request. */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	/* A closed output pipe shows up as EPIPE from write(). */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	struct pl_event ev;

	if (event_decode(data, size, &ev)) {
		s->malformed++;
		return 0;
	}
	if (ev.type == PL_EV_EXIT && ev.exit.thread && !s->opts->threads)
		return 0;
	s->counts[ev.type]++;
	format_event(&s->fmt, &ev);
	return outbuf_error(&s->out) ? -EPIPE : 0;
}

static int report_lost(struct session *s)
{
	uint64_t total;
	int err = tracer_lost(s->tracer, &total);

	if (err)
		return err;
	if (total > s->lost) {
		format_lost(&s->fmt, boottime_now_ns(), total - s->lost);
		s->lost = total;
	}
	return 0;
}

static void print_summary(const struct session *s)
{
	uint64_t total = 0;

	for (int i = 0; i < PL_EV_TYPE_MAX; i++)
		total += s->counts[i];
	fprintf(stderr,
		"proclife: %llu events: %llu fork, %llu exec, %llu exit, %llu reap, %llu signal; %llu lost\n",
		(unsigned long long)total, (unsigned long long)s->counts[PL_EV_FORK],
		(unsigned long long)s->counts[PL_EV_EXEC], (unsigned long long)s->counts[PL_EV_EXIT],
		(unsigned long long)s->counts[PL_EV_REAP],
		(unsigned long long)(s->counts[PL_EV_SIGNAL_GENERATE] + s->counts[PL_EV_SIGNAL_DELIVER]),
		(unsigned long long)s->lost);
	if (s->malformed)
		fprintf(stderr, "proclife: %llu malformed records were dropped\n",
			(unsigned long long)s->malformed);
}

/* 0 to go on, 1 when the reader went away, -errno on failure. */
static int flush_output(struct session *s)
{
	int err = outbuf_flush(&s->out);

	if (err == -EPIPE)
		return 1;
	if (err)
		fprintf(stderr, "proclife: cannot write %s: %s\n",
			s->opts->output ? s->opts->output : "to standard output", strerror(-err));
	return err;
}

static int trace_loop(struct session *s)
{
	uint64_t deadline = s->opts->duration > 0 ?
		boottime_now_ns() + (uint64_t)(s->opts->duration * 1e9) : 0;
	int err = 0;

	while (!stop_requested && !err) {
		int timeout = POLL_MS;

		if (deadline) {
			uint64_t now = boottime_now_ns();

			if (now >= deadline)
				break;
			if (deadline - now < POLL_MS * 1000000ULL)
				timeout = (deadline - now) / 1000000 + 1;
		}
		err = tracer_poll(s->tracer, timeout);
		if (err == -EPIPE)
			return 1;
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "proclife: cannot read the ring buffer: %s\n", strerror(-err));
			return err;
		}
		err = report_lost(s);
		if (!err)
			err = flush_output(s);
	}
	if (err)
		return err;
	/* Stopping: what the kernel already committed is still printed. */
	err = tracer_poll(s->tracer, 0);
	if (err == -EPIPE)
		return 1;
	err = report_lost(s);
	return err ? err : flush_output(s);
}

static int open_output(const struct options *o)
{
	int fd;

	if (!o->output)
		return STDOUT_FILENO;
	fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fprintf(stderr, "proclife: cannot open %s: %s\n", o->output, strerror(errno));
	return fd;
}

static int run(const struct options *o)
{
	struct session s = { .opts = o };
	struct tracer_config cfg = {
		.btf_path = o->btf_path,
		.ringbuf_size = o->ringbuf_size,
		.arg_bytes = o->arg_bytes,
		.verbose = o->verbose,
	};
	int fd, err;

	fd = open_output(o);
	if (fd < 0)
		return 1;
	err = outbuf_init(&s.out, fd, OUTBUF_SIZE);
	if (err) {
		fprintf(stderr, "proclife: cannot allocate the output buffer: %s\n", strerror(-err));
		goto cleanup;
	}
	wallclock_init(&s.clock);
	s.fmt = (struct formatter){
		.ob = &s.out, .clock = &s.clock, .max_args = o->max_args, .json = o->json,
	};
	err = install_handlers();
	if (err) {
		fprintf(stderr, "proclife: cannot install signal handlers: %s\n", strerror(-err));
		goto cleanup;
	}
	err = tracer_start(&s.tracer, &cfg, on_record, &s);
	if (err)
		goto cleanup;
	fprintf(stderr, "proclife: Tracing process events. Ctrl-C to end.\n");
	format_begin(&s.fmt);
	err = trace_loop(&s);
	print_summary(&s);
	if (err > 0)
		err = 0;

cleanup:
	tracer_destroy(s.tracer);
	outbuf_free(&s.out);
	if (fd != STDOUT_FILENO && close(fd) && !err) {
		fprintf(stderr, "proclife: cannot write %s: %s\n", o->output, strerror(errno));
		err = -errno;
	}
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct options opts;

	switch (cli_parse(&opts, argc, argv)) {
	case CLI_EXIT_OK:
		return 0;
	case CLI_EXIT_USAGE:
		return 2;
	case CLI_RUN:
		break;
	}
	return run(&opts);
}
