/*
 * ECS records, the only place field names live: a flow record per
 * enriched flow, a loss record when something could not be counted.
 * Alerts are in alert.h; process and geo fields in record_parts.h.
 */
#ifndef EXFILD_RECORD_H
#define EXFILD_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "flow.h"

struct record_ctx {
	const char *host_name;	/* when the flow names none */
	int64_t now_ns;		/* wall clock of the drain: @timestamp */
};

/* An address as text, v4 or v6; buf at least 46 bytes. */
void record_ip(const struct ipaddr *a, char *buf, size_t len);
json_t *record_flow(const struct enriched_flow *f, const struct record_ctx *ctx);
/*
 * The flow record as its line (no newline), byte for byte json_line() of
 * record_flow(), written without a jansson tree: what the drain emits.
 * The text is valid until the next call; NULL on OOM.
 */
const char *record_flow_line(const struct enriched_flow *f, const struct record_ctx *ctx,
			     size_t *len);
/* sink_dropped: records the output queue dropped this interval. */
json_t *record_loss(const struct loss_counts *delta, uint64_t sink_dropped,
		    const struct record_ctx *ctx);

#endif
