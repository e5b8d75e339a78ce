#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include "cpulist.h"

static int number(const char **s, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)**s))
		return -EINVAL;
	errno = 0;
	*out = strtoul(*s, &end, 10);
	if (errno)
		return -EINVAL;
	*s = end;
	return 0;
}

int cpulist_parse(const char *list, bool *in, size_t n)
{
	const char *s = list;
	int marked = 0;

	for (size_t i = 0; i < n; i++)
		in[i] = false;
	while (*s && *s != '\n') {
		unsigned long first, last;

		if (number(&s, &first))
			return -EINVAL;
		last = first;
		if (*s == '-') {
			s++;
			if (number(&s, &last) || last < first)
				return -EINVAL;
		}
		for (unsigned long cpu = first; cpu <= last && cpu < n; cpu++)
			if (!in[cpu]) {
				in[cpu] = true;
				marked++;
			}
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return marked ? marked : -EINVAL;
}
