/*
 * The member table: a set-associative cache of SET_WAYS ways per set, so
 * memory is fixed at detect_new whatever the number of destinations. A
 * new member in a full set evicts the way worth least: little decayed
 * history and few bytes over the horizon, so flows of one-off
 * destinations churn among themselves while familiar members stay.
 */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "detect_model.h"

/* 8 bytes at a time, multiply-xorshift mixing, a final avalanche so the
 * set index (high bits) and the key are both well mixed. */
uint64_t member_hash(uint8_t view, uint8_t dir, const void *val, size_t len)
{
	const uint8_t *p = val;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)view << 8 | dir) ^ (len * 0xff51afd7ed558ccdULL);
	uint64_t w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h ? h : 1;	/* 0 marks an empty way */
}

int64_t bucket_start_ns(const struct detect *d, int32_t b)
{
	return (int64_t)b * d->cfg.bucket_ns;
}

float member_weight(const struct detect *d, const struct member *m, int32_t b)
{
	int32_t gap = b - m->stat_bucket;

	return gap > 0 ? m->w * powf(d->decay_per_bucket, (float)gap) : m->w;
}

uint64_t member_horizon(const struct member *m)
{
	return (uint64_t)m->ring_kib * 1024 + m->open_sum;
}

/* Seen in the first horizon of the baseline: part of what it was built on. */
static bool cold(const struct detect *d, const struct member *m)
{
	return m->first_seen_ns < d->first_ns + d->cfg.bucket_ns * RING_SLOTS;
}

/* Decayed activity before the horizon: what the member is known for. For
 * members of the cold start every bucket counts (there is no "before"). */
static float old_weight(const struct detect *d, const struct member *m)
{
	unsigned recent = 0;

	if (cold(d, m))
		return member_weight(d, m, m->bucket);
	for (int i = 0; i < RING_SLOTS; i++)
		recent += m->ring[i] != 0;
	return member_weight(d, m, m->bucket) - (float)recent;
}

enum pop_class member_class(const struct detect *d, const struct member *m)
{
	if (!cold(d, m) && m->bucket - m->first_seen_ns / d->cfg.bucket_ns < RING_SLOTS)
		return CLASS_NEW;
	return old_weight(d, m) < RARE_BELOW ? CLASS_RARE : CLASS_FAMILIAR;
}

/* The population a closed sum teaches: the cold start's members are the
 * baseline itself, not new or rare arrivals. */
static enum pop_class learn_class(const struct detect *d, const struct member *m)
{
	return cold(d, m) ? CLASS_FAMILIAR : member_class(d, m);
}

bool member_has_past(const struct detect *d, const struct member *m)
{
	return old_weight(d, m) >= 0.5f;
}

/* Update a running mean/variance with decayed weight (West's update). */
static void ew_update(float *mean, float *var, float w_old, float l)
{
	float w = w_old + 1.0f, delta = l - *mean;

	*mean += delta / w;
	*var = w_old / w * (*var + delta * delta / w);
}

/*
 * Fold the open bucket into the member's history and its view's
 * populations. Members first seen while the baseline was being built are
 * not "new arrivals": counting them as rare would teach the rare
 * population what the host's everyday destinations receive.
 */
static void close_bucket(struct detect *d, struct member *m)
{
	double l = log2_bytes(m->open_sum);
	uint64_t kib64 = (m->open_sum + 1023) / 1024;
	/* A slot saturates at 170 GiB so the ring's sum fits 32 bits. */
	uint32_t kib = kib64 > SLOT_MAX_KIB ? SLOT_MAX_KIB : (uint32_t)kib64;
	enum pop_class cls = learn_class(d, m);
	float w = member_weight(d, m, m->bucket);
	double hl;
	float halves;

	m->ring[(uint32_t)m->bucket % RING_SLOTS] = kib;
	m->ring_kib += kib;
	hl = log2_bytes((uint64_t)m->ring_kib * 1024);
	/* An alerted sum is not the host's normal: learning it would teach the
	 * new-member population that exfiltration is what new members get. The
	 * member's own history still learns it (a recurring legitimate
	 * transfer becomes familiar by its own record). */
	if (!(m->flags & MEMBER_ALARMED))
		pop_add(&d->pops[m->view][m->dir][cls][SUM_BUCKET], l, 1.0f);
	if (w <= 0.0f) {
		m->mean = (float)l, m->var = 0, m->hmean = (float)hl, m->hvar = 0;
	} else {
		ew_update(&m->mean, &m->var, w, (float)l);
		ew_update(&m->hmean, &m->hvar, w, (float)hl);
	}
	/* Peaks decay like everything else: half the bytes per half-life. */
	halves = (float)((double)(m->bucket - m->stat_bucket) * (double)d->cfg.bucket_ns /
			 (double)d->cfg.half_life_ns);
	m->peak = fmaxf(m->peak - halves, (float)l);
	m->hpeak = fmaxf(m->hpeak - halves, (float)hl);
	m->w = w + 1.0f;
	m->stat_bucket = m->bucket;
	m->prev_seen_ns = m->last_seen_ns;
	m->open_sum = 0;
}

