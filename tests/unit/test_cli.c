/*
 * Option parsing: each option with good and bad values, and what the user
 * is told on standard error when a value is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "cli.h"
#include "proclife.h"

/* Standard output and error of the last parse. */
static char out_text[8192], err_text[8192];

static void read_back(int fd, char *buf, size_t size)
{
	struct stat st;
	ssize_t n;

	assert_int_equal(fstat(fd, &st), 0);
	assert_true((size_t)st.st_size < size);
	n = pread(fd, buf, st.st_size, 0);
	assert_int_equal(n, st.st_size);
	buf[n] = '\0';
}

/* Parses argv (NULL-terminated, program name first) with stdout and stderr captured. */
static enum cli_result parse(struct options *o, const char *const *args)
{
	char *argv[32];
	int argc = 0, saved_out, saved_err, out_fd, err_fd;
	enum cli_result r;

	for (; args[argc]; argc++) {
		assert_true(argc < 31);
		argv[argc] = (char *)args[argc];
	}
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	out_fd = memfd_create("cli-stdout", 0);
	err_fd = memfd_create("cli-stderr", 0);
	assert_true(out_fd >= 0 && err_fd >= 0);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	assert_true(saved_out >= 0 && saved_err >= 0);
	assert_int_equal(dup2(out_fd, STDOUT_FILENO), STDOUT_FILENO);
	assert_int_equal(dup2(err_fd, STDERR_FILENO), STDERR_FILENO);

	r = cli_parse(o, argc, argv);

	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	read_back(out_fd, out_text, sizeof(out_text));
	read_back(err_fd, err_text, sizeof(err_text));
	close(out_fd);
	close(err_fd);
	return r;
}

#define ARGS(...) ((const char *const[]){ "proclife", __VA_ARGS__, NULL })

static void expect_run(struct options *o, const char *const *args)
{
	assert_int_equal(parse(o, args), CLI_RUN);
	assert_string_equal(err_text, "");
	assert_string_equal(out_text, "");
}

/* Refused with a message that contains what, and the pointer to --help. */
static void expect_usage(const char *const *args, const char *what)
{
	struct options o;

	assert_int_equal(parse(&o, args), CLI_EXIT_USAGE);
	assert_string_equal(out_text, "");
	if (!strstr(err_text, what))
		fail_msg("expected \"%s\" in: %s", what, err_text);
	assert_non_null(strstr(err_text, "Try 'proclife --help' for more information.\n"));
	assert_int_equal(strncmp(err_text, "proclife: ", 10), 0);
}

static void test_defaults(void **state)
{
	struct options o;

	(void)state;
	memset(&o, 0xa5, sizeof(o));
	expect_run(&o, (const char *const[]){ "proclife", NULL });
	assert_int_equal(o.command, CMD_TRACE);
	assert_false(o.json);
	assert_false(o.threads);
	assert_false(o.verbose);
	assert_false(o.check);
	assert_false(o.zombies_view);
	assert_null(o.output);
	assert_null(o.btf_path);
	assert_null(o.replay_path);
	assert_true(o.duration == 0);
	assert_int_equal(o.ringbuf_size, 8 << 20);
	assert_int_equal(o.arg_bytes, PL_ARGS_DEFAULT);
	assert_int_equal(o.max_args, 64);
	assert_int_equal(o.zombie_age_ns, 5000000000LL);
	assert_int_equal(o.snapshot_ns, 0);
	assert_false(o.at_given);
	assert_int_equal(o.events, EVENTS_ALL);
	assert_false(o.events_given);
	assert_int_equal(o.filter_pid, 0);
	assert_null(o.filter_comm);
	assert_false(o.filter_uid_on);
	assert_null(o.filter_cgroup);
	assert_null(o.filter_container);
}

