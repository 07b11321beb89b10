#include <stdio.h>

#include "bytes_text.h"

void bytes_text(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
	double v = (double)bytes / 1000.0;
	int u = 0;

	if (bytes < 1000) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	while (v >= 1000.0 && u < 5) {
		v /= 1000.0;
		u++;
	}
	/* bytes >= 1000 ran the loop at least once: u >= 0 */
	snprintf(buf, len, "%.1f %s", v, unit[u]);	/* NOLINT(clang-analyzer-core.CallAndMessage) */
}
