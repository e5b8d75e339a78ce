#include <stdio.h>
#include <string.h>
#include "json.h"
#include "report.h"
#include "status.h"

static void put_time(struct jw *w, struct formatter *f, uint64_t ts_ns)
{
	char time[31];

	wallclock_rfc3339(f->clock, ts_ns, time);
	jw_str(w, "time", time, 30);
}

static bool in_pidns(const struct formatter *f, const struct proc *p)
{
	const struct place *pl = p ? format_place(f, p->place) : NULL;

	return pl && place_in_pidns(pl) && p->ns_pid;
}

/* "1234 (sleep)", or inside a pid namespace "1234 (sleep, pid 1 in its namespace)". */
static void put_named(const struct formatter *f, uint32_t pid, const struct proc *p)
{
	struct outbuf *ob = f->ob;

	outbuf_u64(ob, pid);
	if (!p)
		return;
	outbuf_puts(ob, " (");
	format_text_safe(ob, p->comm, strlen(p->comm));
	if (in_pidns(f, p))
		outbuf_printf(ob, ", pid %u in its namespace", p->ns_pid);
	outbuf_putc(ob, ')');
}

/* A process's pid in its own namespace, and whether it is that namespace's init. */
static void put_parent_ns(struct jw *w, const struct formatter *f, const struct proc *parent)
{
	if (!in_pidns(f, parent))
		return;
	jw_u64(w, "parent_ns_pid", parent->ns_pid);
	if (parent->ns_pid == 1)
		jw_bool(w, "parent_ns_init", true);
}

static void put_place(struct jw *w, const struct formatter *f, const struct proc *p)
{
	const struct place *pl = format_place(f, p->place);

	if (pl)
		format_json_place(w, pl->cgroup_id, pl->pidns, p->ns_pid, pl);
}

static void put_text_place(const struct formatter *f, const struct proc *p)
{
	const struct place *pl = format_place(f, p->place);

	if (pl)
		format_text_place(f->ob, pl->pidns, p->ns_pid, pl);
}

static void zombie_json(struct formatter *f, const struct model_zombie *z)
{
	const struct proc *p = z->proc;
	struct jw w;

	jw_begin(&w, f->ob);
	jw_cstr(&w, "type", "zombie");
	put_time(&w, f, z->ts_ns);
	jw_u64(&w, "pid", p->pid);
	jw_u64(&w, "ppid", p->ppid);
	jw_cstr(&w, "comm", p->comm);
	jw_u64(&w, "start_ns", p->start_ns);
	put_place(&w, f, p);
	jw_i64(&w, "zombie_ns", z->age_ns);
	if (p->flags & PROC_EXIT_SEEN)
		format_json_status(&w, p->status);
	else
		jw_bool(&w, "zombie_since_scan", true);
	if (z->parent) {
		jw_cstr(&w, "parent_comm", z->parent->comm);
		jw_u64(&w, "parent_start_ns", z->parent->start_ns);
		jw_u64(&w, "parent_zombies", z->parent->nzombies);
		put_parent_ns(&w, f, z->parent);
	}
	format_json_end(f, &w);
}

/* The most common leak of all: a container whose PID 1 is no init. */
static void put_init_remedy(const struct formatter *f, const struct proc *init)
{
	const struct place *pl = format_place(f, init->place);

	outbuf_puts(f->ob, pl && pl->in_container ? "; the container's PID 1 (" :
						    "; its pid namespace's PID 1 (");
	format_text_safe(f->ob, init->comm, strlen(init->comm));
	outbuf_puts(f->ob, ") does not reap; run it with an init that does "
			   "(docker run --init, tini)");
}

static void zombie_text(struct formatter *f, const struct model_zombie *z)
{
	struct outbuf *ob = f->ob;

	format_text_columns(f, z->ts_ns, "zombie", z->proc->pid, z->proc->ppid, z->proc->comm);
	outbuf_printf(ob, "not reaped for %.3f s%s by parent ", z->age_ns / 1e9,
		      z->proc->flags & PROC_EXIT_SEEN ? "" : " (since start-up)");
	put_named(f, z->proc->ppid, z->parent);
	if (z->parent)
		outbuf_printf(ob, ", which has %u unreaped %s", z->parent->nzombies,
			      z->parent->nzombies == 1 ? "child" : "children");
	if (in_pidns(f, z->parent) && z->parent->ns_pid == 1)
		put_init_remedy(f, z->parent);
	put_text_place(f, z->proc);
	outbuf_putc(ob, '\n');
}

void report_zombie(struct formatter *f, const struct model_zombie *z)
{
	if (f->json)
		zombie_json(f, z);
	else
		zombie_text(f, z);
}

static void orphan_json(struct formatter *f, const struct model_orphan *o)
{
	const struct proc *p = o->proc;
	struct jw w;

	jw_begin(&w, f->ob);
	jw_cstr(&w, "type", "orphan");
	put_time(&w, f, o->ts_ns);
	jw_u64(&w, "pid", p->pid);
	jw_u64(&w, "ppid", o->ppid);
	jw_cstr(&w, "comm", p->comm);
	jw_u64(&w, "start_ns", p->start_ns);
	put_place(&w, f, p);
	jw_u64(&w, "old_ppid", o->old_parent->pid);
	jw_u64(&w, "old_parent_tid", o->old_ptid);
	jw_cstr(&w, "old_parent_comm", o->old_parent->comm);
	jw_u64(&w, "old_parent_start_ns", o->old_parent->start_ns);
	if (o->parent) {
		jw_cstr(&w, "parent_comm", o->parent->comm);
		put_parent_ns(&w, f, o->parent);
	}
	jw_cstr(&w, "reaper_rule", reaper_rule_name(o->rule) ? reaper_rule_name(o->rule) : "unknown");
	format_json_end(f, &w);
}

static void orphan_text(struct formatter *f, const struct model_orphan *o)
{
	struct outbuf *ob = f->ob;

	format_text_columns(f, o->ts_ns, "orphan", o->proc->pid, o->proc->ppid, o->proc->comm);
	if (o->rule == PL_REAPER_THREAD) {
		outbuf_printf(ob, "parent thread %u of ", o->old_ptid);
		put_named(f, o->old_parent->pid, o->old_parent);
		outbuf_puts(ob, " ended, adopted by ");
		outbuf_puts(ob, reaper_rule_words(o->rule));
	} else {
		outbuf_puts(ob, "parent ");
		put_named(f, o->old_parent->pid, o->old_parent);
		outbuf_puts(ob, " exited, adopted by ");
		outbuf_puts(ob, reaper_rule_words(o->rule));
		outbuf_putc(ob, ' ');
		put_named(f, o->ppid, o->parent);
	}
	put_text_place(f, o->proc);
	outbuf_putc(ob, '\n');
}

void report_orphan(struct formatter *f, const struct model_orphan *o)
{
	if (f->json)
		orphan_json(f, o);
	else
		orphan_text(f, o);
}

static void sink_zombie(void *ctx, const struct model_zombie *z)
{
	report_zombie(ctx, z);
}

static void sink_orphan(void *ctx, const struct model_orphan *o)
{
	report_orphan(ctx, o);
}

struct model_sink report_sink(struct formatter *f)
{
	return (struct model_sink){ .zombie = sink_zombie, .orphan = sink_orphan, .ctx = f };
}
