#include <stddef.h>
#include "kernreq.h"

static const struct {
	const char *name;
	size_t offset;
} requirements[] = {
	{ "BPF ring buffers", offsetof(struct kernel_features, ringbuf) },
	{ "the bpf_get_current_task_btf helper",
	  offsetof(struct kernel_features, get_current_task_btf) },
	{ "the bpf_loop helper", offsetof(struct kernel_features, loop) },
};

const char *kernel_missing(const struct kernel_features *f)
{
	for (size_t i = 0; i < sizeof(requirements) / sizeof(requirements[0]); i++)
		if (!*(const bool *)((const char *)f + requirements[i].offset))
			return requirements[i].name;
	return NULL;
}
