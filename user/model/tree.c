#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "report.h"
#include "status.h"
#include "tree.h"

/*
 * The table's entries in pid order with each one's children as a slice of
 * kids[]: children of procs[i] are kids[first[i]] .. kids[first[i + 1] - 1],
 * and i == n stands for the roots. Built per rendering; the table itself
 * keeps no order.
 */
struct forest {
	const struct proc **procs;
	size_t n;
	size_t *first;
	size_t *kids;
};

static int by_key(const void *a, const void *b)
{
	const struct proc *p = *(const struct proc *const *)a, *q = *(const struct proc *const *)b;

	if (p->pid != q->pid)
		return p->pid < q->pid ? -1 : 1;
	if (p->start_ns != q->start_ns)
		return p->start_ns < q->start_ns ? -1 : 1;
	return 0;
}

static void forest_free(struct forest *fo)
{
	free(fo->procs);
	free(fo->first);
	free(fo->kids);
}

static size_t index_of(const struct forest *fo, const struct proc *p)
{
	const struct proc **hit;

	if (!p)
		return fo->n;
	hit = bsearch(&p, fo->procs, fo->n, sizeof(*fo->procs), by_key);
	return hit ? (size_t)(hit - fo->procs) : fo->n;
}

/* Reaped, its free still to come: /proc no longer has it, nor does any view. */
static bool shown(const struct proc *p)
{
	return !(p->flags & PROC_REAPED);
}

static int forest_build(struct forest *fo, const struct model *m)
{
	struct proctable_iter it;
	struct proc *p;
	size_t n = m->table.count, i, *cursor;

	*fo = (struct forest){ .n = n };
	fo->procs = malloc((n + 1) * sizeof(*fo->procs));
	fo->first = calloc(n + 2, sizeof(*fo->first));
	fo->kids = malloc((n + 1) * sizeof(*fo->kids));
	cursor = calloc(n + 1, sizeof(*cursor));
	if (!fo->procs || !fo->first || !fo->kids || !cursor) {
		free(cursor);
		forest_free(fo);
		return -ENOMEM;
	}
	i = 0;
	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it)))
		if (shown(p))
			fo->procs[i++] = p;
	fo->n = n = i;
	qsort(fo->procs, n, sizeof(*fo->procs), by_key);
	/* cursor[] first holds each parent's index, then where its next child goes. */
	for (i = 0; i < n; i++)
		fo->first[index_of(fo, fo->procs[i]->parent) + 1]++;
	for (i = 0; i <= n; i++) {
		fo->first[i + 1] += fo->first[i];
		cursor[i] = fo->first[i];
	}
	for (i = 0; i < n; i++)
		fo->kids[cursor[index_of(fo, fo->procs[i]->parent)]++] = i;
	free(cursor);
	return 0;
}

static void put_seconds(struct outbuf *ob, int64_t ns)
{
	outbuf_printf(ob, "%.3f s", ns / 1e9);
}

static const struct container_ref *container_of(const struct formatter *f, const struct proc *p)
{
	const struct place *pl = p ? format_place(f, p->place) : NULL;

	return pl && pl->in_container ? &pl->ctr : NULL;
}

/* The process whose parent is outside its container: where the container starts. */
static void put_container_root(const struct formatter *f, const struct proc *p)
{
	const struct container_ref *c = container_of(f, p), *up = container_of(f, p->parent);
	size_t n;

	if (!c || (up && !strcmp(up->id, c->id)))
		return;
	n = strlen(c->id);
	outbuf_puts(f->ob, " [container ");
	format_text_safe(f->ob, c->id, n < PL_SHORT_ID_LEN ? n : PL_SHORT_ID_LEN);
	outbuf_printf(f->ob, " %s", c->runtime);
	if (c->pod_uid[0])
		outbuf_printf(f->ob, ", pod %s", c->pod_uid);
	outbuf_putc(f->ob, ']');
}

static void put_label(const struct formatter *f, const struct proc *p, uint64_t now_ns)
{
	struct outbuf *ob = f->ob;

	outbuf_u64(ob, p->pid);
	outbuf_putc(ob, ' ');
	format_text_safe(ob, p->comm, strlen(p->comm));
	if (p->state == PROC_ALIVE && p->nthreads > 1)
		outbuf_printf(ob, " {%u threads}", p->nthreads);
	put_container_root(f, p);
	if (p->state == PROC_ZOMBIE && (p->flags & PROC_EXIT_SEEN)) {
		outbuf_puts(ob, " <zombie ");
		put_seconds(ob, (int64_t)(now_ns - p->exit_ns));
		outbuf_putc(ob, '>');
	} else if (p->state == PROC_ZOMBIE) {
		/* Its exit predates the scan: only a lower bound is known. */
		outbuf_puts(ob, " <zombie for more than ");
		put_seconds(ob, (int64_t)(now_ns - p->exit_ns));
		outbuf_puts(ob, " (age unknown: older than proclife)>");
	}
	if (!(p->flags & PROC_ORPHAN))
		return;
	if (p->orphan_rule == PL_REAPER_THREAD)
		outbuf_puts(ob, " (orphan: its parent thread ended)");
	else
		outbuf_printf(ob, " (orphan of %u, adopted by %s)", p->orphan_ppid,
			      reaper_rule_alone(p->orphan_rule));
}

