#include <errno.h>
#include <string.h>
#include "model.h"

int model_init(struct model *m, const struct model_opts *o)
{
	if (o->clk_tck <= 0 || o->clk_tck > 1000000000 || o->zombie_age_ns < 0)
		return -EINVAL;
	int err;

	*m = (struct model){
		.zombie_age_ns = o->zombie_age_ns,
		.threads = o->threads,
		.count_threads = o->threads == MODEL_THREADS_EVERY_EXIT,
		.clk_tck = o->clk_tck,
		.sink = o->sink,
	};
	err = places_init(&m->places, o->cgroups);
	if (err)
		return err;
	err = proctable_init(&m->table, 1000000000 / o->clk_tck);
	if (err)
		places_free(&m->places);
	return err;
}

void model_free(struct model *m)
{
	proctable_free(&m->table);
	places_free(&m->places);
	m->zhead = m->ztail = m->chead = m->ctail = m->rhead = m->rtail = NULL;
}

/* Whether p is one of its parent's unreaped children worth counting. */
static bool counts_as_zombie(const struct proc *p)
{
	return p->state == PROC_ZOMBIE && !(p->flags & (PROC_AUTOREAP | PROC_REAPED));
}

static void set_parent(struct proc *p, uint32_t ppid, struct proc *parent)
{
	if (counts_as_zombie(p) && p->parent)
		p->parent->nzombies--;
	proctable_link(p, parent);
	if (counts_as_zombie(p) && p->parent)
		p->parent->nzombies++;
	p->ppid = ppid;
}

static void list_ends(struct model *m, enum model_list which, struct proc ***head,
		      struct proc ***tail)
{
	switch (which) {
	case MODEL_LIST_UNREPORTED:
		*head = &m->zhead, *tail = &m->ztail;
		break;
	case MODEL_LIST_CONFIRM:
		*head = &m->chead, *tail = &m->ctail;
		break;
	default:
		*head = &m->rhead, *tail = &m->rtail;
		break;
	}
}

/* A process is on at most one of the model's lists, through the same links. */
static void unlink_proc(struct model *m, struct proc *p)
{
	struct proc **head, **tail;

	if (p->list == MODEL_LIST_NONE)
		return;
	list_ends(m, p->list, &head, &tail);
	if (p->zprev)
		p->zprev->znext = p->znext;
	else
		*head = p->znext;
	if (p->znext)
		p->znext->zprev = p->zprev;
	else
		*tail = p->zprev;
	p->znext = p->zprev = NULL;
	p->list = MODEL_LIST_NONE;
}

static void list_append(struct model *m, enum model_list which, struct proc *p)
{
	struct proc **head, **tail;

	unlink_proc(m, p);
	list_ends(m, which, &head, &tail);
	p->list = which;
	p->znext = NULL;
	p->zprev = *tail;
	if (*tail)
		(*tail)->znext = p;
	else
		*head = p;
	*tail = p;
}

/* Exits arrive nearly in time order, so the walk from the tail is short. */
static void zlist_insert(struct model *m, struct proc *p)
{
	struct proc *after = m->ztail;

	while (after && after->exit_ns > p->exit_ns)
		after = after->zprev;
	p->list = MODEL_LIST_UNREPORTED;
	p->zprev = after;
	p->znext = after ? after->znext : m->zhead;
	if (p->znext)
		p->znext->zprev = p;
	else
		m->ztail = p;
	if (after)
		after->znext = p;
	else
		m->zhead = p;
}

static void make_zombie(struct model *m, struct proc *p, uint64_t exit_ns, bool autoreap)
{
	p->state = PROC_ZOMBIE;
	p->nthreads = 0;
	p->exit_ns = exit_ns;
	if (autoreap)
		p->flags |= PROC_AUTOREAP;
	if (counts_as_zombie(p) && p->parent)
		p->parent->nzombies++;
	if (counts_as_zombie(p) && !(p->flags & PROC_REPORTED)) {
		zlist_insert(m, p);
	} else {
		p->confirmed_ns = exit_ns;
		list_append(m, MODEL_LIST_CONFIRM, p);
	}
}

