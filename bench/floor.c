/*
 * floor [FIRST]: loads and attaches bench/floor.bpf.c, prints "ready", then consumes its
 * ring buffers (a ring per possible CPU, proclife's 8 MiB shared among them) until
 * SIGINT or SIGTERM, as proclife's consumer would (records are read from
 * another CPU than the one that wrote them). bench/run reads
 * the programs' run-time statistics from this process's fds meanwhile. At the
 * end it prints one JSON line: records consumed, failed reservations and the
 * record size.
 *
 * The programs of one tracepoint run in the order they were attached: the
 * first attached is program FIRST (0 by default), then the next ones in turn,
 * so that rounds can rotate which one runs first.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "proclife.h"
#include "floor.skel.h"

/* How often the buffers are drained: 8 MiB holds far more than a storm makes meanwhile. */
#define DRAIN_INTERVAL_NS (10 * 1000 * 1000)
#define RING_SPACE (8 << 20)

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int count_record(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	++*(unsigned long long *)ctx;
	return 0;
}

static unsigned long long failed_reservations(struct floor_bpf *skel)
{
	int cpus = libbpf_num_possible_cpus(), i;
	unsigned long long total = 0;
	__u64 per_cpu[cpus > 0 ? cpus : 1];
	__u32 zero = 0;

	if (cpus <= 0 || bpf_map__lookup_elem(skel->maps.failed, &zero, sizeof(zero), per_cpu,
					      sizeof(per_cpu), 0))
		return 0;
	for (i = 0; i < cpus; i++)
		total += per_cpu[i];
	return total;
}

/* A ring for every possible CPU (no ordering here: records are only counted). */
static int make_rings(struct floor_bpf *skel, int *fds, int cpus)
{
	size_t size = 4096;

	while (size * 2 <= RING_SPACE / (size_t)cpus)
		size *= 2;
	for (int i = 0; i < cpus; i++)
		fds[i] = -1;
	for (int i = 0; i < cpus; i++) {
		fds[i] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "floor_ring", 0, 0, size, NULL);
		if (fds[i] < 0)
			return -errno;
	}
	if (bpf_map__set_inner_map_fd(skel->maps.rings, fds[0]) ||
	    bpf_map__set_max_entries(skel->maps.rings, cpus))
		return -errno;
	return 0;
}

static int give_rings(struct floor_bpf *skel, const int *fds, int cpus)
{
	for (__u32 cpu = 0; cpu < (__u32)cpus; cpu++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.rings), &cpu, &fds[cpu], BPF_ANY))
			return -errno;
	return 0;
}

static int attach_from(struct floor_bpf *skel, int first)
{
	const struct bpf_object_skeleton *s = skel->skeleton;
	int i;

	for (i = 0; i < s->prog_cnt; i++) {
		const struct bpf_prog_skeleton *p = &s->progs[(first + i) % s->prog_cnt];

		*p->link = bpf_program__attach(*p->prog);
		if (!*p->link) {
			int err = errno;

			fprintf(stderr, "floor: cannot attach %s: %s\n", p->name, strerror(err));
			return -err;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec interval = {0, DRAIN_INTERVAL_NS};
	struct sigaction sa = {.sa_handler = on_stop};
	unsigned long long records = 0;
	int cpus = libbpf_num_possible_cpus();
	struct ring_buffer *rb = NULL;
	struct floor_bpf *skel;
	long first = 0;
	char *end = NULL;
	int err, *fds;

	if (argc > 1)
		first = strtol(argv[1], &end, 10);
	if (argc > 2 || (end && (*end || end == argv[1] || first < 0))) {
		fprintf(stderr, "usage: floor [FIRST]: FIRST, a program's index, attaches first\n");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fds = calloc(cpus > 0 ? cpus : 1, sizeof(*fds));
	skel = floor_bpf__open();
	if (cpus <= 0 || !fds || !skel) {
		fprintf(stderr, "floor: cannot open the BPF programs: %s\n", strerror(errno));
		return 1;
	}
	err = make_rings(skel, fds, cpus);
	if (err) {
		fprintf(stderr, "floor: cannot make the ring buffers: %s\n", strerror(-err));
		goto out;
	}
	err = floor_bpf__load(skel);
	if (!err)
		err = give_rings(skel, fds, cpus);
	if (err) {
		fprintf(stderr, "floor: cannot load the BPF programs: %s\n", strerror(-err));
		goto out;
	}
	err = attach_from(skel, first % skel->skeleton->prog_cnt);
	if (err)
		goto out;
	rb = ring_buffer__new(fds[0], count_record, &records, NULL);
	err = rb ? 0 : -errno;
	for (int i = 1; !err && i < cpus; i++)
		err = ring_buffer__add(rb, fds[i], count_record, &records);
	if (err) {
		fprintf(stderr, "floor: cannot map the ring buffers: %s\n", strerror(-err));
		goto out;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stopping) {
		ring_buffer__consume(rb);
		nanosleep(&interval, NULL);
	}
	ring_buffer__consume(rb);
	printf("{\"records\":%llu,\"failed_reservations\":%llu,\"record_bytes\":%zu}\n", records,
	       failed_reservations(skel), sizeof(struct pl_fork));
out:
	ring_buffer__free(rb);
	floor_bpf__destroy(skel);
	for (int i = 0; i < cpus; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return err ? 1 : 0;
}
