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

/* The tightest of a few bracketed readings bounds the offset's error. */
static void measure(clock_read_fn read, int64_t *offset, int64_t *error)
{
	int64_t best = INT64_MAX;

	for (int i = 0; i < 3; i++) {
		struct timespec b0, r, b1;

		read(CLOCK_BOOTTIME, &b0);
		read(CLOCK_REALTIME, &r);
		read(CLOCK_BOOTTIME, &b1);
		if (ns_of(&b1) - ns_of(&b0) < best) {
			best = ns_of(&b1) - ns_of(&b0);
			*offset = ns_of(&r) - (ns_of(&b0) + ns_of(&b1)) / 2;
		}
	}
	*error = best / 2 + 1;
}

void wallclock_init_with(struct wallclock *wc, clock_read_fn read)
{
	*wc = (struct wallclock){ .read = read, .cached_sec = -1 };
	measure(read, &wc->boot_to_real_ns, &wc->error_ns);
}

void wallclock_init(struct wallclock *wc)
{
	wallclock_init_with(wc, clock_gettime);
}

bool wallclock_follow(struct wallclock *wc)
{
	int64_t offset, error, moved;

	if (!wc->read)
		return false;
	measure(wc->read, &offset, &error);
	moved = offset - wc->boot_to_real_ns;
	/* Within both readings' error, it is the same offset measured twice. */
	if (moved <= error + wc->error_ns && -moved <= error + wc->error_ns)
		return false;
	wc->boot_to_real_ns = offset;
	wc->error_ns = error;
	wc->steps++;
	return true;
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