static void make_alive(struct model *m, struct proc *p)
{
	if (counts_as_zombie(p) && p->parent)
		p->parent->nzombies--;
	unlink_proc(m, p);
	p->state = PROC_ALIVE;
	p->flags &= ~(PROC_AUTOREAP | PROC_EXIT_SEEN | PROC_REAPED);
}

/* Waited for already: no longer its parent's debt, though the free is still to come. */
static void mark_reaped(struct model *m, struct proc *p, uint64_t now_ns)
{
	if (counts_as_zombie(p) && p->parent)
		p->parent->nzombies--;
	p->flags |= PROC_REAPED;
	p->reaped_ns = now_ns;
	list_append(m, MODEL_LIST_REAPED, p);
}

static void forget(struct model *m, struct proc *p)
{
	unlink_proc(m, p);
	if (counts_as_zombie(p) && p->parent)
		p->parent->nzombies--;
	proctable_del(&m->table, p);
}

static bool outside(const struct proc *p)
{
	return p->flags & PROC_OUTSIDE;
}

/* The kernel flags the events of processes outside the filters. */
static void mark_filter(struct proc *p, const struct pl_event *ev)
{
	if (ev->context)
		p->flags |= PROC_OUTSIDE;
	else
		p->flags &= ~PROC_OUTSIDE;
}

static void set_comm(struct proc *p, const char *comm)
{
	size_t n = strnlen(comm, PL_COMM_LEN);

	memcpy(p->comm, comm, n);
	p->comm[n] = '\0';
}

/*
 * An event about a process the table does not hold (its fork predates
 * tracing and the scan missed it, or events were lost): track it from here.
 */
static struct proc *get_or_add(struct model *m, const struct pl_event *ev)
{
	struct proc *p = proctable_find(&m->table, ev->pid, ev->start_ns);

	if (p)
		return p;
	p = proctable_add(&m->table, ev->pid, ev->start_ns);
	if (!p)
		return NULL;
	p->nthreads = 1;
	set_comm(p, ev->comm);
	set_parent(p, ev->ppid, proctable_find_pid(&m->table, ev->ppid));
	return p;
}

void model_place(struct model *m, struct pl_event *ev)
{
	if (ev->type == PL_EV_REAP && !ev->pidns)
		return;
	ev->place = places_intern(&m->places, ev->cgroup_id, ev->pidns);
}

/* A process moves between cgroups (a container's init is put in its own before exec). */
static void set_place(struct proc *p, const struct pl_event *ev)
{
	if (!ev->place)
		return;
	p->place = ev->place;
	p->ns_pid = ev->ns_pid;
}

/*
 * Every event names the real parent: it corrects what lost events left
 * stale. But a child's event can race its parent's exit and name the parent
 * the kernel is taking it from; a process that has exited has no children.
 */
static void sync_parent(struct model *m, struct proc *p, uint32_t ppid)
{
	struct proc *parent;

	if (p->ppid == ppid)
		return;
	parent = proctable_find_pid(&m->table, ppid);
	if (parent && parent->state == PROC_ZOMBIE)
		return;
	set_parent(p, ppid, parent);
}

/* The scan read p at seen_ns: a count change stamped earlier is already in it. */
static bool newer_than_scan(const struct proc *p, const struct pl_event *ev)
{
	return ev->ts_ns >= p->seen_ns;
}

