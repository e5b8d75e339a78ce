/*
 * What the BPF programs need of the kernel, checked before loading so that
 * an old kernel gets one line saying what it lacks, never a verifier log.
 */
#ifndef PL_KERNREQ_H
#define PL_KERNREQ_H

#include <stdbool.h>

/* The oldest Linux release that has everything below. */
#define KERNEL_MIN_VERSION "5.17"

/* What the running kernel was found to support (probed by the tracer). */
struct kernel_features {
	bool ringbuf;			/* BPF_MAP_TYPE_RINGBUF, 5.8 */
	bool get_current_task_btf;	/* the helper, 5.11 */
	bool loop;			/* bpf_loop, 5.17: the reaper walks */
};

/* The name of the first feature f lacks ("BPF ring buffers"), or NULL. */
const char *kernel_missing(const struct kernel_features *f);

#endif