/*
 * The horizon populations get one sample per member per horizon, its sum
 * over a whole window, taken when the window ends: overlapping sums would
 * let a sparse population learn a new member's own trickle as it goes.
 */
static void sample_horizon(struct detect *d, struct member *m, int32_t b)
{
	enum pop_class cls;

	if ((int64_t)b - m->hz_bucket < RING_SLOTS)
		return;
	if (m->ring_kib && !(m->flags & MEMBER_ALARMED)) {
		cls = learn_class(d, m);
		pop_add(&d->pops[m->view][m->dir][cls][SUM_HORIZON],
			log2_bytes((uint64_t)m->ring_kib * 1024), 1.0f);
	}
	m->hz_bucket = b;
	m->flags &= (uint8_t)~MEMBER_ALARMED;
}

void member_advance(struct detect *d, struct member *m, int32_t b)
{
	int64_t gap;

	if (b <= m->bucket)
		return;
	if (m->open_sum)
		close_bucket(d, m);
	sample_horizon(d, m, b);
	/* Slots of buckets (m->bucket, b] now hold buckets that left the horizon. */
	gap = (int64_t)b - m->bucket;
	if (gap >= RING_SLOTS) {
		memset(m->ring, 0, sizeof(m->ring));
		m->ring_kib = 0;
	} else {
		for (int32_t i = m->bucket + 1; i <= b; i++) {
			uint32_t *s = &m->ring[(uint32_t)i % RING_SLOTS];

			m->ring_kib -= *s;
			*s = 0;
		}
	}
	m->bucket = b;
	m->scored_total = 0;	/* populations moved: judge afresh */
}

/* Worth of keeping a member: its history plus the bytes it holds now. */
static float member_value(const struct detect *d, const struct member *m)
{
	return member_weight(d, m, d->cur_bucket) +
	       (float)log2_bytes(member_horizon(m) / 1024 + 1) / 4.0f;
}

static bool pinned(const struct detect *d, uint64_t key)
{
	for (int v = 0; v < VIEW_COUNT; v++)
		if (d->pinned[v] == key)
			return true;
	return false;
}

struct member *member_find(struct detect *d, uint64_t key)
{
	size_t base = (size_t)((key >> 40) & (d->nsets - 1)) * SET_WAYS;

	for (int i = 0; i < SET_WAYS; i++)
		if (d->keys[base + i] == key)
			return &d->members[base + i];
	return NULL;
}

struct member *member_get(struct detect *d, uint64_t key, uint8_t view, uint8_t dir,
			  int64_t t_ns)
{
	size_t base = (size_t)((key >> 40) & (d->nsets - 1)) * SET_WAYS;
	/* The set's keys share one cache line: a lookup reads only that. */
	uint64_t *keys = &d->keys[base];
	struct member *set = &d->members[base], *victim = NULL;
	float worst = INFINITY;
	int vi = 0;

	for (int i = 0; i < SET_WAYS; i++)
		if (keys[i] == key)
			return &set[i];
	for (int i = 0; i < SET_WAYS; i++) {
		float v;

		if (!keys[i]) {
			victim = &set[i], vi = i;
			break;
		}
		if (pinned(d, keys[i]))
			continue;
		v = member_value(d, &set[i]);
		if (v < worst)
			worst = v, victim = &set[i], vi = i;
	}
	if (victim->key)
		d->st.evictions++;
	else
		d->n_members++;
	memset(victim, 0, sizeof(*victim));
	victim->key = keys[vi] = key;
	victim->view = view;
	victim->dir = dir;
	victim->first_seen_ns = t_ns;
	victim->bucket = d->cur_bucket;
	victim->stat_bucket = d->cur_bucket;
	victim->hz_bucket = d->cur_bucket;
	return victim;
}
