#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroupfs.h"
#include "clock.h"
#include "event.h"
#include "filter.h"
#include "format.h"
#include "hostid.h"
#include "live.h"
#include "metrics_server.h"
#include "model.h"
#include "outbuf.h"
#include "outfile.h"
#include "procscan.h"
#include "report.h"
#include "tracer.h"
#include "tree.h"

#define POLL_MS 100
#define OUTBUF_SIZE (256 << 10)
#define PROC_ROOT "/proc"
/* What the model needs: the lifecycle, and renames for the processes' names. */
#define LIFECYCLE ((1u << PL_EV_FORK) | (1u << PL_EV_EXEC) | (1u << PL_EV_EXIT) | \
		   (1u << PL_EV_REAP) | (1u << PL_EV_RENAME))
/* While events keep being lost, re-read /proc at most this often. */
#define RESYNC_INTERVAL_NS 1000000000ULL

struct live {
	const struct options *opts;
	struct outbuf out;
	struct wallclock clock;
	struct host_id host;
	struct formatter fmt;
	struct tracer *tracer;
	struct model model;
	bool model_ready;
	bool model_fed;		/* the lifecycle programs run: the model follows events */
	bool bad_filter;	/* a filter named nothing that exists: a usage error */
	struct filter filter;
	struct cgroupfs cgroupfs;	/* root_fd -1: no cgroup v2 hierarchy, no containers named */
	struct cgroup_lookup cgroups;
	int err;		/* first failure inside a callback */
	uint64_t counts[PL_EV_TYPE_MAX];	/* events printed, by type */
	uint64_t zombies, orphans;		/* derived lines printed */
	bool resync_pending;
	uint64_t last_resync_ns;
	uint64_t next_snapshot_ns;
	struct metrics_counts stats;		/* every event, whatever is printed; losses */
	struct metrics_server *metrics;		/* NULL without --metrics */
};

/* Set by signal handlers, read by the loop: the only state a handler may share. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t dump_requested;
static volatile sig_atomic_t reopen_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_dump(int sig)
{
	(void)sig;
	dump_requested = 1;
}

static void on_reopen(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

static int install_handlers(const struct options *o)
{
	struct sigaction stop = { .sa_handler = on_stop }, dump = { .sa_handler = on_dump },
			 reopen = { .sa_handler = on_reopen };

	sigemptyset(&stop.sa_mask);
	sigemptyset(&dump.sa_mask);
	sigemptyset(&reopen.sa_mask);
	/*
	 * No SA_RESTART: the poll must return so the loop sees the request.
	 * SIGHUP reopens an output file (logrotate's create mode); without one
	 * it is a closed terminal, and stops.
	 */
	if (sigaction(SIGINT, &stop, NULL) || sigaction(SIGTERM, &stop, NULL) ||
	    sigaction(SIGUSR1, &dump, NULL) || sigaction(SIGHUP, o->output ? &reopen : &stop, NULL))
		return -errno;
	/* A closed output pipe shows up as EPIPE from write(). */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void on_zombie(void *ctx, const struct model_zombie *z)
{
	struct live *l = ctx;

	l->stats.leaked_reports++;
	if (l->opts->command == CMD_TREE || !(l->opts->events & EVENT_ZOMBIE))
		return;
	report_zombie(&l->fmt, z);
	l->zombies++;
}

static void on_orphan(void *ctx, const struct model_orphan *o)
{
	struct live *l = ctx;

	/* Only the rules that adopt have a counter: a dying namespace orphans nobody. */
	if (o->rule <= PL_REAPER_INIT)
		l->stats.orphans[o->rule]++;
	if (l->opts->command != CMD_TRACE || !(l->opts->events & EVENT_ORPHAN))
		return;
	report_orphan(&l->fmt, o);
	l->orphans++;
}

/* /proc has the last word on whether a zombie is still waiting. */
static bool still_zombie(void *ctx, const struct proc *p)
{
	const struct live *l = ctx;

	/* A read error keeps what the events said. */
	return procscan_zombie(PROC_ROOT, p->pid, p->start_ns / l->model.table.tick_ns) != 0;
}

static void print_event(struct live *l, const struct pl_event *ev);

static void on_inferred_reap(void *ctx, const struct pl_event *ev)
{
	print_event(ctx, ev);
}

static bool shown(const struct live *l, const struct pl_event *ev)
{
	if (ev->context || (ev->type == PL_EV_REAP && ev->reap.said))
		return false;
	switch (l->opts->command) {
	case CMD_TRACE:
		if (!(l->opts->events & (1u << ev->type)))
			return false;
		return !(ev->type == PL_EV_EXIT && ev->exit.thread && !l->opts->threads);
	case CMD_ZOMBIES:
		return ev->type == PL_EV_REAP && ev->reap.leaked;
	default:
		return false;
	}
}

