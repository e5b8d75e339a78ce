/* The kernel's CPU lists, as in /sys/devices/system/cpu/online: "0-3,8,10-11". */
#ifndef PL_CPULIST_H
#define PL_CPULIST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Marks in[] the CPUs the list names, below n; those above n are ignored.
 * Returns how many it marked, or -EINVAL for a malformed list.
 */
int cpulist_parse(const char *list, bool *in, size_t n);

#endif
