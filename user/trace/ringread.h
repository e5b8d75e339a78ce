/*
 * Reads the programs' per-CPU ring buffers as one stream, in causal order.
 *
 * Each CPU writes its own ring: CPUs never contend for one ring's lock and
 * positions. Records of one ring come in the order they were reserved; across
 * rings they are merged by their timestamp, which a program reads before it
 * reserves. An effect's program runs after its cause's record was committed,
 * so its timestamp is later than the cause's and than every record reserved
 * before the cause on the cause's CPU. A ring's keys are made monotonic
 * (a record's key is at least its predecessor's), which keeps that true.
 *
 * A record that is not visible yet can still precede one that is: the merge
 * takes the time (limit_ns) before it looks at the rings, and passes on only
 * records with a key below it, for their causes were all committed before.
 */
#ifndef PL_RINGREAD_H
#define PL_RINGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One ring as the kernel maps it (Documentation/bpf/ringbuf.rst). */
struct ring_view {
	unsigned long *consumer_pos;		/* the consumer's page, written back per batch */
	const unsigned long *producer_pos;	/* the kernel's page */
	const uint8_t *data;			/* mapped twice in a row: no record wraps */
	uint64_t mask;				/* size - 1 */
	/* The reader's own state. */
	uint64_t cons;		/* next record to read */
	uint64_t prod;		/* the producer position this pass reads up to */
	uint64_t released;	/* the consumer position last written back */
	uint64_t last_key;	/* key of the last record passed on */
	uint64_t head_key;	/* key of the head record, when head_ready */
	bool head_ready;	/* the head is committed and its key known */
};

/* Called for each record in order; a negative return stops the read. */
typedef int (*ring_record_fn)(void *ctx, void *data, size_t size);

/* What the last read left unread. */
enum ring_hold {
	RING_CAUGHT_UP,	/* nothing it had seen */
	RING_AHEAD,	/* records at or after its limit */
	RING_BUSY,	/* a record reserved and not committed yet, and what follows it */
};

struct ring_reader {
	struct ring_view *rings;
	size_t nrings;
	size_t *heap;		/* indexes of rings with a record to merge, smallest key first */
	size_t nheap;
	enum ring_hold held;
};

/* rings must outlive the reader; their views start at the kernel's positions. */
int ring_reader_init(struct ring_reader *r, struct ring_view *rings, size_t nrings);
void ring_reader_free(struct ring_reader *r);
/*
 * Passes on, in key order, every committed record with a key below
 * limit_ns, stopping at a ring whose next record is not committed yet.
 * Returns the count passed on, or the callback's negative return.
 */
int ring_reader_read(struct ring_reader *r, uint64_t limit_ns, ring_record_fn fn, void *ctx);
/* Bytes written and not yet read: of the fullest ring, with its size. */
void ring_reader_usage(const struct ring_reader *r, uint64_t *pending, uint64_t *size);
/*
 * Each CPU's ring: total shared among cpus, a power of two of at least a
 * page, and never too small for two of the largest record, whatever the
 * count of CPUs (a record larger than its ring could never be sent).
 */
size_t ring_size_per_cpu(size_t total, unsigned int cpus, size_t page_size, size_t largest_record);

#endif
