/*
 * Detection internals shared by the files of detect/: the member table,
 * the population statistics and the detector itself. Not for other stages.
 *
 * Sums are judged in log2(bytes) ("octaves"): byte counts span twelve
 * orders of magnitude and are close to log-normal per member.
 */
#ifndef EXFILD_DETECT_MODEL_H
#define EXFILD_DETECT_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "detect.h"

/* Past buckets a member remembers: the horizon (24 x 1 h by default). */
#define RING_SLOTS 24
#define MEMBER_ALARMED 0x01
#define SLOT_MAX_KIB (UINT32_MAX / RING_SLOTS)
/* Population histograms: 4 bins per octave, 1 byte to 2^40 bytes. */
#define HIST_PER_OCTAVE 4
#define HIST_BINS (40 * HIST_PER_OCTAVE)
/* Members of a set in the member table (set-associative, like a cache). */
#define SET_WAYS 8
/* A member with fewer (decayed) active buckets older than the horizon is
 * rare: judged against other rare members, not its own thin history. */
#define RARE_BELOW 4.0f
/* Processes remembered per destination IP (the alert's "other processes"). */
#define IP_PROCS 3
#define IP_PROC_LEN 16

/* Who a member is judged against: members first used within the last
 * horizon (new), members with little history before it (rare), the rest. */
enum pop_class { CLASS_NEW = 0, CLASS_RARE = 1, CLASS_FAMILIAR = 2, CLASS_COUNT };
enum pop_sum { SUM_BUCKET = 0, SUM_HORIZON = 1, SUM_COUNT };

/* One tracked member of one view in one direction. What every observe
 * touches comes first, in one cache line. */
struct member {
	uint64_t key;		/* hash of (view, direction, value); 0 = empty way */
	uint64_t open_sum;	/* bytes in the open bucket */
	uint64_t scored_total;	/* horizon sum when evidence was cached */
	int64_t last_seen_ns;	/* latest bytes */
	uint32_t ring_kib;	/* sum of ring[] */
	int32_t bucket;		/* the open bucket's index (time / span) */
	float evidence;		/* cached -log10 p of this member (weighted) */
	uint8_t view, dir;
	/* MEMBER_ALARMED: scored above the threshold since its last horizon
	 * sample; what alerted is kept out of the populations. */
	uint8_t flags;
	uint8_t proc_next;	/* IP members: next procs[] slot to replace */
	uint32_t proc_hash[IP_PROCS];	/* IP members: hashes of procs[] */
	/* ---- judged or explained only ---- */
	int64_t first_seen_ns;	/* first bytes ever */
	int64_t prev_seen_ns;	/* latest bytes before the open bucket; 0 never */
	int32_t stat_bucket;	/* bucket the own statistics were decayed to */
	int32_t hz_bucket;	/* last bucket its horizon sum went into the population */
	float w;		/* decayed count of closed buckets with bytes */
	float mean, var, peak;	/* own bucket sums, log2 bytes */
	float hmean, hvar, hpeak;	/* own horizon sums at those closes */
	uint32_t ring[RING_SLOTS];	/* KiB per past bucket, slot = bucket % RING_SLOTS */
	/* IP members only: what the country/region/port alerts list, and the
	 * processes that sent to this IP. */
	struct ipaddr ip;
	char cc[GEO_COUNTRY_ISO_LEN];	/* country ISO code */
	uint32_t region_hash;
	uint32_t port_tag;	/* transport << 16 | service port */
	char procs[IP_PROCS][IP_PROC_LEN];
};

/* Decayed distribution of log2 sums over the members of one population. */
struct pop {
	float hist[HIST_BINS];
	float tail[HIST_BINS + 1];	/* tail[i] = sum of hist[i..]; after pop_finish */
	double sw;			/* total weight */
	float median;			/* log2; after pop_finish, when sw > 0 */
};

/* Suppression: one (direction, process, destination IP) that alerted. */
struct repeat_slot {
	uint64_t key;
	int64_t since_ns;	/* the alert that opened the window */
	uint32_t repeats;	/* triggers folded since */
};
#define REPEAT_SLOTS 4096

