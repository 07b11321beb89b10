/*
 * Sinks: where records go, one JSON object per line. "stdout" or
 * "file:PATH" (appended). A record is never written half: lines are
 * buffered per drain and written whole; if the write fails (disk full,
 * pipe gone) they stay queued, up to a bound, and go out on the next flush.
 */
#ifndef EXFILD_SINK_H
#define EXFILD_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct sink;

/* 0 if spec names a sink this build knows; else err says why. */
int sink_check_spec(const char *spec, char *err, size_t errlen);
struct sink *sink_open(const char *spec, char *err, size_t errlen);
int sink_write(struct sink *s, const json_t *rec);
/* Write what is queued. 0 when all of it is out. */
int sink_flush(struct sink *s);
/* Reopen a file sink (after log rotation). */
int sink_reopen(struct sink *s);
/* Records dropped because the queue bound was reached. */
uint64_t sink_dropped(const struct sink *s);
void sink_close(struct sink *s);

#endif
