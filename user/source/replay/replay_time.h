/* Time stamps in replayed records, to unix nanoseconds. Exact integer
 * arithmetic (no floating point) so that a replay is byte-identical on
 * every machine. */
#ifndef EXFILD_REPLAY_TIME_H
#define EXFILD_REPLAY_TIME_H

#include <stddef.h>
#include <stdint.h>

/* RFC 3339 "2026-11-28T01:33:07.597Z" (fraction optional, up to 9 digits;
 * "Z" or "+hh:mm"/"-hh:mm"). 0 or -1. */
int rfc3339_parse(const char *s, size_t len, int64_t *ns);

/* Decimal seconds "1546300800.123456" (Zeek time and interval), >= 0. */
int decimal_seconds_parse(const char *s, size_t len, int64_t *ns);

/* A JSON number of seconds (Zeek JSON ts/duration), rounded to the ns. */
int real_seconds_to_ns(double sec, int64_t *ns);

#endif