static void test_every_option_short(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("-j", "-o", "out.json", "-T", "-a", "5", "-d", "2.5", "-b", "16M",
			    "-A", "100", "-v"));
	assert_true(o.json);
	assert_string_equal(o.output, "out.json");
	assert_true(o.threads);
	assert_int_equal(o.max_args, 5);
	assert_true(o.duration == 2.5);
	assert_int_equal(o.ringbuf_size, 16 << 20);
	assert_int_equal(o.arg_bytes, 100);
	assert_true(o.verbose);
	assert_null(o.btf_path);

	/* Flags bundled, values attached. */
	expect_run(&o, ARGS("-jTv", "-oout", "-d1", "-b64k"));
	assert_true(o.json);
	assert_true(o.threads);
	assert_true(o.verbose);
	assert_string_equal(o.output, "out");
	assert_true(o.duration == 1);
	assert_int_equal(o.ringbuf_size, 64 << 10);
}

static void test_every_option_long(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("--json", "--output", "x", "--threads", "--max-args", "0",
			    "--duration", "0.001", "--buffer-size", "4096", "--arg-bytes",
			    "16383", "--btf", "/tmp/vmlinux", "--verbose"));
	assert_true(o.json);
	assert_string_equal(o.output, "x");
	assert_true(o.threads);
	assert_int_equal(o.max_args, 0);
	assert_true(o.duration == 0.001);
	assert_int_equal(o.ringbuf_size, 4096);
	assert_int_equal(o.arg_bytes, PL_ARGS_MAX - 1);
	assert_string_equal(o.btf_path, "/tmp/vmlinux");
	assert_true(o.verbose);

	expect_run(&o, ARGS("--buffer-size=1G", "--arg-bytes=0", "--duration=3600"));
	assert_int_equal(o.ringbuf_size, 1 << 30);
	assert_int_equal(o.arg_bytes, 0);
	assert_true(o.duration == 3600);
}

static void test_parse_size(void **state)
{
	(void)state;
	assert_int_equal(cli_parse_size("0"), 0);
	assert_int_equal(cli_parse_size("4096"), 4096);
	assert_int_equal(cli_parse_size("64k"), 64 << 10);
	assert_int_equal(cli_parse_size("64K"), 64 << 10);
	assert_int_equal(cli_parse_size("16m"), 16 << 20);
	assert_int_equal(cli_parse_size("16M"), 16 << 20);
	assert_int_equal(cli_parse_size("2G"), 2LL << 30);
	assert_int_equal(cli_parse_size("1024G"), 1LL << 40);
	assert_int_equal(cli_parse_size("1099511627776"), 1LL << 40);
	assert_int_equal(cli_parse_size("1099511627777"), -1);
	assert_int_equal(cli_parse_size("1025G"), -1);
	assert_int_equal(cli_parse_size("99999999999999999999"), -1);
	assert_int_equal(cli_parse_size(""), -1);
	assert_int_equal(cli_parse_size("-1"), -1);
	assert_int_equal(cli_parse_size("-1M"), -1);
	assert_int_equal(cli_parse_size("M"), -1);
	assert_int_equal(cli_parse_size("12x"), -1);
	assert_int_equal(cli_parse_size("1T"), -1);
	assert_int_equal(cli_parse_size("1MB"), -1);
	assert_int_equal(cli_parse_size("1 M"), -1);
	assert_int_equal(cli_parse_size("0x10"), -1);
}

static void test_buffer_size(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("-b", "4096"));
	assert_int_equal(o.ringbuf_size, 4096);
	expect_run(&o, ARGS("-b", "256K"));
	assert_int_equal(o.ringbuf_size, 256 << 10);
	expect_run(&o, ARGS("-b", "1G"));
	assert_int_equal(o.ringbuf_size, 1 << 30);

	expect_usage(ARGS("-b", "3000"), "invalid buffer size '3000'");
	expect_usage(ARGS("-b", "12K"), "invalid buffer size '12K'");
	expect_usage(ARGS("-b", "6M"), "invalid buffer size '6M'");
	expect_usage(ARGS("-b", "2048"), "invalid buffer size '2048'");
	expect_usage(ARGS("-b", "0"), "invalid buffer size '0'");
	expect_usage(ARGS("-b", "-8M"), "invalid buffer size '-8M'");
	expect_usage(ARGS("-b", "lots"), "invalid buffer size 'lots'");
	expect_usage(ARGS("--buffer-size="), "invalid buffer size ''");
	expect_usage(ARGS("-b", "2T"), "invalid buffer size '2T'");
}

