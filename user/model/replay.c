#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "replay.h"
#include "report.h"
#include "status.h"

enum line_result {
	LINE_USED,
	LINE_STOP,	/* past until_ns */
	LINE_BAD,	/* why says what is wrong */
	LINE_NEWER,	/* a start line of a newer schema: why says which; nothing after it is read */
};

/* Why a line cannot be used; the caller adds the file and line number. */
struct why {
	char msg[200];
};

static int fail(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct why *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
	}
	*out = v;
	return 0;
}

static int expect(const char **s, const char *chars)
{
	if (!**s || !strchr(chars, **s))
		return -1;
	(*s)++;
	return 0;
}

int replay_parse_time(const char *s, uint64_t *ns)
{
	struct tm tm = { 0 }, check;
	int year, mon, day, hour, min, sec, off_h = 0, off_m = 0, sign = 0;
	uint64_t frac = 0, scale = 1000000000;
	time_t t;

	if (digits(&s, 4, &year) || expect(&s, "-") || digits(&s, 2, &mon) || expect(&s, "-") ||
	    digits(&s, 2, &day) || expect(&s, "Tt") || digits(&s, 2, &hour) || expect(&s, ":") ||
	    digits(&s, 2, &min) || expect(&s, ":") || digits(&s, 2, &sec))
		return -EINVAL;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		for (; *s >= '0' && *s <= '9'; s++)
			if (scale > 1) {
				scale /= 10;
				frac += (*s - '0') * scale;
			}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else {
		sign = *s == '+' ? 1 : *s == '-' ? -1 : 0;
		if (!sign)
			return -EINVAL;
		s++;
		if (digits(&s, 2, &off_h) || expect(&s, ":") || digits(&s, 2, &off_m) ||
		    off_h > 23 || off_m > 59)
			return -EINVAL;
	}
	if (*s || year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 ||
	    min > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec == 60 ? 59 : sec;
	t = timegm(&tm);
	/* timegm normalizes 31 February into March: a date that moved was not a date. */
	if (t == (time_t)-1 || !gmtime_r(&t, &check) || check.tm_mday != day)
		return -EINVAL;
	t -= sign * (off_h * 3600 + off_m * 60);
	if (t < 0)
		return -EINVAL;
	*ns = (uint64_t)t * 1000000000 + frac;
	return 0;
}

/* Field readers: 0 and *out set, or -1 with why set. opt_ leave *out alone when absent. */
static int opt_uint(json_t *o, const char *key, uint64_t max, uint64_t *out, struct why *w)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return fail(w, "\"%s\" is not an integer from 0 to %llu", key,
			    (unsigned long long)max);
	*out = json_integer_value(v);
	return 0;
}

static int want_uint(json_t *o, const char *key, uint64_t max, uint64_t *out, struct why *w)
{
	if (!json_object_get(o, key))
		return fail(w, "missing \"%s\"", key);
	return opt_uint(o, key, max, out, w);
}

static int opt_u32(json_t *o, const char *key, uint32_t *out, struct why *w)
{
	uint64_t v = *out;

	if (opt_uint(o, key, UINT32_MAX, &v, w))
		return -1;
	*out = v;
	return 0;
}

static int want_u32(json_t *o, const char *key, uint32_t *out, struct why *w)
{
	if (!json_object_get(o, key))
		return fail(w, "missing \"%s\"", key);
	return opt_u32(o, key, out, w);
}

static int opt_int(json_t *o, const char *key, int *out, struct why *w)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
	    json_integer_value(v) > INT32_MAX)
		return fail(w, "\"%s\" is not a 32-bit integer", key);
	*out = json_integer_value(v);
	return 0;
}

static int opt_bool(json_t *o, const char *key, bool *out, struct why *w)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return fail(w, "\"%s\" is not true or false", key);
	*out = json_is_true(v);
	return 0;
}

static int want_bool(json_t *o, const char *key, bool *out, struct why *w)
{
	if (!json_object_get(o, key))
		return fail(w, "missing \"%s\"", key);
	return opt_bool(o, key, out, w);
}

static int opt_str(json_t *o, const char *key, const char **out, size_t *len, struct why *w)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return fail(w, "\"%s\" is not a string", key);
	*out = json_string_value(v);
	if (len)
		*len = json_string_length(v);
	return 0;
}

