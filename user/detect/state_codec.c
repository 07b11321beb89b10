/*
 * The baseline as bytes, and back. Layout (all little-endian):
 *
 *   "EXFDBASE" u32 version  i64 bucket_ns  i64 first_ns  i32 cur_bucket
 *   u32 n_members
 *   populations: VIEW_COUNT x 2 directions x CLASS_COUNT x SUM_COUNT of
 *                HIST_BINS f32, then f64 total weight
 *   n_members x member record (MEMBER_RECORD bytes, see put_member)
 *   u32 CRC-32 (zlib) of everything before it
 *
 * The parser trusts nothing: size first, then CRC, then every value's
 * range (a crafted file with a valid CRC must not put NaN into scores).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "detect_model.h"
#include "flow_members.h"

#define STATE_MAGIC "EXFDBASE"
#define STATE_VERSION 1u
#define HEADER_BYTES (8 + 4 + 8 + 8 + 4 + 4)
#define POP_BYTES (HIST_BINS * 4 + 8)
#define POPS_BYTES ((size_t)VIEW_COUNT * 2 * CLASS_COUNT * SUM_COUNT * POP_BYTES)
#define MEMBER_RECORD (5 * 8 + 3 * 4 + 7 * 4 + RING_SLOTS * 4 + 3 + 17 + GEO_COUNTRY_ISO_LEN + \
		       2 * 4 + 1 + IP_PROCS * IP_PROC_LEN)
/* A file may come from an agent with a larger table, but not absurdly. */
#define MAX_FILE_MEMBERS (1u << 24)

struct wbuf {
	uint8_t *p;
	size_t off;
};

static void put(struct wbuf *w, const void *v, size_t n)
{
	memcpy(w->p + w->off, v, n);
	w->off += n;
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(w, b, 8);
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(w, b, 4);
}

static void put_f32(struct wbuf *w, float f)
{
	uint32_t v;

	memcpy(&v, &f, 4);
	put_u32(w, v);
}

static void put_f64(struct wbuf *w, double f)
{
	uint64_t v;

	memcpy(&v, &f, 8);
	put_u64(w, v);
}

struct rbuf {
	const uint8_t *p;
	size_t off;
};

static uint64_t get_u64(struct rbuf *r)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += 8;
	return v;
}

static uint32_t get_u32(struct rbuf *r)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)r->p[r->off + i] << (8 * i);
	r->off += 4;
	return v;
}

static float get_f32(struct rbuf *r)
{
	uint32_t v = get_u32(r);
	float f;

	memcpy(&f, &v, 4);
	return f;
}

static double get_f64(struct rbuf *r)
{
	uint64_t v = get_u64(r);
	double f;

	memcpy(&f, &v, 8);
	return f;
}

static void get(struct rbuf *r, void *v, size_t n)
{
	memcpy(v, r->p + r->off, n);
	r->off += n;
}

static void put_member(struct wbuf *w, const struct member *m)
{
	const float f[7] = { m->w, m->mean, m->var, m->peak, m->hmean, m->hvar, m->hpeak };

	put_u64(w, m->key);
	put_u64(w, (uint64_t)m->first_seen_ns);
	put_u64(w, (uint64_t)m->last_seen_ns);
	put_u64(w, (uint64_t)m->prev_seen_ns);
	put_u64(w, m->open_sum);
	put_u32(w, (uint32_t)m->bucket);
	put_u32(w, (uint32_t)m->stat_bucket);
	put_u32(w, (uint32_t)m->hz_bucket);
	for (int i = 0; i < 7; i++)
		put_f32(w, f[i]);
	for (int i = 0; i < RING_SLOTS; i++)
		put_u32(w, m->ring[i]);
	put(w, &m->view, 1);
	put(w, &m->dir, 1);
	put(w, &m->flags, 1);
	put(w, &m->ip.family, 1);
	put(w, m->ip.a, 16);
	put(w, m->cc, GEO_COUNTRY_ISO_LEN);
	put_u32(w, m->region_hash);
	put_u32(w, m->port_tag);
	put(w, &m->proc_next, 1);
	put(w, m->procs, sizeof(m->procs));
}

