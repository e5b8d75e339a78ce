/*
 * The metrics server of a static build (STATIC=1, the binary the kernel
 * matrix boots): Debian's libmicrohttpd links GnuTLS, which needs p11-kit,
 * and Debian ships p11-kit only as a shared library. Such a binary refuses
 * --metrics at start-up; no server ever exists to poll, run or stop.
 */
#include <errno.h>
#include <stdio.h>
#include "metrics_server.h"

int metrics_server_start(struct metrics_server **out, const char *addr, const struct model *m,
			 const struct metrics_counts *c)
{
	(void)out;
	(void)m;
	(void)c;
	fprintf(stderr, "proclife: cannot serve metrics on %s: a static build has no libmicrohttpd\n",
		addr);
	return -EOPNOTSUPP;
}

int metrics_server_poll(struct metrics_server *s, int fd, int timeout_ms)
{
	(void)s;
	(void)fd;
	(void)timeout_ms;
	return -EOPNOTSUPP;
}

void metrics_server_run(struct metrics_server *s)
{
	(void)s;
}

void metrics_server_stop(struct metrics_server *s)
{
	(void)s;
}
