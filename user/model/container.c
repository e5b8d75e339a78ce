#include <string.h>
#include "container.h"

/* One component of a path, not NUL-terminated. */
struct part {
	const char *s;
	size_t len;
};

/*
 * The cgroup names runtimes give a container: "<prefix><id>.scope" from the
 * systemd driver, "<prefix><id>" from the cgroupfs driver where the runtime
 * prefixes the id itself (CRI-O, podman). A conmon's scope
 * ("crio-conmon-<id>.scope", "libpod-conmon-<id>.scope") is the monitor, not
 * the container: its id is no hex and matches nothing here.
 */
static const struct runtime_name {
	const char *prefix;
	const char *runtime;
	bool any_name;		/* the id is a name the user chose, not 64 hex */
	bool bare;		/* also without ".scope" (cgroupfs driver) */
} runtime_names[] = {
	{ "docker-", "docker", false, false },
	{ "cri-containerd-", "containerd", false, false },
	{ "crio-", "cri-o", false, true },
	{ "libpod-", "podman", false, true },
	{ "libpod-payload-", "podman", false, true },	/* --cgroups=split */
	{ "runc-", "runc", true, false },
};

static bool is_lower_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool is_hex_id(const char *s, size_t len)
{
	return len == 64 && is_lower_hex(s, len);
}

/* runc's rule for container ids: ^[\w+-\.]+$ */
static bool is_runc_name(const char *s, size_t len)
{
	if (len == 0 || len >= PL_CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static bool part_is(struct part p, const char *word)
{
	return p.len == strlen(word) && memcmp(p.s, word, p.len) == 0;
}

static bool part_has_prefix(struct part p, const char *prefix)
{
	size_t n = strlen(prefix);

	return p.len >= n && memcmp(p.s, prefix, n) == 0;
}

static bool part_has_suffix(struct part p, const char *suffix)
{
	size_t n = strlen(suffix);

	return p.len >= n && memcmp(p.s + p.len - n, suffix, n) == 0;
}

static bool part_contains(struct part p, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i + n <= p.len; i++)
		if (memcmp(p.s + i, word, n) == 0)
			return true;
	return false;
}

/*
 * A pod uid is a UUID, with '-' (cgroupfs) or '_' (systemd, where '-' nests
 * slices) between its groups; a static pod's is the 32 hex of its manifest
 * hash. Written out with dashes, as the API server shows it.
 */
static bool parse_pod_uid(const char *s, size_t len, char uid[PL_POD_UID_LEN])
{
	if (len == 32 && is_lower_hex(s, len)) {
		memcpy(uid, s, len);
		uid[len] = '\0';
		return true;
	}
	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool sep = i == 8 || i == 13 || i == 18 || i == 23;

		if (sep ? s[i] != '-' && s[i] != '_' : !is_lower_hex(s + i, 1))
			return false;
		uid[i] = sep ? '-' : s[i];
	}
	uid[len] = '\0';
	return true;
}

/*
 * The kubelet's pod cgroup: "pod<uid>" below "kubepods" with the cgroupfs
 * driver, "kubepods[-<qos>]-pod<uid_with_underscores>.slice" with systemd
 * (kind prefixes both with "kubelet").
 */
static bool parse_pod_part(struct part p, bool below_kubepods, char uid[PL_POD_UID_LEN])
{
	struct part rest;

	if (below_kubepods && part_has_prefix(p, "pod"))
		return parse_pod_uid(p.s + 3, p.len - 3, uid);
	if (!part_has_suffix(p, ".slice"))
		return false;
	rest = (struct part){ p.s, p.len - strlen(".slice") };
	for (size_t i = rest.len; i-- > 0;) {
		if (i + 4 <= rest.len && memcmp(rest.s + i, "-pod", 4) == 0)
			return part_contains((struct part){ rest.s, i }, "kubepods") &&
			       parse_pod_uid(rest.s + i + 4, rest.len - i - 4, uid);
	}
	return false;
}

