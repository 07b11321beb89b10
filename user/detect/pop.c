/*
 * Population statistics and tail probabilities, in log2(bytes).
 *
 * A population is a decayed histogram of log2 sums (4 bins per octave).
 * The tail probability of a sum x is the share of the population at or
 * above x/2 (a value within a factor 2 of something the population already
 * does is not extreme), mixed with a prior worth prior_w[class]
 * observations: a log-normal that says what such members usually receive
 * (new and rare ones little, around 64-128 KiB; familiar ones ~1 MiB,
 * broadly). The prior is what extrapolates beyond the largest value seen,
 * and with no data it alone decides, so a new baseline is cautious, not
 * blind. Only the upper side is modelled: a population full of tiny first
 * contacts must not make a large one look ordinary. Rare ingress members
 * take their view's familiar population as prior (score.c).
 */
#include <math.h>

#include "detect_model.h"

#define SIGMA_FLOOR 1.0		/* octaves: no population is tighter than 2x */
#define OWN_SIGMA_FLOOR 1.0

static const double prior_mean[CLASS_COUNT] = { 16.0, 17.0, 20.0 };
static const double prior_sd[CLASS_COUNT] = { 3.0, 3.5, 4.0 };
/* New and rare populations are sparse (a few new countries a week): a
 * handful of big first contacts must not make the next one ordinary. */
static const double prior_w[CLASS_COUNT] = { 8.0, 4.0, 2.0 };

double log2_bytes(uint64_t bytes)
{
	return bytes ? log2((double)bytes) : 0.0;
}

static int bin_of(double l)
{
	int b = (int)floor(l * HIST_PER_OCTAVE);

	return b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b;
}

void pop_add(struct pop *p, double l, float w)
{
	p->hist[bin_of(l)] += w;
	p->sw += w;
}

void pop_decay(struct pop *p, float f)
{
	for (int i = 0; i < HIST_BINS; i++)
		p->hist[i] *= f;
	p->sw *= f;
}

static double quantile(const struct pop *p, double q);

void pop_finish(struct pop *p)
{
	float acc = 0;

	p->tail[HIST_BINS] = 0;
	for (int i = HIST_BINS - 1; i >= 0; i--) {
		acc += p->hist[i];
		p->tail[i] = acc;
	}
	p->median = p->sw > 0 ? (float)quantile(p, 0.5) : 0;
}

/* Upper tail of the standard normal. */
static double q_norm(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

void pop_prior(enum pop_class cls, double *m0, double *s0, double *w0)
{
	*m0 = prior_mean[cls];
	*s0 = prior_sd[cls];
	*w0 = prior_w[cls];
}

/* log2 value below which a share q of p's weight lies (p->sw > 0). */
static double quantile(const struct pop *p, double q)
{
	double above = (1.0 - q) * p->sw;

	for (int i = HIST_BINS - 1; i > 0; i--)
		if (p->tail[i] > above)
			return (i + 0.5) / HIST_PER_OCTAVE;
	return 0.5 / HIST_PER_OCTAVE;
}

void pop_spread(const struct pop *p, double *median, double *upper)
{
	double q50, q84;

	if (p->sw < 1.0)
		return;	/* keep the caller's defaults */
	q50 = p->median;
	q84 = quantile(p, 0.84);
	*median = q50;
	*upper = q84 - q50 > SIGMA_FLOOR ? q84 - q50 : SIGMA_FLOOR;
}

double pop_tail(const struct pop *p, double l, double m0, double s0, double w0,
		double *typical_l)
{
	double emp = p->sw > 0 ? p->tail[bin_of(l - 1.0)] : 0;
	double med = p->sw > 0 ? p->median : m0;

	if (typical_l)
		*typical_l = (p->sw * med + w0 * m0) / (p->sw + w0);
	return (emp + w0 * q_norm((l - m0) / s0)) / (p->sw + w0);
}

double own_tail(double l, float mean, float var, float peak, float w, double *typical_l)
{
	double sd = var > OWN_SIGMA_FLOOR * OWN_SIGMA_FLOOR ? sqrt((double)var) : OWN_SIGMA_FLOOR;
	double p;

	/* Few observations: widen like a t distribution would. */
	sd *= sqrt(1.0 + 1.0 / (w > 0.1f ? w : 0.1f));
	p = q_norm((l - mean) / sd);
	/* Within a factor 2 of the member's own largest bucket: seen before. */
	if (l <= peak + 1.0 && p < 1.0 / (w + 1.0))
		p = 1.0 / (w + 1.0);
	if (typical_l)
		*typical_l = mean;
	return p;
}
