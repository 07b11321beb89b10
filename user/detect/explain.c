/*
 * The explanation of a score: each view's numbers and share, reasons in
 * words, the destinations behind a country/region/port member and the
 * investigation context (first contact, bytes over the horizon, other
 * processes). Only runs when an alert goes out, so it may scan the table.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bytes_text.h"
#include "detect_model.h"
#include "flow_members.h"

static const char *const view_name[VIEW_COUNT] = {
	[VIEW_IP] = "destination IP", [VIEW_COUNTRY] = "country", [VIEW_REGION] = "region",
	[VIEW_PORT] = "port", [VIEW_PROCESS] = "process to country",
	[VIEW_USER] = "user to country",
};
static const char *const plural[VIEW_COUNT] = {
	[VIEW_IP] = "IPs", [VIEW_COUNTRY] = "countries", [VIEW_REGION] = "regions",
	[VIEW_PORT] = "ports", [VIEW_PROCESS] = "process-country pairs",
	[VIEW_USER] = "user-country pairs",
};

static uint64_t bytes_of_log(double l)
{
	return l <= 0 ? 0 : l >= 63 ? UINT64_MAX : (uint64_t)llround(exp2(l));
}

/* v is a copy: the reason is written into the same finding. */
static void reason_of(const struct detect *d, struct finding_view view, char *buf, size_t len)
{
	const struct finding_view *v = &view;
	char act[16], typ[16], span[28];

	bytes_text(v->actual, act, sizeof(act));
	bytes_text(v->typical, typ, sizeof(typ));
	if (v->horizon)
		snprintf(span, sizeof(span), "the last %lld h",
			 (long long)(d->cfg.bucket_ns * RING_SLOTS / (3600 * DETECT_SEC)));
	else
		snprintf(span, sizeof(span), "this %lld min bucket",
			 (long long)(d->cfg.bucket_ns / (60 * DETECT_SEC)));
	snprintf(buf, len, "%s %.48s%s: %s in %s, %s typically %s (p=%.1e)", view_name[v->kind],
		 v->member, v->never_seen ? " (never sent to before)" : v->rare ? " (rarely used)" : "",
		 act, span, v->rare ? "rare" : "familiar", typ, v->probability);
	/* Say whose typical value it was: the population's for rare members. */
	if (v->rare) {
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, "; vs %s", plural[v->kind]);
	}
}

/* The IP members of the open bucket that make up member ms of view top. */
static void list_dests(const struct detect *d, const struct flow_keys *k, int top,
		       struct finding *fd)
{
	struct finding_dest best[FINDING_MAX_OTHERS + 1];
	const unsigned cap = FINDING_MAX_OTHERS + 1;
	unsigned n = 0;
	size_t total = (size_t)d->nsets * SET_WAYS;

	for (size_t i = 0; i < total; i++) {
		const struct member *m = &d->members[i];
		bool same;
		unsigned j;

		if (!m->key || m->view != VIEW_IP || m->dir != k->dir || m->bucket != d->cur_bucket ||
		    !m->open_sum)
			continue;
		same = top == VIEW_REGION ? m->region_hash == k->region_hash
		     : top == VIEW_PORT ? m->port_tag == k->port_tag
		     : !strncmp(m->cc, k->cc, sizeof(m->cc) - 1);
		if (!same)
			continue;
		/* Keep the largest, sorted, by insertion. */
		for (j = n; j > 0 && best[j - 1].bytes < m->open_sum; j--)
			;
		if (j >= cap)
			continue;
		for (unsigned s2 = n < cap ? n : cap - 1; s2 > j; s2--)
			best[s2] = best[s2 - 1];
		best[j].ip = m->ip;
		best[j].bytes = m->open_sum;
		if (n < cap)
			n++;
	}
	if (!n)
		return;
	fd->dest = best[0].ip;
	fd->dest_bytes = best[0].bytes;
	for (unsigned i = 1; i < n; i++)
		fd->others[fd->n_others++] = best[i];
}

/* The context of the destination the alert names (the flow's own, or the
 * biggest of its country/region/port member). */
