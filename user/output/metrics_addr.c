#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "metrics_server.h"

int metrics_parse_addr(const char *s, struct sockaddr_storage *addr, socklen_t *len)
{
	const char *port = strrchr(s, ':');
	struct sockaddr_in6 *in6;
	bool bracketed = false;
	char host[INET6_ADDRSTRLEN];
	unsigned long p;
	char *end;
	size_t n;

	if (!port) {
		snprintf(host, sizeof(host), "%s", METRICS_DEFAULT_ADDR);
		port = s;
	} else {
		n = port++ - s;
		/* An IPv6 address has colons of its own: it comes in brackets. */
		if (n > 2 && s[0] == '[' && s[n - 1] == ']') {
			s++;
			n -= 2;
			bracketed = true;
		} else if (memchr(s, ':', n)) {
			return -EINVAL;
		}
		if (!n || n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, n);
		host[n] = '\0';
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || end == port || *end || *port < '0' || *port > '9' || p < 1 || p > 65535)
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));
	if (!bracketed) {
		struct sockaddr_in *in = (struct sockaddr_in *)addr;

		in->sin_family = AF_INET;
		in->sin_port = htons(p);
		*len = sizeof(*in);
		return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -EINVAL;
	}
	in6 = (struct sockaddr_in6 *)addr;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(p);
	*len = sizeof(*in6);
	return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
}