struct detect {
	struct detect_config cfg;
	float decay_per_bucket;		/* 2^(-span / half-life) */
	int64_t first_ns;		/* first flow ever: learning starts */
	int32_t cur_bucket;		/* the open bucket; INT32_MIN before any flow */
	uint32_t nsets;			/* power of two */
	struct member *members;		/* nsets * SET_WAYS */
	uint64_t *keys;			/* members[i].key, packed: one set per cache line */
	uint32_t n_members;
	uint64_t pinned[VIEW_COUNT];	/* keys of the flow being observed: never evicted */
	struct pop pops[VIEW_COUNT][2][CLASS_COUNT][SUM_COUNT];
	struct repeat_slot repeats[REPEAT_SLOTS];
	int64_t rate_window;		/* index of the current rate window */
	uint32_t rate_count;
	struct detect_stats st;
};

/* ---- members.c ---- */
uint64_t member_hash(uint8_t view, uint8_t dir, const void *val, size_t len);
/* The member for key, or NULL. */
struct member *member_find(struct detect *d, uint64_t key);
/* The member for key, created (evicting if its set is full) when absent. */
struct member *member_get(struct detect *d, uint64_t key, uint8_t view, uint8_t dir,
			  int64_t t_ns);
/* Closes m's buckets before bucket b (history, populations), clears the
 * ring slots that left the horizon. */
void member_advance(struct detect *d, struct member *m, int32_t b);
/* Bytes over the horizon, open bucket included. */
uint64_t member_horizon(const struct member *m);
/* Decayed count of active buckets, decayed to bucket b. */
float member_weight(const struct detect *d, const struct member *m, int32_t b);
/* The class m is judged in (its open bucket's). */
enum pop_class member_class(const struct detect *d, const struct member *m);
/* Has history from before the horizon: its own statistics are not just
 * the activity being judged (a new member's trickle must not excuse itself). */
bool member_has_past(const struct detect *d, const struct member *m);
/* Start of bucket b in ns. */
int64_t bucket_start_ns(const struct detect *d, int32_t b);

/* ---- score.c ---- */
/* One member's judgement: how strange its open bucket or horizon is. */
struct judgement {
	double p;		/* tail probability (after the two-test correction) */
	double evidence;	/* -log10(p) x the view's weight, 0..EVIDENCE_MAX */
	double typical_l;	/* log2 of the typical sum it was compared with */
	uint64_t actual;
	bool horizon, rare;
};
#define EVIDENCE_MAX 10.0
void judge_member(const struct detect *d, const struct member *m, struct judgement *j);
/* Cached evidence of m, judged again when its sums grew by a tenth. */
double member_evidence(const struct detect *d, struct member *m);
/* Evidence of the views combined: the strongest plus a share of the rest.
 * Caps the context views' entries of e in place (see score.c). */
double combine_evidence(double e[VIEW_COUNT], const bool has[VIEW_COUNT], int *top);
int score_of(double evidence);
/* A view's part of the combined evidence (top: the strongest view). */
double view_share(int view, int top, double e);

/* ---- allow.c ---- */
/* The first allowlist entry f matches, or NULL. */
const struct detect_allow *allow_match(const struct detect_config *c,
				       const struct enriched_flow *f);

/* ---- limit.c ---- */
enum gate { GATE_EMIT, GATE_REPEAT, GATE_CAPPED };
/*
 * Repeat suppression and the rate cap for an alert on key at t. GATE_EMIT:
 * *repeat_count = 1 + the triggers folded since the previous alert.
 */
enum gate limit_gate(struct detect *d, uint64_t key, int64_t t, uint32_t *repeat_count);
/* True once per suppression window for (allowlist entry, key): log then. */
bool limit_allow_log_due(struct detect *d, uint64_t key, int64_t t);

/* ---- explain.c ---- */
struct flow_keys;
/* The finding for f, whose members are ms[] (NULL where a view does not apply). */
void explain_finding(struct detect *d, const struct enriched_flow *f, const struct flow_keys *k,
		     struct member *const ms[VIEW_COUNT], struct finding *fd);

/* ---- pop.c ---- */
void pop_add(struct pop *p, double l, float w);
void pop_decay(struct pop *p, float f);
void pop_finish(struct pop *p);
/* The built-in prior of a class: log2 mean, sd, weight in observations. */
void pop_prior(enum pop_class cls, double *m0, double *s0, double *w0);
/* Median and upper spread (84th percentile - median) of p, in log2; left
 * as they are when p holds less than one observation. */
void pop_spread(const struct pop *p, double *median, double *upper);
/* Tail probability of a sum of 2^l bytes under p, and its typical value. */
double pop_tail(const struct pop *p, double l, double m0, double s0, double w0,
		double *typical_l);
/* Tail of l under a member's own history (mean, var, peak over weight w). */
double own_tail(double l, float mean, float var, float peak, float w, double *typical_l);
double log2_bytes(uint64_t bytes);

#endif
