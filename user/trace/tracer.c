#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "cpulist.h"
#include "kernreq.h"
#include "proclife.skel.h"
#include "ringread.h"
#include "tracer.h"

#define DEFAULT_BTF "/sys/kernel/btf/vmlinux"

/* Sizes of the filter's sets: processes inside, and the parents that matter to them. */
#define FILTER_SET_MAX 32768

/*
 * The programs' clock (the kernel's NMI-safe boot time) may lag the one
 * the consumer reads by a little while the kernel adjusts its rate: the
 * merge passes on only records older than now by this much.
 */
#define CLOCK_SLACK_NS 100000
/*
 * A record reserved and not committed yet holds back what sorts after it.
 * Its program is running, so it is committed within microseconds: a poll
 * reads again at once, a few times; the last read, at stop, waits longer.
 */
#define BUSY_TRIES 4
#define DRAIN_TRIES 100
#define DRAIN_WAIT_NS 1000000L

/* One CPU's ring: its fd and the kernel's two mappings of it. */
struct cpu_ring {
	__u32 cpu;
	int fd;
	void *consumer_page;
	void *producer_pages;	/* the producer's page, then the data twice */
};

struct tracer {
	struct proclife_bpf *skel;
	bool filter_on;
	/*
	 * Edge-triggered on every ring: readable only when the programs wake
	 * the consumer (a batch is pending, wakeup_bytes). Level-triggered, a
	 * wait returns at once whenever anything is pending, so under a steady
	 * stream the consumer spins, a record or two per wait.
	 */
	int wake_fd;
	int ncpus;		/* possible CPUs: the range of CPU numbers */
	uint64_t *lost_percpu;
	size_t page_size;
	size_t ring_size;	/* each CPU's */
	struct cpu_ring *rings;	/* one per CPU online at start */
	struct ring_view *views;
	size_t nrings;
	struct ring_reader reader;
	struct epoll_event *ready;	/* a wait's events: one per ring at most */
	tracer_record_fn fn;
	void *ctx;
};

/* libbpf's print hook takes no context, so its one switch lives here. */
static bool libbpf_verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	if (!libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int fail(int err, const char *what)
{
	err = err < 0 ? -err : err;
	if (err == EPERM || err == EACCES)
		fprintf(stderr, "proclife: cannot %s: %s (run as root, or with CAP_BPF and CAP_PERFMON)\n",
			what, strerror(err));
	else
		fprintf(stderr, "proclife: cannot %s: %s\n", what, strerror(err));
	return -err;
}

/*
 * sched_process_exit gained a group_dead argument in newer kernels; reading
 * it on a kernel without it fails verification, so the running kernel's
 * prototype picks the program.
 */
static int exit_has_group_dead(const char *btf_path, bool *has)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, err;

	err = libbpf_get_error(btf);
	if (err)
		return fail(err, "read the kernel's BTF");
	id = btf__find_by_name_kind(btf, "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF);
	if (id < 0) {
		btf__free(btf);
		fprintf(stderr, "proclife: the kernel's BTF has no sched_process_exit tracepoint\n");
		return -ENOENT;
	}
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);
	*has = btf_is_func_proto(t) && btf_vlen(t) >= 3;
	btf__free(btf);
	return 0;
}

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* Without the capability, feature probes fail as if the kernel lacked the feature. */
static bool may_use_bpf(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return true;
	return (data[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32))) ||
	       (data[CAP_BPF / 32].effective & (1u << (CAP_BPF % 32)));
}

/* 1 supported, 0 not, <0 the probe itself failed. */
static int probe_helper(enum bpf_func_id id)
{
	/* Kprobes get every tracing helper that tp_btf programs use. */
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, id, NULL);
}

static int probe_features(struct kernel_features *f)
{
	int ringbuf, task_btf, loop;

	ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	if (ringbuf < 0)
		return ringbuf;
	task_btf = probe_helper(BPF_FUNC_get_current_task_btf);
	if (task_btf < 0)
		return task_btf;
	loop = probe_helper(BPF_FUNC_loop);
	if (loop < 0)
		return loop;
	*f = (struct kernel_features){
		.ringbuf = ringbuf, .get_current_task_btf = task_btf, .loop = loop,
	};
	return 0;
}

