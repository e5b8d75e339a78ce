/*
 * The per-CPU rings are read as one stream in causal order: merged by
 * key, never past a key at or after the limit, never past a record not
 * committed yet on any ring whose later records could sort before. Rings
 * here are laid out as the kernel lays them out, in plain memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include "ringread.h"

#define RING_SIZE 4096
#define MAX_SEEN 64
#define NO_LIMIT UINT64_MAX

/* What a record holds here: the timestamp a program would write, and a name to check order by. */
struct record {
	uint64_t ts;
	uint32_t id;
	uint32_t pad;
};

struct fake_ring {
	unsigned long consumer_pos;
	unsigned long producer_pos;
	uint8_t *data;		/* 2 x size: the kernel maps the data twice in a row */
	size_t size;
};

struct seen {
	uint32_t ids[MAX_SEEN];
	size_t n;
	int fail_at;		/* the callback's return is -5 for this record (1-based) */
	const unsigned long *consumer_pos;	/* when set: its value at each record */
	unsigned long released[MAX_SEEN];
};

static int collect(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	struct record r;

	assert_int_equal(size, sizeof(r));
	memcpy(&r, data, sizeof(r));
	if (s->consumer_pos)
		s->released[s->n] = *s->consumer_pos;
	s->ids[s->n++] = r.id;
	return (int)s->n == s->fail_at ? -5 : 0;
}

static void ring_init(struct fake_ring *f, size_t size)
{
	*f = (struct fake_ring){ .size = size };
	f->data = calloc(2, size);
	assert_non_null(f->data);
}

static void put_bytes(struct fake_ring *f, unsigned long pos, const void *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t at = (pos + i) & (f->size - 1);

		f->data[at] = f->data[at + f->size] = ((const uint8_t *)src)[i];
	}
}

/* Reserves a record: its header says busy until commit(). Returns its position. */
static unsigned long reserve(struct fake_ring *f, uint64_t ts, uint32_t id)
{
	struct record r = { .ts = ts, .id = id };
	uint32_t hdr[2] = { sizeof(r) | BPF_RINGBUF_BUSY_BIT, 0 };
	unsigned long pos = f->producer_pos;

	put_bytes(f, pos + BPF_RINGBUF_HDR_SZ, &r, sizeof(r));
	put_bytes(f, pos, hdr, sizeof(hdr));
	f->producer_pos += (BPF_RINGBUF_HDR_SZ + sizeof(r) + 7) & ~7UL;
	return pos;
}

static void finish(struct fake_ring *f, unsigned long pos, uint32_t flags)
{
	uint32_t hdr[2] = { sizeof(struct record) | flags, 0 };

	put_bytes(f, pos, hdr, sizeof(hdr));
}

static void commit(struct fake_ring *f, unsigned long pos)
{
	finish(f, pos, 0);
}

static void put(struct fake_ring *f, uint64_t ts, uint32_t id)
{
	commit(f, reserve(f, ts, id));
}

static struct ring_view view_of(struct fake_ring *f)
{
	return (struct ring_view){
		.consumer_pos = &f->consumer_pos, .producer_pos = &f->producer_pos,
		.data = f->data, .mask = f->size - 1,
	};
}

struct setup {
	struct fake_ring rings[2];
	struct ring_view views[2];
	struct ring_reader reader;
	struct seen seen;
};

