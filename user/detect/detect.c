/*
 * The detector: the clock (buckets advance with flow time), observing a
 * flow into its members, and the gates between a high score and an alert
 * (learning, allowlists, repeats, rate cap).
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes_text.h"
#include "detect_model.h"
#include "flow_members.h"
#include "log.h"

struct detect *detect_new(const struct detect_config *cfg)
{
	struct detect *d;
	uint32_t nsets = 1;

	if (detect_config_check(cfg))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->cfg = *cfg;
	/* The largest power-of-two number of sets that stays within the bound. */
	while ((uint64_t)nsets * 2 * SET_WAYS <= cfg->max_members)
		nsets *= 2;
	d->nsets = nsets;
	d->members = calloc((size_t)nsets * SET_WAYS, sizeof(*d->members));
	d->keys = aligned_alloc(64, (size_t)nsets * SET_WAYS * sizeof(*d->keys));
	if (!d->members || !d->keys) {
		free(d->members);
		free(d->keys);
		free(d);
		return NULL;
	}
	memset(d->keys, 0, (size_t)nsets * SET_WAYS * sizeof(*d->keys));
	d->decay_per_bucket = (float)exp2(-(double)cfg->bucket_ns / (double)cfg->half_life_ns);
	d->cur_bucket = INT32_MIN;
	d->rate_window = INT64_MIN;
	d->st.max_members = nsets * SET_WAYS;
	d->st.member_bytes = sizeof(struct member) + sizeof(uint64_t);
	d->st.memory_bytes = sizeof(*d) + (size_t)nsets * SET_WAYS * d->st.member_bytes;
	return d;
}

void detect_free(struct detect *d)
{
	if (!d)
		return;
	free(d->members);
	free(d->keys);
	free(d);
}

static int32_t bucket_of(const struct detect *d, int64_t t)
{
	return (int32_t)(t / d->cfg.bucket_ns);
}

/* Close every member's bucket that ended before b, decay the populations. */
static void roll(struct detect *d, int32_t b)
{
	float f = powf(d->decay_per_bucket, (float)((int64_t)b - d->cur_bucket));
	size_t n = (size_t)d->nsets * SET_WAYS;

	for (int v = 0; v < VIEW_COUNT; v++)
		for (int dir = 0; dir < 2; dir++)
			for (int c = 0; c < CLASS_COUNT; c++)
				for (int s = 0; s < SUM_COUNT; s++)
					pop_decay(&d->pops[v][dir][c][s], f);
	for (size_t i = 0; i < n; i++)
		if (d->members[i].key)
			member_advance(d, &d->members[i], b);
	for (int v = 0; v < VIEW_COUNT; v++)
		for (int dir = 0; dir < 2; dir++)
			for (int c = 0; c < CLASS_COUNT; c++)
				for (int s = 0; s < SUM_COUNT; s++)
					pop_finish(&d->pops[v][dir][c][s]);
	d->cur_bucket = b;
}

/* Time only moves forward: an older flow counts in the open bucket. */
static void advance_clock(struct detect *d, int64_t t)
{
	int32_t b = bucket_of(d, t);

	if (d->cur_bucket == INT32_MIN) {
		d->first_ns = t;
		d->cur_bucket = b;
	} else if (b > d->cur_bucket) {
		roll(d, b);
	}
}

void detect_tick(struct detect *d, int64_t now_ns, detect_emit_fn emit, void *arg)
{
	(void)emit;
	(void)arg;
	if (d->cur_bucket != INT32_MIN && now_ns > 0)
		advance_clock(d, now_ns);
}

double detect_learning_progress(const struct detect *d, int64_t now_ns)
{
	double f;

	if (d->cur_bucket == INT32_MIN)
		return 0.0;
	if (d->cfg.learning_ns <= 0)
		return 1.0;
	f = (double)(now_ns - d->first_ns) / (double)d->cfg.learning_ns;
	return f < 0 ? 0 : f > 1 ? 1 : f;
}

void detect_get_stats(const struct detect *d, struct detect_stats *st)
{
	*st = d->st;
	st->members = d->n_members;
}

/* What the alerts on IP members list: their geo, port and processes. */
static void tag_ip_member(struct member *m, const struct enriched_flow *f,
			  const struct flow_keys *k)
{
	m->ip = f->obs.remote;
	memcpy(m->cc, f->geo.country_iso, sizeof(m->cc));
	m->cc[sizeof(m->cc) - 1] = 0;
	m->region_hash = k->region_hash;
	m->port_tag = k->port_tag;
	if (!k->proc)
		return;
	for (int i = 0; i < IP_PROCS; i++)
		if (m->proc_hash[i] == k->proc_hash)
			return;
	snprintf(m->procs[m->proc_next], IP_PROC_LEN, "%s", k->proc);
	m->proc_hash[m->proc_next] = k->proc_hash;
	m->proc_next = (uint8_t)((m->proc_next + 1) % IP_PROCS);
}