static int check_kernel(const struct tracer_config *cfg)
{
	const char *btf = cfg->btf_path ? cfg->btf_path : DEFAULT_BTF;
	struct kernel_features f;
	const char *missing;
	int ret;

	if (access(btf, R_OK)) {
		int err = errno;

		fprintf(stderr, "proclife: no kernel BTF at %s: %s (the kernel needs CONFIG_DEBUG_INFO_BTF=y)\n",
			btf, strerror(err));
		return -err;
	}
	if (!may_use_bpf())
		return fail(EPERM, "use BPF");
	ret = probe_features(&f);
	if (ret < 0)
		return fail(ret, "use BPF");
	missing = kernel_missing(&f);
	if (missing) {
		fprintf(stderr, "proclife: this kernel lacks %s (Linux %s or newer is needed)\n",
			missing, KERNEL_MIN_VERSION);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Programs no command asked for are not loaded, so never attached. */
static void choose_programs(struct proclife_bpf *skel, uint32_t programs, bool group_dead)
{
	const struct {
		struct bpf_program *prog;
		enum pl_event_type type;
	} progs[] = {
		{ skel->progs.handle_fork, PL_EV_FORK },
		{ skel->progs.handle_exec, PL_EV_EXEC },
		{ skel->progs.handle_exit, PL_EV_EXIT },
		{ skel->progs.handle_exit_group_dead, PL_EV_EXIT },
		{ skel->progs.handle_free, PL_EV_REAP },
		{ skel->progs.handle_signal_generate, PL_EV_SIGNAL_GENERATE },
		{ skel->progs.handle_signal_deliver, PL_EV_SIGNAL_DELIVER },
		{ skel->progs.handle_rename, PL_EV_RENAME },
	};

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (!(programs & (1u << progs[i].type)))
			bpf_program__set_autoload(progs[i].prog, false);
	bpf_program__set_autoload(group_dead ? skel->progs.handle_exit : skel->progs.handle_exit_group_dead, false);
}

/*
 * The programs that keep the filter's sets, whatever is printed: a fork
 * puts a child among -p's descendants, and an exit judges a process as it
 * ends (nothing a filter looks at changes after it), for a free only reads
 * the sets.
 */
static uint32_t with_set_keepers(uint32_t programs, const struct tracer_filter *f)
{
	if (f->pid)
		programs |= 1u << PL_EV_FORK;
	if ((f->comm || f->uid_on || f->ncgroups) && (programs & (1u << PL_EV_REAP)))
		programs |= 1u << PL_EV_EXIT;
	return programs;
}

static int configure_filter(struct tracer *t, const struct tracer_filter *f)
{
	struct proclife_bpf *skel = t->skel;
	struct bpf_map *sets[] = { skel->maps.descendants, skel->maps.inside, skel->maps.context };
	uint32_t min_level = UINT32_MAX, max_level = 0;

	t->filter_on = f->pid || f->comm || f->uid_on || f->ncgroups;
	bpf_program__set_autoattach(skel->progs.seed_filter, false);
	if (!t->filter_on) {
		bpf_program__set_autoload(skel->progs.seed_filter, false);
		return 0;
	}
	skel->rodata->filter_on = true;
	skel->rodata->filter_pid = f->pid;
	skel->rodata->filter_sticky = f->comm || f->uid_on || f->ncgroups;
	if (f->comm) {
		skel->rodata->filter_comm_on = true;
		strncpy((char *)skel->rodata->filter_comm, f->comm, PL_COMM_LEN - 1);
	}
	skel->rodata->filter_uid_on = f->uid_on;
	skel->rodata->filter_uid = f->uid;
	for (size_t i = 0; i < f->ncgroups; i++) {
		min_level = f->cgroups[i].level < min_level ? f->cgroups[i].level : min_level;
		max_level = f->cgroups[i].level > max_level ? f->cgroups[i].level : max_level;
	}
	skel->rodata->filter_cgroup_on = f->ncgroups;
	skel->rodata->filter_cgroup_min_level = f->ncgroups ? min_level : 0;
	skel->rodata->filter_cgroup_max_level = max_level;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (bpf_map__set_max_entries(sets[i], FILTER_SET_MAX))
			return fail(errno, "size the filter's maps");
	if (f->ncgroups && bpf_map__set_max_entries(skel->maps.filter_cgroups, f->ncgroups))
		return fail(errno, "size the filter's maps");
	return 0;
}

/* After load: the target cgroups' ids go into their map. */
static int fill_cgroups(struct tracer *t, const struct tracer_filter *f)
{
	uint8_t one = 1;

	for (size_t i = 0; i < f->ncgroups; i++)
		if (bpf_map__update_elem(t->skel->maps.filter_cgroups, &f->cgroups[i].id,
					 sizeof(f->cgroups[i].id), &one, sizeof(one), BPF_ANY))
			return fail(errno, "set the cgroup filter");
	return 0;
}

static int configure(struct tracer *t, const struct tracer_config *cfg)
{
	struct proclife_bpf *skel = t->skel;
	bool group_dead = false;
	int err;

	err = exit_has_group_dead(cfg->btf_path, &group_dead);
	if (err)
		return err;
	choose_programs(skel, with_set_keepers(cfg->programs, &cfg->filter), group_dead);
	err = configure_filter(t, &cfg->filter);
	if (err)
		return err;
	skel->rodata->exit_dedupe = !group_dead;
	skel->rodata->thread_renames = cfg->thread_renames;
	skel->rodata->thread_exits = cfg->thread_exits;
	skel->rodata->arg_bytes = cfg->arg_bytes;
	/* Wake the consumer in batches of an eighth of a ring; the poll timeout bounds a partial batch's wait. */
	skel->rodata->wakeup_bytes = t->ring_size / 8;
	/* Any ring serves as the model of the map's values. */
	err = bpf_map__set_inner_map_fd(skel->maps.rings, t->rings[0].fd);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.rings, t->ncpus);
	if (err)
		return fail(err, "size the map of ring buffers");
	if (group_dead)
		bpf_map__set_max_entries(skel->maps.exit_seen, 1);
	return 0;
}

/* Which CPUs get a ring: those online now (a CPU brought online later has none). */
static int online_cpus(bool *online, int ncpus)
{
	char list[4096];
	ssize_t len;
	int fd, n;

	fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(errno, "read /sys/devices/system/cpu/online");
	len = read(fd, list, sizeof(list) - 1);
	close(fd);
	if (len < 0)
		return fail(errno, "read /sys/devices/system/cpu/online");
	list[len] = '\0';
	n = cpulist_parse(list, online, ncpus);
	if (n < 0)
		fprintf(stderr, "proclife: cannot parse /sys/devices/system/cpu/online: \"%.*s\"\n",
			(int)strcspn(list, "\n"), list);
	return n;
}

/* Mapped after the programs are loaded: loading's own memory is given back by then. */
static int map_ring(struct tracer *t, struct cpu_ring *ring, struct ring_view *view)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	uint8_t *producer;

	ring->consumer_page = mmap(NULL, t->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, ring->fd, 0);
	if (ring->consumer_page == MAP_FAILED) {
		ring->consumer_page = NULL;
		return fail(errno, "map a ring buffer");
	}
	ring->producer_pages = mmap(NULL, t->page_size + 2 * t->ring_size, PROT_READ, MAP_SHARED,
				    ring->fd, t->page_size);
	if (ring->producer_pages == MAP_FAILED) {
		ring->producer_pages = NULL;
		return fail(errno, "map a ring buffer");
	}
	if (epoll_ctl(t->wake_fd, EPOLL_CTL_ADD, ring->fd, &ev))
		return fail(errno, "wait on a ring buffer");
	producer = ring->producer_pages;
	*view = (struct ring_view){
		.consumer_pos = ring->consumer_page,
		.producer_pos = (const unsigned long *)producer,
		.data = producer + t->page_size,
		.mask = t->ring_size - 1,
	};
	return 0;
}