static int apply_fork(struct model *m, const struct pl_event *ev)
{
	struct proc *parent, *p;

	parent = proctable_find(&m->table, ev->ppid, ev->fork.parent_start_ns);
	if (!parent)
		parent = proctable_find_pid(&m->table, ev->ppid);
	p = proctable_find(&m->table, ev->pid, ev->start_ns);
	if (!p) {
		struct proc *old = proctable_find_pid(&m->table, ev->pid);

		/* The kernel hands a pid out again only once its last owner was reaped. */
		if (old && old->state == PROC_ZOMBIE && !(old->flags & PROC_REAPED))
			mark_reaped(m, old, ev->ts_ns);
		p = proctable_add(&m->table, ev->pid, ev->start_ns);
		if (!p)
			return -ENOMEM;
		p->nthreads = 1;
		/* A forked child runs its parent's program until it execs. */
		if (parent)
			memcpy(p->filename, parent->filename, sizeof(p->filename));
	}
	set_comm(p, ev->comm);
	mark_filter(p, ev);
	set_place(p, ev);
	p->ptid = ev->fork.parent_tid;
	set_parent(p, ev->ppid, parent);
	return 0;
}

static int apply_thread_fork(struct model *m, const struct pl_event *ev)
{
	struct proc *p = get_or_add(m, ev);

	if (!p)
		return -ENOMEM;
	mark_filter(p, ev);
	if (m->count_threads && newer_than_scan(p, ev))
		p->nthreads++;
	return 0;
}

static int apply_exec(struct model *m, const struct pl_event *ev)
{
	struct proc *p = get_or_add(m, ev);

	if (!p)
		return -ENOMEM;
	sync_parent(m, p, ev->ppid);
	set_comm(p, ev->comm);
	mark_filter(p, ev);
	set_place(p, ev);
	proctable_set_filename(p, ev->exec.filename, ev->exec.filename_len);
	/* execve ends every other thread; the caller, if not the leader, takes the pid. */
	if (newer_than_scan(p, ev))
		p->nthreads = 1;
	if (ev->exec.old_pid != ev->pid)
		for (struct proc *c = p->child; c; c = c->sib_next)
			if (c->ptid == ev->exec.old_pid)
				c->ptid = ev->pid;
	return 0;
}

static void emit_orphan(struct model *m, const struct proc *c, const struct proc *old,
			const struct pl_event *ev, struct proc *reaper)
{
	struct model_orphan o = {
		.proc = c,
		.old_parent = old,
		.old_ptid = ev->tid,
		.parent = reaper,
		.ppid = ev->exit.reaper,
		.rule = ev->exit.reaper_rule,
		.ts_ns = ev->ts_ns,
	};

	if (m->sink.orphan && !outside(c))
		m->sink.orphan(m->sink.ctx, &o);
}

/*
 * The kernel hands the children of an ending thread to a sibling thread,
 * and those of a process's last thread to a subreaper or init: zombies
 * move too (the new parent now owes the wait), live ones are orphans.
 */
static void adopt_children(struct model *m, struct proc *p, const struct pl_event *ev)
{
	struct proc *reaper, *c, *next;

	if (ev->exit.reaper_rule == PL_REAPER_NONE)
		return;
	reaper = ev->exit.reaper == p->pid ? p : proctable_find_pid(&m->table, ev->exit.reaper);
	for (c = p->child; c; c = next) {
		next = c->sib_next;
		/*
		 * A thread's end hands on its own children; in a dying group the
		 * kernel sends them all to the final reaper, whichever thread forked.
		 */
		if (ev->exit.reaper_rule == PL_REAPER_THREAD && c->ptid != ev->tid)
			continue;
		if (reaper != p)
			set_parent(c, ev->exit.reaper, reaper);
		/* Which thread of the adopter the kernel chose is not in the event. */
		c->ptid = 0;
		/* A dying namespace's processes are killed, not adopted. */
		if (c->state != PROC_ALIVE || ev->exit.reaper_rule == PL_REAPER_PIDNS_DYING)
			continue;
		c->flags |= PROC_ORPHAN;
		c->orphan_ppid = p->pid;
		c->orphan_rule = ev->exit.reaper_rule;
		emit_orphan(m, c, p, ev, reaper);
	}
}

