/*
 * The consumer's per-event cost on its own: a recorded JSON-lines trace is
 * turned back into the ring-buffer records the BPF programs would have
 * written (bpf/proclife.h), then N records are decoded and printed as JSON
 * lines to a file, as `proclife --json -o FILE` does. Prints one JSON line:
 * records, CPU ns per record, bytes written per record.
 *
 * Under callgrind, --toggle-collect=consume counts the instructions of the
 * decode and print loop only (bench/README.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "event.h"
#include "format.h"
#include "model.h"
#include "outbuf.h"
#include "outfile.h"
#include "replay.h"

#define OUTBUF_SIZE (256 << 10)

struct records {
	char *buf;
	size_t len, cap;
	size_t count;
};

static void *record_alloc(struct records *r, size_t size)
{
	void *p;

	/* Records keep 8-byte alignment, as in the ring buffer. */
	size = (size + 7) & ~(size_t)7;
	if (r->len + size + sizeof(size_t) > r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1 << 20;
		r->buf = realloc(r->buf, r->cap);
		if (!r->buf) {
			perror("consumer");
			exit(1);
		}
	}
	memcpy(r->buf + r->len, &size, sizeof(size));
	p = r->buf + r->len + sizeof(size_t);
	memset(p, 0, size);
	r->len += size + sizeof(size_t);
	r->count++;
	return p;
}

static void put_header(struct pl_header *h, const struct pl_event *ev, size_t size)
{
	h->ts_ns = ev->ts_ns;
	h->start_ns = ev->start_ns;
	h->pid = ev->pid;
	h->tid = ev->tid;
	h->ppid = ev->ppid;
	h->type = ev->type;
	h->size = size;
	h->cgroup_id = ev->cgroup_id;
	h->pidns = ev->pidns;
	h->ns_pid = ev->ns_pid;
	memcpy(h->comm, ev->comm, strnlen(ev->comm, PL_COMM_LEN));
}

/* The record the BPF side would have written for ev. */
static void pack(void *ctx, const struct pl_event *ev)
{
	struct records *r = ctx;

	switch (ev->type) {
	case PL_EV_FORK: {
		struct pl_fork *e = record_alloc(r, sizeof(*e));

		put_header(&e->h, ev, sizeof(*e));
		e->parent_start_ns = ev->fork.parent_start_ns;
		e->parent_tid = ev->fork.parent_tid;
		e->flags = ev->fork.thread ? PL_FORK_THREAD : 0;
		e->ns_ppid = ev->fork.ns_ppid;
		break;
	}
	case PL_EV_EXEC: {
		size_t flen = ev->exec.filename_len < PL_FILENAME_MAX - 1 ? ev->exec.filename_len :
			      PL_FILENAME_MAX - 1;
		size_t alen = ev->exec.args_len < PL_ARGS_MAX - 1 ? ev->exec.args_len : PL_ARGS_MAX - 1;
		size_t size = offsetof(struct pl_exec, data) + flen + alen;
		struct pl_exec *e = record_alloc(r, size);

		put_header(&e->h, ev, size);
		e->old_pid = ev->exec.old_pid;
		e->uid = ev->exec.uid;
		e->gid = ev->exec.gid;
		e->filename_len = flen;
		e->args_len = alen;
		e->flags = (ev->exec.args_truncated ? PL_EXEC_ARGS_TRUNCATED : 0) |
			   (ev->exec.filename_truncated ? PL_EXEC_FILENAME_TRUNCATED : 0);
		memcpy(e->data, ev->exec.filename, flen);
		memcpy(e->data + flen, ev->exec.args, alen);
		break;
	}
	case PL_EV_EXIT: {
		struct pl_exit *e = record_alloc(r, sizeof(*e));

		put_header(&e->h, ev, sizeof(*e));
		e->status = ev->exit.status;
		e->reaper = ev->exit.reaper;
		e->reaper_rule = ev->exit.reaper_rule;
		e->flags = (ev->exit.thread ? PL_EXIT_THREAD : 0) |
			   (ev->exit.parent_autoreap ? PL_EXIT_PARENT_AUTOREAP : 0);
		break;
	}
	case PL_EV_REAP: {
		struct pl_reap *e = record_alloc(r, sizeof(*e));

		put_header(&e->h, ev, sizeof(*e));
		break;
	}
	case PL_EV_SIGNAL_GENERATE:
	case PL_EV_SIGNAL_DELIVER: {
		struct pl_signal *e = record_alloc(r, sizeof(*e));

		put_header(&e->h, ev, sizeof(*e));
		e->sig = ev->signal.sig;
		e->code = ev->signal.code;
		e->result = ev->signal.result;
		e->disposition = ev->signal.disposition;
		e->sender_pid = ev->signal.sender_pid;
		e->sender_tid = ev->signal.sender_tid;
		memcpy(e->sender_comm, ev->signal.sender_comm,
		       strnlen(ev->signal.sender_comm, PL_COMM_LEN));
		break;
	}
	case PL_EV_RENAME: {
		struct pl_rename *e = record_alloc(r, sizeof(*e));

		put_header(&e->h, ev, sizeof(*e));
		memcpy(e->old_comm, ev->rename.old_comm, strnlen(ev->rename.old_comm, PL_COMM_LEN));
		break;
	}
	case PL_EV_TYPE_MAX:
		break;
	}
}

