/*
 * Detection: how unusual is what this host sends, per destination IP,
 * country, region and port (the reference's four population views), plus
 * per process and per user (each x destination country). Egress (flows
 * this host opened) and ingress (service responses to peers that opened
 * the connection) are separate populations. Pure: reads no clock (time is
 * each flow's obs.end_ns, or the time given to detect_tick), touches no
 * file except in detect_save/detect_load, so replay and live share every
 * line and the same input gives the same findings.
 *
 * The model (details in detect_model.h and the README):
 *  - each member (an IP, a country, ...) has an open bucket (default 1 h)
 *    and a horizon of the last 24 buckets; both sums are judged as bytes
 *    arrive, so an alert goes out in the drain that made them anomalous;
 *  - a member seen on few buckets before the horizon is "rare" and judged
 *    against what rare members of its view typically receive; a familiar
 *    one against its own history and the familiar members;
 *  - sums below min_bytes never score; everything decays (half-life 7 d);
 *  - at most max_members members are tracked (set-associative table; the
 *    least valuable member of a full set is evicted).
 */
#ifndef EXFILD_DETECT_H
#define EXFILD_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "finding.h"
#include "detect_config.h"

struct detect;

/* Called for every finding that should become an alert. fd (and fd->flow)
 * are valid only during the call. */
typedef void (*detect_emit_fn)(void *arg, const struct finding *fd);

/*
 * A detector with cfg's settings (copied). NULL when cfg fails
 * detect_config_check() or memory is short.
 */
struct detect *detect_new(const struct detect_config *cfg);
void detect_free(struct detect *d);

/*
 * Feed one enriched flow (time = f->obs.end_ns; flows may come slightly
 * out of order: an older time counts in the open bucket). Reserved
 * destinations are skipped unless cfg->include_reserved. May call emit
 * (synchronously) with a finding whose score passed the threshold, after
 * learning, allowlists, repeat suppression and the rate cap.
 */
void detect_observe(struct detect *d, const struct enriched_flow *f, detect_emit_fn emit,
		    void *arg);

/*
 * Advance time to now_ns: closes buckets that ended (so a quiet host's
 * baseline still moves on) and decays. Call once per drain. Findings are
 * only ever emitted by detect_observe (bytes make alerts, time does not);
 * emit is kept for interface stability and may be NULL.
 */
void detect_tick(struct detect *d, int64_t now_ns, detect_emit_fn emit, void *arg);

/*
 * How far learning is at now_ns: 0.0 (nothing seen yet) to 1.0 (alerts
 * possible). For the status line while learning.
 */
double detect_learning_progress(const struct detect *d, int64_t now_ns);

/* Counters for status lines and tests. */
struct detect_stats {
	uint64_t flows;		/* observed (after the reserved filter) */
	uint64_t skipped_reserved;
	uint32_t members;	/* tracked now */
	uint32_t max_members;	/* the bound */
	uint64_t evictions;
	uint64_t alerts;	/* findings emitted */
	uint64_t repeats;	/* folded into an earlier alert (suppression window) */
	uint64_t rate_capped;	/* held back by the rate cap */
	uint64_t allowlisted;	/* suppressed by an allowlist entry */
	size_t memory_bytes;	/* everything detect_new allocated (fixed) */
	size_t member_bytes;	/* what one tracked member costs */
};
void detect_get_stats(const struct detect *d, struct detect_stats *st);

/*
 * Baseline state file: format version, CRC-32, bounded size, atomic
 * replace (temp file in the same directory, fsync, rename, fsync dir).
 * 0, or -1 with err saying what failed.
 */
int detect_save(const struct detect *d, const char *path, char *err, size_t errlen);

/*
 * Replace d's baseline with the one in path. -1 with err on a missing,
 * truncated, corrupt or incompatible file (the caller moves it aside and
 * starts learning again); d is then left as it was. Settings (threshold,
 * allowlists, ...) stay d's own; the bucket span must match the file's.
 */
int detect_load(struct detect *d, const char *path, char *err, size_t errlen);

/*
 * The state as bytes (what detect_save writes); *buf is malloc'ed, the
 * caller frees. 0 or -1 (no memory).
 */
int detect_state_encode(const struct detect *d, uint8_t **buf, size_t *len);

/*
 * Pure parser of those bytes into d (no file access: fuzzable). 0, or -1
 * with err; on -1 d is unchanged.
 */
int detect_state_parse(struct detect *d, const uint8_t *buf, size_t len, char *err,
		       size_t errlen);

#endif