/* Before load: a ring for each online CPU (a CPU brought online later has none). */
static int create_rings(struct tracer *t, const struct tracer_config *cfg)
{
	size_t largest = offsetof(struct pl_exec, data) + PL_FILENAME_MAX + cfg->arg_bytes;
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	bool *online = calloc(t->ncpus, sizeof(*online));
	int err;

	if (!online)
		return fail(ENOMEM, "start");
	err = online_cpus(online, t->ncpus);
	if (err < 0)
		goto out;
	t->ring_size = ring_size_per_cpu(cfg->ringbuf_size, err, t->page_size, largest);
	for (int cpu = 0; cpu < t->ncpus; cpu++) {
		struct cpu_ring *ring = &t->rings[t->nrings];

		if (!online[cpu])
			continue;
		t->nrings++;
		ring->cpu = cpu;
		ring->fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "proclife_ring", 0, 0, t->ring_size, &opts);
		if (ring->fd < 0) {
			err = fail(errno, "create a ring buffer");
			goto out;
		}
	}
	err = 0;
out:
	free(online);
	return err;
}

/* After load: each ring into the programs' map at its CPU's number, and mapped to be read. */
static int give_rings(struct tracer *t)
{
	int rings_fd = bpf_map__fd(t->skel->maps.rings), err;

	t->wake_fd = epoll_create1(EPOLL_CLOEXEC);
	if (t->wake_fd < 0)
		return fail(errno, "wait on the ring buffers");
	for (size_t i = 0; i < t->nrings; i++) {
		err = map_ring(t, &t->rings[i], &t->views[i]);
		if (err)
			return err;
		if (bpf_map_update_elem(rings_fd, &t->rings[i].cpu, &t->rings[i].fd, BPF_ANY))
			return fail(errno, "give a CPU its ring buffer");
	}
	if (ring_reader_init(&t->reader, t->views, t->nrings))
		return fail(ENOMEM, "read the ring buffers");
	return 0;
}

