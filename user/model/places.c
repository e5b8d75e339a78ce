#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "places.h"

#define INITIAL_SLOTS 64
/* A cgroup path is below PATH_MAX: it is a directory of the v2 mount. */
#define CGROUP_PATH_MAX PATH_MAX

static uint32_t hash(uint64_t cgroup_id, uint32_t pidns)
{
	uint64_t h = (cgroup_id ^ ((uint64_t)pidns << 29)) * 0x9e3779b97f4a7c15ULL;

	return h >> 32;
}

int places_init(struct places *t, const struct cgroup_lookup *lookup)
{
	*t = (struct places){ .n = 1, .cap = 16 };
	if (lookup)
		t->lookup = *lookup;
	t->v = calloc(t->cap, sizeof(*t->v));
	t->slots = calloc(INITIAL_SLOTS, sizeof(*t->slots));
	if (!t->v || !t->slots) {
		places_free(t);
		return -ENOMEM;
	}
	t->mask = INITIAL_SLOTS - 1;
	return 0;
}

void places_free(struct places *t)
{
	for (uint32_t i = 0; t->v && i < t->n; i++)
		free(t->v[i].cgroup);
	free(t->v);
	free(t->slots);
	*t = (struct places){ 0 };
}

static uint32_t *slot_of(const struct places *t, uint64_t cgroup_id, uint32_t pidns)
{
	for (uint32_t i = hash(cgroup_id, pidns) & t->mask;; i = (i + 1) & t->mask) {
		uint32_t *s = &t->slots[i];

		if (!*s || (t->v[*s].cgroup_id == cgroup_id && t->v[*s].pidns == pidns))
			return s;
	}
}

/* Kept at most half full, so a probe ends soon and always finds a free slot. */
static int grow(struct places *t)
{
	uint32_t *old = t->slots, old_mask = t->mask;

	if (t->n == t->cap) {
		struct place *v = realloc(t->v, 2 * t->cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap *= 2;
	}
	if (2 * (t->n + 1) <= t->mask + 1)
		return 0;
	t->slots = calloc(2 * (old_mask + 1), sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return -ENOMEM;
	}
	t->mask = 2 * old_mask + 1;
	for (uint32_t i = 0; i <= old_mask; i++)
		if (old[i])
			*slot_of(t, t->v[old[i]].cgroup_id, t->v[old[i]].pidns) = old[i];
	free(old);
	return 0;
}

/* Another pidns in the same cgroup already knows its path: the cgroup may be gone now. */
static const char *known_path(const struct places *t, uint64_t cgroup_id)
{
	for (uint32_t i = 1; i < t->n; i++)
		if (t->v[i].cgroup_id == cgroup_id && t->v[i].cgroup)
			return t->v[i].cgroup;
	return NULL;
}

uint32_t places_intern(struct places *t, uint64_t cgroup_id, uint32_t pidns)
{
	char path[CGROUP_PATH_MAX];
	const char *known;
	uint32_t *s, idx;

	if (!cgroup_id && !pidns)
		return 0;
	s = slot_of(t, cgroup_id, pidns);
	if (*s)
		return *s;
	if (grow(t))
		return 0;
	s = slot_of(t, cgroup_id, pidns);
	idx = *s = t->n++;
	t->v[idx] = (struct place){ .cgroup_id = cgroup_id, .pidns = pidns };
	known = cgroup_id ? known_path(t, cgroup_id) : NULL;
	if (known)
		places_set_path(t, idx, known);
	else if (cgroup_id && t->lookup.path &&
		 t->lookup.path(t->lookup.ctx, cgroup_id, path, sizeof(path)))
		places_set_path(t, idx, path);
	return idx;
}

const struct place *places_get(const struct places *t, uint32_t idx)
{
	return &t->v[idx < t->n ? idx : 0];
}

void places_set_path(struct places *t, uint32_t idx, const char *path)
{
	struct place *p;

	if (!idx || idx >= t->n || t->v[idx].cgroup)
		return;
	p = &t->v[idx];
	p->cgroup = strdup(path);
	if (p->cgroup)
		p->in_container = container_from_cgroup_path(path, &p->ctr);
}

uint32_t places_intern_path(struct places *t, const char *path, uint32_t pidns)
{
	uint64_t id = 0;
	uint32_t idx;

	if (t->lookup.id && !t->lookup.id(t->lookup.ctx, path, &id))
		id = 0;
	idx = places_intern(t, id, pidns);
	places_set_path(t, idx, path);
	return idx;
}