int detect_state_encode(const struct detect *d, uint8_t **buf, size_t *len)
{
	size_t total = (size_t)d->nsets * SET_WAYS, n = 0;
	struct wbuf w;

	for (size_t i = 0; i < total; i++)
		n += d->members[i].key != 0;
	*len = HEADER_BYTES + POPS_BYTES + n * MEMBER_RECORD + 4;
	w.p = malloc(*len);
	w.off = 0;
	if (!w.p)
		return -1;
	put(&w, STATE_MAGIC, 8);
	put_u32(&w, STATE_VERSION);
	put_u64(&w, (uint64_t)d->cfg.bucket_ns);
	put_u64(&w, (uint64_t)d->first_ns);
	put_u32(&w, (uint32_t)d->cur_bucket);
	put_u32(&w, (uint32_t)n);
	for (int v = 0; v < VIEW_COUNT; v++)
		for (int dir = 0; dir < 2; dir++)
			for (int c = 0; c < CLASS_COUNT; c++)
				for (int s = 0; s < SUM_COUNT; s++) {
					const struct pop *p = &d->pops[v][dir][c][s];

					for (int b = 0; b < HIST_BINS; b++)
						put_f32(&w, p->hist[b]);
					put_f64(&w, p->sw);
				}
	for (size_t i = 0; i < total; i++)
		if (d->members[i].key)
			put_member(&w, &d->members[i]);
	put_u32(&w, (uint32_t)crc32(0, w.p, (uInt)w.off));
	*buf = w.p;
	return 0;
}

static bool finite_nonneg(double v)
{
	return isfinite(v) && v >= 0;
}

/* One member record into m; false if a value is out of range. */
static bool get_member(struct rbuf *r, struct member *m, int32_t cur)
{
	float f[7];
	uint64_t ring = 0;

	memset(m, 0, sizeof(*m));
	m->key = get_u64(r);
	m->first_seen_ns = (int64_t)get_u64(r);
	m->last_seen_ns = (int64_t)get_u64(r);
	m->prev_seen_ns = (int64_t)get_u64(r);
	m->open_sum = get_u64(r);
	m->bucket = (int32_t)get_u32(r);
	m->stat_bucket = (int32_t)get_u32(r);
	m->hz_bucket = (int32_t)get_u32(r);
	for (int i = 0; i < 7; i++)
		f[i] = get_f32(r);
	for (int i = 0; i < RING_SLOTS; i++) {
		m->ring[i] = get_u32(r);
		if (m->ring[i] > SLOT_MAX_KIB)
			return false;
		ring += m->ring[i];
	}
	m->ring_kib = (uint32_t)ring;
	get(r, &m->view, 1);
	get(r, &m->dir, 1);
	get(r, &m->flags, 1);
	get(r, &m->ip.family, 1);
	get(r, m->ip.a, 16);
	get(r, m->cc, GEO_COUNTRY_ISO_LEN);
	m->region_hash = get_u32(r);
	m->port_tag = get_u32(r);
	get(r, &m->proc_next, 1);
	get(r, m->procs, sizeof(m->procs));
	m->cc[GEO_COUNTRY_ISO_LEN - 1] = 0;
	for (int i = 0; i < IP_PROCS; i++)
		m->procs[i][IP_PROC_LEN - 1] = 0;
	for (int i = 0; i < IP_PROCS; i++)
		m->proc_hash[i] = m->procs[i][0] ? proc_name_hash(m->procs[i]) : 0;
	m->w = f[0], m->mean = f[1], m->var = f[2], m->peak = f[3];
	m->hmean = f[4], m->hvar = f[5], m->hpeak = f[6];
	for (int i = 0; i < 7; i++)
		if (!finite_nonneg(f[i]) || f[i] > 1e9f)
			return false;
	return m->key && m->view < VIEW_COUNT && m->dir < 2 && m->flags <= MEMBER_ALARMED && m->proc_next < IP_PROCS &&
	       (m->ip.family == 0 || m->ip.family == FLOW_AF_INET || m->ip.family == FLOW_AF_INET6) &&
	       m->bucket <= cur && m->stat_bucket <= m->bucket && m->hz_bucket <= m->bucket && m->first_seen_ns <= m->last_seen_ns;
}

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return -1;
}