static void print_event(struct live *l, const struct pl_event *ev)
{
	if (!shown(l, ev))
		return;
	l->counts[ev->type]++;
	format_event(&l->fmt, ev);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct live *l = ctx;
	struct pl_event ev;
	int err;

	if (event_decode(data, size, &ev)) {
		l->stats.malformed++;
		return 0;
	}
	l->stats.events[ev.type]++;
	model_place(&l->model, &ev);
	/*
	 * A reap learns from the model how long it was a zombie; an exit is
	 * printed before the orphans the model derives from it.
	 */
	if (ev.type != PL_EV_REAP)
		print_event(l, &ev);
	err = model_apply(&l->model, &ev);
	if (err) {
		l->err = err;
		fprintf(stderr, "proclife: cannot track processes: %s\n", strerror(-err));
		return err;
	}
	if (ev.type == PL_EV_REAP)
		print_event(l, &ev);
	return -outbuf_error(&l->out);
}

/* Under a filter, the kernel says which of the processes read are inside it. */
static int scan_proc(struct live *l)
{
	struct procscan_stats st;
	struct pl_seed *inside;
	size_t n;
	int err = procscan_run(&l->model, PROC_ROOT, &st);

	if (err) {
		fprintf(stderr, "proclife: cannot read %s: %s\n", PROC_ROOT, strerror(-err));
		return err;
	}
	err = tracer_seed_filter(l->tracer, &inside, &n);
	if (!err && inside)
		model_filter(&l->model, inside, n);
	free(inside);
	return err;
}

/*
 * Lost events leave the model wrong (a missed reap keeps a zombie forever);
 * /proc tells the truth again.
 */
static int check_lost(struct live *l, uint64_t now)
{
	uint64_t total;
	int err = tracer_lost(l->tracer, &total);

	if (err)
		return err;
	if (total > l->stats.lost) {
		format_lost(&l->fmt, now, total - l->stats.lost);
		l->stats.lost = total;
		l->resync_pending = true;
	}
	if (l->resync_pending && now - l->last_resync_ns >= RESYNC_INTERVAL_NS) {
		l->resync_pending = false;
		l->last_resync_ns = now;
		return scan_proc(l);
	}
	return 0;
}

/* Every thread's end: printed with --threads, counted for the tree and snapshots. */
static bool every_thread_exit(const struct options *o)
{
	return o->threads || o->command == CMD_TREE || o->snapshot_ns;
}

static int count_threads(struct live *l)
{
	int err = procscan_threads(&l->model, PROC_ROOT);

	if (err)
		fprintf(stderr, "proclife: cannot read %s: %s\n", PROC_ROOT, strerror(-err));
	return err;
}

/* The text tree, or in JSON a snapshot line: only zombies /proc still has. */
static int dump_tree(struct live *l, uint64_t now)
{
	/* A model that events do not follow (trace -e signal) is only as new as /proc. */
	int err = l->model_fed ? 0 : scan_proc(l);

	/* A dump on demand (SIGUSR1) where only some threads' ends are sent. */
	if (!err && l->model_fed && !every_thread_exit(l->opts))
		err = count_threads(l);
	if (err)
		return err;
	model_confirm_zombies(&l->model, now);
	err = tree_print(&l->fmt, &l->model, now);
	if (err)
		fprintf(stderr, "proclife: cannot print the tree: %s\n", strerror(-err));
	return err;
}

/*
 * 0 to go on, 1 when the reader went away, -errno on failure (the output
 * reported it, naming the file).
 */
static int flush_output(struct live *l)
{
	int err = outbuf_flush(&l->out);

	return err == -EPIPE ? 1 : err;
}

/* Everything so far goes to the old file; the next line begins the new one. */
static int reopen_output(struct live *l)
{
	int err = flush_output(l);

	reopen_requested = 0;
	return err ? err : outfile_reopen(l->out.file);
}

/* What is due after each poll: zombie ages, losses, snapshots, a requested dump. */
static int housekeeping(struct live *l)
{
	uint64_t now = boottime_now_ns();
	int err;

	model_tick(&l->model, now);
	err = check_lost(l, now);
	if (!err && l->next_snapshot_ns && now >= l->next_snapshot_ns) {
		l->next_snapshot_ns = now + l->opts->snapshot_ns;
		err = dump_tree(l, now);
	}
	if (!err && dump_requested) {
		dump_requested = 0;
		err = dump_tree(l, now);
	}
#ifndef PROCLIFE_NO_METRICS_SERVER
	if (!err && l->metrics) {
		tracer_ring_usage(l->tracer, &l->stats.ring_pending, &l->stats.ring_size);
		l->stats.rotations = l->out.file->rotations;
		l->stats.clock_steps = l->clock.steps;
		metrics_server_run(l->metrics);
	}
#endif
	if (!err && reopen_requested)
		return reopen_output(l);
	return err ? err : flush_output(l);
}