static int apply_exit(struct model *m, const struct pl_event *ev)
{
	struct proc *p = get_or_add(m, ev);

	if (!p)
		return -ENOMEM;
	sync_parent(m, p, ev->ppid);
	mark_filter(p, ev);
	set_place(p, ev);
	adopt_children(m, p, ev);
	if (ev->exit.thread) {
		if (m->threads == MODEL_THREADS_EXITS_IF_RECORDED)
			m->count_threads = true;
		if (m->count_threads && newer_than_scan(p, ev) && p->nthreads > 1)
			p->nthreads--;
		return 0;
	}
	/* The leader's comm, as it was at the end: renames may have been missed. */
	set_comm(p, ev->comm);
	/* A zombie the scan found: the held exit event knows when it really exited. */
	if (p->state == PROC_ZOMBIE)
		make_alive(m, p);
	p->status = ev->exit.status;
	p->flags |= PROC_EXIT_SEEN;
	make_zombie(m, p, ev->ts_ns, ev->exit.parent_autoreap);
	return 0;
}

static void apply_reap(struct model *m, struct pl_event *ev)
{
	struct proc *p = proctable_find(&m->table, ev->pid, ev->start_ns);

	ev->reap.zombie_ns = -1;
	ev->reap.leaked = false;
	ev->reap.said = false;
	if (!p)
		return;
	if (p->flags & PROC_INFERRED) {
		ev->reap.said = true;
		forget(m, p);
		return;
	}
	ev->reap.leaked = p->flags & PROC_REPORTED;
	/* The kernel frees the pid before the task: the namespace side is the model's. */
	if (!ev->pidns) {
		const struct place *pl = places_get(&m->places, p->place);

		ev->place = p->place;
		ev->pidns = pl->pidns;
		ev->ns_pid = p->ns_pid;
	}
	if (p->state == PROC_ZOMBIE && (p->flags & PROC_EXIT_SEEN))
		ev->reap.zombie_ns = ev->ts_ns > p->exit_ns ? (int64_t)(ev->ts_ns - p->exit_ns) : 0;
	forget(m, p);
}

/*
 * A rename, or a signal to or from the leader, carries the leader's comm,
 * which is the process's name; another thread's comm is only its own.
 */
static int apply_comm(struct model *m, const struct pl_event *ev)
{
	struct proc *p;

	if (ev->tid != ev->pid)
		return 0;
	p = ev->type == PL_EV_RENAME ? get_or_add(m, ev) :
				       proctable_find(&m->table, ev->pid, ev->start_ns);
	if (!p && ev->type == PL_EV_RENAME)
		return -ENOMEM;
	if (p)
		set_comm(p, ev->comm);
	return 0;
}

int model_apply(struct model *m, struct pl_event *ev)
{
	switch (ev->type) {
	case PL_EV_FORK:
		return ev->fork.thread ? apply_thread_fork(m, ev) : apply_fork(m, ev);
	case PL_EV_EXEC:
		return apply_exec(m, ev);
	case PL_EV_EXIT:
		return apply_exit(m, ev);
	case PL_EV_REAP:
		apply_reap(m, ev);
		return 0;
	case PL_EV_RENAME:
	case PL_EV_SIGNAL_GENERATE:
	case PL_EV_SIGNAL_DELIVER:
		return apply_comm(m, ev);
	default:
		return 0;
	}
}

