/*
 * Population statistics and tail probabilities, in log2(bytes).
 *
 * A sum is judged two ways and the larger (more forgiving) probability
 * wins, so a value is strange only if both agree:
 *  - empirically: the decayed share of the population at or above half
 *    the value (a value within a factor 2 of something the population
 *    already does is not extreme);
 *  - parametrically: a log-normal fitted to the population, which is what
 *    extrapolates beyond the largest value seen.
 * Until a population has OWN_FIT_MIN (decayed) observations its fit
 * includes a prior worth PRIOR_W observations: rare members (a
 * destination seen for the first time) usually receive little, around
 * 64 KiB; familiar populations get a broad prior. With no data the prior
 * alone decides, so a new baseline is cautious, not blind. Sparse rare
 * populations (new countries appear a few times a week) borrow their
 * prior from the rare IPs of the same direction (score.c).
 */
#include <math.h>

#include "detect_model.h"

#define PRIOR_W 2.0
#define OWN_FIT_MIN 3.0	/* observations before the prior steps aside */
#define SIGMA_FLOOR 1.0		/* octaves: no population is tighter than 2x */
#define OWN_SIGMA_FLOOR 1.0

static const double prior_mean[CLASS_COUNT] = { 16.0, 20.0 };
static const double prior_sd[CLASS_COUNT] = { 3.0, 4.0 };

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
	p->swl += w * l;
	p->swll += w * l * l;
}

void pop_decay(struct pop *p, float f)
{
	for (int i = 0; i < HIST_BINS; i++)
		p->hist[i] *= f;
	p->sw *= f;
	p->swl *= f;
	p->swll *= f;
}

void pop_finish(struct pop *p)
{
	float acc = 0;

	p->tail[HIST_BINS] = 0;
	for (int i = HIST_BINS - 1; i >= 0; i--) {
		acc += p->hist[i];
		p->tail[i] = acc;
	}
}

/* Upper tail of the standard normal. */
static double q_norm(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

void pop_prior(enum pop_class cls, double *m0, double *s0)
{
	*m0 = prior_mean[cls];
	*s0 = prior_sd[cls];
}

void pop_fit(const struct pop *p, double m0, double s0, double *mean, double *sd)
{
	double w = p->sw, var;

	/* Enough data: the data alone, widened for its size (like a t). */
	if (w >= OWN_FIT_MIN) {
		*mean = p->swl / w;
		var = p->swll / w - *mean * *mean;
		*sd = (var > SIGMA_FLOOR * SIGMA_FLOOR ? sqrt(var) : SIGMA_FLOOR) *
		      sqrt(1.0 + 1.0 / w);
		return;
	}
	w += PRIOR_W;
	*mean = (p->swl + PRIOR_W * m0) / w;
	var = (p->swll + PRIOR_W * (s0 * s0 + m0 * m0)) / w - *mean * *mean;
	*sd = var > SIGMA_FLOOR * SIGMA_FLOOR ? sqrt(var) : SIGMA_FLOOR;
}

double pop_tail(const struct pop *p, double l, double m0, double s0, double *typical_l)
{
	double mean, sd, param, emp = 0;
	int half = bin_of(l - 1.0);

	pop_fit(p, m0, s0, &mean, &sd);
	param = q_norm((l - mean) / sd);
	if (p->sw > 0)
		emp = p->tail[half] / (p->sw + PRIOR_W);
	if (typical_l)
		*typical_l = mean;
	return emp > param ? emp : param;
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
