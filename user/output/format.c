#include <string.h>
#include "format.h"
#include "json.h"

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

const struct place *format_place(const struct formatter *f, uint32_t idx)
{
	return f->places && idx ? places_get(f->places, idx) : NULL;
}

static bool in_pidns(uint32_t pidns)
{
	return pidns && pidns != PL_PIDNS_HOST;
}

void format_json_place(struct jw *w, uint64_t cgroup_id, uint32_t pidns, uint32_t ns_pid,
		       const struct place *pl)
{
	if (cgroup_id)
		jw_u64(w, "cgroup_id", cgroup_id);
	if (in_pidns(pidns)) {
		jw_u64(w, "pidns", pidns);
		if (ns_pid)
			jw_u64(w, "ns_pid", ns_pid);
	}
	if (!pl || !pl->in_container)
		return;
	jw_cstr(w, "container_id", pl->ctr.id);
	jw_cstr(w, "container_runtime", pl->ctr.runtime);
	if (pl->ctr.pod_uid[0])
		jw_cstr(w, "pod_uid", pl->ctr.pod_uid);
	jw_cstr(w, "cgroup", pl->cgroup);
}

void format_text_place(struct outbuf *ob, uint32_t pidns, uint32_t ns_pid, const struct place *pl)
{
	if (pl && pl->in_container) {
		size_t n = strlen(pl->ctr.id);

		outbuf_puts(ob, " ctr=");
		format_text_safe(ob, pl->ctr.id, n < PL_SHORT_ID_LEN ? n : PL_SHORT_ID_LEN);
	}
	if (in_pidns(pidns) && ns_pid) {
		outbuf_puts(ob, " nspid=");
		outbuf_u64(ob, ns_pid);
	}
}
