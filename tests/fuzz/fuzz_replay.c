/*
 * A recorded trace is a file anyone may hand to proclife replay: whatever its
 * bytes, replay reports bad lines and goes on, and the model it builds can
 * be printed every way without a crash, leak or undefined behaviour.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "model.h"
#include "replay.h"
#include "report.h"
#include "tree.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int devnull = -1;
	static FILE *err;
	struct wallclock clock = { .boot_to_real_ns = 0, .cached_sec = -1 };
	struct outbuf ob;
	struct formatter f = { .ob = &ob, .clock = &clock, .max_args = 64 };
	struct model_opts o = { .zombie_age_ns = 1000000000, .clk_tck = 100 };
	struct replay r;
	struct model m;
	FILE *in;

	if (devnull < 0) {
		devnull = open("/dev/null", O_WRONLY);
		err = fopen("/dev/null", "w");
	}
	if (!size || outbuf_init(&ob, devnull, 512))
		return 0;
	o.sink = report_sink(&f);
	if (model_init(&m, &o)) {
		outbuf_free(&ob);
		return 0;
	}
	in = fmemopen((void *)data, size, "r");
	if (in) {
		r = (struct replay){ .model = &m, .name = "fuzz", .err = err };
		replay_run(&r, in);
		fclose(in);
		for (int json = 0; json < 2; json++) {
			f.json = json;
			tree_print(&f, &m, r.now_ns);
			tree_print_zombies(&f, &m, r.now_ns);
		}
		outbuf_flush(&ob);
	}
	outbuf_free(&ob);
	model_free(&m);
	return 0;
}