/* Parse into the fresh detector t (same settings as the caller's). */
static int parse_into(struct detect *t, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	struct rbuf r = { buf, 0 };
	uint32_t version, n, crc;
	int64_t bucket_ns;
	bool empty;

	if (len < HEADER_BYTES + POPS_BYTES + 4)
		return fail(err, errlen, "truncated: shorter than a baseline header");
	if (memcmp(buf, STATE_MAGIC, 8))
		return fail(err, errlen, "not an exfild baseline (bad magic)");
	r.off = 8;
	version = get_u32(&r);
	if (version != STATE_VERSION) {
		snprintf(err, errlen, "incompatible: format version %u, this exfild reads %u",
			 version, STATE_VERSION);
		return -1;
	}
	bucket_ns = (int64_t)get_u64(&r);
	t->first_ns = (int64_t)get_u64(&r);
	t->cur_bucket = (int32_t)get_u32(&r);
	n = get_u32(&r);
	if (n > MAX_FILE_MEMBERS)
		return fail(err, errlen, "corrupt: member count out of range");
	if (len != HEADER_BYTES + POPS_BYTES + (size_t)n * MEMBER_RECORD + 4)
		return fail(err, errlen, len < HEADER_BYTES + POPS_BYTES + (size_t)n * MEMBER_RECORD + 4
				 ? "truncated: fewer bytes than the header announces"
				 : "corrupt: trailing bytes after the baseline");
	r.off = len - 4;
	crc = get_u32(&r);
	if (crc != (uint32_t)crc32(0, buf, (uInt)(len - 4)))
		return fail(err, errlen, "corrupt: checksum mismatch");
	if (bucket_ns != t->cfg.bucket_ns) {
		snprintf(err, errlen,
			 "incompatible: saved with a bucket span of %lld s, configured %lld s",
			 (long long)(bucket_ns / DETECT_SEC), (long long)(t->cfg.bucket_ns / DETECT_SEC));
		return -1;
	}
	/* An agent that never saw a flow saves an empty baseline (no bucket yet). */
	empty = t->cur_bucket == INT32_MIN && n == 0 && t->first_ns == 0;
	if (!empty && (t->cur_bucket < 0 || t->first_ns < 0 ||
		       t->first_ns / t->cfg.bucket_ns > t->cur_bucket))
		return fail(err, errlen, "corrupt: times out of range");
	r.off = HEADER_BYTES;
	for (int v = 0; v < VIEW_COUNT; v++)
		for (int dir = 0; dir < 2; dir++)
			for (int c = 0; c < CLASS_COUNT; c++)
				for (int s = 0; s < SUM_COUNT; s++) {
					struct pop *p = &t->pops[v][dir][c][s];

					for (int b = 0; b < HIST_BINS; b++)
						if (!finite_nonneg(p->hist[b] = get_f32(&r)))
							return fail(err, errlen, "corrupt: bad population value");
					p->sw = get_f64(&r);
					if (!finite_nonneg(p->sw))
						return fail(err, errlen, "corrupt: bad population value");
					pop_finish(p);
				}
	for (uint32_t i = 0; i < n; i++) {
		struct member m, *slot;

		if (!get_member(&r, &m, t->cur_bucket))
			return fail(err, errlen, "corrupt: bad member record");
		/* Into this table's set for the key; a smaller table evicts. */
		memcpy(t->pinned, &m.key, sizeof(m.key));
		slot = member_get(t, m.key, m.view, m.dir, m.first_seen_ns);
		*slot = m;
	}
	memset(t->pinned, 0, sizeof(t->pinned));
	return 0;
}

int detect_state_parse(struct detect *d, const uint8_t *buf, size_t len, char *err,
		       size_t errlen)
{
	struct detect *t = detect_new(&d->cfg);
	struct member *mine;
	uint64_t *keys;

	if (!t)
		return fail(err, errlen, "out of memory");
	if (parse_into(t, buf, len, err, errlen)) {
		detect_free(t);
		return -1;
	}
	/* Take t's baseline, keep d's counters of this run. */
	mine = d->members;
	d->members = t->members;
	t->members = mine;
	keys = d->keys;
	d->keys = t->keys;
	t->keys = keys;
	d->n_members = t->n_members;
	d->first_ns = t->first_ns;
	d->cur_bucket = t->cur_bucket;
	memcpy(d->pops, t->pops, sizeof(d->pops));
	detect_free(t);
	return 0;
}
