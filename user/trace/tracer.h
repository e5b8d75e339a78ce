/* The BPF side's lifecycle: open, configure, load, attach, poll, destroy. */
#ifndef PL_TRACER_H
#define PL_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tracer_config {
	const char *btf_path;	/* NULL: the running kernel's */
	size_t ringbuf_size;	/* bytes, a power of two */
	uint32_t arg_bytes;
	bool verbose;		/* pass libbpf's messages to stderr */
};

/* Called for each ring-buffer record; a negative return stops the poll. */
typedef int (*tracer_record_fn)(void *ctx, void *data, size_t size);

struct tracer;

/* Each returns 0 or -errno, having said on stderr what failed. */
int tracer_start(struct tracer **out, const struct tracer_config *cfg,
		 tracer_record_fn fn, void *ctx);
/* Waits up to timeout_ms for records, then drains all that are ready. */
int tracer_poll(struct tracer *t, int timeout_ms);
/* Readable when the kernel has woken the consumer: poll it with other fds, then tracer_poll(t, 0). */
int tracer_fd(const struct tracer *t);
/* Bytes the kernel has written to the ring buffer and the consumer has not read yet. */
void tracer_ring_usage(const struct tracer *t, uint64_t *pending, uint64_t *size);
/* Events not sent since start: failed ring-buffer reservations and skipped programs. */
int tracer_lost(struct tracer *t, uint64_t *total);
void tracer_destroy(struct tracer *t);

#endif
