/*
 * What detection can be told: thresholds, time spans, limits and the
 * allowlists. detect_config_defaults() gives the documented defaults;
 * conf/detect_conf.c fills it from the config file's `detect` group and
 * the command line overrides single fields.
 */
#ifndef EXFILD_DETECT_CONFIG_H
#define EXFILD_DETECT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "ipnet.h"

#define DETECT_SEC 1000000000LL
#define DETECT_MAX_ALLOW 64
#define DETECT_ALLOW_VALUE_LEN 256
#define DETECT_ALLOW_REASON_LEN 160

/* What an allowlist entry matches. */
enum detect_allow_kind {
	ALLOW_NET,		/* destination IP or CIDR */
	ALLOW_COUNTRY,		/* destination country ISO code */
	ALLOW_ASN,		/* destination AS number */
	ALLOW_PROCESS,		/* process executable path ("/...") or name */
	ALLOW_USER,		/* user name, or uid written as digits */
};

struct detect_allow {
	enum detect_allow_kind kind;
	struct ipnet net;			/* ALLOW_NET */
	uint32_t asn;				/* ALLOW_ASN */
	char value[DETECT_ALLOW_VALUE_LEN];	/* as written (country upper-cased) */
	char reason[DETECT_ALLOW_REASON_LEN];	/* logged when it suppresses */
};

struct detect_config {
	int alert_threshold;	/* score 0-100 that alerts; default 75 */
	int64_t learning_ns;	/* no alerts before this much history; 24 h */
	int64_t bucket_ns;	/* bucket span; default 1 h (see detect.c) */
	int64_t suppress_ns;	/* repeats of (process, destination): 1 h */
	uint32_t rate_cap;	/* alerts per rate window; 100 */
	int64_t rate_window_ns;	/* 15 min */
	int64_t half_life_ns;	/* baseline decay half-life; 7 days */
	uint64_t min_bytes;	/* sums below this never score; 1 MiB */
	uint32_t max_members;	/* tracked members (all views); 65536 */
	bool include_reserved;	/* also score reserved destinations */
	unsigned n_allow;
	struct detect_allow allow[DETECT_MAX_ALLOW];
};

/* The documented defaults. */
void detect_config_defaults(struct detect_config *c);

/*
 * Check the ranges detect_new relies on; NULL if fine, else what is wrong
 * (a static string naming the field).
 */
const char *detect_config_check(const struct detect_config *c);

#endif