struct frame {
	size_t pos, end;	/* the slice of kids[] still to print */
	size_t prefix_len;	/* of the lines of those kids */
};

static int print_text_tree(const struct formatter *f, const struct forest *fo, uint64_t now_ns)
{
	struct outbuf *ob = f->ob;
	/* Depth is bounded by the process count: a chain of forks is legal. */
	struct frame *stack = malloc((fo->n + 1) * sizeof(*stack));
	char *prefix = malloc(4 * (fo->n + 1));
	size_t depth = 0;

	if (!stack || !prefix) {
		free(stack);
		free(prefix);
		return -ENOMEM;
	}
	stack[depth++] = (struct frame){ fo->first[fo->n], fo->first[fo->n + 1], 0 };
	while (depth) {
		struct frame *fr = &stack[depth - 1];
		size_t k, plen = fr->prefix_len;
		bool last, root = depth == 1;

		if (fr->pos == fr->end) {
			depth--;
			continue;
		}
		k = fo->kids[fr->pos++];
		last = fr->pos == fr->end;
		if (!root) {
			outbuf_write(ob, prefix, plen);
			outbuf_puts(ob, last ? "`-- " : "|-- ");
		}
		put_label(f, fo->procs[k], now_ns);
		outbuf_putc(ob, '\n');
		if (fo->first[k] == fo->first[k + 1])
			continue;
		if (!root) {
			memcpy(prefix + plen, last ? "    " : "|   ", 4);
			plen += 4;
		}
		stack[depth++] = (struct frame){ fo->first[k], fo->first[k + 1], plen };
	}
	free(stack);
	free(prefix);
	return 0;
}

static void put_snapshot_proc(struct jw *w, const struct formatter *f, const struct proc *p,
			      uint64_t now_ns)
{
	const struct place *pl = format_place(f, p->place);

	jw_begin(w, w->ob);
	jw_u64(w, "pid", p->pid);
	jw_u64(w, "ppid", p->ppid);
	jw_cstr(w, "comm", p->comm);
	jw_u64(w, "start_ns", p->start_ns);
	if (pl) {
		format_json_place(w, pl->cgroup_id, pl->pidns, p->ns_pid, pl);
		/* The whole model in one line: every known path, so a replay knows them. */
		if (pl->cgroup && !pl->in_container)
			jw_cstr(w, "cgroup", pl->cgroup);
	}
	if (p->flags & PROC_COARSE)
		jw_bool(w, "coarse", true);
	if (p->flags & PROC_FROM_SCAN)
		jw_bool(w, "scan", true);
	if (p->filename[0])
		jw_cstr(w, "filename", p->filename);
	if (p->ptid)
		jw_u64(w, "parent_tid", p->ptid);
	if (p->state == PROC_ALIVE) {
		jw_u64(w, "threads", p->nthreads);
	} else {
		jw_i64(w, "zombie_ns", (int64_t)(now_ns - p->exit_ns));
		if (p->flags & PROC_EXIT_SEEN)
			format_json_status(w, p->status);
		else
			jw_bool(w, "zombie_since_scan", true);
		if (p->flags & PROC_AUTOREAP)
			jw_bool(w, "autoreap", true);
	}
	if (p->flags & PROC_ORPHAN) {
		jw_u64(w, "orphan_of", p->orphan_ppid);
		jw_cstr(w, "reaper_rule", reaper_rule_name(p->orphan_rule) ?
			reaper_rule_name(p->orphan_rule) : "unknown");
	}
	outbuf_putc(w->ob, '}');
}

/* The procs fo->procs[from .. to) as one part of snapshot id. */
static void write_part(struct formatter *f, const struct model *m, const struct forest *fo,
		       uint64_t now_ns, uint64_t id, uint32_t part, uint32_t parts, size_t from,
		       size_t to)
{
	char time[31];
	struct jw w, pw = { .ob = f->ob };

	wallclock_rfc3339(f->clock, now_ns, time);
	jw_begin(&w, f->ob);
	jw_cstr(&w, "type", "snapshot");
	jw_str(&w, "time", time, 30);
	jw_u64(&w, "snapshot_id", id);
	jw_u64(&w, "part", part);
	jw_u64(&w, "parts", parts);
	jw_i64(&w, "clk_tck", m->clk_tck);
	jw_key(&w, "procs");
	outbuf_putc(f->ob, '[');
	for (size_t i = from; i < to; i++) {
		if (i > from)
			outbuf_putc(f->ob, ',');
		put_snapshot_proc(&pw, f, fo->procs[i], now_ns);
	}
	outbuf_putc(f->ob, ']');
	format_json_end(f, &w);
}

/*
 * Parts of at most TREE_SNAPSHOT_PART_MAX bytes each: measured first, each
 * process and the widest header rendered into a scratch buffer, then
 * written. ends[k] is where part k + 1 stops; returns the part count.
 */
