/*
 * The container path parser on cgroup paths seen on real hosts: each comes
 * from a runtime's or a user's report (bug trackers of Docker, containerd,
 * CRI-O, podman, runc, kind, minikube, Kubernetes tooling), with the layout
 * named beside it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cgroupfs.h"
#include "container.h"
#include "places.h"

struct path_case {
	const char *path;
	const char *id;		/* NULL: no container */
	const char *pod_uid;
	const char *runtime;
};

static const struct path_case cases[] = {
	/* Docker, cgroupfs driver (v1 controllers, and v2 alike) */
	{ "/docker/4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970",
	  "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970", "", "docker" },
	/* Docker, systemd driver */
	{ "/system.slice/docker-9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d.scope",
	  "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d", "", "docker" },
	/* a container's own sub-cgroup (systemd inside it) still belongs to it */
	{ "/system.slice/docker-9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d.scope/init.scope",
	  "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d", "", "docker" },
	/* Kubernetes, cgroupfs driver: the runtime does not name itself */
	{ "/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018d/"
	  "34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376",
	  "34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376",
	  "74c13223-5a00-11e9-b385-42010a80018d", "cri" },
	/* Kubernetes, cgroupfs driver, Guaranteed QoS (no QoS level) */
	{ "/kubepods/pod74c13223-5a00-11e9-b385-42010a80018d/"
	  "34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376",
	  "34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376",
	  "74c13223-5a00-11e9-b385-42010a80018d", "cri" },
	/* Kubernetes, systemd driver, containerd */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod55c6c714_b240_4dec_9a45_57b61696ab6e.slice/"
	  "cri-containerd-2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36.scope",
	  "2032491dcae31e6746f47daa0ac74564f2843a1bd847c5e6c4eb501ca132ac36",
	  "55c6c714-b240-4dec-9a45-57b61696ab6e", "containerd" },
	/* a static pod: its uid is the manifest's hash */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8daa50c3a64c9ff60bb9eab7b44b56fd.slice/"
	  "cri-containerd-2884d57c0e100d7a9a2f9487ce0bc2986bca3430e988af7a4865aff061f51ac5.scope",
	  "2884d57c0e100d7a9a2f9487ce0bc2986bca3430e988af7a4865aff061f51ac5",
	  "8daa50c3a64c9ff60bb9eab7b44b56fd", "containerd" },
	/* kind's node: the kubelet's slices carry a "kubelet-" prefix */
	{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	  "kubelet-kubepods-besteffort-pod1e597579_417e_482f_bf65_5fe170c3aebd.slice/"
	  "cri-containerd-a09bc17f5aa29b0dbdec9ede5f46cf1396d2405917ab02e6f1eb1019f388396e.scope",
	  "a09bc17f5aa29b0dbdec9ede5f46cf1396d2405917ab02e6f1eb1019f388396e",
	  "1e597579-417e-482f-bf65-5fe170c3aebd", "containerd" },
	/* Kubernetes, systemd driver, Docker (dockershim), Guaranteed */
	{ "/kubepods.slice/kubepods-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice/"
	  "docker-5dace3de0735f73d2b5048f12d41a71741a02e49668de921fdae62f7e65dc498.scope",
	  "5dace3de0735f73d2b5048f12d41a71741a02e49668de921fdae62f7e65dc498",
	  "0125ec2f-b64a-4868-8f5b-94b56cbab864", "docker" },
	/* containerd's cgroupsPath as a directory, where systemd made no cgroup (v1) */
	{ "/system.slice/containerd.service/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:"
	  "cri-containerd:ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459",
	  "ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459",
	  "0125ec2f-b64a-4868-8f5b-94b56cbab864", "containerd" },
	/* CRI-O, systemd driver */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda5c1f8d5_1919_434d_add7_4afaafdaef89.slice/"
	  "crio-5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c.scope",
	  "5eed917563583925ffdbd40a64efb2aaffe58638e57add8becaf460fe74f5b1c",
	  "a5c1f8d5-1919-434d-add7-4afaafdaef89", "cri-o" },
	/* CRI-O's pod sandbox without an infra container: no ".scope" */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod35550f44_f691_427e_b57d_ab6127d2cb65.slice/"
	  "crio-468f848e2ebec7203ed55748d08337851af589ac42eb551c572446a5c68fe631",
	  "468f848e2ebec7203ed55748d08337851af589ac42eb551c572446a5c68fe631",
	  "35550f44-f691-427e-b57d-ab6127d2cb65", "cri-o" },
	/* CRI-O, cgroupfs driver */
	{ "/kubepods/burstable/pod44e2e33e-776b-4284-a647-4bd959899c91/"
	  "crio-dc4b5f11a034ac50f4bf7a0f2396fce881f58dcb5b2fa5f0f74d5c2ad924c083",
	  "dc4b5f11a034ac50f4bf7a0f2396fce881f58dcb5b2fa5f0f74d5c2ad924c083",
	  "44e2e33e-776b-4284-a647-4bd959899c91", "cri-o" },
	/* minikube: CRI-O inside a Docker container; the inner container wins */
	{ "/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22/kubepods.slice/"
	  "kubepods-besteffort.slice/kubepods-besteffort-podae7a96fb_2bdc_46b0_96e2_78e4af94847b.slice/"
	  "crio-89e8f450417b56acf3089925dfd8f050dd50e950e18cfe83ea923269df601102.scope",
	  "89e8f450417b56acf3089925dfd8f050dd50e950e18cfe83ea923269df601102",
	  "ae7a96fb-2bdc-46b0-96e2-78e4af94847b", "cri-o" },
	/* ... and the node's own kubelet slice is in the node's container */
	{ "/docker/d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22/kubepods.slice",
	  "d6701ec289c56e4391acb11d07474b3139466857a305490575508a8b7a9fcf22", "", "docker" },
	/* podman, systemd driver, rootful */
	{ "/machine.slice/libpod-3bc14872777de686061f88f78fe8329d6ac09f998ba5765c2df9fea5c4a13314.scope",
	  "3bc14872777de686061f88f78fe8329d6ac09f998ba5765c2df9fea5c4a13314", "", "podman" },
	/* podman, rootless user manager, with crun's "container" sub-cgroup */
	{ "/user.slice/user-0.slice/user@0.service/machine.slice/"
	  "libpod-cf21d19260ace8544fe8b769fc2638bf2c0873dfbfff0b6253f0569b26a1d5eb.scope/container",
	  "cf21d19260ace8544fe8b769fc2638bf2c0873dfbfff0b6253f0569b26a1d5eb", "", "podman" },
	/* podman, cgroupfs driver */
	{ "/libpod_parent/libpod-c3be953da46e015e93a9de37c547a7587a32d609fad3ca721135937833d94a1e",
	  "c3be953da46e015e93a9de37c547a7587a32d609fad3ca721135937833d94a1e", "", "podman" },
	/* podman --cgroups=split under a systemd service */
	{ "/system.slice/app_name.service/libpod-payload-cc316b3065798e96c30dcfc708f7a7dda1b2d78e552364002d2e49a3100ef3ef",
	  "cc316b3065798e96c30dcfc708f7a7dda1b2d78e552364002d2e49a3100ef3ef", "", "podman" },
	/* runc's own systemd driver, default cgroupsPath: the id is the user's name */
	{ "/system.slice/runc-web_1.scope", "web_1", "", "runc" },
	/* The monitors are not the container */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod207aaad1_659f_4db8_88e0_46e0cdcc3004.slice/"
	  "crio-conmon-32da98c8522068be05a7510a3eddb09cad6ed2f03286180d0e931d0d0b6224a6.scope", NULL, NULL, NULL },
	{ "/system.slice/crio-conmon-e0c85fe7644a858988d9687c2e0736a7d31922740d0f3e001c6b2e0aa7e5f528.scope",
	  NULL, NULL, NULL },
	{ "/kubepods/burstable/pod44e2e33e-776b-4284-a647-4bd959899c91/"
	  "crio-conmon-dc4b5f11a034ac50f4bf7a0f2396fce881f58dcb5b2fa5f0f74d5c2ad924c083", NULL, NULL, NULL },
	{ "/machine.slice/libpod-conmon-3bc14872777de686061f88f78fe8329d6ac09f998ba5765c2df9fea5c4a13314.scope",
	  NULL, NULL, NULL },
	/* A pod's own cgroup holds no container */
	{ "/kubepods/burstable/pod44e2e33e-776b-4284-a647-4bd959899c91", NULL, NULL, NULL },
	/* Hosts' own cgroups and layouts we cannot read: never a guess */
	{ "/", NULL, NULL, NULL },
	{ "", NULL, NULL, NULL },
	{ "/init.scope", NULL, NULL, NULL },
	{ "/user.slice/user-1000.slice/session-1.scope", NULL, NULL, NULL },
	{ "/system.slice/docker.service", NULL, NULL, NULL },
	{ "/system.slice/containerd.service", NULL, NULL, NULL },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/podman-6696.scope", NULL, NULL, NULL },
	/* ECS and bare runc put an id under a name nothing standard says is a runtime's */
	{ "/ecs/0ee0f8e9d7a34a0c8d22bde6cd8e3e8b/8d2c6a4f33cc5fd0d1f6a85a44a8f1a1d1c1b6f5e8a3c3f1f0e0d0c0b0a09080",
	  NULL, NULL, NULL },
	{ "/mycontainer", NULL, NULL, NULL },
	/* almost ids: 63 hex, upper case, a hex id under a name that is not "docker" */
	{ "/docker/4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c3842814297", NULL, NULL, NULL },
	{ "/docker/4F797C539E6C745DE61A93CA3FF892358ECBCACCD8414D5DB545C38428142970", NULL, NULL, NULL },
	{ "/dockerd/4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970", NULL, NULL, NULL },
	{ "/system.slice/docker-4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970", NULL, NULL, NULL },
	/* a 64-hex directory under a "pod" that is not below kubepods */
	{ "/pod74c13223-5a00-11e9-b385-42010a80018d/34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376",
	  NULL, NULL, NULL },
	/* a runc name longer than the id buffer is no match, not a cut id */
	{ "/system.slice/runc-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.scope", NULL, NULL, NULL },
};

