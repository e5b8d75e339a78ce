#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "clock.h"
#include "format.h"
#include "model.h"
#include "outbuf.h"
#include "replay.h"
#include "replay_cmd.h"
#include "tree.h"

#define OUTBUF_SIZE (64 << 10)

static int show(const struct options *o, const struct replay *r)
{
	/* Replayed times are already wall-clock ns since the epoch. */
	struct wallclock clock = { .boot_to_real_ns = 0, .cached_sec = -1 };
	struct outbuf out;
	struct formatter fmt = { .ob = &out, .clock = &clock, .max_args = o->max_args, .json = o->json,
				 .places = &r->model->places };
	int err;

	if (outbuf_open(&out, o->output, OUTBUF_SIZE))
		return -EIO;
	err = o->zombies_view ? tree_print_zombies(&fmt, r->model, r->now_ns) :
				tree_print(&fmt, r->model, r->now_ns);
	if (err)
		fprintf(stderr, "proclife: cannot print: %s\n", strerror(-err));
	/* The output reported its own failure; a closed pipe is none. */
	if (!err && outbuf_flush(&out) && outbuf_error(&out) != EPIPE)
		err = -outbuf_error(&out);
	if (outbuf_close(&out) && !err)
		err = -EIO;
	return err;
}

int replay_command(const struct options *o)
{
	bool from_stdin = !strcmp(o->replay_path, "-");
	const char *name = from_stdin ? "standard input" : o->replay_path;
	struct model_opts mo = {
		.zombie_age_ns = o->zombie_age_ns, .clk_tck = sysconf(_SC_CLK_TCK),
		.threads = MODEL_THREADS_EXITS_IF_RECORDED,
	};
	struct model model;
	struct replay r = {
		.model = &model, .name = name, .err = stderr,
		.until_given = o->at_given, .until_ns = o->at_ns,
	};
	FILE *in = from_stdin ? stdin : fopen(o->replay_path, "r");
	int ret, err;

	if (!in) {
		fprintf(stderr, "proclife: cannot open %s: %s\n", name, strerror(errno));
		return EXIT_FAILURE_RUN;
	}
	err = model_init(&model, &mo);
	if (err) {
		fprintf(stderr, "proclife: cannot set up the process model: %s\n", strerror(-err));
		goto cleanup;
	}
	ret = replay_run(&r, in);
	if (ret < 0) {
		err = ret;
		fprintf(stderr, "proclife: cannot read %s: %s\n", name, strerror(-err));
	} else {
		err = show(o, &r);
	}
	model_free(&model);
	if (!err && ret == 1)
		err = -EINVAL;
cleanup:
	if (!from_stdin)
		fclose(in);
	return err ? EXIT_FAILURE_RUN : 0;
}