static int want_str(json_t *o, const char *key, const char **out, size_t *len, struct why *w)
{
	if (!json_object_get(o, key))
		return fail(w, "missing \"%s\"", key);
	return opt_str(o, key, out, len, w);
}

/* A name as the kernel would hold it: at most PL_COMM_LEN bytes. */
static int want_comm(json_t *o, const char *key, char out[PL_COMM_LEN + 1], bool required,
		     struct why *w)
{
	const char *s = NULL;
	size_t n = 0;

	if (required ? want_str(o, key, &s, &n, w) : opt_str(o, key, &s, &n, w))
		return -1;
	if (n > PL_COMM_LEN)
		n = PL_COMM_LEN;
	if (s)
		memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int opt_rule(json_t *o, const char *key, enum pl_reaper_rule *out, struct why *w)
{
	const char *s = NULL;

	if (opt_str(o, key, &s, NULL, w) || !s)
		return s ? -1 : 0;
	int r = reaper_rule_from_name(s);

	if (r >= 0) {
		*out = r;
		return 0;
	}
	return fail(w, "\"%s\" is not \"thread\", \"subreaper\", \"init\" or \"pidns_dying\"", key);
}

/* exit_code, or signal with core_dumped, back to the wait status. */
static int read_status(json_t *o, int *status, struct why *w)
{
	int code = 0, sig = 0;
	bool core = false;

	if (opt_int(o, "exit_code", &code, w) || opt_int(o, "signal", &sig, w) ||
	    opt_bool(o, "core_dumped", &core, w))
		return -1;
	if (json_object_get(o, "exit_code")) {
		if (code < 0 || code > 255)
			return fail(w, "\"exit_code\" is not from 0 to 255");
		*status = code << 8;
	} else if (json_object_get(o, "signal")) {
		if (sig < 1 || sig > 127)
			return fail(w, "\"signal\" is not from 1 to 127");
		*status = sig | (core ? 0x80 : 0);
	} else {
		return fail(w, "missing \"exit_code\" or \"signal\"");
	}
	return 0;
}

/*
 * Where the process ran (format_json_place): its place in the model's
 * places, with the cgroup path the trace recorded. A reap's namespace side
 * was gone in the kernel; the model gives it the process's place instead.
 */
static int read_place(json_t *o, struct places *t, bool reap, uint64_t *cgroup_id,
		      uint32_t *pidns, uint32_t *ns_pid, uint32_t *place, struct why *w)
{
	const char *cgroup = NULL;

	if (opt_uint(o, "cgroup_id", UINT64_MAX, cgroup_id, w) || opt_u32(o, "pidns", pidns, w) ||
	    opt_u32(o, "ns_pid", ns_pid, w) || opt_str(o, "cgroup", &cgroup, NULL, w))
		return -1;
	*place = reap && !*pidns ? 0 : places_intern(t, *cgroup_id, *pidns);
	if (cgroup)
		places_set_path(t, *place, cgroup);
	return 0;
}

static int read_fork(json_t *o, struct pl_event *ev, struct why *w)
{
	return want_bool(o, "thread", &ev->fork.thread, w) ||
	       opt_u32(o, "parent_tid", &ev->fork.parent_tid, w) ||
	       opt_u32(o, "ns_ppid", &ev->fork.ns_ppid, w) ||
	       opt_uint(o, "parent_start_ns", UINT64_MAX, &ev->fork.parent_start_ns, w) ? -1 : 0;
}

/* args holds the argv strings NUL-terminated, as the ring buffer has them. */
static int read_exec(json_t *o, struct pl_event *ev, char **args, struct why *w)
{
	json_t *a = json_object_get(o, "args"), *s;
	size_t i, len = 0;
	char *p;

	ev->exec.old_pid = ev->pid;
	if (want_str(o, "filename", &ev->exec.filename, &ev->exec.filename_len, w) ||
	    opt_bool(o, "args_truncated", &ev->exec.args_truncated, w) ||
	    opt_bool(o, "filename_truncated", &ev->exec.filename_truncated, w) ||
	    opt_u32(o, "uid", &ev->exec.uid, w) || opt_u32(o, "gid", &ev->exec.gid, w) ||
	    opt_u32(o, "old_pid", &ev->exec.old_pid, w))
		return -1;
	if (a && !json_is_array(a))
		return fail(w, "\"args\" is not an array");
	json_array_foreach(a, i, s) {
		if (!json_is_string(s))
			return fail(w, "\"args\" holds something that is not a string");
		len += json_string_length(s) + 1;
	}
	*args = p = malloc(len + 1);
	if (!p)
		return fail(w, "out of memory for the arguments");
	json_array_foreach(a, i, s) {
		memcpy(p, json_string_value(s), json_string_length(s));
		p += json_string_length(s);
		*p++ = '\0';
	}
	ev->exec.args = *args;
	ev->exec.args_len = len;
	return 0;
}

static int read_exit(json_t *o, struct pl_event *ev, struct why *w)
{
	bool has_reaper = json_object_get(o, "reaper"), has_rule = json_object_get(o, "reaper_rule");

	if (want_bool(o, "thread", &ev->exit.thread, w) || read_status(o, &ev->exit.status, w) ||
	    opt_bool(o, "autoreap", &ev->exit.parent_autoreap, w) ||
	    opt_u32(o, "reaper", &ev->exit.reaper, w) ||
	    opt_rule(o, "reaper_rule", &ev->exit.reaper_rule, w))
		return -1;
	if (has_reaper != has_rule)
		return fail(w, "\"reaper\" and \"reaper_rule\" come together");
	return 0;
}

static int opt_i64(json_t *o, const char *key, int64_t *out, struct why *w)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return fail(w, "\"%s\" is not an integer", key);
	*out = json_integer_value(v);
	return 0;
}