static void test_duration(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("-d", "10"));
	assert_true(o.duration == 10);
	expect_run(&o, ARGS("-d", "0.5"));
	assert_true(o.duration == 0.5);
	expect_run(&o, ARGS("-d", "1e3"));
	assert_true(o.duration == 1000);

	expect_usage(ARGS("-d", "0"), "invalid duration '0'");
	expect_usage(ARGS("-d", "0.0"), "invalid duration '0.0'");
	expect_usage(ARGS("-d", "-1"), "invalid duration '-1'");
	expect_usage(ARGS("-d", "-0.5"), "invalid duration '-0.5'");
	expect_usage(ARGS("-d", "abc"), "invalid duration 'abc'");
	expect_usage(ARGS("-d", "5s"), "invalid duration '5s'");
	expect_usage(ARGS("-d", ""), "invalid duration ''");
	expect_usage(ARGS("-d", "inf"), "invalid duration 'inf'");
	expect_usage(ARGS("-d", "nan"), "invalid duration 'nan'");
	expect_usage(ARGS("-d", "1e999"), "invalid duration '1e999'");
	expect_usage(ARGS("-d", "1e10"), "invalid duration '1e10'");
}

static void test_arg_bytes(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("-A", "0"));
	assert_int_equal(o.arg_bytes, 0);
	expect_run(&o, ARGS("-A", "16383"));
	assert_int_equal(o.arg_bytes, 16383);

	expect_usage(ARGS("-A", "16384"), "invalid argument bytes '16384'");
	expect_usage(ARGS("-A", "16384"), "from 0 to 16383");
	expect_usage(ARGS("-A", "99999999999999999999999"), "invalid argument bytes");
	expect_usage(ARGS("-A", "-1"), "invalid argument bytes '-1'");
	expect_usage(ARGS("-A", "4k"), "invalid argument bytes '4k'");
	expect_usage(ARGS("-A", ""), "invalid argument bytes ''");
	expect_usage(ARGS("-A", "12 "), "invalid argument bytes '12 '");
}

static void test_max_args(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("-a", "0"));
	assert_int_equal(o.max_args, 0);
	expect_run(&o, ARGS("-a", "1048576"));
	assert_int_equal(o.max_args, 1 << 20);

	expect_usage(ARGS("-a", "1048577"), "invalid argument count '1048577'");
	expect_usage(ARGS("-a", "-3"), "invalid argument count '-3'");
	expect_usage(ARGS("-a", "many"), "invalid argument count 'many'");
}

static void test_unknown_option(void **state)
{
	(void)state;
	expect_usage(ARGS("--nope"), "unknown option '--nope'");
	expect_usage(ARGS("-x"), "unknown option '-x'");
	expect_usage(ARGS("-j", "-Z"), "unknown option '-Z'");
	/* --b could be --buffer-size or --btf. */
	expect_usage(ARGS("--b", "1"), "unknown option '--b'");
	/* A flag given a value. */
	expect_usage(ARGS("--json=yes"), "--json=yes");
}

static void test_missing_value(void **state)
{
	(void)state;
	expect_usage(ARGS("-d"), "option '-d' needs a value");
	expect_usage(ARGS("-j", "-b"), "option '-b' needs a value");
	expect_usage(ARGS("--duration"), "option '--duration' needs a value");
	expect_usage(ARGS("--output"), "option '--output' needs a value");
	expect_usage(ARGS("--btf"), "option '--btf' needs a value");
	expect_usage(ARGS("replay", "t.json", "--at"), "option '--at' needs a value");
	expect_usage(ARGS("-z"), "option '-z' needs a value");
}

