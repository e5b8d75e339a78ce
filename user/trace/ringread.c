#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include "proclife.h"
#include "ringread.h"

/* Each record's own header, before its data: its length and state bits. */
#define RECORD_FLAGS (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)

static uint64_t record_span(uint32_t len)
{
	return ((len & ~RECORD_FLAGS) + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
}

static const uint8_t *head_record(const struct ring_view *v)
{
	return v->data + (v->cons & v->mask);
}

/* Every record begins with the programs' pl_header; one too short for its time keeps the ring's key. */
static uint64_t record_ts(const uint8_t *data, uint32_t size, uint64_t otherwise)
{
	uint64_t ts;

	if (size < offsetof(struct pl_header, ts_ns) + sizeof(ts))
		return otherwise;
	memcpy(&ts, data + offsetof(struct pl_header, ts_ns), sizeof(ts));
	return ts;
}

/*
 * Steps over discarded records to the ring's next one: false when this pass
 * has none. head_ready tells a committed record from one still being written.
 */
static bool peek(struct ring_view *v)
{
	v->head_ready = false;
	while (v->cons < v->prod) {
		const uint8_t *rec = head_record(v);
		uint32_t len = __atomic_load_n((const uint32_t *)rec, __ATOMIC_ACQUIRE);
		uint64_t ts;

		if (len & BPF_RINGBUF_BUSY_BIT) {
			/* Its key is not known, but no later record of this ring sorts below this. */
			v->head_key = v->last_key;
			return true;
		}
		if (len & BPF_RINGBUF_DISCARD_BIT) {
			v->cons += record_span(len);
			continue;
		}
		ts = record_ts(rec + BPF_RINGBUF_HDR_SZ, len, v->last_key);
		v->head_key = ts > v->last_key ? ts : v->last_key;
		v->head_ready = true;
		return true;
	}
	return false;
}

/* Smaller key first; at equal keys a ring that must wait goes first, so it holds the rest. */
static bool before(const struct ring_reader *r, size_t a, size_t b)
{
	const struct ring_view *va = &r->rings[a], *vb = &r->rings[b];

	if (va->head_key != vb->head_key)
		return va->head_key < vb->head_key;
	if (va->head_ready != vb->head_ready)
		return !va->head_ready;
	return a < b;
}

static void swap(size_t *heap, size_t i, size_t j)
{
	size_t t = heap[i];

	heap[i] = heap[j];
	heap[j] = t;
}

static void sift_up(struct ring_reader *r, size_t i)
{
	while (i > 0 && before(r, r->heap[i], r->heap[(i - 1) / 2])) {
		swap(r->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct ring_reader *r, size_t i)
{
	for (;;) {
		size_t least = i, left = 2 * i + 1, right = left + 1;

		if (left < r->nheap && before(r, r->heap[left], r->heap[least]))
			least = left;
		if (right < r->nheap && before(r, r->heap[right], r->heap[least]))
			least = right;
		if (least == i)
			return;
		swap(r->heap, i, least);
		i = least;
	}
}

/* Space goes back to the programs in batches: each write-back is a cache line they must fetch again. */
static void release(struct ring_view *v)
{
	if (v->cons != v->released) {
		__atomic_store_n(v->consumer_pos, (unsigned long)v->cons, __ATOMIC_RELEASE);
		v->released = v->cons;
	}
}

int ring_reader_init(struct ring_reader *r, struct ring_view *rings, size_t nrings)
{
	*r = (struct ring_reader){ .rings = rings, .nrings = nrings };
	r->heap = calloc(nrings ? nrings : 1, sizeof(*r->heap));
	if (!r->heap)
		return -ENOMEM;
	for (size_t i = 0; i < nrings; i++) {
		struct ring_view *v = &rings[i];

		v->cons = v->released = __atomic_load_n(v->consumer_pos, __ATOMIC_ACQUIRE);
		v->prod = v->cons;
		v->last_key = 0;
		v->head_ready = false;
	}
	return 0;
}

void ring_reader_free(struct ring_reader *r)
{
	free(r->heap);
	r->heap = NULL;
}

int ring_reader_read(struct ring_reader *r, uint64_t limit_ns, ring_record_fn fn, void *ctx)
{
	int passed = 0, ret = 0;

	/* The caller read the clock for limit_ns: the positions must be read after it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r->nheap = 0;
	r->held = RING_CAUGHT_UP;
	for (size_t i = 0; i < r->nrings; i++) {
		struct ring_view *v = &r->rings[i];

		v->prod = __atomic_load_n(v->producer_pos, __ATOMIC_ACQUIRE);
		if (peek(v)) {
			r->heap[r->nheap++] = i;
			sift_up(r, r->nheap - 1);
		}
	}
	while (r->nheap) {
		struct ring_view *v = &r->rings[r->heap[0]];
		const uint8_t *rec = head_record(v);
		uint32_t len = *(const uint32_t *)rec & ~RECORD_FLAGS;

		if (!v->head_ready || v->head_key >= limit_ns) {
			r->held = v->head_ready ? RING_AHEAD : RING_BUSY;
			break;
		}
		v->cons += record_span(len);
		v->last_key = v->head_key;
		ret = fn(ctx, (void *)(rec + BPF_RINGBUF_HDR_SZ), len);
		if (ret < 0)
			break;
		passed++;
		if (v->cons - v->released > v->mask / 4)
			release(v);
		if (!peek(v))
			r->heap[0] = r->heap[--r->nheap];
		sift_down(r, 0);
	}
	for (size_t i = 0; i < r->nrings; i++)
		release(&r->rings[i]);
	return ret < 0 ? ret : passed;
}

void ring_reader_usage(const struct ring_reader *r, uint64_t *pending, uint64_t *size)
{
	*pending = 0;
	*size = r->nrings ? r->rings[0].mask + 1 : 0;
	for (size_t i = 0; i < r->nrings; i++) {
		const struct ring_view *v = &r->rings[i];
		/* The consumer first: the producer only moves ahead of it. */
		uint64_t cons = __atomic_load_n(v->consumer_pos, __ATOMIC_ACQUIRE);
		uint64_t prod = __atomic_load_n(v->producer_pos, __ATOMIC_ACQUIRE);

		if (prod - cons > *pending)
			*pending = prod - cons;
	}
}

size_t ring_size_per_cpu(size_t total, unsigned int cpus, size_t page_size, size_t largest_record)
{
	size_t size = page_size;

	while (size * 2 <= total / cpus)
		size *= 2;
	while (size < 2 * (largest_record + BPF_RINGBUF_HDR_SZ))
		size *= 2;
	return size;
}
