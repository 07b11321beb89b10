#include <stddef.h>

#include "clock.h"
#include "duration.h"

int duration_parse(const char *s, int64_t *ns)
{
	static const struct { char unit; int64_t sec; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	int64_t n = 0, mult = 1;
	const char *p = s;

	if (!s || *s < '0' || *s > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (INT64_MAX / NS_PER_SEC - 9) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (*p) {
		size_t i;

		for (i = 0; i < sizeof(units) / sizeof(units[0]) && units[i].unit != *p; i++)
			;
		if (i == sizeof(units) / sizeof(units[0]) || p[1])
			return -1;
		mult = units[i].sec;
	}
	if (n > INT64_MAX / NS_PER_SEC / mult)
		return -1;
	*ns = n * mult * NS_PER_SEC;
	return 0;
}
