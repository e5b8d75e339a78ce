/*
 * Writes the seed corpora of the fuzz targets: DIR/decode holds a few valid
 * records of each type laid out by bpf/proclife.h (and some near misses),
 * DIR/json strings that stress the escaper. `make fuzz-corpus` runs it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "proclife.h"

static const char *dir;

static void put(const char *target, const char *name, const void *data, size_t size)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void header(struct pl_header *h, enum pl_event_type type, size_t size, const char *comm)
{
	h->ts_ns = 86400123456789ULL;
	h->start_ns = 86399000000000ULL;
	h->pid = 4242;
	h->tid = 4242;
	h->ppid = 1;
	h->type = type;
	h->size = size;
	memset(h->comm, 0, PL_COMM_LEN);
	memcpy(h->comm, comm, strnlen(comm, PL_COMM_LEN));
}

static void fork_seeds(void)
{
	struct pl_fork e = { 0 };

	header(&e.h, PL_EV_FORK, sizeof(e), "bash");
	e.parent_start_ns = 1000;
	e.parent_tid = 1;
	put("decode", "fork", &e, sizeof(e));
	e.h.tid = 4243;
	e.flags = PL_FORK_THREAD;
	put("decode", "fork-thread", &e, sizeof(e));
	/* A time stamp far past any uptime: it must still print. */
	e.h.ts_ns = 0x7000000000000000ULL;
	put("decode", "fork-far-future", &e, sizeof(e));
	e.h.ts_ns = 86400123456789ULL;
	/* One byte short of a fork. */
	e.h.size = sizeof(e) - 1;
	put("decode", "fork-short", &e, sizeof(e) - 1);
}

static void exec_seed(const char *name, const char *comm, const char *filename,
		      const char *args, size_t args_len, __u32 flags, __u32 old_pid)
{
	static struct pl_exec e;
	size_t flen = strlen(filename), size = offsetof(struct pl_exec, data) + flen + args_len;

	memset(&e, 0, sizeof(e));
	header(&e.h, PL_EV_EXEC, size, comm);
	e.old_pid = old_pid;
	e.uid = 1000;
	e.gid = 1000;
	e.filename_len = flen;
	e.args_len = args_len;
	e.flags = flags;
	memcpy(e.data, filename, flen);
	memcpy(e.data + flen, args, args_len);
	put("decode", name, &e, size);
}

static void exec_seeds(void)
{
	static const char ls[] = "ls\0-l\0/tmp/a b\0";
	static const char hostile[] = "\n\r\x1b[2J\0\"\\\0\xff\xc3\0\xed\xa0\x80\0";
	static char big_args[PL_ARGS_MAX - 1];
	char big_name[PL_FILENAME_MAX];

	exec_seed("exec", "ls", "/usr/bin/ls", ls, sizeof(ls) - 1, 0, 4242);
	exec_seed("exec-old-pid", "ls", "/usr/bin/ls", ls, sizeof(ls) - 1, 0, 4250);
	exec_seed("exec-empty", "true", "", "", 0, 0, 4242);
	exec_seed("exec-cut-arg", "cat", "/bin/cat", "cat\0/very/lo", 12,
		  PL_EXEC_ARGS_TRUNCATED, 4242);
	exec_seed("exec-hostile", "\x1b]0;x\a\n", "/tmp/\n\xff", hostile, sizeof(hostile) - 1,
		  0, 4242);
	memset(big_name, '/', sizeof(big_name) - 1);
	big_name[sizeof(big_name) - 1] = '\0';
	for (size_t i = 0; i < sizeof(big_args); i++)
		big_args[i] = i % 8 == 7 ? '\0' : 'a' + i % 26;
	exec_seed("exec-max", "x", big_name, big_args, sizeof(big_args),
		  PL_EXEC_ARGS_TRUNCATED | PL_EXEC_FILENAME_TRUNCATED, 4242);
}

static void exit_seeds(void)
{
	struct pl_exit e = { 0 };

	header(&e.h, PL_EV_EXIT, sizeof(e), "make");
	e.status = 2 << 8;
	put("decode", "exit-code", &e, sizeof(e));
	e.status = 0x80 | 11;
	e.reaper = 1;
	e.reaper_rule = PL_REAPER_INIT;
	put("decode", "exit-core-init", &e, sizeof(e));
	e.status = 9;
	e.reaper = 300;
	e.reaper_rule = PL_REAPER_SUBREAPER;
	e.flags = PL_EXIT_PARENT_AUTOREAP;
	put("decode", "exit-kill-subreaper", &e, sizeof(e));
	e.h.tid = 4243;
	e.status = 0;
	e.reaper = 4242;
	e.reaper_rule = PL_REAPER_THREAD;
	e.flags = PL_EXIT_THREAD;
	put("decode", "exit-thread", &e, sizeof(e));
	/* A container's init dies, and its pid namespace with it. */
	e.h.pidns = 4026532179U;
	e.h.ns_pid = 1;
	e.h.cgroup_id = 804;
	e.status = 9;
	e.reaper = 4242;
	e.reaper_rule = PL_REAPER_PIDNS_DYING;
	e.flags = 0;
	put("decode", "exit-pidns-dying", &e, sizeof(e));
	/* A rule that does not exist. */
	e.reaper_rule = PL_REAPER_PIDNS_DYING + 1;
	put("decode", "exit-bad-rule", &e, sizeof(e));
}

