#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include "json.h"
#include "metrics.h"
#include "status.h"

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value is UTF-8 with '\\', '"' and newline escaped; other bytes become U+FFFD. */
static void label_value(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0, len;

	fputc('"', f);
	while (i < n) {
		if (s[i] == '\\' || s[i] == '"') {
			fputc('\\', f);
			fputc(s[i++], f);
		} else if (s[i] == '\n') {
			fputs("\\n", f);
			i++;
		} else if (s[i] < 0x80) {
			fputc(s[i++], f);
		} else if ((len = utf8_valid_len(s + i, n - i))) {
			fwrite(s + i, 1, len, f);
			i += len;
		} else {
			fputs("\xef\xbf\xbd", f);
			i++;
		}
	}
	fputc('"', f);
}

static void events(FILE *f, const struct metrics_counts *c)
{
	header(f, "proclife_events_total", "counter",
	       "Events received from the kernel, by type (a signal counts when sent and when delivered).");
	for (int t = 1; t < PL_EV_TYPE_MAX; t++) {
		const char *name = event_type_name(t);
		uint64_t n = 0;

		/* Types that share a name (the two signal stages) are one series. */
		if (event_type_from_name(name) != t)
			continue;
		for (int u = t; u < PL_EV_TYPE_MAX; u++)
			if (!strcmp(event_type_name(u), name))
				n += c->events[u];
		fprintf(f, "proclife_events_total{type=\"%s\"} %llu\n", name, (unsigned long long)n);
	}
}

static void orphans(FILE *f, const struct metrics_counts *c)
{
	header(f, "proclife_orphans_total", "counter",
	       "Live processes re-parented because their parent thread or process ended, by the kernel's reaper rule.");
	for (int r = PL_REAPER_NONE + 1; r <= PL_REAPER_INIT; r++)
		fprintf(f, "proclife_orphans_total{rule=\"%s\"} %llu\n", reaper_rule_name(r),
			(unsigned long long)c->orphans[r]);
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	header(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

static void gauge(FILE *f, const char *name, const char *help, uint64_t v)
{
	header(f, name, "gauge", help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

struct parent_count {
	uint32_t pid;
	const char *comm;	/* "" when the parent is not in the model */
	uint64_t zombies;
};

static int by_pid(const void *a, const void *b)
{
	const struct parent_count *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int by_zombies_desc(const void *a, const void *b)
{
	const struct parent_count *x = a, *y = b;

	if (x->zombies != y->zombies)
		return x->zombies < y->zombies ? 1 : -1;
	return by_pid(a, b);
}

/* The leaked zombies, one entry each, gathered in the pass that counts the gauges. */
struct leaked_list {
	struct parent_count *pc;
	size_t n, cap;
};

static int leaked_add(struct leaked_list *l, const struct proc *p)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct parent_count *pc = realloc(l->pc, cap * sizeof(*pc));

		if (!pc)
			return -ENOMEM;
		l->pc = pc;
		l->cap = cap;
	}
	l->pc[l->n++] = (struct parent_count){
		.pid = p->ppid, .comm = p->parent ? p->parent->comm : "", .zombies = 1,
	};
	return 0;
}

/*
 * One series per parent for the METRICS_TOP_PARENTS parents holding the
 * most leaked zombies, one for all the others: a host with thousands of
 * leaking parents still exports a bounded number of series.
 */
static void leaked_by_parent(FILE *f, struct leaked_list *l)
{
	struct parent_count *pc = l->pc;
	size_t groups = 0;
	uint64_t other = 0;

	header(f, "proclife_leaked_zombies_by_parent", "gauge",
	       "Leaked zombies by the parent that does not reap them (the top "
	       "parents by count; the rest summed with parent_pid=\"other\").");
	if (!l->n)
		return;
	qsort(pc, l->n, sizeof(*pc), by_pid);
	for (size_t i = 0; i < l->n; i++) {
		if (groups && pc[groups - 1].pid == pc[i].pid)
			pc[groups - 1].zombies++;
		else
			pc[groups++] = pc[i];
	}
	qsort(pc, groups, sizeof(*pc), by_zombies_desc);
	for (size_t i = 0; i < groups; i++) {
		if (i >= METRICS_TOP_PARENTS) {
			other += pc[i].zombies;
			continue;
		}
		fprintf(f, "proclife_leaked_zombies_by_parent{parent_pid=\"%u\",parent_comm=", pc[i].pid);
		label_value(f, pc[i].comm);
		fprintf(f, "} %llu\n", (unsigned long long)pc[i].zombies);
	}
	if (other)
		fprintf(f, "proclife_leaked_zombies_by_parent{parent_pid=\"other\",parent_comm=\"\"} %llu\n",
			(unsigned long long)other);
}

static int model_gauges(FILE *f, const struct model *m)
{
	struct leaked_list leaked = { 0 };
	struct proctable_iter it;
	const struct proc *p;
	uint64_t alive = 0, zombies = 0;

	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it))) {
		/* A zombie /proc showed reaped only waits for its late free event. */
		bool zombie = p->state == PROC_ZOMBIE && !(p->flags & PROC_REAPED);

		alive += p->state == PROC_ALIVE;
		zombies += zombie;
		if (zombie && (p->flags & PROC_REPORTED) && leaked_add(&leaked, p)) {
			free(leaked.pc);
			return -ENOMEM;
		}
	}
	gauge(f, "proclife_processes", "Live processes in the model.", alive);
	gauge(f, "proclife_zombies", "Processes that exited and are not reaped yet.", zombies);
	gauge(f, "proclife_leaked_zombies",
	      "Zombies unreaped for longer than the zombie age (--zombie-age).", leaked.n);
	leaked_by_parent(f, &leaked);
	free(leaked.pc);
	return 0;
}