/* The reap event of p never came: the model says it instead, and lets p go. */
static void infer_reap(struct model *m, struct proc *p, uint64_t now_ns)
{
	struct pl_event ev = {
		.type = PL_EV_REAP, .ts_ns = now_ns, .start_ns = p->start_ns,
		.pid = p->pid, .tid = p->pid, .ppid = p->ppid,
		.context = p->flags & PROC_OUTSIDE,
		.reap = { .zombie_ns = -1, .leaked = p->flags & PROC_REPORTED, .inferred = true },
	};

	memcpy(ev.comm, p->comm, sizeof(ev.comm));
	m->inferred_reaps++;
	/*
	 * A zombie's free may only be late (lazy RCU holds callbacks up to
	 * 10 s): it stays, unseen, one more grace period, so a reap that comes
	 * after all is not said twice. A process that vanished alive is let go.
	 */
	if (p->state == PROC_ZOMBIE) {
		mark_reaped(m, p, now_ns);
		p->flags |= PROC_INFERRED;
	} else {
		forget(m, p);
	}
	if (m->sink.inferred_reap)
		m->sink.inferred_reap(m->sink.ctx, &ev);
}

/* A reaped process whose reap event did not come in time: said by the model, or let go. */
static void retire(struct model *m, struct proc *p, uint64_t now_ns)
{
	if (p->flags & PROC_INFERRED)
		forget(m, p);
	else
		infer_reap(m, p, now_ns);
}

static bool gone_from_proc(struct model *m, const struct proc *p)
{
	return m->sink.still_zombie && !m->sink.still_zombie(m->sink.ctx, p);
}

/* Zombies with no deadline left: a few, least recently confirmed first. */
static void confirm_old_zombies(struct model *m, uint64_t now_ns)
{
	struct proc *p;

	for (int n = 0; n < MODEL_CONFIRM_BATCH && (p = m->chead) &&
			(int64_t)(now_ns - p->confirmed_ns) >= MODEL_CONFIRM_INTERVAL_NS; n++) {
		if (gone_from_proc(m, p)) {
			mark_reaped(m, p, now_ns);
		} else {
			p->confirmed_ns = now_ns;
			list_append(m, MODEL_LIST_CONFIRM, p);
		}
	}
}

void model_tick(struct model *m, uint64_t now_ns)
{
	struct proc *p;

	while ((p = m->zhead) && (int64_t)(now_ns - p->exit_ns) >= m->zombie_age_ns) {
		struct model_zombie z = {
			.proc = p,
			.parent = p->parent,
			.ts_ns = now_ns,
			.age_ns = (int64_t)(now_ns - p->exit_ns),
		};

		if (gone_from_proc(m, p)) {
			mark_reaped(m, p, now_ns);
			continue;
		}
		/* Followed for the filter's sake only: never reported. */
		if (outside(p) && (!p->parent || outside(p->parent))) {
			p->confirmed_ns = now_ns;
			list_append(m, MODEL_LIST_CONFIRM, p);
			continue;
		}
		p->flags |= PROC_REPORTED;
		p->confirmed_ns = now_ns;
		list_append(m, MODEL_LIST_CONFIRM, p);
		if (m->sink.zombie)
			m->sink.zombie(m->sink.ctx, &z);
	}
	if (m->sink.still_zombie)
		confirm_old_zombies(m, now_ns);
	while ((p = m->rhead) && (int64_t)(now_ns - p->reaped_ns) >= MODEL_REAP_GRACE_NS)
		retire(m, p, now_ns);
}

void model_confirm_zombies(struct model *m, uint64_t now_ns)
{
	struct proctable_iter it;
	struct proc *p;

	if (!m->sink.still_zombie)
		return;
	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it)))
		if (p->state == PROC_ZOMBIE && !(p->flags & PROC_REAPED) && gone_from_proc(m, p))
			mark_reaped(m, p, now_ns);
}

void model_flush_reaped(struct model *m, uint64_t now_ns)
{
	while (m->rhead)
		retire(m, m->rhead, now_ns);
}

size_t model_leaked(const struct model *m)
{
	struct proctable_iter it;
	struct proc *p;
	size_t n = 0;

	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it)))
		n += p->state == PROC_ZOMBIE && (p->flags & (PROC_REPORTED | PROC_REAPED)) == PROC_REPORTED;
	return n;
}

