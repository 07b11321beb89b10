/*
 * ECS records: a flow record per (process, destination, port, transport)
 * per drain, and a loss record when the kernel could not count something.
 * Enrichment (process, geo) is added by the caller through proc_to_json()
 * and geo_to_json(); this file knows only the flow and the host.
 */
#ifndef EXFILD_RECORD_H
#define EXFILD_RECORD_H

#include <stdint.h>
#include <jansson.h>

#include "drain.h"

struct record_ctx {
	const char *host_name;
	const char *tier;
	int64_t now_ns;		/* wall clock (CLOCK_REALTIME) of the drain */
	int64_t mono_to_wall;	/* add to a CLOCK_MONOTONIC time for wall time */
};

/* Destination as text, v4 or v6; buf at least 46 bytes. */
void record_ip(const struct flow_key *k, char *buf, size_t len);
json_t *record_flow(const struct flow *f, const struct record_ctx *ctx);
/* sink_dropped: records the output queue dropped this interval. */
json_t *record_loss(const struct loss *delta, uint64_t sink_dropped, const struct record_ctx *ctx);

#endif
