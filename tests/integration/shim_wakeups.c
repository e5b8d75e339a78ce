/*
 * An LD_PRELOAD count of the times proclife is woken: each epoll_wait that
 * returns with something ready (not a timeout, not a signal). At exit the
 * count is written, in decimal, to the file named by $PROCLIFE_WAKEUPS.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>

static unsigned long woken;

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	static int (*real)(int, struct epoll_event *, int, int);
	int n;

	if (!real)
		real = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
	n = real(epfd, events, maxevents, timeout);
	if (n > 0)
		__atomic_add_fetch(&woken, 1, __ATOMIC_RELAXED);
	return n;
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("PROCLIFE_WAKEUPS");
	char buf[32];
	int fd, len;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	len = snprintf(buf, sizeof(buf), "%lu\n", woken);
	if (fd >= 0 && write(fd, buf, len) != len)
		unlink(path);
	if (fd >= 0)
		close(fd);
}
