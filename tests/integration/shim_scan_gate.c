/*
 * An LD_PRELOAD hold on proclife between attaching its programs and reading
 * /proc, so a test can make things happen in that window, which no event
 * marks: the first opendir("/proc") opens the FIFO named by
 * $PROCLIFE_SCAN_GATE for reading (so the test's open for writing returns:
 * proclife is held there) and reads it to its end (the test closes it:
 * proclife goes on).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

DIR *opendir(const char *name)
{
	static DIR *(*real)(const char *);
	static bool held;
	const char *gate = getenv("PROCLIFE_SCAN_GATE");

	if (!real)
		real = (DIR *(*)(const char *))dlsym(RTLD_NEXT, "opendir");
	if (gate && !held && !strcmp(name, "/proc")) {
		int fd = open(gate, O_RDONLY | O_CLOEXEC);
		char c;

		held = true;
		while (fd >= 0 && read(fd, &c, 1) > 0)
			;
		if (fd >= 0)
			close(fd);
	}
	return real(name);
}
