/*
 * How the agent is doing, as values: cmd/run.c fills it from every stage,
 * record/ turns it into the status JSON, ctl/ serves it, cmd/status.c
 * prints it.
 */
#ifndef EXFILD_STATUS_H
#define EXFILD_STATUS_H

#include <stdint.h>

#define STATUS_MAX_GEO 8

struct geo_db_status {
	const char *path;
	const char *type;	/* the database's own type name */
	int64_t build_unix;	/* build date (seconds), 0 unknown */
};

struct agent_status {
	const char *version;
	uint32_t pid;
	int64_t started_unix_ns;
	int64_t now_unix_ns;
	const char *tier;
	const char *pin_dir;		/* NULL: not pinned */
	uint32_t interval_s;
	/* the accounting maps */
	uint32_t max_flows;
	uint64_t last_drain_flows;	/* entries the last drain emptied */
	int64_t last_drain_ns;		/* how long the last drain took */
	int64_t last_drain_unix_ns;	/* when it ran, 0: not yet */
	uint64_t drains;
	/* what could not be counted, since start */
	uint64_t lost_bytes, lost_entries, lost_events, lost_records;
	/* records written */
	uint64_t flow_records;
	uint64_t alerts;
	/* enrichment */
	uint64_t proc_entries, proc_exited;
	uint64_t hash_pending, hashed_files;
	uint64_t geo_lookups, geo_cache_hits;
	uint32_t n_geo;
	struct geo_db_status geo[STATUS_MAX_GEO];
};

#endif