static void test_commands(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("trace"));
	assert_int_equal(o.command, CMD_TRACE);
	expect_run(&o, ARGS("tree"));
	assert_int_equal(o.command, CMD_TREE);
	expect_run(&o, ARGS("zombies"));
	assert_int_equal(o.command, CMD_ZOMBIES);
	expect_run(&o, ARGS("replay", "trace.json"));
	assert_int_equal(o.command, CMD_REPLAY);
	assert_string_equal(o.replay_path, "trace.json");
	expect_run(&o, ARGS("replay", "-"));
	assert_string_equal(o.replay_path, "-");
	/* Options go before or after the command. */
	expect_run(&o, ARGS("-j", "tree", "-d", "2"));
	assert_int_equal(o.command, CMD_TREE);
	assert_true(o.json);
	assert_true(o.duration == 2);

	expect_usage(ARGS("frobnicate"), "unknown command 'frobnicate'");
	expect_usage(ARGS("Tree"), "unknown command 'Tree'");
	expect_usage(ARGS("replay"), "replay needs a trace file");
	expect_usage(ARGS("-j", "replay"), "replay needs a trace file");
}

static void test_stray_argument(void **state)
{
	(void)state;
	expect_usage(ARGS("tree", "extra"), "unexpected argument 'extra'");
	expect_usage(ARGS("-j", "trace", "extra", "-T"), "unexpected argument 'extra'");
	expect_usage(ARGS("replay", "a.json", "b.json"), "unexpected argument 'b.json'");
	/* After "--" an option-like word is an argument, not an option. */
	expect_usage(ARGS("zombies", "--", "-j"), "unexpected argument '-j'");
}

static void test_zombie_age(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("-z", "0.5"));
	assert_int_equal(o.zombie_age_ns, 500000000);
	expect_run(&o, ARGS("zombies", "--zombie-age=60"));
	assert_int_equal(o.zombie_age_ns, 60000000000LL);

	expect_usage(ARGS("-z", "0"), "invalid zombie age '0'");
	expect_usage(ARGS("-z", "-5"), "invalid zombie age '-5'");
	expect_usage(ARGS("-z", "soon"), "invalid zombie age 'soon'");
	expect_usage(ARGS("-z", "1e10"), "invalid zombie age '1e10'");
}

static void test_snapshot(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("--json", "-s", "10"));
	assert_int_equal(o.snapshot_ns, 10000000000LL);
	expect_run(&o, ARGS("trace", "-j", "--snapshot=0.25"));
	assert_int_equal(o.snapshot_ns, 250000000);

	expect_usage(ARGS("-s", "10"), "--snapshot needs --json");
	expect_usage(ARGS("tree", "-j", "-s", "10"), "--snapshot is for the trace command");
	expect_usage(ARGS("-j", "-s", "0"), "invalid snapshot interval '0'");
	expect_usage(ARGS("-j", "-s", "x"), "invalid snapshot interval 'x'");
}

/* Output files for a service: rotation by size and host fields. */
static void test_output_file_options(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("-j", "-o", "f.jsonl", "--rotate-size", "100M", "--rotate-keep", "10",
			    "--host-fields"));
	assert_int_equal(o.rotate_size, 100 << 20);
	assert_int_equal(o.rotate_keep, 10);
	assert_true(o.host_fields);
	expect_run(&o, ARGS("-o", "f.txt", "--rotate-size=4096"));
	assert_int_equal(o.rotate_size, 4096);
	assert_int_equal(o.rotate_keep, 0);
	assert_false(o.host_fields);

	expect_usage(ARGS("--rotate-size", "1M"), "--rotate-size needs --output FILE");
	expect_usage(ARGS("-o", "f", "--rotate-keep", "3"), "--rotate-keep needs --rotate-size");
	expect_usage(ARGS("-o", "f", "--rotate-size", "100"), "invalid rotate size '100'");
	expect_usage(ARGS("-o", "f", "--rotate-size", "lots"), "invalid rotate size 'lots'");
	expect_usage(ARGS("-o", "f", "--rotate-size", "1M", "--rotate-keep", "0"),
		     "invalid rotate keep '0'");
	expect_usage(ARGS("-o", "f", "--rotate-size", "1M", "--rotate-keep", "1001"),
		     "invalid rotate keep '1001'");
	expect_usage(ARGS("--host-fields"), "--host-fields needs --json");
}

