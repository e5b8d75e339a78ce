/*
 * An LD_PRELOAD stand-in for a stepped wall clock, so a test can step the
 * clock proclife sees without stepping the machine's (other programs share
 * it): CLOCK_REALTIME reads gain the seconds written in the file named by
 * $PROCLIFE_CLOCK_SHIFT, read afresh on each call.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long shift_seconds(void)
{
	const char *path = getenv("PROCLIFE_CLOCK_SHIFT");
	char buf[32];
	ssize_t n;
	int fd;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atol(buf);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int ret;

	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	ret = real(id, ts);
	if (!ret && id == CLOCK_REALTIME)
		ts->tv_sec += shift_seconds();
	return ret;
}