static int plan_parts(struct formatter *f, const struct model *m, const struct forest *fo,
		      uint64_t now_ns, size_t *ends, uint32_t *nparts)
{
	struct formatter scratch = *f;
	struct outbuf ob;
	struct jw pw = { .ob = &ob };
	size_t room, used = 0;
	uint32_t n = 0;
	/* A process takes far less than a part: its comm and path are bounded. */
	int err = outbuf_init(&ob, -1, TREE_SNAPSHOT_PART_MAX);

	if (err)
		return err;
	scratch.ob = &ob;
	write_part(&scratch, m, fo, now_ns, UINT64_MAX, UINT32_MAX, UINT32_MAX, 0, 0);
	room = TREE_SNAPSHOT_PART_MAX - ob.len;
	for (size_t i = 0; i < fo->n; i++) {
		size_t len;

		ob.len = 0;
		put_snapshot_proc(&pw, f, fo->procs[i], now_ns);
		len = ob.len + 1;	/* and its comma */
		if (used && used + len > room) {
			ends[n++] = i;
			used = 0;
		}
		used += len;
	}
	ends[n++] = fo->n;
	outbuf_free(&ob);
	*nparts = n;
	return 0;
}

static int write_snapshot(struct formatter *f, const struct model *m, const struct forest *fo,
			  uint64_t now_ns)
{
	size_t *ends = malloc((fo->n + 1) * sizeof(*ends)), from = 0;
	uint32_t parts;
	int err = ends ? plan_parts(f, m, fo, now_ns, ends, &parts) : -ENOMEM;

	/* Unique within a boot, as the parts' time is. */
	for (uint32_t k = 0; !err && k < parts; k++) {
		write_part(f, m, fo, now_ns, now_ns, k + 1, parts, from, ends[k]);
		from = ends[k];
	}
	free(ends);
	return err;
}

int tree_snapshot_json(struct formatter *f, const struct model *m, uint64_t now_ns)
{
	struct forest fo;
	int err = forest_build(&fo, m);

	if (err)
		return err;
	err = write_snapshot(f, m, &fo, now_ns);
	forest_free(&fo);
	return err;
}

int tree_print(struct formatter *f, const struct model *m, uint64_t now_ns)
{
	struct forest fo;
	int err;

	if (f->json)
		return tree_snapshot_json(f, m, now_ns);
	err = forest_build(&fo, m);
	if (err)
		return err;
	err = print_text_tree(f, &fo, now_ns);
	forest_free(&fo);
	return err;
}

static int by_exit(const void *a, const void *b)
{
	const struct proc *p = *(const struct proc *const *)a, *q = *(const struct proc *const *)b;

	if (p->exit_ns != q->exit_ns)
		return p->exit_ns < q->exit_ns ? -1 : 1;
	return by_key(a, b);
}

static void put_zombie_row(struct outbuf *ob, const struct proc *p, uint64_t now_ns)
{
	char num[48];
	size_t n;

	n = snprintf(num, sizeof(num), "%-7u %-7u ", p->pid, p->ppid);
	outbuf_write(ob, num, n);
	n = strlen(p->comm);
	format_text_safe(ob, p->comm, n);
	for (; n < 17; n++)
		outbuf_putc(ob, ' ');
	/* A zombie found at start-up is at least this old. */
	n = snprintf(num, sizeof(num), "%s%.3f s", p->flags & PROC_EXIT_SEEN ? "" : ">=",
		     (int64_t)(now_ns - p->exit_ns) / 1e9);
	outbuf_write(ob, num, n);
	for (; n < 13; n++)
		outbuf_putc(ob, ' ');
	if (p->parent) {
		format_text_safe(ob, p->parent->comm, strlen(p->parent->comm));
		outbuf_printf(ob, " (%u unreaped)", p->parent->nzombies);
	} else {
		outbuf_putc(ob, '?');
	}
	outbuf_putc(ob, '\n');
}

int tree_print_zombies(struct formatter *f, const struct model *m, uint64_t now_ns)
{
	const struct proc **z = malloc((m->table.count + 1) * sizeof(*z));
	struct proctable_iter it;
	struct proc *p;
	size_t nz = 0;

	if (!z)
		return -ENOMEM;
	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it)))
		if (p->state == PROC_ZOMBIE && shown(p) && !(p->flags & PROC_AUTOREAP) &&
		    (int64_t)(now_ns - p->exit_ns) >= m->zombie_age_ns)
			z[nz++] = p;
	qsort(z, nz, sizeof(*z), by_exit);
	if (!f->json)
		outbuf_puts(f->ob, "PID     PPID    COMM             ZOMBIE FOR   PARENT\n");
	for (size_t i = 0; i < nz; i++) {
		if (f->json)
			report_zombie(f, &(struct model_zombie){
				.proc = z[i], .parent = z[i]->parent, .ts_ns = now_ns,
				.age_ns = (int64_t)(now_ns - z[i]->exit_ns),
			});
		else
			put_zombie_row(f->ob, z[i], now_ns);
	}
	free(z);
	return 0;
}