/* Options that belong to one command are refused with any other. */
static void test_command_options(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("zombies", "--check"));
	assert_true(o.check);
	expect_run(&o, ARGS("replay", "t.json", "--zombies"));
	assert_true(o.zombies_view);
	expect_run(&o, ARGS("replay", "t.json", "--at", "2026-11-21T05:47:00Z"));
	assert_int_equal(o.at_ns, 1795240020ULL * 1000000000);
	expect_run(&o, ARGS("--at=2026-11-21T05:47:00.5+01:00", "replay", "-"));
	assert_int_equal(o.at_ns, 1795236420ULL * 1000000000 + 500000000);
	/* The epoch is a time like any other, not "no --at". */
	expect_run(&o, ARGS("replay", "t.json", "--at", "1970-01-01T00:00:00Z"));
	assert_true(o.at_given);
	assert_int_equal(o.at_ns, 0);
	expect_usage(ARGS("tree", "--at", "1970-01-01T00:00:00Z"), "--at is for the replay command");

	expect_usage(ARGS("--check"), "--check is for the zombies command");
	expect_usage(ARGS("tree", "--check"), "--check is for the zombies command");
	expect_usage(ARGS("--zombies"), "--zombies is for the replay command");
	expect_usage(ARGS("zombies", "--zombies"), "--zombies is for the replay command");
	expect_usage(ARGS("--at", "2026-11-21T05:47:00Z"), "--at is for the replay command");
	expect_usage(ARGS("replay", "t.json", "--at", "yesterday"), "invalid time 'yesterday'");
	expect_usage(ARGS("replay", "t.json", "--at", "2026-11-21 05:47:00"),
		     "invalid time '2026-11-21 05:47:00'");
}

static void test_filters(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("-p", "1234", "-c", "nginx", "-u", "0"));
	assert_int_equal(o.filter_pid, 1234);
	assert_string_equal(o.filter_comm, "nginx");
	assert_true(o.filter_uid_on);
	assert_int_equal(o.filter_uid, 0);
	expect_run(&o, ARGS("zombies", "--pid=1", "--comm", "123456789012345", "--uid", "4294967294"));
	assert_int_equal(o.filter_pid, 1);
	assert_string_equal(o.filter_comm, "123456789012345");
	assert_int_equal(o.filter_uid, 4294967294u);
	expect_run(&o, ARGS("tree", "--cgroup", "/system.slice/cron.service"));
	assert_string_equal(o.filter_cgroup, "/system.slice/cron.service");
	expect_run(&o, ARGS("--container", "3f2a9c"));
	assert_string_equal(o.filter_container, "3f2a9c");

	expect_usage(ARGS("-p", "0"), "invalid pid '0'");
	expect_usage(ARGS("-p", "-5"), "invalid pid '-5'");
	expect_usage(ARGS("-p", "12x"), "invalid pid '12x'");
	expect_usage(ARGS("-c", "1234567890123456"), "invalid process name '1234567890123456': expected 1 to 15 bytes");
	expect_usage(ARGS("-c", ""), "invalid process name ''");
	expect_usage(ARGS("-u", "4294967295"), "invalid uid '4294967295'");
	expect_usage(ARGS("-u", "root"), "invalid uid 'root'");
	expect_usage(ARGS("--cgroup", ""), "invalid cgroup ''");
	expect_usage(ARGS("--container", ""), "invalid container ''");
	expect_usage(ARGS("--cgroup", "/a", "--container", "b"), "--cgroup and --container cannot be combined");
	expect_usage(ARGS("replay", "t.json", "-p", "1"), "filters are for the live commands");
	expect_usage(ARGS("replay", "t.json", "--container", "ab"), "filters are for the live commands");
}