static int setup(void **state)
{
	struct setup *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	for (int i = 0; i < 2; i++) {
		ring_init(&s->rings[i], RING_SIZE);
		s->views[i] = view_of(&s->rings[i]);
	}
	assert_int_equal(ring_reader_init(&s->reader, s->views, 2), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct setup *s = *state;

	ring_reader_free(&s->reader);
	for (int i = 0; i < 2; i++)
		free(s->rings[i].data);
	free(s);
	return 0;
}

static int read_all(struct setup *s, uint64_t limit)
{
	return ring_reader_read(&s->reader, limit, collect, &s->seen);
}

static void assert_seen(struct setup *s, const uint32_t *ids, size_t n)
{
	assert_int_equal(s->seen.n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(s->seen.ids[i], ids[i]);
	s->seen.n = 0;
}

static void test_merges_rings_by_time(void **state)
{
	struct setup *s = *state;
	static const uint32_t order[] = { 1, 2, 3, 4, 5 };

	put(&s->rings[0], 10, 1);
	put(&s->rings[0], 30, 3);
	put(&s->rings[0], 50, 5);
	put(&s->rings[1], 20, 2);
	put(&s->rings[1], 40, 4);
	assert_int_equal(read_all(s, NO_LIMIT), 5);
	assert_seen(s, order, 5);
	assert_int_equal(s->reader.held, RING_CAUGHT_UP);
	/* Every byte read goes back to the programs. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(s->rings[i].consumer_pos, s->rings[i].producer_pos);
}

/* A record at or after the limit may have causes not visible yet: it waits for a later read. */
static void test_holds_records_from_the_limit_on(void **state)
{
	struct setup *s = *state;
	static const uint32_t first[] = { 1, 2 }, then[] = { 3, 4 };

	put(&s->rings[0], 10, 1);
	put(&s->rings[0], 30, 3);
	put(&s->rings[1], 20, 2);
	put(&s->rings[1], 40, 4);
	assert_int_equal(read_all(s, 30), 2);
	assert_seen(s, first, 2);
	assert_int_equal(s->reader.held, RING_AHEAD);
	/* Held records stay in the ring: the kernel may not overwrite them. */
	assert_int_not_equal(s->rings[0].consumer_pos, s->rings[0].producer_pos);
	assert_int_equal(read_all(s, 100), 2);
	assert_seen(s, then, 2);
	assert_int_equal(s->reader.held, RING_CAUGHT_UP);
}

/*
 * A record still being written may be the cause of what another ring
 * holds after it: nothing with a key at or after that ring's last one
 * passes until it is committed; what sorts before still does.
 */
static void test_record_being_written_holds_later_keys(void **state)
{
	struct setup *s = *state;
	static const uint32_t first[] = { 1 }, second[] = { 2 }, rest[] = { 3, 4, 5 };
	unsigned long busy;

	put(&s->rings[0], 20, 1);
	assert_int_equal(read_all(s, NO_LIMIT), 1);
	assert_seen(s, first, 1);

	busy = reserve(&s->rings[0], 25, 3);
	put(&s->rings[0], 60, 5);
	put(&s->rings[1], 18, 2);
	put(&s->rings[1], 50, 4);
	assert_int_equal(read_all(s, NO_LIMIT), 1);
	assert_seen(s, second, 1);
	assert_int_equal(s->reader.held, RING_BUSY);

	commit(&s->rings[0], busy);
	assert_int_equal(read_all(s, NO_LIMIT), 3);
	assert_seen(s, rest, 3);
}

static void test_skips_discarded_records(void **state)
{
	struct setup *s = *state;
	static const uint32_t order[] = { 1, 3 };

	put(&s->rings[0], 10, 1);
	finish(&s->rings[0], reserve(&s->rings[0], 20, 2), BPF_RINGBUF_DISCARD_BIT);
	put(&s->rings[0], 30, 3);
	assert_int_equal(read_all(s, NO_LIMIT), 2);
	assert_seen(s, order, 2);
	assert_int_equal(s->rings[0].consumer_pos, s->rings[0].producer_pos);
}

/*
 * A program interrupted on its CPU by another can commit out of time
 * order; the ring's order stands, and later rings' records sort after
 * the larger key.
 */
static void test_keys_of_a_ring_never_go_back(void **state)
{
	struct setup *s = *state;
	static const uint32_t order[] = { 2, 1, 3, 4 };

	put(&s->rings[0], 30, 1);
	put(&s->rings[0], 10, 3);
	put(&s->rings[1], 20, 2);
	put(&s->rings[1], 35, 4);
	assert_int_equal(read_all(s, NO_LIMIT), 4);
	assert_seen(s, order, 4);
}

/* The data is mapped twice in a row: a record across the end reads whole. */
static void test_reads_across_the_end_of_a_ring(void **state)
{
	struct setup *s = *state;
	uint32_t id = 0;

	for (int round = 0; round < 3 * RING_SIZE / 24; round++) {
		put(&s->rings[0], 100 + round, ++id);
		assert_int_equal(read_all(s, NO_LIMIT), 1);
		assert_seen(s, &id, 1);
	}
	assert_true(s->rings[0].consumer_pos > 2 * RING_SIZE);
}

/* A callback's error stops the read; its record counts as read, the next ones stay. */
static void test_callback_error_stops_the_read(void **state)
{
	struct setup *s = *state;
	static const uint32_t first[] = { 1, 2 }, rest[] = { 3 };

	put(&s->rings[0], 10, 1);
	put(&s->rings[0], 20, 2);
	put(&s->rings[1], 30, 3);
	s->seen.fail_at = 2;
	assert_int_equal(read_all(s, NO_LIMIT), -5);
	assert_seen(s, first, 2);
	assert_int_equal(s->rings[0].consumer_pos, s->rings[0].producer_pos);
	s->seen.fail_at = 0;
	assert_int_equal(read_all(s, NO_LIMIT), 1);
	assert_seen(s, rest, 1);
}

/*
 * Space goes back to the kernel during a long read, a quarter of the ring
 * at a time, and never ahead of the records passed on.
 */
static void test_gives_space_back_in_batches(void **state)
{
	struct setup *s = *state;
	const size_t span = 24, count = MAX_SEEN;

	for (uint32_t id = 1; id <= count; id++)
		put(&s->rings[0], id, id);
	s->seen.consumer_pos = &s->rings[0].consumer_pos;
	assert_int_equal(read_all(s, NO_LIMIT), count);
	for (size_t i = 0; i < count; i++)
		assert_true(s->seen.released[i] <= i * span);
	assert_true(s->seen.released[count - 1] > 0);
	assert_int_equal(s->rings[0].consumer_pos, count * span);
	s->seen.n = 0;
}

/* No ring too small for the largest record, however many CPUs share the space. */
static void test_sizes_rings_for_the_largest_record(void **state)
{
	(void)state;
	assert_int_equal(ring_size_per_cpu(8 << 20, 2, 4096, 4703), 4 << 20);
	assert_int_equal(ring_size_per_cpu(8 << 20, 3, 4096, 4703), 2 << 20);
	assert_int_equal(ring_size_per_cpu(4096, 2, 4096, 100), 4096);
	/* 8 MiB over 1024 CPUs would be 8 KiB: less than two 4.7 KiB exec records. */
	assert_int_equal(ring_size_per_cpu(8 << 20, 1024, 4096, 4703), 16384);
	assert_int_equal(ring_size_per_cpu(65536, 16, 4096, 17000), 65536);
}

static void test_usage_is_the_fullest_ring(void **state)
{
	struct setup *s = *state;
	uint64_t pending, size;

	put(&s->rings[0], 10, 1);
	put(&s->rings[1], 20, 2);
	put(&s->rings[1], 30, 3);
	ring_reader_usage(&s->reader, &pending, &size);
	assert_int_equal(pending, 2 * 24);
	assert_int_equal(size, RING_SIZE);
}

/* A reader starts where the kernel's consumer position is, not at 0. */
static void test_starts_at_the_consumer_position(void **state)
{
	struct fake_ring f;
	struct ring_view v;
	struct ring_reader r;
	struct seen seen = { 0 };

	(void)state;
	ring_init(&f, RING_SIZE);
	put(&f, 10, 1);
	f.consumer_pos = f.producer_pos;
	put(&f, 20, 2);
	v = view_of(&f);
	assert_int_equal(ring_reader_init(&r, &v, 1), 0);
	assert_int_equal(ring_reader_read(&r, NO_LIMIT, collect, &seen), 1);
	assert_int_equal(seen.ids[0], 2);
	ring_reader_free(&r);
	free(f.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merges_rings_by_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holds_records_from_the_limit_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_being_written_holds_later_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skips_discarded_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_of_a_ring_never_go_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_across_the_end_of_a_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_error_stops_the_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gives_space_back_in_batches, setup, teardown),
		cmocka_unit_test(test_sizes_rings_for_the_largest_record),
		cmocka_unit_test_setup_teardown(test_usage_is_the_fullest_ring, setup, teardown),
		cmocka_unit_test(test_starts_at_the_consumer_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