/* The siginfo fields its kind says are there; a trace without "siginfo" gets the kind from the code. */
static int read_siginfo(json_t *o, const struct pl_event *ev, struct siginfo_fields *si,
			struct why *w)
{
	const char *kind = NULL;
	int64_t band = 0;
	uint64_t addr = 0, call_addr = 0;
	int k;

	if (opt_str(o, "siginfo", &kind, NULL, w) || opt_int(o, "si_pid", &si->pid, w) ||
	    opt_u32(o, "si_uid", &si->uid, w) || opt_int(o, "si_status", &si->status, w) ||
	    opt_uint(o, "si_addr", UINT64_MAX, &addr, w) ||
	    opt_int(o, "si_timerid", &si->timerid, w) || opt_int(o, "si_overrun", &si->overrun, w) ||
	    opt_i64(o, "si_band", &band, w) || opt_int(o, "si_fd", &si->fd, w) ||
	    opt_uint(o, "si_call_addr", UINT64_MAX, &call_addr, w) ||
	    opt_int(o, "si_syscall", &si->syscall, w) || opt_u32(o, "si_arch", &si->arch, w))
		return -1;
	k = kind ? siginfo_kind_from_name(kind) : (int)siginfo_kind_of(ev->signal.sig, ev->signal.code);
	if (k < 0)
		return fail(w, "\"siginfo\" is not a kind of siginfo");
	si->kind = k;
	si->unrecorded = !kind;
	si->band = band;
	si->addr = si->kind == SIGINFO_SYS ? call_addr : addr;
	return 0;
}

static int read_signal(json_t *o, struct pl_event *ev, struct why *w)
{
	const char *stage = NULL, *result = NULL, *disp = NULL;

	if (want_str(o, "stage", &stage, NULL, w) || opt_int(o, "signal", &ev->signal.sig, w) ||
	    opt_int(o, "code", &ev->signal.code, w) ||
	    opt_u32(o, "sender_pid", &ev->signal.sender_pid, w) ||
	    opt_u32(o, "sender_tid", &ev->signal.sender_tid, w) ||
	    want_comm(o, "sender_comm", ev->signal.sender_comm, false, w) ||
	    opt_str(o, "result", &result, NULL, w) || opt_str(o, "disposition", &disp, NULL, w) ||
	    read_siginfo(o, ev, &ev->signal.si, w))
		return -1;
	if (!json_object_get(o, "signal"))
		return fail(w, "missing \"signal\"");
	if (!strcmp(stage, "generate"))
		ev->type = PL_EV_SIGNAL_GENERATE;
	else if (!strcmp(stage, "deliver"))
		ev->type = PL_EV_SIGNAL_DELIVER;
	else
		return fail(w, "\"stage\" is not \"generate\" or \"deliver\"");
	/* The writer prints "unknown" for results it has no name for; -1 prints the same. */
	ev->signal.result = -1;
	for (int i = 0; result && strcmp(signal_result_name(i), "unknown"); i++)
		if (!strcmp(result, signal_result_name(i)))
			ev->signal.result = i;
	if (disp && disposition_from_name(disp) < 0)
		return fail(w, "\"disposition\" is not \"default\", \"ignored\" or \"handler\"");
	if (disp)
		ev->signal.disposition = disposition_from_name(disp);
	return 0;
}

