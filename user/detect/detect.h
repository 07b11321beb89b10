/*
 * Detection: how unusual is what this host sends, per destination IP,
 * country, region and port (the reference's four population views), plus
 * per process and per user. Pure: reads no clock (time is each flow's
 * obs.end_ns, or the time given to detect_tick), no files except through
 * detect_save/detect_load, so replay and live share every line.
 *
 * (Interface outline agreed between stages; the detection module owns and
 * may extend it. struct finding lives in core/finding.h.)
 */
#ifndef EXFILD_DETECT_H
#define EXFILD_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "finding.h"

struct detect;
struct detect_config;	/* detect/config.h: thresholds, spans, allowlists */

/* Called for every finding that should become an alert. */
typedef void (*detect_emit_fn)(void *arg, const struct finding *fd);

struct detect *detect_new(const struct detect_config *cfg);
void detect_free(struct detect *d);

/* Feed one enriched flow (time = f->obs.end_ns); may emit findings. */
void detect_observe(struct detect *d, const struct enriched_flow *f, detect_emit_fn emit,
		    void *arg);
/* Advance time to now_ns (bucket close, decay); may emit findings. */
void detect_tick(struct detect *d, int64_t now_ns, detect_emit_fn emit, void *arg);

/* Baseline state file: versioned, checksummed, atomic replace. */
int detect_save(const struct detect *d, const char *path, char *err, size_t errlen);
/* -1 with err on a missing/corrupt/incompatible file; d is left fresh. */
int detect_load(struct detect *d, const char *path, char *err, size_t errlen);

#endif