static void reap_seeds(void)
{
	struct pl_reap e = { 0 };

	header(&e.h, PL_EV_REAP, sizeof(e), "0123456789abcdef");
	put("decode", "reap-long-comm", &e, sizeof(e));
	e.h.type = PL_EV_TYPE_MAX;
	put("decode", "bad-type", &e, sizeof(e));
}

static void signal_seeds(void)
{
	struct pl_signal e = { 0 };

	header(&e.h, PL_EV_SIGNAL_GENERATE, sizeof(e), "sleep");
	e.sig = 15;
	e.code = 0;
	e.result = 0;
	e.sender_pid = 555;
	e.sender_tid = 555;
	memcpy(e.sender_comm, "kill", 5);
	put("decode", "signal-generate", &e, sizeof(e));
	e.sig = 34;
	e.code = -1;
	e.result = 2;
	memcpy(e.sender_comm, "\xff\xfe\n\r\x1b[2J\\\"xxxxxxx", PL_COMM_LEN);
	put("decode", "signal-generate-rt", &e, sizeof(e));
	header(&e.h, PL_EV_SIGNAL_DELIVER, sizeof(e), "sleep");
	e.sig = 9;
	e.code = 0;
	e.result = 0;
	e.disposition = PL_DISP_DEFAULT;
	put("decode", "signal-deliver", &e, sizeof(e));
	e.sig = 10;
	e.disposition = PL_DISP_HANDLER;
	put("decode", "signal-deliver-handler", &e, sizeof(e));
	e.disposition = PL_DISP_HANDLER + 1;
	put("decode", "signal-deliver-bad", &e, sizeof(e));
	/* A SIGSEGV's union holds an address, a timer signal's a timer id. */
	e.disposition = PL_DISP_DEFAULT;
	e.sig = 11;
	e.code = 1;
	memset(e.sifields, 0xab, sizeof(e.sifields));
	put("decode", "signal-deliver-fault", &e, sizeof(e));
	e.sig = 14;
	e.code = -2;
	put("decode", "signal-deliver-timer", &e, sizeof(e));
	e.sig = 17;
	e.code = 1;
	put("decode", "signal-deliver-child", &e, sizeof(e));
}

static void rename_seeds(void)
{
	struct pl_rename e = { 0 };

	header(&e.h, PL_EV_RENAME, sizeof(e), "new-name");
	memcpy(e.old_comm, "0123456789abcdef", PL_COMM_LEN);
	put("decode", "rename", &e, sizeof(e));
}

#define STR(name, s) put("json", name, s, sizeof(s) - 1)

static void json_seeds(void)
{
	static const char mix[] = "ab\"\\\n\xc3\xa9\x80\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80\x7f";
	char controls[32], big[4096];

	for (int c = 0; c < 32; c++)
		controls[c] = (char)c;
	put("json", "controls", controls, sizeof(controls));
	/* Every kind of byte, NUL included, repeated well past a small outbuf. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = mix[i % sizeof(mix)];
	put("json", "long-mixed", big, sizeof(big));
	STR("empty", "");
	STR("ascii", "/usr/bin/env FOO=bar");
	STR("quotes", "\"quoted\" \\back\\slash\\");
	STR("del", "a\x7f" "b");
	STR("nul", "a\0b\0");
	STR("utf8", "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x80 \xdf\xbf \xef\xbf\xbf \xf4\x8f\xbf\xbf");
	STR("lone-continuation", "\x80\xbf");
	STR("truncated", "\xe2\x82");
	STR("overlong", "\xc0\xaf\xe0\x80\xaf\xf0\x80\x80\xaf");
	STR("surrogate", "\xed\xa0\x80\xed\xbf\xbf");
	STR("above-max", "\xf4\x90\x80\x80");
	STR("f5-ff", "\xf5\xf8\xfc\xfe\xff");
	STR("terminal", "\x1b[2J\x1b]0;title\a\r\n");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	fork_seeds();
	exec_seeds();
	exit_seeds();
	reap_seeds();
	signal_seeds();
	rename_seeds();
	json_seeds();
	return 0;
}