/* err: what reading the ring buffers returned. */
static int after_read(struct live *l, int err)
{
	if (l->err)
		return l->err;
	if (outbuf_error(&l->out))
		return flush_output(l);
	if (err < 0 && err != -EINTR) {
		fprintf(stderr, "proclife: cannot read the ring buffers: %s\n", strerror(-err));
		return err;
	}
	return housekeeping(l);
}

static int poll_once(struct live *l, int timeout_ms)
{
	wallclock_follow(&l->clock);
#ifndef PROCLIFE_NO_METRICS_SERVER
	/* A scrape wakes the loop as records do; it is answered after they are applied. */
	if (l->metrics) {
		int err = metrics_server_poll(l->metrics, tracer_fd(l->tracer), timeout_ms);
		if (err) {
			fprintf(stderr, "proclife: cannot wait for events: %s\n", strerror(-err));
			return err;
		}
		timeout_ms = 0;
	}
#endif
	return after_read(l, tracer_poll(l->tracer, timeout_ms));
}

static int trace_loop(struct live *l)
{
	uint64_t deadline = l->opts->duration > 0 ?
		boottime_now_ns() + (uint64_t)(l->opts->duration * 1e9) : 0;
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
		err = poll_once(l, timeout);
	}
	/* Stopping: what the kernel already committed is still printed. */
	return err ? err : after_read(l, tracer_drain(l->tracer));
}

static void print_summary(const struct live *l)
{
	uint64_t total = l->zombies + l->orphans;

	for (int i = 0; i < PL_EV_TYPE_MAX; i++)
		total += l->counts[i];
	fprintf(stderr,
		"proclife: %llu events: %llu fork, %llu exec, %llu exit, %llu reap, %llu signal, "
		"%llu rename, %llu zombie, %llu orphan; %llu lost, %llu reaps inferred\n",
		(unsigned long long)total, (unsigned long long)l->counts[PL_EV_FORK],
		(unsigned long long)l->counts[PL_EV_EXEC], (unsigned long long)l->counts[PL_EV_EXIT],
		(unsigned long long)l->counts[PL_EV_REAP],
		(unsigned long long)(l->counts[PL_EV_SIGNAL_GENERATE] + l->counts[PL_EV_SIGNAL_DELIVER]),
		(unsigned long long)l->counts[PL_EV_RENAME], (unsigned long long)l->zombies,
		(unsigned long long)l->orphans,
		(unsigned long long)l->stats.lost, (unsigned long long)l->model.inferred_reaps);
	if (l->stats.malformed)
		fprintf(stderr, "proclife: %llu malformed records were dropped\n",
			(unsigned long long)l->stats.malformed);
	if (l->out.file->write_errors)
		fprintf(stderr, "proclife: %llu write error%s on %s; what was written before is kept\n",
			(unsigned long long)l->out.file->write_errors,
			l->out.file->write_errors == 1 ? "" : "s", outfile_name(l->out.file));
}

/*
 * Programs nothing needs are not even loaded: the model needs the four
 * lifecycle events whenever it reports (zombie and orphan lines, the tree,
 * snapshots); trace -e adds what it prints.
 */
static uint32_t programs(const struct options *o)
{
	bool model = o->command != CMD_TRACE || o->snapshot_ns ||
		     (o->events & (EVENT_ZOMBIE | EVENT_ORPHAN));
	uint32_t progs = o->command == CMD_TRACE ? o->events & EVENTS_KERNEL : 0;

	return model ? progs | LIFECYCLE : progs;
}

