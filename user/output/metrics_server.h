/*
 * The /metrics endpoint, served by libmicrohttpd without a thread of its
 * own: the live loop polls the server's file descriptor together with the
 * ring buffer and lets it answer between events, so a scrape reads the
 * model in the one thread that changes it. Only GET and HEAD of /metrics
 * are served (other paths 404, other methods 405), to a bounded number of
 * connections that time out.
 */
#ifndef PL_METRICS_SERVER_H
#define PL_METRICS_SERVER_H

#include <sys/socket.h>
#include "metrics.h"

/* The address when only a port is given: scraping stays on this host unless asked. */
#define METRICS_DEFAULT_ADDR "127.0.0.1"

/*
 * "PORT" (on METRICS_DEFAULT_ADDR), "ADDR:PORT" or "[ADDR6]:PORT", with
 * numeric addresses; 0, or -EINVAL.
 */
int metrics_parse_addr(const char *s, struct sockaddr_storage *addr, socklen_t *len);

struct metrics_server;

/* Listens on addr; 0, or -errno having said on stderr what failed. */
int metrics_server_start(struct metrics_server **out, const char *addr, const struct model *m,
			 const struct metrics_counts *c);
/*
 * Waits up to timeout_ms until fd is readable or a request is waiting;
 * 0 (also when a signal ended the wait), or -errno.
 */
int metrics_server_poll(struct metrics_server *s, int fd, int timeout_ms);
/* Answers every request that is ready, without blocking. */
void metrics_server_run(struct metrics_server *s);
void metrics_server_stop(struct metrics_server *s);

#endif