static bool fill_ref(const char *id, size_t len, const char *runtime, struct container_ref *ref)
{
	memcpy(ref->id, id, len);
	ref->id[len] = '\0';
	ref->runtime = runtime;
	ref->pod_uid[0] = '\0';
	return true;
}

/*
 * "<slice>:<prefix>:<id>", the cgroupsPath a CRI runtime hands to runc's
 * systemd driver, shows up verbatim as a directory when systemd did not
 * create the cgroup (cgroup v1 controllers systemd does not manage).
 */
static bool parse_systemd_triple(struct part p, struct container_ref *ref)
{
	const char *c1 = memchr(p.s, ':', p.len), *c2;
	struct part slice, prefix, id;
	char uid[PL_POD_UID_LEN];

	if (!c1)
		return false;
	c2 = memchr(c1 + 1, ':', p.s + p.len - c1 - 1);
	if (!c2)
		return false;
	slice = (struct part){ p.s, c1 - p.s };
	prefix = (struct part){ c1 + 1, c2 - c1 - 1 };
	id = (struct part){ c2 + 1, p.s + p.len - c2 - 1 };
	for (size_t i = 0; i < sizeof(runtime_names) / sizeof(runtime_names[0]); i++) {
		const struct runtime_name *rn = &runtime_names[i];

		if (prefix.len + 1 != strlen(rn->prefix) || memcmp(prefix.s, rn->prefix, prefix.len))
			continue;
		if (!(rn->any_name ? is_runc_name(id.s, id.len) : is_hex_id(id.s, id.len)))
			return false;
		fill_ref(id.s, id.len, rn->runtime, ref);
		if (parse_pod_part(slice, false, uid))
			memcpy(ref->pod_uid, uid, sizeof(uid));
		return true;
	}
	return false;
}

/* The container a component names, given the component above it. */
static bool parse_container_part(struct part p, struct part parent, bool below_kubepods,
				 struct container_ref *ref)
{
	char uid[PL_POD_UID_LEN];
	bool in_pod = parse_pod_part(parent, below_kubepods, uid);
	bool found = false;

	if (is_hex_id(p.s, p.len)) {
		/* A bare id: Docker's cgroupfs driver, or any CRI runtime under a pod. */
		if (part_is(parent, "docker"))
			found = fill_ref(p.s, p.len, "docker", ref);
		else if (in_pod)
			found = fill_ref(p.s, p.len, "cri", ref);
	}
	for (size_t i = 0; !found && i < sizeof(runtime_names) / sizeof(runtime_names[0]); i++) {
		const struct runtime_name *rn = &runtime_names[i];
		struct part id;

		if (!part_has_prefix(p, rn->prefix))
			continue;
		id = (struct part){ p.s + strlen(rn->prefix), p.len - strlen(rn->prefix) };
		if (part_has_suffix(id, ".scope"))
			id.len -= strlen(".scope");
		else if (!rn->bare)
			continue;
		if (rn->any_name ? is_runc_name(id.s, id.len) : is_hex_id(id.s, id.len))
			found = fill_ref(id.s, id.len, rn->runtime, ref);
	}
	if (found && in_pod)
		memcpy(ref->pod_uid, uid, sizeof(uid));
	return found || parse_systemd_triple(p, ref);
}

bool container_from_cgroup_path(const char *path, struct container_ref *out)
{
	struct container_ref found, ref;
	struct part parent = { "", 0 };
	bool any = false, below_kubepods = false;
	const char *s = path;

	while (*s) {
		struct part p;

		while (*s == '/')
			s++;
		p.s = s;
		while (*s && *s != '/')
			s++;
		p.len = s - p.s;
		if (p.len == 0)
			break;
		if (parse_container_part(p, parent, below_kubepods, &ref)) {
			found = ref;
			any = true;
		}
		if (part_contains(p, "kubepods"))
			below_kubepods = true;
		parent = p;
	}
	if (any)
		*out = found;
	return any;
}