static int read_event(json_t *o, const char *type, struct pl_event *ev, char **args,
		      struct places *places, struct why *w)
{
	int t = event_type_from_name(type);

	if (t < 0)
		return fail(w, "unknown type \"%s\"", type);
	ev->type = t;
	if (want_u32(o, "pid", &ev->pid, w) || want_u32(o, "tid", &ev->tid, w) ||
	    want_u32(o, "ppid", &ev->ppid, w) || want_comm(o, "comm", ev->comm, true, w) ||
	    want_uint(o, "start_ns", UINT64_MAX, &ev->start_ns, w) ||
	    read_place(o, places, ev->type == PL_EV_REAP, &ev->cgroup_id, &ev->pidns, &ev->ns_pid,
		       &ev->place, w))
		return -1;
	switch (ev->type) {
	case PL_EV_FORK:
		return read_fork(o, ev, w);
	case PL_EV_EXEC:
		return read_exec(o, ev, args, w);
	case PL_EV_EXIT:
		return read_exit(o, ev, w);
	case PL_EV_REAP:
		ev->reap.zombie_ns = -1;
		return opt_uint(o, "zombie_ns", INT64_MAX, (uint64_t *)&ev->reap.zombie_ns, w);
	case PL_EV_RENAME:
		return want_comm(o, "old_comm", ev->rename.old_comm, true, w);
	default:
		return read_signal(o, ev, w);
	}
}

static int read_seed(json_t *o, uint64_t now_ns, struct places *places, struct model_seed *s,
		     struct why *w)
{
	uint64_t age = 0, cgroup_id = 0;
	uint32_t pidns = 0;
	const char *comm = NULL;
	size_t n;

	*s = (struct model_seed){ .nthreads = 1 };
	if (!json_is_object(o))
		return fail(w, "\"procs\" holds something that is not an object");
	if (want_u32(o, "pid", &s->pid, w) || want_u32(o, "ppid", &s->ppid, w) ||
	    want_str(o, "comm", &comm, &n, w) ||
	    want_uint(o, "start_ns", UINT64_MAX, &s->start_ns, w) ||
	    opt_bool(o, "coarse", &s->coarse, w) || opt_bool(o, "scan", &s->from_scan, w) ||
	    opt_str(o, "filename", &s->filename, NULL, w) ||
	    opt_u32(o, "parent_tid", &s->ptid, w) || opt_u32(o, "threads", &s->nthreads, w) ||
	    opt_uint(o, "zombie_ns", INT64_MAX, &age, w) ||
	    opt_bool(o, "autoreap", &s->autoreap, w) ||
	    opt_u32(o, "orphan_of", &s->orphan_ppid, w) ||
	    opt_rule(o, "reaper_rule", &s->orphan_rule, w) ||
	    read_place(o, places, false, &cgroup_id, &pidns, &s->ns_pid, &s->place, w))
		return -1;
	if (!s->orphan_ppid != !json_object_get(o, "reaper_rule"))
		return fail(w, "\"orphan_of\" and \"reaper_rule\" come together");
	/* A dying namespace's processes are killed, not adopted: no orphan has that rule. */
	if (s->orphan_ppid && s->orphan_rule == PL_REAPER_PIDNS_DYING)
		return fail(w, "\"reaper_rule\" of an orphan is not \"thread\", \"subreaper\" or \"init\"");
	s->comm = comm;
	s->zombie = json_object_get(o, "zombie_ns");
	if (s->zombie) {
		bool since_scan = false;

		if (opt_bool(o, "zombie_since_scan", &since_scan, w))
			return -1;
		s->exit_seen = !since_scan;
		if (s->exit_seen && read_status(o, &s->status, w))
			return -1;
		s->exit_ns = now_ns > age ? now_ns - age : 0;
	}
	return 0;
}

