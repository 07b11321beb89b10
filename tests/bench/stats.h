/*
 * Medians and bootstrap confidence intervals for `make bench`: rounds are
 * resampled with replacement, the median taken each time, and the 2.5th
 * and 97.5th percentiles of those medians are the 95% interval. A fixed
 * seed: the same rounds always give the same interval. Header-only.
 */
#ifndef EXFILD_BENCH_STATS_H
#define EXFILD_BENCH_STATS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STATS_MAX 256
#define STATS_RESAMPLES 4000

static int stats_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of v[0..n); v is left as it was. */
static double stats_median(const double *v, int n)
{
	double s[STATS_MAX];

	if (n <= 0 || n > STATS_MAX)
		return 0;
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), stats_cmp);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The q-quantile (0..1) of v[0..n), linear between ranks; v is sorted here. */
static double stats_quantile(double *v, int n, double q)
{
	double pos;
	int i;

	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof(*v), stats_cmp);
	pos = q * (n - 1);
	i = (int)pos;
	return i + 1 < n ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[n - 1];
}

struct stats_ci {
	double median, lo, hi;	/* lo..hi: 95% bootstrap interval of the median */
};

static struct stats_ci stats_bootstrap(const double *v, int n)
{
	static double medians[STATS_RESAMPLES];
	double s[STATS_MAX];
	uint64_t x = 0x9e3779b97f4a7c15ULL;	/* xorshift64: fixed seed */
	struct stats_ci ci = { .median = stats_median(v, n) };

	if (n <= 0 || n > STATS_MAX)
		return ci;
	for (int b = 0; b < STATS_RESAMPLES; b++) {
		for (int i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			s[i] = v[x % (uint64_t)n];
		}
		medians[b] = stats_median(s, n);
	}
	ci.lo = stats_quantile(medians, STATS_RESAMPLES, 0.025);
	ci.hi = stats_quantile(medians, STATS_RESAMPLES, 0.975);
	return ci;
}

/* Interquartile range of v[0..n) as a fraction of its median. */
static double stats_iqr_rel(const double *v, int n)
{
	double s[STATS_MAX], m = stats_median(v, n);

	if (n <= 0 || n > STATS_MAX || m == 0)
		return 0;
	memcpy(s, v, (size_t)n * sizeof(*s));
	return (stats_quantile(s, n, 0.75) - stats_quantile(s, n, 0.25)) / m;
}

#endif