void model_seed_begin(struct model *m)
{
	struct proctable_iter it;
	struct proc *p;

	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it)))
		p->flags &= ~PROC_SEEDED;
}

static struct proc *find_seeded(struct model *m, const struct model_seed *s)
{
	struct proc *p = proctable_find(&m->table, s->pid, s->start_ns);
	uint64_t tick = m->table.tick_ns;

	if (p || !s->coarse)
		return p;
	p = proctable_find_pid(&m->table, s->pid);
	return p && p->start_ns / tick == s->start_ns / tick ? p : NULL;
}

int model_seed_add(struct model *m, const struct model_seed *s)
{
	struct proc *p = find_seeded(m, s);
	/* A scan sees a zombie, not when it exited: what the model knew stays. */
	bool keep_exit = p && p->state == PROC_ZOMBIE && s->zombie && !s->exit_seen;
	uint64_t exit_ns = keep_exit ? p->exit_ns : s->exit_ns;
	bool exit_seen = keep_exit ? p->flags & PROC_EXIT_SEEN : s->exit_seen;
	bool autoreap = keep_exit ? p->flags & PROC_AUTOREAP : s->autoreap;
	int status = keep_exit && exit_seen ? p->status : s->status;

	if (!p) {
		p = proctable_add(&m->table, s->pid, s->start_ns);
		if (!p)
			return -ENOMEM;
		if (s->coarse)
			p->flags |= PROC_COARSE;
	}
	p->flags |= PROC_SEEDED;
	if (s->from_scan)
		p->flags |= PROC_FROM_SCAN;
	/* The parent is linked in model_seed_end, once every process is in. */
	set_parent(p, s->ppid, p->parent && p->parent->pid == s->ppid ? p->parent : NULL);
	set_comm(p, s->comm);
	if (s->filename && *s->filename)
		proctable_set_filename(p, s->filename, strlen(s->filename));
	p->seen_ns = s->seen_ns;
	if (s->place) {
		p->place = s->place;
		p->ns_pid = s->ns_pid;
	}
	if (s->ptid)
		p->ptid = s->ptid;
	if (s->orphan_ppid) {
		p->flags |= PROC_ORPHAN;
		p->orphan_ppid = s->orphan_ppid;
		p->orphan_rule = s->orphan_rule;
	}
	if (p->state == PROC_ZOMBIE)
		make_alive(m, p);
	p->nthreads = s->nthreads ? s->nthreads : 1;
	if (s->zombie) {
		p->status = status;
		if (exit_seen)
			p->flags |= PROC_EXIT_SEEN;
		make_zombie(m, p, exit_ns, autoreap);
	}
	return 0;
}

void model_seed_end(struct model *m, uint64_t now_ns)
{
	struct proctable_iter it;
	struct proc *p;

	/* Gone while the model was not looking: reaped, and it says so. */
	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it)))
		if (!(p->flags & (PROC_SEEDED | PROC_INFERRED)))
			infer_reap(m, p, now_ns);
	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it))) {
		p->flags &= ~PROC_SEEDED;
		if (!p->parent && p->ppid)
			set_parent(p, p->ppid, proctable_find_pid(&m->table, p->ppid));
	}
}

void model_filter(struct model *m, const struct pl_seed *inside, size_t n)
{
	struct proctable_iter it;
	struct proc *p;

	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it)))
		p->flags |= PROC_OUTSIDE;
	for (size_t i = 0; i < n; i++)
		if ((p = proctable_find(&m->table, inside[i].pid, inside[i].start_ns)))
			p->flags &= ~PROC_OUTSIDE;
	proctable_iter_init(&it, &m->table);
	while ((p = proctable_iter_next(&it))) {
		bool keep = !outside(p) ||
			    (p->state == PROC_ZOMBIE && p->parent && !outside(p->parent));

		for (struct proc *c = p->child; c && !keep; c = c->sib_next)
			keep = !outside(c);
		if (!keep)
			forget(m, p);
	}
}
