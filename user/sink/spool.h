/*
 * The at-least-once alert spool: DIR/alerts.spool holds alerts in order
 * (spool_rec.h), each appended and fsynced before it is sent; each alert
 * sink keeps its own position (DIR/pos-<id>: the last sequence number it
 * accepted), so one down receiver does not hold back another. When every
 * sink has everything, the file is emptied; past its size bound the
 * oldest alerts are dropped, counted and warned about. DIR/alerts.lock
 * keeps a second process off the same spool.
 */
#ifndef EXFILD_SPOOL_H
#define EXFILD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

struct spool *spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen);
void spool_close(struct spool *sp);
/* 1 if DIR/alerts.spool exists and is not empty. */
int spool_has_data(const char *dir);

/*
 * Append and fsync. min_acked: the lowest position of the alert sinks
 * (what may be dropped first when full). 0 and *seq, or -1 with errno.
 */
int spool_append(struct spool *sp, const void *data, uint32_t len, uint64_t min_acked,
		 uint64_t *seq);
/* The first alert after seq `after`: 1 with a malloc'd copy, 0 none, -1 error. */
int spool_next(struct spool *sp, uint64_t after, uint64_t *seq, char **data, size_t *len);
/* Alerts with a sequence number above seq. */
size_t spool_count_after(const struct spool *sp, uint64_t seq);
/* The sequence number before the first spooled alert (a new sink's start). */
uint64_t spool_start(const struct spool *sp);
/* Every sink has everything up to min_acked: drop what all have. */
void spool_trim(struct spool *sp, uint64_t min_acked);

/* A sink's position (id: its spec); a sink never seen starts at spool_start(). */
uint64_t spool_pos_load(struct spool *sp, const char *id);
int spool_pos_store(struct spool *sp, const char *id, uint64_t seq);

uint64_t spool_dropped(const struct spool *sp);	/* oldest dropped when full */
uint64_t spool_damaged(const struct spool *sp);	/* torn/corrupt records skipped */

#endif
