#include <string.h>
#include "clock.h"

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

uint64_t boottime_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ns_of(&ts);
}

void wallclock_init(struct wallclock *wc)
{
	int64_t best = INT64_MAX;

	/* The tightest of a few bracketed readings bounds the offset's error. */
	for (int i = 0; i < 5; i++) {
		struct timespec b0, r, b1;

		clock_gettime(CLOCK_BOOTTIME, &b0);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_BOOTTIME, &b1);
		if (ns_of(&b1) - ns_of(&b0) < best) {
			best = ns_of(&b1) - ns_of(&b0);
			wc->boot_to_real_ns = ns_of(&r) - (ns_of(&b0) + ns_of(&b1)) / 2;
		}
	}
	wc->cached_sec = -1;
}

static void refresh(struct wallclock *wc, time_t sec)
{
	struct tm utc, local;

	gmtime_r(&sec, &utc);
	localtime_r(&sec, &local);
	if (!strftime(wc->rfc3339, sizeof(wc->rfc3339), "%Y-%m-%dT%H:%M:%S.", &utc))
		memcpy(wc->rfc3339, "0000-00-00T00:00:00.", sizeof(wc->rfc3339));
	if (!strftime(wc->hms, sizeof(wc->hms), "%H:%M:%S.", &local))
		memcpy(wc->hms, "00:00:00.", sizeof(wc->hms));
	wc->cached_sec = sec;
}

/* Fixed-width decimal, two digits per division: every event's time goes through here. */
static void put_digits(char *out, uint32_t v, int width)
{
	int i = width;

	for (; i >= 2; i -= 2, v /= 100) {
		uint32_t d = v % 100;

		out[i - 1] = '0' + d % 10;
		out[i - 2] = '0' + d / 10;
	}
	if (i)
		out[0] = '0' + v % 10;
}

static uint64_t real_ns(const struct wallclock *wc, uint64_t boot_ns)
{
	/* Unsigned: a corrupt far-future stamp wraps instead of overflowing. */
	return boot_ns + (uint64_t)wc->boot_to_real_ns;
}

void wallclock_rfc3339(struct wallclock *wc, uint64_t boot_ns, char out[31])
{
	uint64_t ns = real_ns(wc, boot_ns);
	time_t sec = ns / 1000000000;

	if (sec != wc->cached_sec)
		refresh(wc, sec);
	memcpy(out, wc->rfc3339, 20);
	put_digits(out + 20, ns % 1000000000, 9);
	out[29] = 'Z';
	out[30] = '\0';
}

void wallclock_hms(struct wallclock *wc, uint64_t boot_ns, char out[16])
{
	uint64_t ns = real_ns(wc, boot_ns);
	time_t sec = ns / 1000000000;

	if (sec != wc->cached_sec)
		refresh(wc, sec);
	memcpy(out, wc->hms, 9);
	put_digits(out + 9, ns % 1000000000 / 1000, 6);
	out[15] = '\0';
}
