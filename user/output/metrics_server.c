#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include "metrics_server.h"

#define MAX_CONNECTIONS 8
#define CONNECTION_TIMEOUT_S 10
/* Enough for a request line and the headers of any scraper. */
#define CONNECTION_MEMORY 16384

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_server {
	struct MHD_Daemon *daemon;
	int epoll_fd;
	const struct model *model;
	const struct metrics_counts *counts;
	bool render_failed;	/* said once on stderr */
};

/* body is the caller's (MHD_RESPMEM_PERSISTENT) or becomes MHD's to free (MUST_FREE). */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int code, void *body,
			       size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	if (code == MHD_HTTP_OK)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int code, const char *text)
{
	return respond(conn, code, (void *)text, strlen(text), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result serve_metrics(struct metrics_server *s, struct MHD_Connection *conn)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int err;

	if (!f)
		err = -errno;
	else {
		err = metrics_render(f, s->model, s->counts);
		if (fclose(f) && !err)
			err = -ENOMEM;
	}
	if (!err)
		return respond(conn, MHD_HTTP_OK, body, len, MHD_RESPMEM_MUST_FREE);
	free(body);
	if (!s->render_failed)
		fprintf(stderr, "proclife: cannot render the metrics: %s\n", strerror(-err));
	s->render_failed = true;
	return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the metrics\n");
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req;
	if (strcmp(url, "/metrics"))
		return respond_text(conn, MHD_HTTP_NOT_FOUND, "only /metrics is served here\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	return serve_metrics(cls, conn);
}

static int listen_on(const struct sockaddr_storage *addr, socklen_t len)
{
	int one = 1, fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	/* A restarted proclife must not wait for the last one's connections to time out. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)addr, len) || listen(fd, MAX_CONNECTIONS)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int metrics_server_start(struct metrics_server **out, const char *addr, const struct model *m,
			 const struct metrics_counts *c)
{
	struct sockaddr_storage sa;
	struct metrics_server *s;
	const union MHD_DaemonInfo *info;
	socklen_t len;
	int fd;

	if (metrics_parse_addr(addr, &sa, &len)) {
		fprintf(stderr, "proclife: invalid metrics address '%s'\n", addr);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, "proclife: cannot serve metrics: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	*s = (struct metrics_server){ .model = m, .counts = c };
	fd = listen_on(&sa, len);
	if (fd < 0) {
		fprintf(stderr, "proclife: cannot serve metrics on %s: %s\n", addr, strerror(-fd));
		free(s);
		return fd;
	}
	/* No MHD_USE_INTERNAL_POLLING_THREAD: the live loop runs the server. */
	s->daemon = MHD_start_daemon(MHD_USE_EPOLL | (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				     0, NULL, NULL, answer, s,
				     MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
				     MHD_OPTION_END);
	info = s->daemon ? MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		fprintf(stderr, "proclife: cannot serve metrics on %s: libmicrohttpd did not start\n", addr);
		if (s->daemon)
			MHD_stop_daemon(s->daemon);
		else
			close(fd);
		free(s);
		return -EIO;
	}
	s->epoll_fd = info->epoll_fd;
	*out = s;
	return 0;
}

int metrics_server_poll(struct metrics_server *s, int fd, int timeout_ms)
{
	struct pollfd fds[] = { { .fd = fd, .events = POLLIN }, { .fd = s->epoll_fd, .events = POLLIN } };
	MHD_UNSIGNED_LONG_LONG mhd_ms;

	/* A connection with work MHD has not done yet gives a deadline instead of an fd event. */
	if (MHD_get_timeout(s->daemon, &mhd_ms) == MHD_YES && mhd_ms < (unsigned long long)timeout_ms)
		timeout_ms = mhd_ms;
	if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

void metrics_server_run(struct metrics_server *s)
{
	MHD_run(s->daemon);
}

void metrics_server_stop(struct metrics_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	free(s);
}