/* Our own usage, under the names of Prometheus's process collector. */
static int self_usage(FILE *f)
{
	struct rusage ru;
	unsigned long long size, resident;
	FILE *statm;
	int n;

	if (getrusage(RUSAGE_SELF, &ru))
		return -errno;
	statm = fopen("/proc/self/statm", "re");
	if (!statm)
		return -errno;
	n = fscanf(statm, "%llu %llu", &size, &resident);
	fclose(statm);
	if (n != 2)
		return -EIO;
	header(f, "process_cpu_seconds_total", "counter", "User and system CPU time spent by proclife, in seconds.");
	fprintf(f, "process_cpu_seconds_total %.6f\n",
		ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	gauge(f, "process_resident_memory_bytes", "Resident memory of proclife, in bytes.",
	      resident * (unsigned long long)sysconf(_SC_PAGESIZE));
	return 0;
}

int metrics_render(FILE *f, const struct model *m, const struct metrics_counts *c)
{
	int err;

	header(f, "proclife_build_info", "gauge", "The proclife version and the git commit it was built from.");
	fprintf(f, "proclife_build_info{version=\"%s\",commit=\"%s\"} 1\n", PROCLIFE_VERSION,
		PROCLIFE_COMMIT);
	events(f, c);
	counter(f, "proclife_events_lost_total",
		"Events the kernel could not send (ring buffer full, or a program skipped).", c->lost);
	counter(f, "proclife_records_malformed_total", "Ring-buffer records dropped as malformed.",
		c->malformed);
	counter(f, "proclife_reaps_inferred_total",
		"Reaps the model inferred because the kernel's event never came.", m->inferred_reaps);
	counter(f, "proclife_leaked_zombie_reports_total", "Zombies reported as leaked.",
		c->leaked_reports);
	orphans(f, c);
	err = model_gauges(f, m);
	if (err)
		return err;
	gauge(f, "proclife_ring_buffer_pending_bytes",
	      "Bytes the kernel wrote to the fullest CPU's ring buffer that proclife has not read yet.",
	      c->ring_pending);
	gauge(f, "proclife_ring_buffer_size_bytes",
	      "Size of each CPU's ring buffer (--buffer-size shared among the CPUs).", c->ring_size);
	counter(f, "proclife_output_rotations_total",
		"Output files begun by a rotation (--rotate-size) or a reopen (SIGHUP).",
		c->rotations);
	counter(f, "proclife_clock_steps_total",
		"Steps of the wall clock that the lines' times followed.", c->clock_steps);
	return self_usage(f);
}