static void test_events(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("-e", "exec"));
	assert_true(o.events_given);
	assert_int_equal(o.events, 1u << PL_EV_EXEC);
	/* signal is both stages: sent and delivered. */
	expect_run(&o, ARGS("--events", "fork,signal,zombie"));
	assert_int_equal(o.events, (1u << PL_EV_FORK) | (1u << PL_EV_SIGNAL_GENERATE) |
				   (1u << PL_EV_SIGNAL_DELIVER) | EVENT_ZOMBIE);
	expect_run(&o, ARGS("-e", "exit,reap,orphan"));
	assert_int_equal(o.events, (1u << PL_EV_EXIT) | (1u << PL_EV_REAP) | EVENT_ORPHAN);

	expect_usage(ARGS("-e", "bogus"),
		     "invalid event list 'bogus': expected names separated by commas from fork, exec, exit, reap, signal, rename, zombie, orphan");
	expect_usage(ARGS("-e", "exec,"), "invalid event list 'exec,'");
	expect_usage(ARGS("-e", ",exec"), "invalid event list ',exec'");
	expect_usage(ARGS("-e", ""), "invalid event list ''");
	expect_usage(ARGS("zombies", "-e", "exec"), "--events is for the trace command");
	expect_usage(ARGS("tree", "-e", "exec"), "--events is for the trace command");
}

static void test_help_and_version(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, ARGS("--help")), CLI_EXIT_OK);
	assert_int_equal(strncmp(out_text, "Usage: proclife ", 16), 0);
	assert_non_null(strstr(out_text, "--buffer-size SIZE"));
	assert_non_null(strstr(out_text, "--arg-bytes N"));
	assert_non_null(strstr(out_text, "--container ID"));
	assert_non_null(strstr(out_text, "Examples:\n"));
	assert_string_equal(err_text, "");
	assert_int_equal(parse(&o, ARGS("-h")), CLI_EXIT_OK);
	assert_int_equal(strncmp(out_text, "Usage: proclife", 15), 0);
	assert_int_equal(parse(&o, ARGS("--version")), CLI_EXIT_OK);
	assert_string_equal(out_text, "proclife " PROCLIFE_VERSION " (commit " PROCLIFE_COMMIT ")\n");
	assert_int_equal(parse(&o, ARGS("-V")), CLI_EXIT_OK);
	assert_string_equal(out_text, "proclife " PROCLIFE_VERSION " (commit " PROCLIFE_COMMIT ")\n");
	/* Help wins over a bad value that comes after it. */
	assert_int_equal(parse(&o, ARGS("-h", "-d", "0")), CLI_EXIT_OK);
	assert_string_equal(err_text, "");
}

/* Every call starts from the defaults, whatever an earlier call set. */
static void test_reparse_starts_fresh(void **state)
{
	struct options o;

	(void)state;
	expect_run(&o, ARGS("-j", "-T", "-b", "64M"));
	expect_run(&o, ARGS("-v"));
	assert_false(o.json);
	assert_false(o.threads);
	assert_true(o.verbose);
	assert_int_equal(o.ringbuf_size, 8 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option_short),
		cmocka_unit_test(test_every_option_long),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_buffer_size),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_arg_bytes),
		cmocka_unit_test(test_max_args),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_stray_argument),
		cmocka_unit_test(test_zombie_age),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_command_options),
		cmocka_unit_test(test_output_file_options),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_reparse_starts_fresh),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
