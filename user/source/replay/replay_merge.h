/*
 * Replay inputs in event-time order. Each file's records come out sorted by
 * end time (Zeek writes a connection when it ends, not in ts order, and its
 * bytes count at ts + duration), and the files are merged, so hosts
 * recorded side by side and files named in any order replay as one
 * timeline.
 *
 * Bounded memory: each file keeps a reorder window, a heap of records
 * released once they are older than the newest end time seen minus the
 * window (default 1 hour of event time: more than Zeek's inactivity
 * timeouts, which bound how late it writes a connection), or when the
 * heap reaches its share of the record cap (window_records split over the
 * files, at least 1024 each). A record that arrives later than that is
 * not dropped: it is counted as late and replayed at the current time.
 * Ties keep file order, so the output is deterministic.
 */
#ifndef EXFILD_REPLAY_MERGE_H
#define EXFILD_REPLAY_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "replay_file.h"
#include "replay_rec.h"

#define REPLAY_WINDOW_NS (3600LL * 1000000000LL)
#define REPLAY_WINDOW_RECORDS (256u << 10)

struct replay_merge;

/* Takes the files (closes them in replay_merge_free). */
struct replay_merge *replay_merge_new(struct replay_file **files, size_t n, int64_t window_ns,
				      size_t window_records);
/* 1 with *out, 0 when every file is done; a file that fails is reported
 * (log) and ends early; replay_merge_failed() says whether one did. */
int replay_merge_next(struct replay_merge *m, struct replay_rec *out);
int replay_merge_failed(const struct replay_merge *m);
/* Records that came later than the window allowed (replayed at the current time). */
uint64_t replay_merge_late(const struct replay_merge *m);
void replay_merge_free(struct replay_merge *m);

#endif
