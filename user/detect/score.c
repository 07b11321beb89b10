/*
 * From sums to a 0-100 score.
 *
 * A member's open bucket and its horizon sum are each given a tail
 * probability: a rare member's against the view's rare population (what
 * destinations seen for the first time or seldom typically receive), a
 * familiar member's against both the familiar population and its own
 * history, keeping the larger (both must find it strange). The smaller of
 * the two tests, doubled (two tests were made), is the member's p;
 * evidence = -log10(p) times the view's weight.
 *
 * A new address of a familiar service is everyday life (CDNs and clouds
 * rotate addresses; the reference's IP rule alerts on exactly that), and
 * so is a new port to familiar places. So the IP and port views are
 * context views: their evidence counts at most CONTEXT_MARGIN more than
 * the strongest of the location views (country, region, process and user
 * to country). A new IP in a new country keeps all of its evidence.
 *
 * Views of one flow are not independent (a new country is also a new
 * region, and a new country for its process), so the score takes the
 * strongest view's evidence plus CORROBORATION of each other view's, and
 * maps it like the reference engine does: nothing below p = 0.05,
 * 75 at p = 1e-3 (the reference: about 5e-4), approaching 100 beyond.
 */
#include <math.h>

#include "detect_model.h"

#define CORROBORATION 0.15
#define CONTEXT_MARGIN 0.5
#define FAMILIAR_WEIGHT 0.75
#define EVIDENCE_FLOOR 1.3	/* -log10(0.05) */
#define EVIDENCE_SCALE 1.25	/* 3.0 (p = 1e-3) -> 75 */

/* Views the reference rule is built on count fully; the IP view alone sees
 * every CDN address change, the port view every new service. */
static const double view_weight[VIEW_COUNT] = {
	[VIEW_IP] = 0.8, [VIEW_COUNTRY] = 1.0, [VIEW_REGION] = 0.9,
	[VIEW_PORT] = 0.6, [VIEW_PROCESS] = 1.0, [VIEW_USER] = 0.8,
};

static double test_sum(const struct detect *d, const struct member *m, enum pop_sum s,
		       enum pop_class cls, float w, uint64_t bytes, double *typical_l)
{
	double l = log2_bytes(bytes), own_l, m0, s0, w0, p;
	float mean = s == SUM_BUCKET ? m->mean : m->hmean;
	float var = s == SUM_BUCKET ? m->var : m->hvar;
	float peak = s == SUM_BUCKET ? m->peak : m->hpeak;

	pop_prior(cls, &m0, &s0, &w0);
	/*
	 * Answering, the peers chose whom the host talks to: a client from a
	 * new country is like the clients of the familiar ones, so a rare
	 * ingress member's prior is its view's familiar population. Sending,
	 * the host chose: a place it never used usually gets little (the
	 * built-in prior) until the view has seen its own rare members.
	 */
	if (cls != CLASS_FAMILIAR && m->dir == 1 && m->view != VIEW_IP)
		pop_spread(&d->pops[m->view][1][CLASS_FAMILIAR][s], &m0, &s0);
	p = pop_tail(&d->pops[m->view][m->dir][cls][s], l, m0, s0, w0, typical_l);

	/* Own history only from before the horizon; it can only make the sum
	 * less strange (both must find it strange). */
	if (member_has_past(d, m)) {
		double po = own_tail(l, mean, var, peak, w, &own_l);

		if (po > p) {
			p = po;
			*typical_l = own_l;
		}
	}
	return p;
}

void judge_member(const struct detect *d, const struct member *m, struct judgement *j)
{
	uint64_t x = m->open_sum, h = member_horizon(m);
	float w = member_weight(d, m, m->bucket);
	double pb = 1.0, ph = 1.0, tb = 0, th = 0;
	enum pop_class cls = member_class(d, m);
	int tests = 0;

	j->rare = cls != CLASS_FAMILIAR;
	if (x >= d->cfg.min_bytes) {
		pb = test_sum(d, m, SUM_BUCKET, cls, w, x, &tb);
		tests++;
	}
	/* The horizon adds something only when earlier buckets hold bytes. */
	if (h > x && h >= d->cfg.min_bytes) {
		ph = test_sum(d, m, SUM_HORIZON, cls, w, h, &th);
		tests++;
	}
	j->horizon = ph < pb;
	j->actual = j->horizon ? h : x;
	j->typical_l = j->horizon ? th : tb;
	j->p = fmin(1.0, (j->horizon ? ph : pb) * (tests > 1 ? 2 : 1));
	j->evidence = tests ? fmin(EVIDENCE_MAX, -log10(fmax(j->p, 1e-300))) * view_weight[m->view]
			    : 0.0;
	/* Rarity counts: the same surprise means less from a familiar member. */
	if (!j->rare)
		j->evidence *= FAMILIAR_WEIGHT;
}

double member_evidence(const struct detect *d, struct member *m)
{
	uint64_t total = member_horizon(m);
	struct judgement j;

	if (m->scored_total && total < m->scored_total + m->scored_total / 10)
		return m->evidence;
	judge_member(d, m, &j);
	m->evidence = (float)j.evidence;
	m->scored_total = total ? total : 1;
	return j.evidence;
}

static bool location_view(int v)
{
	return v != VIEW_IP && v != VIEW_PORT;
}

double combine_evidence(double e[VIEW_COUNT], const bool has[VIEW_COUNT], int *top)
{
	double total = 0, where = 0;
	int t = -1, tw = -1;

	for (int v = 0; v < VIEW_COUNT; v++)
		if (has[v] && location_view(v) && (tw < 0 || e[v] > where))
			where = e[v], tw = v;
	if (e[VIEW_IP] > where + CONTEXT_MARGIN)
		e[VIEW_IP] = where + CONTEXT_MARGIN;
	if (e[VIEW_PORT] > where + CONTEXT_MARGIN)
		e[VIEW_PORT] = where + CONTEXT_MARGIN;
	/* The strongest view leads; a strange location leads over the context
	 * views, which then only corroborate it. */
	if (tw >= 0 && where >= EVIDENCE_FLOOR)
		t = tw;
	else
		for (int v = 0; v < VIEW_COUNT; v++)
			if (has[v] && (t < 0 || e[v] > e[t]))
				t = v;
	for (int v = 0; v < VIEW_COUNT; v++)
		if (has[v])
			total += v == t ? e[v] : CORROBORATION * e[v];
	if (top)
		*top = t;
	return total;
}

int score_of(double evidence)
{
	double s;

	if (evidence <= EVIDENCE_FLOOR)
		return 0;
	s = 100.0 * (1.0 - exp(-(evidence - EVIDENCE_FLOOR) / EVIDENCE_SCALE));
	return s >= 100.0 ? 100 : (int)lround(s);
}

/* Exposed for the explanation: a view's share of the combined evidence. */
double view_share(int view, int top, double e)
{
	return view == top ? e : CORROBORATION * e;
}