int tracer_start(struct tracer **out, const struct tracer_config *cfg,
		 tracer_record_fn fn, void *ctx)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = cfg->btf_path);
	struct tracer *t;
	int err;

	libbpf_verbose = cfg->verbose;
	libbpf_set_print(print_libbpf);
	err = check_kernel(cfg);
	if (err)
		return err;

	t = calloc(1, sizeof(*t));
	if (!t)
		return fail(ENOMEM, "start");
	t->wake_fd = -1;
	t->fn = fn;
	t->ctx = ctx;
	t->page_size = sysconf(_SC_PAGESIZE);
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus < 0) {
		err = fail(t->ncpus, "count CPUs");
		goto cleanup;
	}
	t->lost_percpu = calloc(t->ncpus, sizeof(*t->lost_percpu));
	t->rings = calloc(t->ncpus, sizeof(*t->rings));
	t->views = calloc(t->ncpus, sizeof(*t->views));
	t->ready = calloc(t->ncpus, sizeof(*t->ready));
	if (!t->lost_percpu || !t->rings || !t->views || !t->ready) {
		err = fail(ENOMEM, "start");
		goto cleanup;
	}
	err = create_rings(t, cfg);
	if (err)
		goto cleanup;

	t->skel = proclife_bpf__open_opts(&open_opts);
	if (!t->skel) {
		err = fail(errno, "open the BPF object");
		goto cleanup;
	}
	err = configure(t, cfg);
	if (err)
		goto cleanup;
	err = proclife_bpf__load(t->skel);
	if (err) {
		err = fail(err, cfg->verbose ? "load the BPF programs" :
					       "load the BPF programs (-v shows libbpf's log)");
		goto cleanup;
	}
	err = fill_cgroups(t, &cfg->filter);
	if (!err)
		err = give_rings(t);
	if (err)
		goto cleanup;
	err = proclife_bpf__attach(t->skel);
	if (err) {
		err = fail(err, "attach the BPF programs to their tracepoints");
		goto cleanup;
	}
	*out = t;
	return 0;

cleanup:
	tracer_destroy(t);
	return err;
}

