#include "format.h"

void format_event(struct formatter *f, const struct pl_event *ev)
{
	if (f->json)
		format_json_event(f, ev);
	else
		format_text_event(f, ev);
}

void format_lost(struct formatter *f, uint64_t boot_ns, uint64_t count)
{
	if (f->json)
		format_json_lost(f, boot_ns, count);
	else
		format_text_lost(f, boot_ns, count);
}

void format_begin(struct formatter *f)
{
	if (!f->json)
		format_text_begin(f);
	else if (f->host)
		format_json_start(f, boottime_now_ns());
}
