/* Time text to unix ns for the replay readers. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "replay_time.h"

#define NS 1000000000LL
/* Far beyond any real log, small enough that seconds * NS fits in int64. */
#define MAX_SEC 9000000000LL

/* n decimal digits at s -> *v; 0 or -1. */
static int digits(const char *s, size_t n, int *v)
{
	int x = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Fraction digits after a '.', to ns; advances *i. */
static int fraction(const char *s, size_t len, size_t *i, int64_t *ns)
{
	int64_t f = 0, scale = NS;
	size_t start = *i;

	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		if (scale > 1) {
			scale /= 10;
			f += (s[*i] - '0') * scale;
		}
		(*i)++;
	}
	*ns = f;
	return *i > start ? 0 : -1;
}

static int64_t days_from_civil(int y, int m, int d)
{
	/* Howard Hinnant's algorithm: proleptic Gregorian, no libc time zone. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

int rfc3339_parse(const char *s, size_t len, int64_t *ns)
{
	int y, mo, d, h, mi, se, oh = 0, om = 0;
	int64_t frac = 0, sec;
	size_t i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	if (s[i] == '.') {
		i++;
		if (fraction(s, len, &i, &frac))
			return -1;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		if (s[i] == '-') {
			oh = -oh;
			om = -om;
		}
		i += 6;
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - (oh * 3600 + om * 60);
	if (sec < 0 || sec > MAX_SEC)
		return -1;
	*ns = sec * NS + frac;
	return 0;
}

int decimal_seconds_parse(const char *s, size_t len, int64_t *ns)
{
	int64_t sec = 0, frac = 0;
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9') {
		sec = sec * 10 + (s[i] - '0');
		if (sec > MAX_SEC)
			return -1;
		i++;
	}
	if (i == 0)
		return -1;
	if (i < len && s[i] == '.') {
		i++;
		if (fraction(s, len, &i, &frac))
			return -1;
	}
	if (i != len)
		return -1;
	*ns = sec * NS + frac;
	return 0;
}

int real_seconds_to_ns(double sec, int64_t *ns)
{
	if (!isfinite(sec) || sec < 0 || sec > (double)MAX_SEC)
		return -1;
	/* Microsecond rounding first: Zeek writes microseconds, and a double
	 * near 1.7e9 s cannot hold more, so this keeps the value Zeek meant. */
	*ns = (int64_t)(sec * 1e6 + 0.5) * 1000;
	return 0;
}
