/*
 * Sinks: where records leave the agent. A sink set holds every sink
 * (--output, --flow-output), routes each record by its kind, and writes
 * only when a sink can take it, from the loop: nothing here blocks.
 *
 * - Each sink has a bounded in-memory queue. Flow records that do not fit
 *   are dropped and counted (sinkset_dropped); loss records get a reserve.
 * - Alerts are at-least-once: appended to the spool under the state
 *   directory and fsynced first, then fed to each alert sink from its own
 *   spool position, which advances only once the sink accepted the alert
 *   (spool.h, README "Delivery").
 * - A record is written whole or not at all (files: a short write is cut
 *   back; streams: the rest of a message goes before any other).
 */
#ifndef EXFILD_SINK_H
#define EXFILD_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "loop.h"

enum rec_kind { REC_ALERT = 0, REC_FLOW = 1, REC_LOSS = 2 };
#define REC_BIT(k) (1u << (k))
/* What --output takes; --flow-output takes REC_BIT(REC_FLOW). */
#define SINK_OUTPUT_KINDS (REC_BIT(REC_ALERT) | REC_BIT(REC_LOSS))

#define SINK_DEFAULT_STATE_DIR "/var/lib/exfild"
#define SINK_DEFAULT_SPOOL_MAX (64ull << 20)
#define SINK_DEFAULT_QUEUE_MAX (8u << 20)
#define SINK_DEFAULT_ROTATE_KEEP 5

struct sink_config {
	const char *state_dir;		/* the alert spool lives here */
	uint64_t spool_max;		/* bytes of spool; oldest alerts dropped past it */
	uint64_t rotate_size;		/* file sinks: rotate past this size; 0 = never */
	unsigned rotate_keep;		/* rotated files kept: PATH.1 .. PATH.N */
	const char *tls_ca;		/* CA file for syslog+tls; NULL/"": system store */
	const char *tls_cert, *tls_key;	/* client certificate and key; NULL/"": none */
	const char *host_name;		/* syslog HOSTNAME */
	size_t queue_max;		/* bytes each sink may hold in memory */
	/*
	 * Batch commands (replay): alerts go straight to the sinks' queues,
	 * never into the agent's spool, which would hand them to the agent's
	 * own sinks at its next start.
	 */
	bool no_spool;
};

struct sinkset;

/* 0 if spec names a sink this build knows; else err says why. */
int sink_check_spec(const char *spec, char *err, size_t errlen);

struct sinkset *sinkset_new(struct loop *l, const struct sink_config *c);
/* kinds: REC_BIT()s this sink takes. Opens files now; network sinks connect from the loop. */
int sinkset_add(struct sinkset *ss, const char *spec, unsigned kinds, char *err, size_t errlen);
/*
 * After the adds: opens the spool when an alert sink exists and alerts of
 * an earlier run wait there, and starts delivering them.
 */
int sinkset_start(struct sinkset *ss, char *err, size_t errlen);
/* Open the spool now (not at the first alert): -1 with err when it cannot be. */
int sinkset_open_spool(struct sinkset *ss, char *err, size_t errlen);
/*
 * Hand over one record. Alerts are spooled (and fsynced) before this
 * returns. 0: accepted; -1: dropped and counted (queue full, no memory,
 * or for an alert, no spool and no room).
 */
int sinkset_emit(struct sinkset *ss, enum rec_kind kind, const json_t *rec);
/*
 * The same for a flow or loss record already written as its line (len
 * bytes, no newline; NULL: the record could not be made, counted as
 * dropped). Their severity does not depend on what they say; an alert
 * (spooled, severity from its fields) must come through sinkset_emit.
 */
int sinkset_emit_line(struct sinkset *ss, enum rec_kind kind, const char *line, size_t len);
/* Write what can be written now (end of a drain). */
void sinkset_kick(struct sinkset *ss);
/* SIGHUP: reopen files (after rotation by someone else). */
void sinkset_reopen(struct sinkset *ss);
/* Flow and loss records dropped so far, over every sink. */
uint64_t sinkset_dropped(const struct sinkset *ss);

struct sinkset_pending {
	uint64_t records;	/* queued flow/loss records not written yet */
	uint64_t alerts;	/* alerts not yet accepted by some alert sink */
	uint64_t alerts_lost;	/* alerts dropped: spool full or unspoolable */
};
void sinkset_pending(const struct sinkset *ss, struct sinkset_pending *p);
bool sinkset_idle(const struct sinkset *ss);
/* One line naming the sinks that still hold something and why. */
void sinkset_describe(const struct sinkset *ss, char *buf, size_t len);
/* Whether alerts have an on-disk spool (false: in memory only). */
bool sinkset_spooled(const struct sinkset *ss);
void sinkset_free(struct sinkset *ss);

#endif
