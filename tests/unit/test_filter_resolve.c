/*
 * Resolving the filters of the command line against a cgroup v2 hierarchy:
 * here a directory tree made by the test, with ids from a fake lookup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "filter.h"

#define ID_A "abc0000000000000000000000000000000000000000000000000000000000001"
#define ID_B "abd0000000000000000000000000000000000000000000000000000000000002"

static char root[64];

static const char *const dirs[] = {
	"/docker", "/docker/" ID_A, "/docker/" ID_A "/sub", "/docker/" ID_B,
	"/system.slice", "/system.slice/cron.service",
};

/* The id of a path: its hash, so each test knows which cgroup was picked. */
static uint64_t hash(const char *s)
{
	uint64_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static bool fake_id(void *ctx, const char *path, uint64_t *id)
{
	(void)ctx;
	*id = hash(path);
	return true;
}

static const struct cgroup_lookup lookup = { .id = fake_id };

static int make_tree(void **state)
{
	char path[256];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/proclife-cgroups-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		if (mkdir(path, 0755))
			return -1;
	}
	return 0;
}

static int remove_tree(void **state)
{
	char path[256];

	(void)state;
	for (size_t i = sizeof(dirs) / sizeof(dirs[0]); i-- > 0;) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		rmdir(path);
	}
	rmdir(root);
	return 0;
}

static int resolve(struct filter *f, struct options *o)
{
	return filter_resolve(f, o, root, &lookup);
}

static void expect_one_cgroup(struct options *o, const char *path, uint32_t level)
{
	struct filter f;

	assert_int_equal(resolve(&f, o), 0);
	assert_int_equal(f.tf.ncgroups, 1);
	assert_int_equal(f.tf.cgroups[0].id, hash(path));
	assert_int_equal(f.tf.cgroups[0].level, level);
	filter_free(&f);
}

static void test_cgroup_path_forms(void **state)
{
	struct options o = { .filter_cgroup = "/system.slice/cron.service" };
	char full[256];

	(void)state;
	expect_one_cgroup(&o, "/system.slice/cron.service", 2);
	o.filter_cgroup = "system.slice";
	expect_one_cgroup(&o, "/system.slice", 1);
	o.filter_cgroup = "/system.slice/../system.slice//cron.service/";
	expect_one_cgroup(&o, "/system.slice/cron.service", 2);
	snprintf(full, sizeof(full), "%s/system.slice/cron.service", root);
	o.filter_cgroup = full;
	expect_one_cgroup(&o, "/system.slice/cron.service", 2);
	o.filter_cgroup = "/";
	expect_one_cgroup(&o, "/", 0);
}

static void test_cgroup_not_there(void **state)
{
	struct options o = { .filter_cgroup = "/system.slice/nothing.service" };
	struct filter f;

	(void)state;
	assert_int_equal(resolve(&f, &o), -EINVAL);
	o.filter_cgroup = "/..";
	assert_int_equal(resolve(&f, &o), -EINVAL);
	o.filter_cgroup = "/system.slice";
	assert_int_equal(filter_resolve(&f, &o, NULL, &lookup), -EINVAL);
}

/* A container's own cgroup stands for what is below it (sub). */
static void test_container_prefix(void **state)
{
	struct options o = { .filter_container = "abc" };

	(void)state;
	expect_one_cgroup(&o, "/docker/" ID_A, 2);
	o.filter_container = ID_B;
	expect_one_cgroup(&o, "/docker/" ID_B, 2);
}

static void test_container_ambiguous_or_unknown(void **state)
{
	struct options o = { .filter_container = "ab" };
	struct filter f;

	(void)state;
	assert_int_equal(resolve(&f, &o), -EINVAL);
	o.filter_container = "abe";
	assert_int_equal(resolve(&f, &o), -EINVAL);
	/* Not a container, though a cgroup: only runtimes' names count. */
	o.filter_container = "cron";
	assert_int_equal(resolve(&f, &o), -EINVAL);
}

static void test_pid_must_exist(void **state)
{
	struct options o = { .filter_pid = getpid(), .filter_comm = "x", .filter_uid_on = true,
			     .filter_uid = 7 };
	struct filter f;

	(void)state;
	assert_int_equal(resolve(&f, &o), 0);
	assert_int_equal(f.tf.pid, (uint32_t)getpid());
	assert_string_equal(f.tf.comm, "x");
	assert_true(f.tf.uid_on);
	assert_int_equal(f.tf.uid, 7);
	assert_int_equal(f.tf.ncgroups, 0);
	filter_free(&f);
	o.filter_pid = 0x7ffffffe;
	assert_int_equal(resolve(&f, &o), -EINVAL);
}

/* Writes its thread id to the pipe, then waits to be cancelled. */
static void *report_tid(void *arg)
{
	pid_t tid = gettid();

	if (write(*(int *)arg, &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	for (;;)
		pause();
}

/* The kernel follows processes: a thread's id is refused. */
static void test_pid_of_a_thread(void **state)
{
	struct options o = { 0 };
	struct filter f;
	pthread_t th;
	pid_t tid;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pthread_create(&th, NULL, report_tid, &fds[1]), 0);
	assert_int_equal(read(fds[0], &tid, sizeof(tid)), sizeof(tid));
	o.filter_pid = tid;
	assert_int_equal(resolve(&f, &o), -EINVAL);
	pthread_cancel(th);
	pthread_join(th, NULL);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_path_forms),
		cmocka_unit_test(test_cgroup_not_there),
		cmocka_unit_test(test_container_prefix),
		cmocka_unit_test(test_container_ambiguous_or_unknown),
		cmocka_unit_test(test_pid_must_exist),
		cmocka_unit_test(test_pid_of_a_thread),
	};

	return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