static int load(const char *path, struct records *r)
{
	struct model m;
	struct model_opts mo = { .zombie_age_ns = 5000000000LL, .clk_tck = 100 };
	struct replay rp = { .model = &m, .name = path, .err = stderr, .on_event = pack, .ctx = r };
	FILE *in = fopen(path, "r");
	int err;

	if (!in) {
		fprintf(stderr, "consumer: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	err = model_init(&m, &mo);
	if (!err)
		err = replay_run(&rp, in);
	model_free(&m);
	fclose(in);
	if (err < 0)
		fprintf(stderr, "consumer: cannot read %s: %s\n", path, strerror(-err));
	else if (!r->count)
		fprintf(stderr, "consumer: no events in %s\n", path);
	return err < 0 ? err : r->count ? 0 : -EINVAL;
}

/* Decodes and prints n records, going round the recorded ones. Not inlined: callgrind's toggle. */
static __attribute__((noinline)) unsigned long consume(const struct records *r,
							struct formatter *f, unsigned long n)
{
	unsigned long done = 0, bad = 0;

	while (done < n) {
		for (size_t off = 0; off < r->len && done < n; done++) {
			size_t size;
			struct pl_event ev;

			memcpy(&size, r->buf + off, sizeof(size));
			off += sizeof(size);
			if (event_decode(r->buf + off, ((struct pl_header *)(r->buf + off))->size, &ev))
				bad++;
			else
				format_event(f, &ev);
			off += size;
		}
	}
	outbuf_flush(f->ob);
	return bad;
}

/* User and system CPU apart: system time is the kernel's write path, not the encoder. */
static void cpu_ns(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = ru.ru_utime.tv_sec * 1e9 + ru.ru_utime.tv_usec * 1e3;
	*sys = ru.ru_stime.tv_sec * 1e9 + ru.ru_stime.tv_usec * 1e3;
}

int main(int argc, char **argv)
{
	struct records r = { 0 };
	struct wallclock clock = { .boot_to_real_ns = 0, .cached_sec = -1 };
	struct outbuf out;
	struct formatter f = { .ob = &out, .clock = &clock, .max_args = 64, .json = true };
	const char *output = "/dev/null";
	unsigned long n = 1000000, bad;
	double u0, s0, u1, s1;
	uint64_t start;
	int opt;

	while ((opt = getopt(argc, argv, "n:o:")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'o':
			output = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || !n)
		goto usage;
	if (load(argv[optind], &r))
		return 1;
	if (outbuf_open(&out, output, OUTBUF_SIZE))
		return 1;
	/* -o appends: what this run wrote is what the file grew by. */
	start = out.file->size;
	cpu_ns(&u0, &s0);
	bad = consume(&r, &f, n);
	cpu_ns(&u1, &s1);
	if (outbuf_error(&out)) {
		fprintf(stderr, "consumer: cannot write %s: %s\n", output, strerror(outbuf_error(&out)));
		return 1;
	}
	if (bad) {
		fprintf(stderr, "consumer: %lu records did not decode\n", bad);
		return 1;
	}
	printf("{\"records\":%lu,\"recorded\":%zu,\"cpu_ns_per_record\":%.1f,"
	       "\"user_ns_per_record\":%.1f,\"sys_ns_per_record\":%.1f,\"bytes_per_record\":%.1f}\n",
	       n, r.count, (u1 - u0 + s1 - s0) / n, (u1 - u0) / n, (s1 - s0) / n,
	       out.file->regular ? (double)(out.file->size - start) / n : 0.0);
	outbuf_close(&out);
	free(r.buf);
	return 0;

usage:
	fprintf(stderr, "usage: consumer [-n RECORDS] [-o FILE] TRACE.jsonl\n");
	return 2;
}