static void test_path_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct path_case *c = &cases[i];
		struct container_ref ref;
		bool found;

		memset(&ref, 0x5a, sizeof(ref));
		found = container_from_cgroup_path(c->path, &ref);
		if (!c->id) {
			if (found || (unsigned char)ref.id[0] != 0x5a)
				fail_msg("%s: found %s, or touched out", c->path, found ? ref.id : "nothing");
			continue;
		}
		if (!found)
			fail_msg("%s: no container found", c->path);
		if (strcmp(ref.id, c->id) || strcmp(ref.pod_uid, c->pod_uid) ||
		    strcmp(ref.runtime, c->runtime))
			fail_msg("%s: got id %s pod %s runtime %s", c->path, ref.id, ref.pod_uid,
				 ref.runtime);
	}
}

/* The v2 hierarchy wherever it is mounted; v1 controllers and subtrees are not it. */
static void test_mountinfo(void **state)
{
	static const struct {
		const char *line, *mount;
	} lines[] = {
		{ "36 25 0:31 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
		  "rw,nsdelegate,memory_recursiveprot\n", "/sys/fs/cgroup" },
		{ "39 30 0:34 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
		  "/sys/fs/cgroup/unified" },
		{ "40 30 0:35 / /mnt/cg\\040v2 rw - cgroup2 none rw\n", "/mnt/cg v2" },
		{ "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n", NULL },
		{ "41 30 0:31 /docker/abc /mnt/sub rw - cgroup2 cgroup2 rw\n", NULL },
		{ "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n", NULL },
		{ "garbage\n", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char *m = cgroupfs_mount_of(lines[i].line);

		if (lines[i].mount)
			assert_string_equal(m, lines[i].mount);
		else
			assert_null(m);
		free(m);
	}
}

static bool fake_path(void *ctx, uint64_t id, char *buf, size_t size)
{
	int *calls = ctx;

	++*calls;
	if (id != 804)
		return false;
	snprintf(buf, size, "/docker/%s", cases[0].id);
	return true;
}

/* One lookup per cgroup, however many pid namespaces and events use it. */
static void test_places(void **state)
{
	int calls = 0;
	struct cgroup_lookup lookup = { .path = fake_path, .ctx = &calls };
	struct places t;
	uint32_t a, b, c;

	(void)state;
	assert_int_equal(places_init(&t, &lookup), 0);
	assert_int_equal(places_intern(&t, 0, 0), 0);
	assert_false(places_get(&t, 0)->in_container);
	a = places_intern(&t, 804, 4026532179U);
	assert_int_not_equal(a, 0);
	assert_int_equal(places_intern(&t, 804, 4026532179U), a);
	assert_true(places_get(&t, a)->in_container);
	assert_string_equal(places_get(&t, a)->ctr.id, cases[0].id);
	assert_true(place_in_pidns(places_get(&t, a)));
	/* Another namespace in the same cgroup: the path is known already. */
	b = places_intern(&t, 804, PL_PIDNS_HOST);
	assert_int_not_equal(b, a);
	assert_false(place_in_pidns(places_get(&t, b)));
	assert_string_equal(places_get(&t, b)->cgroup, places_get(&t, a)->cgroup);
	assert_int_equal(calls, 1);
	/* A cgroup that cannot be resolved stays without a path, and can get one later. */
	c = places_intern(&t, 9, PL_PIDNS_HOST);
	assert_null(places_get(&t, c)->cgroup);
	places_set_path(&t, c, "/system.slice/ssh.service");
	assert_string_equal(places_get(&t, c)->cgroup, "/system.slice/ssh.service");
	assert_false(places_get(&t, c)->in_container);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_not_equal(places_intern(&t, 1000 + i, i), 0);
	assert_int_equal(places_intern(&t, 804, 4026532179U), a);
	assert_int_equal(places_intern(&t, 1500, 500), places_intern(&t, 1500, 500));
	assert_ptr_equal(places_get(&t, 1u << 30), places_get(&t, 0));
	places_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_table),
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_places),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