/*
 * Suppression key: (direction, process, destination), the destination
 * being what the alert is about: the IP, the port, or for the location
 * views (country, region, process or user to country) the country (an
 * upload spread over many addresses of one country is one alert, not one
 * per address).
 */
static uint64_t repeat_key(const struct flow_keys *k, int top)
{
	char buf[8 + 256];
	size_t n = k->proc ? strnlen(k->proc, 255) : 0;

	memcpy(buf, &k->key[top == VIEW_IP || top == VIEW_PORT ? top : VIEW_COUNTRY], 8);
	if (n)
		memcpy(buf + 8, k->proc, n);
	return member_hash(0xfe, k->dir, buf, 8 + n);
}

static void log_allowed(const struct detect_allow *a, const struct enriched_flow *f,
			const struct flow_keys *k, int score, uint64_t bytes)
{
	char ip[FINDING_MEMBER_LEN], b[32];

	flow_member_label(f, VIEW_IP, ip, sizeof(ip));
	bytes_text(bytes, b, sizeof(b));
	log_info("allowlist '%s' suppressed an alert (score %d): %s sent %s to %s (%s): %s",
		 a->value, score, k->proc ? k->proc : "a process", b, ip,
		 k->cc[0] ? k->cc : "unknown country", a->reason);
}

static void alert(struct detect *d, const struct enriched_flow *f, const struct flow_keys *k,
		  struct member *const ms[VIEW_COUNT], int score, int top, detect_emit_fn emit,
		  void *arg)
{
	const struct detect_allow *a = allow_match(&d->cfg, f);
	uint64_t key = repeat_key(k, top);
	int64_t t = f->obs.end_ns;
	uint32_t repeats = 1;
	struct finding fd;

	if (!a)
		for (int v = 0; v < VIEW_COUNT; v++)
			if (ms[v])
				ms[v]->flags |= MEMBER_ALARMED;
	if (a) {
		d->st.allowlisted++;
		if (limit_allow_log_due(d, key + (uint64_t)(a - d->cfg.allow), t))
			log_allowed(a, f, k, score, member_horizon(ms[VIEW_IP]));
		return;
	}
	if (limit_gate(d, key, t, &repeats) != GATE_EMIT)
		return;
	explain_finding(d, f, k, ms, &fd);
	fd.repeat_count = repeats;
	fd.rate_capped = d->st.rate_capped;
	fd.flow = f;
	d->st.alerts++;
	if (emit)
		emit(arg, &fd);
}

void detect_observe(struct detect *d, const struct enriched_flow *f, detect_emit_fn emit,
		    void *arg)
{
	const struct flow_obs *o = &f->obs;
	int64_t t = o->end_ns > 0 ? o->end_ns : 0;
	struct member *ms[VIEW_COUNT] = { 0 };
	double e[VIEW_COUNT] = { 0 };
	struct flow_keys k;
	bool hot = false;
	int score, top;

	if (f->reserved && !d->cfg.include_reserved) {
		d->st.skipped_reserved++;
		return;
	}
	if (!o->bytes_sent)
		return;
	advance_clock(d, t);
	d->st.flows++;
	flow_keys_of(f, &k);
	memcpy(d->pinned, k.key, sizeof(d->pinned));
	for (int v = 0; v < VIEW_COUNT; v++) {
		struct member *m;

		if (!k.has[v])
			continue;
		m = member_get(d, k.key[v], (uint8_t)v, k.dir, t);
		if (m->bucket < d->cur_bucket)
			member_advance(d, m, d->cur_bucket);
		m->open_sum += o->bytes_sent;
		if (t > m->last_seen_ns)
			m->last_seen_ns = t;
		hot |= member_horizon(m) >= d->cfg.min_bytes;
		ms[v] = m;
	}
	memset(d->pinned, 0, sizeof(d->pinned));
	tag_ip_member(ms[VIEW_IP], f, &k);
	/* Only high sums count: most flows stop here. */
	if (!hot)
		return;
	for (int v = 0; v < VIEW_COUNT; v++)
		if (ms[v])
			e[v] = member_evidence(d, ms[v]);
	score = score_of(combine_evidence(e, k.has, &top));
	if (score < d->cfg.alert_threshold || t - d->first_ns < d->cfg.learning_ns)
		return;
	alert(d, f, &k, ms, score, top, emit, arg);
}
