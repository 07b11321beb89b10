/*
 * A finding: what detection hands the record stage when something this
 * host sent looks like exfiltration. Plain values only (no JSON, no
 * pointers into detection's tables), so the alert record can be written
 * from it alone; the flow that triggered it rides along for the context
 * (host, process, user, geo) and is valid only during the emit callback.
 */
#ifndef EXFILD_FINDING_H
#define EXFILD_FINDING_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

/* The population views a bucket sum is judged in. */
enum finding_view_kind {
	VIEW_IP = 0,		/* destination IP (the seed rule) */
	VIEW_COUNTRY,		/* destination country */
	VIEW_REGION,		/* destination country + region */
	VIEW_PORT,		/* service port + transport */
	VIEW_PROCESS,		/* process name x destination country */
	VIEW_USER,		/* user x destination country */
	VIEW_COUNT
};

#define FINDING_MEMBER_LEN 96
#define FINDING_MAX_OTHERS 8
#define FINDING_MAX_PROCS 4
#define FINDING_MAX_REASONS 6
#define FINDING_REASON_LEN 256
#define FINDING_PROC_LEN 64

/* One view's judgement of the member the flow belongs to. */
struct finding_view {
	bool judged;		/* the view applied (e.g. no region: not judged) */
	uint8_t kind;		/* enum finding_view_kind */
	char member[FINDING_MEMBER_LEN];	/* "DE", "DE/Bavaria", "tcp/443", "curl>DE" */
	bool horizon;		/* the longer-horizon sum decided, not the bucket */
	bool rare;		/* judged against the rarely-seen members */
	bool never_seen;	/* first bytes ever to this member */
	uint64_t actual;	/* bytes judged: open bucket or horizon sum */
	uint64_t typical;	/* what the comparison population / history holds */
	double probability;	/* tail probability of actual (smaller: stranger) */
	double evidence;	/* -log10(probability), weighted for the view */
	double points;		/* score points this view added */
	int64_t first_seen_ns;	/* first bytes to this member (0: now) */
	int64_t last_seen_ns;	/* bytes before this bucket (0: never) */
	double active_buckets;	/* decayed count of buckets with bytes */
};

/* Another destination in the same country/region/port member. */
struct finding_dest {
	struct ipaddr ip;
	uint64_t bytes;		/* in the open bucket */
};

struct finding {
	int score;		/* 0-100 */
	int threshold;		/* the alert threshold it passed */
	uint8_t direction;	/* enum flow_direction of the population */
	int64_t time_ns;	/* event time of the flow that made it fire */
	int64_t bucket_start_ns, bucket_span_ns, horizon_ns;
	/* The strongest view's numbers (also in views[]). */
	uint8_t top_view;	/* enum finding_view_kind */
	uint64_t actual, typical;
	double probability;
	struct finding_view views[VIEW_COUNT];
	char reasons[FINDING_MAX_REASONS][FINDING_REASON_LEN];
	unsigned n_reasons;
	/* Destination that contributed most to the strongest view's member
	 * (the flow's own destination for the IP view) and the others. */
	struct ipaddr dest;
	uint64_t dest_bytes;
	struct finding_dest others[FINDING_MAX_OTHERS];
	unsigned n_others;
	/* Investigation context the seed rule's guide asks for. */
	int64_t ip_first_seen_ns, country_first_seen_ns;	/* 0: never before */
	uint64_t ip_bytes_window, country_bytes_window;	/* over window_ns */
	int64_t window_ns;
	char other_procs[FINDING_MAX_PROCS][FINDING_PROC_LEN];	/* others -> same IP */
	unsigned n_other_procs;
	/* Repeats of this (process, destination) folded into this alert
	 * (1 = just this one), and alerts the rate cap held back so far. */
	uint32_t repeat_count;
	uint64_t rate_capped;
	/* The flow that made it fire; valid only during the emit callback. */
	const struct enriched_flow *flow;
};

#endif