static void context(struct detect *d, const struct flow_keys *k,
		    struct member *const ms[VIEW_COUNT], struct finding *fd)
{
	const struct member *ip = member_find(d, ip_member_key(k->dir, &fd->dest));
	const struct member *cc = ms[VIEW_COUNTRY];

	if (!ip)
		ip = ms[VIEW_IP];

	fd->window_ns = d->cfg.bucket_ns * RING_SLOTS;
	fd->ip_first_seen_ns = ip->first_seen_ns;
	fd->ip_bytes_window = member_horizon(ip);
	if (cc) {
		fd->country_first_seen_ns = cc->first_seen_ns;
		fd->country_bytes_window = member_horizon(cc);
	}
	for (int i = 0; i < IP_PROCS; i++) {
		const char *p = ip->procs[(ip->proc_next + i) % IP_PROCS];

		if (p[0] && (!k->proc || strncmp(p, k->proc, IP_PROC_LEN - 1)))
			snprintf(fd->other_procs[fd->n_other_procs++], FINDING_PROC_LEN, "%s", p);
	}
}

void explain_finding(struct detect *d, const struct enriched_flow *f, const struct flow_keys *k,
		     struct member *const ms[VIEW_COUNT], struct finding *fd)
{
	struct judgement j[VIEW_COUNT];
	double e[VIEW_COUNT] = { 0 }, total;
	bool done[VIEW_COUNT] = { false };
	int top;

	memset(fd, 0, sizeof(*fd));
	for (int v = 0; v < VIEW_COUNT; v++)
		if (ms[v]) {
			judge_member(d, ms[v], &j[v]);
			e[v] = j[v].evidence;
		}
	total = combine_evidence(e, k->has, &top);
	fd->score = score_of(total);
	fd->threshold = d->cfg.alert_threshold;
	fd->direction = k->dir ? FLOW_INGRESS : FLOW_EGRESS;
	fd->time_ns = f->obs.end_ns;
	fd->bucket_start_ns = bucket_start_ns(d, d->cur_bucket);
	fd->bucket_span_ns = d->cfg.bucket_ns;
	fd->horizon_ns = d->cfg.bucket_ns * RING_SLOTS;
	for (int v = 0; v < VIEW_COUNT; v++) {
		struct finding_view *fv = &fd->views[v];
		const struct member *m = ms[v];

		fv->kind = (uint8_t)v;
		if (!m)
			continue;
		fv->judged = true;
		flow_member_label(f, v, fv->member, sizeof(fv->member));
		fv->horizon = j[v].horizon;
		fv->rare = j[v].rare;
		fv->never_seen = m->w == 0.0f && m->prev_seen_ns == 0 && m->ring_kib == 0;
		fv->actual = j[v].actual;
		fv->typical = bytes_of_log(j[v].typical_l);
		fv->probability = j[v].p;
		fv->evidence = e[v];	/* after the context cap */
		fv->points = total > 0 ? fd->score * view_share(v, top, e[v]) / total : 0;
		fv->first_seen_ns = m->first_seen_ns;
		fv->last_seen_ns = m->prev_seen_ns;
		fv->active_buckets = member_weight(d, m, d->cur_bucket);
	}
	fd->top_view = (uint8_t)(top < 0 ? VIEW_IP : top);
	fd->actual = fd->views[fd->top_view].actual;
	fd->typical = fd->views[fd->top_view].typical;
	fd->probability = fd->views[fd->top_view].probability;
	/* Reasons: views that found it strange (p < 0.05), strongest first. */
	while (fd->n_reasons < FINDING_MAX_REASONS) {
		int best = -1;

		for (int v = 0; v < VIEW_COUNT; v++)
			if (ms[v] && !done[v] && j[v].p < 0.05 &&
			    (best < 0 || fd->views[v].points > fd->views[best].points))
				best = v;
		if (best < 0)
			break;
		done[best] = true;
		reason_of(d, fd->views[best], fd->reasons[fd->n_reasons++], FINDING_REASON_LEN);
	}
	fd->dest = f->obs.remote;
	fd->dest_bytes = ms[VIEW_IP]->open_sum;
	if (fd->top_view != VIEW_IP)
		list_dests(d, k, fd->top_view, fd);
	context(d, k, ms, fd);
}