/* Attach first, then read /proc: events of the scan's window wait in the ring buffer. */
static int start(struct live *l)
{
	const struct options *o = l->opts;
	struct tracer_config cfg = {
		.btf_path = o->btf_path,
		.ringbuf_size = o->ringbuf_size,
		.arg_bytes = o->arg_bytes,
		.thread_renames = o->threads,
		.thread_exits = every_thread_exit(o),
		.programs = programs(o),
		.verbose = o->verbose,
	};
	struct model_opts mo = {
		.zombie_age_ns = o->zombie_age_ns,
		.clk_tck = sysconf(_SC_CLK_TCK),
		.threads = every_thread_exit(o) ? MODEL_THREADS_EVERY_EXIT : MODEL_THREADS_PARENT_EXITS,
		.sink = {
			.zombie = on_zombie, .orphan = on_orphan, .still_zombie = still_zombie,
			.inferred_reap = on_inferred_reap, .ctx = l,
		},
	};
	int err;

	err = cgroupfs_open(&l->cgroupfs, "/proc/self/mountinfo");
	if (err)
		fprintf(stderr, "proclife: cannot open the cgroup v2 hierarchy: %s; containers are "
			"not named\n", strerror(-err));
	else
		mo.cgroups = &l->cgroups;
	l->cgroups = cgroupfs_lookup(&l->cgroupfs);
	err = model_init(&l->model, &mo);
	if (err) {
		fprintf(stderr, "proclife: cannot set up the process model: %s\n", strerror(-err));
		return err;
	}
	l->model_ready = true;
#ifndef PROCLIFE_NO_METRICS_SERVER
	if (o->metrics_addr) {
		err = metrics_server_start(&l->metrics, o->metrics_addr, &l->model, &l->stats);
		if (err)
			return err;
	}
#endif
	l->fmt.places = &l->model.places;
	err = install_handlers(o);
	if (err) {
		fprintf(stderr, "proclife: cannot install signal handlers: %s\n", strerror(-err));
		return err;
	}
	err = filter_resolve(&l->filter, o, l->cgroupfs.mount, &l->cgroups);
	l->bad_filter = err == -EINVAL;
	if (err)
		return err;
	cfg.filter = l->filter.tf;
	l->model_fed = (cfg.programs & LIFECYCLE) == LIFECYCLE;
	err = tracer_start(&l->tracer, &cfg, on_record, l);
	if (err)
		return err;
	err = scan_proc(l);
	if (err)
		return err;
	l->last_resync_ns = boottime_now_ns();
	if (o->command != CMD_TREE || o->duration)
		fprintf(stderr, "proclife: Tracing process events. Ctrl-C to end.\n");
	if (o->snapshot_ns) {
		l->next_snapshot_ns = l->last_resync_ns + o->snapshot_ns;
		err = dump_tree(l, l->last_resync_ns);
	}
	return err;
}

static int finish(struct live *l, int *status)
{
	uint64_t now = boottime_now_ns();
	int err = 0;

	if (l->opts->command == CMD_TREE) {
		model_tick(&l->model, now);
		err = dump_tree(l, now);
	}
	if (l->opts->command == CMD_ZOMBIES && l->opts->check) {
		model_confirm_zombies(&l->model, now);
		if (model_leaked(&l->model))
			*status = EXIT_LEAKED_ZOMBIES;
	}
	/* Reaps known but whose events have not come: said now or never. */
	model_flush_reaped(&l->model, now);
	return err ? err : flush_output(l);
}

/* Each output file begins with this: the column titles, or the start line. */
static void write_header(void *ctx, struct outbuf *into)
{
	const struct live *l = ctx;
	struct formatter f = l->fmt;

	f.ob = into;
	format_begin(&f);
}

/* A stream's files begin with a header; a tree is one answer and has none. */
static bool has_header(const struct options *o)
{
	return o->command == CMD_TRACE || (o->command == CMD_ZOMBIES && o->json);
}

static int open_output(struct live *l)
{
	const struct options *o = l->opts;
	struct outfile_config cfg = {
		.path = o->output,
		.rotate_size = o->rotate_size,
		.rotate_keep = o->rotate_keep ? o->rotate_keep : OUTFILE_ROTATE_KEEP_DEFAULT,
		.header = has_header(o) ? write_header : NULL,
		.ctx = l,
	};

	wallclock_init(&l->clock);
	if (o->json && host_id_read(&l->host, HOSTID_BOOT_ID))
		return -EIO;
	l->fmt = (struct formatter){
		.ob = &l->out, .clock = &l->clock, .max_args = o->max_args, .json = o->json,
		.host = o->json ? &l->host : NULL, .host_fields = o->host_fields,
	};
	return outbuf_open_file(&l->out, &cfg, OUTBUF_SIZE);
}

int live_run(const struct options *o)
{
	struct live l = { .opts = o, .cgroupfs = { .root_fd = -1 } };
	int err, status = 0;

	stop_requested = dump_requested = reopen_requested = 0;
	if (open_output(&l)) {
		host_id_free(&l.host);
		return EXIT_FAILURE_RUN;
	}
	err = start(&l);
	if (!err && o->command == CMD_TREE && !o->duration)
		err = after_read(&l, tracer_drain(l.tracer));
	else if (!err)
		err = trace_loop(&l);
	if (!err)
		err = finish(&l, &status);
	if (l.tracer && o->command != CMD_TREE)
		print_summary(&l);
	/* The reader went away: not a failure. */
	if (err > 0)
		err = 0;

#ifndef PROCLIFE_NO_METRICS_SERVER
	metrics_server_stop(l.metrics);
#endif
	tracer_destroy(l.tracer);
	filter_free(&l.filter);
	if (l.model_ready)
		model_free(&l.model);
	cgroupfs_close(&l.cgroupfs);
	if (outbuf_close(&l.out) && !err)
		err = -EIO;
	host_id_free(&l.host);
	if (l.bad_filter)
		return EXIT_USAGE;
	return err ? EXIT_FAILURE_RUN : status;
}