int tracer_seed_filter(struct tracer *t, struct pl_seed **out, size_t *n)
{
	struct pl_seed *seeds = NULL;
	size_t len = 0, cap = 0;
	struct bpf_link *link;
	ssize_t got;
	int fd, err = 0;

	*out = NULL;
	*n = 0;
	if (!t->filter_on)
		return 0;
	link = bpf_program__attach_iter(t->skel->progs.seed_filter, NULL);
	if (!link)
		return fail(errno, "attach the filter's task iterator");
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = fail(errno, "run the filter's task iterator");
		goto out;
	}
	for (;;) {
		if (cap - len < 256) {
			struct pl_seed *more = realloc(seeds, (cap + 4096) * sizeof(*seeds));

			if (!more) {
				err = fail(ENOMEM, "list the processes of the filter");
				goto out;
			}
			seeds = more;
			cap += 4096;
		}
		got = read(fd, seeds + len, (cap - len) * sizeof(*seeds));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = fail(errno, "read the filter's task iterator");
			goto out;
		}
		if (got == 0)
			break;
		len += got / sizeof(*seeds);
	}
	*out = seeds;
	*n = len;
	seeds = NULL;
out:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	free(seeds);
	return err;
}

int tracer_fd(const struct tracer *t)
{
	return t->wake_fd;
}

void tracer_ring_usage(const struct tracer *t, uint64_t *pending, uint64_t *size)
{
	ring_reader_usage(&t->reader, pending, size);
}

static int read_rings(struct tracer *t, uint64_t limit_ns, int tries, long pause_ns)
{
	struct timespec pause = { 0, pause_ns };
	int total = 0, n;

	for (;;) {
		n = ring_reader_read(&t->reader, limit_ns, t->fn, t->ctx);
		if (n < 0)
			return n;
		total += n;
		if (t->reader.held != RING_BUSY || --tries <= 0)
			return total;
		if (pause_ns)
			nanosleep(&pause, NULL);
	}
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	/* Every ring's readiness at once: one read empties them all. */
	if (epoll_wait(t->wake_fd, t->ready, t->nrings, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	/*
	 * Records committed without a wake-up are read too, and so are those
	 * held back for order: the timeout bounds their wait, as it bounds a
	 * partial batch's.
	 */
	return read_rings(t, boottime_now_ns() - CLOCK_SLACK_NS, BUSY_TRIES, 0);
}

int tracer_drain(struct tracer *t)
{
	struct timespec slack = { 0, CLOCK_SLACK_NS };
	uint64_t now = boottime_now_ns();

	nanosleep(&slack, NULL);
	return read_rings(t, now, DRAIN_TRIES, DRAIN_WAIT_NS);
}

/*
 * The kernel skips a program rather than run it nested in itself on one CPU
 * (an interrupt during the same program): each skip is an event not sent.
 */
static uint64_t recursion_misses(struct tracer *t)
{
	struct bpf_program *prog;
	uint64_t total = 0;

	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (bpf_program__fd(prog) >= 0 &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			total += info.recursion_misses;
	}
	return total;
}

int tracer_lost(struct tracer *t, uint64_t *total)
{
	uint32_t zero = 0;

	if (bpf_map__lookup_elem(t->skel->maps.lost, &zero, sizeof(zero), t->lost_percpu,
				 t->ncpus * sizeof(*t->lost_percpu), 0))
		return fail(errno, "read the lost-event counters");
	*total = recursion_misses(t);
	for (int i = 0; i < t->ncpus; i++)
		*total += t->lost_percpu[i];
	return 0;
}

void tracer_destroy(struct tracer *t)
{
	if (!t)
		return;
	proclife_bpf__destroy(t->skel);
	for (size_t i = 0; i < t->nrings; i++) {
		struct cpu_ring *ring = &t->rings[i];

		if (ring->producer_pages)
			munmap(ring->producer_pages, t->page_size + 2 * t->ring_size);
		if (ring->consumer_page)
			munmap(ring->consumer_page, t->page_size);
		if (ring->fd >= 0)
			close(ring->fd);
	}
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	ring_reader_free(&t->reader);
	free(t->rings);
	free(t->ready);
	free(t->views);
	free(t->lost_percpu);
	free(t);
}