/*
 * All or nothing: a snapshot with one bad process does not replace the
 * model. procs are the "procs" arrays of its parts. An enum line_result,
 * or -ENOMEM.
 */
static int apply_snapshot(struct replay *r, json_t *const *procs, size_t nparts, uint64_t now_ns,
			  struct why *w)
{
	struct model_seed *seeds;
	size_t i, n = 0, k;
	json_t *p;
	int err = 0;

	for (k = 0; k < nparts; k++)
		n += json_array_size(procs[k]);
	seeds = calloc(n + 1, sizeof(*seeds));
	if (!seeds)
		return -ENOMEM;
	n = 0;
	for (k = 0; k < nparts; k++)
		json_array_foreach(procs[k], i, p)
			if (read_seed(p, now_ns, &r->model->places, &seeds[n++], w)) {
				free(seeds);
				return LINE_BAD;
			}
	model_seed_begin(r->model);
	for (i = 0; i < n && !err; i++)
		err = model_seed_add(r->model, &seeds[i]);
	model_seed_end(r->model, now_ns);
	free(seeds);
	return err;
}

static void drop_parts(struct replay *r)
{
	for (uint32_t k = 0; k < r->snap.parts; k++)
		json_decref(r->snap.procs[k]);
	free(r->snap.procs);
	r->snap = (struct replay_parts){ 0 };
}

/* The writer puts a snapshot's parts together: anything else first means some are lost. */
static void report_missing_parts(struct replay *r)
{
	uint32_t k;

	if (!r->snap.parts)
		return;
	for (k = 0; k < r->snap.parts && r->snap.procs[k]; k++)
		;
	fprintf(r->err, "proclife: %s:%lu: snapshot %llu lacks part %u of %u (and has %u): "
		"it is skipped\n", r->name, r->lines, (unsigned long long)r->snap.id, k + 1,
		r->snap.parts, r->snap.seen);
	r->bad++;
	drop_parts(r);
}

/* One part of a snapshot: kept until the last one comes. An enum line_result, or -ENOMEM. */
static int add_snapshot_part(struct replay *r, json_t *o, uint64_t now_ns, struct why *w)
{
	json_t *procs = json_object_get(o, "procs");
	uint64_t id = 0, part = 1, parts = 1;
	int err;

	if (opt_uint(o, "snapshot_id", UINT64_MAX, &id, w) ||
	    opt_uint(o, "part", REPLAY_SNAPSHOT_PARTS_MAX, &part, w) ||
	    opt_uint(o, "parts", REPLAY_SNAPSHOT_PARTS_MAX, &parts, w))
		return LINE_BAD;
	if (part < 1 || part > parts) {
		fail(w, "\"part\" is not from 1 to \"parts\"");
		return LINE_BAD;
	}
	if (!json_is_array(procs)) {
		fail(w, "\"procs\" is missing or not an array");
		return LINE_BAD;
	}
	if (r->snap.parts && (r->snap.id != id || r->snap.parts != parts))
		report_missing_parts(r);
	if (parts == 1)
		return apply_snapshot(r, &procs, 1, now_ns, w);
	if (!r->snap.parts) {
		r->snap.procs = calloc(parts, sizeof(*r->snap.procs));
		if (!r->snap.procs)
			return -ENOMEM;
		r->snap.id = id;
		r->snap.parts = parts;
	}
	if (r->snap.procs[part - 1]) {
		fail(w, "snapshot %llu has part %llu twice", (unsigned long long)id,
		     (unsigned long long)part);
		return LINE_BAD;
	}
	r->snap.procs[part - 1] = json_incref(procs);
	if (++r->snap.seen < parts)
		return LINE_USED;
	err = apply_snapshot(r, r->snap.procs, parts, now_ns, w);
	drop_parts(r);
	return err;
}

/*
 * Who wrote what follows. A new boot makes every pid a new process: the
 * model of the old one is dropped. A newer schema may have changed what a
 * field means: nothing from there on is read.
 */
