#include "clock.h"

int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t clock_boot_to_unix_ns(void)
{
	int64_t best = 0, best_gap = INT64_MAX;

	for (int i = 0; i < 16; i++) {
		int64_t b1 = clock_ns(CLOCK_BOOTTIME), r = clock_ns(CLOCK_REALTIME);
		int64_t b2 = clock_ns(CLOCK_BOOTTIME);

		if (b2 - b1 < best_gap) {
			best_gap = b2 - b1;
			best = r - (b1 + (b2 - b1) / 2);
		}
	}
	return best;
}
