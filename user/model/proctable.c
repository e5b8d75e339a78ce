#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "proctable.h"

/*
 * 256 bytes a process in all, the entry and its share of the hash buckets
 * (8 to 16), keep a host with 100k processes at 25 MiB.
 */
_Static_assert(sizeof(struct proc) <= 240, "struct proc grew past 240 bytes");

#define INITIAL_BUCKETS 1024
#define SLAB_PROCS 256

struct proc_slab {
	struct proc_slab *next;
	struct proc procs[SLAB_PROCS];
};

int proctable_init(struct proctable *t, uint64_t tick_ns)
{
	*t = (struct proctable){ .tick_ns = tick_ns ? tick_ns : 1 };
	t->buckets = calloc(INITIAL_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = INITIAL_BUCKETS - 1;
	return 0;
}

void proctable_free(struct proctable *t)
{
	struct proc_slab *s, *next;

	for (s = t->slabs; s; s = next) {
		next = s->next;
		free(s);
	}
	free(t->buckets);
	*t = (struct proctable){ 0 };
}

/* Pids are dense small numbers: a multiplicative hash spreads neighbours. */
static size_t hash_pid(uint32_t pid, size_t mask)
{
	return (size_t)((pid * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

static size_t bucket_of(const struct proctable *t, uint32_t pid)
{
	return hash_pid(pid, t->mask);
}

static bool same_start(const struct proctable *t, const struct proc *p, uint64_t start_ns)
{
	if (p->start_ns == start_ns)
		return true;
	return (p->flags & PROC_COARSE) && p->start_ns / t->tick_ns == start_ns / t->tick_ns;
}

struct proc *proctable_find(struct proctable *t, uint32_t pid, uint64_t start_ns)
{
	struct proc *p;

	for (p = t->buckets[bucket_of(t, pid)]; p; p = p->hnext) {
		if (p->pid != pid || !same_start(t, p, start_ns))
			continue;
		p->start_ns = start_ns;
		p->flags &= ~PROC_COARSE;
		return p;
	}
	return NULL;
}

struct proc *proctable_find_pid(const struct proctable *t, uint32_t pid)
{
	struct proc *p, *best = NULL;

	for (p = t->buckets[bucket_of(t, pid)]; p; p = p->hnext) {
		if (p->pid != pid)
			continue;
		if (!best || (p->state == PROC_ALIVE && best->state != PROC_ALIVE) ||
		    ((p->state == PROC_ALIVE) == (best->state == PROC_ALIVE) &&
		     p->start_ns > best->start_ns))
			best = p;
	}
	return best;
}

static int grow(struct proctable *t)
{
	size_t n = (t->mask + 1) * 2;
	struct proc **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i <= t->mask; i++) {
		struct proc *p, *next;

		for (p = t->buckets[i]; p; p = next) {
			size_t j = hash_pid(p->pid, n - 1);

			next = p->hnext;
			p->hnext = b[j];
			b[j] = p;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->mask = n - 1;
	return 0;
}

static struct proc *take_free(struct proctable *t)
{
	struct proc *p;

	if (!t->free) {
		struct proc_slab *s = malloc(sizeof(*s));

		if (!s)
			return NULL;
		s->next = t->slabs;
		t->slabs = s;
		for (int i = SLAB_PROCS - 1; i >= 0; i--) {
			s->procs[i].hnext = t->free;
			t->free = &s->procs[i];
		}
	}
	p = t->free;
	t->free = p->hnext;
	return p;
}

struct proc *proctable_add(struct proctable *t, uint32_t pid, uint64_t start_ns)
{
	struct proc *p;
	size_t b;

	/* A failed grow only makes chains longer; the table stays correct. */
	if (t->count > t->mask)
		grow(t);
	p = take_free(t);
	if (!p)
		return NULL;
	*p = (struct proc){ .pid = pid, .start_ns = start_ns };
	b = bucket_of(t, pid);
	p->hnext = t->buckets[b];
	t->buckets[b] = p;
	t->count++;
	return p;
}

static void unlink_sibling(struct proc *p)
{
	if (p->sib_prev)
		p->sib_prev->sib_next = p->sib_next;
	else if (p->parent)
		p->parent->child = p->sib_next;
	if (p->sib_next)
		p->sib_next->sib_prev = p->sib_prev;
	p->parent = p->sib_next = p->sib_prev = NULL;
}

void proctable_link(struct proc *child, struct proc *parent)
{
	for (struct proc *a = parent; a; a = a->parent)
		if (a == child) {
			parent = NULL;
			break;
		}
	if (child->parent == parent)
		return;
	unlink_sibling(child);
	if (!parent)
		return;
	child->parent = parent;
	child->sib_next = parent->child;
	if (parent->child)
		parent->child->sib_prev = child;
	parent->child = child;
}

void proctable_del(struct proctable *t, struct proc *p)
{
	struct proc **pp = &t->buckets[bucket_of(t, p->pid)];

	while (p->child)
		proctable_link(p->child, NULL);
	unlink_sibling(p);
	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	p->hnext = t->free;
	t->free = p;
	t->count--;
}

void proctable_iter_init(struct proctable_iter *it, const struct proctable *t)
{
	it->t = t;
	it->bucket = 0;
	it->next = t->buckets[0];
}

struct proc *proctable_iter_next(struct proctable_iter *it)
{
	struct proc *p;

	while (!it->next) {
		if (it->bucket >= it->t->mask)
			return NULL;
		it->next = it->t->buckets[++it->bucket];
	}
	p = it->next;
	it->next = p->hnext;
	return p;
}

void proctable_set_filename(struct proc *p, const char *s, size_t n)
{
	if (n >= PROC_FILENAME_LEN) {
		memcpy(p->filename, "...", 3);
		memcpy(p->filename + 3, s + n - (PROC_FILENAME_LEN - 4), PROC_FILENAME_LEN - 4);
		p->filename[PROC_FILENAME_LEN - 1] = '\0';
		return;
	}
	memcpy(p->filename, s, n);
	p->filename[n] = '\0';
}