static int read_start(struct replay *r, json_t *o, struct why *w)
{
	const char *host = NULL, *boot_id = NULL, *kernel = NULL, *version = NULL;
	uint64_t schema;

	if (want_str(o, "host", &host, NULL, w) || want_str(o, "boot_id", &boot_id, NULL, w) ||
	    want_str(o, "kernel", &kernel, NULL, w) || want_str(o, "version", &version, NULL, w) ||
	    want_uint(o, "schema", UINT32_MAX, &schema, w))
		return LINE_BAD;
	if (schema > PL_SCHEMA_VERSION) {
		fail(w, "schema %llu is newer than this proclife reads (%d): the rest is not read",
		     (unsigned long long)schema, PL_SCHEMA_VERSION);
		return LINE_NEWER;
	}
	if (r->boot_id[0] && strcmp(r->boot_id, boot_id)) {
		model_seed_begin(r->model);
		model_seed_end(r->model, r->now_ns);
	}
	snprintf(r->boot_id, sizeof(r->boot_id), "%s", boot_id);
	return LINE_USED;
}

static void advance(struct replay *r, uint64_t ts)
{
	if (ts > r->now_ns)
		r->now_ns = ts;
	model_tick(r->model, r->now_ns);
}

/* An enum line_result, or -ENOMEM. */
static int replay_line(struct replay *r, const char *line, size_t len, struct why *w)
{
	struct pl_event ev = { 0 };
	json_error_t jerr;
	const char *type = NULL, *time = NULL;
	char *args = NULL;
	uint64_t ts, count;
	int64_t trace_zombie_ns;
	json_t *o;
	int err = LINE_BAD;

	o = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
	if (!o) {
		fail(w, "invalid JSON: %s", jerr.text);
		return LINE_BAD;
	}
	if (!json_is_object(o)) {
		fail(w, "expected object");
		goto out;
	}
	if (want_str(o, "type", &type, NULL, w))
		goto out;
	if (strcmp(type, "snapshot"))
		report_missing_parts(r);
	if (!strcmp(type, "zombie") || !strcmp(type, "orphan")) {
		err = LINE_USED;
		goto out;
	}
	if (want_str(o, "time", &time, NULL, w))
		goto out;
	if (replay_parse_time(time, &ts)) {
		fail(w, "\"time\" is not an RFC 3339 time");
		goto out;
	}
	/* Written when a file begins, it dates no event. */
	if (!strcmp(type, "start")) {
		err = read_start(r, o, w);
		goto out;
	}
	if (r->until_given && ts > r->until_ns) {
		err = LINE_STOP;
		goto out;
	}
	if (!strcmp(type, "snapshot")) {
		advance(r, ts);
		err = add_snapshot_part(r, o, ts, w);
	} else if (!strcmp(type, "lost")) {
		if (!want_uint(o, "count", UINT64_MAX, &count, w)) {
			r->lost += count;
			err = LINE_USED;
		}
	} else if (!read_event(o, type, &ev, &args, &r->model->places, w)) {
		trace_zombie_ns = ev.reap.zombie_ns;
		advance(r, ts);
		ev.ts_ns = ts;
		err = model_apply(r->model, &ev);
		/* A trace that begins mid-life still knows how long this zombie waited. */
		if (ev.type == PL_EV_REAP && ev.reap.zombie_ns < 0)
			ev.reap.zombie_ns = trace_zombie_ns;
		if (!err) {
			r->events++;
			if (r->on_event)
				r->on_event(r->ctx, &ev);
		}
	}
out:
	free(args);
	json_decref(o);
	return err;
}

int replay_run(struct replay *r, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int err = 0;

	r->lines = r->events = r->bad = 0;
	r->snap = (struct replay_parts){ 0 };
	r->boot_id[0] = '\0';
	r->lost = 0;
	r->now_ns = 0;
	while ((len = getline(&line, &cap, in)) >= 0) {
		struct why w;

		r->lines++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (!len)
			continue;
		err = replay_line(r, line, len, &w);
		if (err == LINE_BAD || err == LINE_NEWER) {
			fprintf(r->err, "proclife: %s:%lu: %s\n", r->name, r->lines, w.msg);
			r->bad++;
		}
		if (err == LINE_STOP || err == LINE_NEWER || err < 0)
			break;
	}
	if (err == LINE_STOP || err == LINE_NEWER)
		err = 0;
	else if (err >= 0)
		err = ferror(in) ? -EIO : 0;
	free(line);
	if (err >= 0)
		report_missing_parts(r);
	drop_parts(r);
	if (err)
		return err;
	if (r->until_given)
		r->now_ns = r->until_ns;
	model_tick(r->model, r->now_ns);
	return r->bad ? 1 : 0;
}
