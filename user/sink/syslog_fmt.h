/*
 * RFC 5424 syslog messages carrying one ECS JSON record as MSG. Pure.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME exfild PROCID MSGID - JSON
 *
 * PRI = facility 4 (security/authorization) * 8 + severity; MSGID is
 * alert, flow or loss. For stream transports (TCP, TLS) the message is
 * framed by octet counting (RFC 6587 3.4.1): "LEN SP MESSAGE".
 */
#ifndef EXFILD_SYSLOG_FMT_H
#define EXFILD_SYSLOG_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "sink.h"

#define SYSLOG_FACILITY 4

/*
 * Severity (RFC 5424 numbers) of a record: alerts by their ECS
 * event.severity (the SIEM's 21/47/73/99 bands), loss records warning,
 * flow records informational. See the README's table.
 */
int syslog_severity(enum rec_kind kind, const json_t *rec);

/* A HOSTNAME field: printable US-ASCII without spaces, at most 255, "-" if empty. */
void syslog_hostname(const char *in, char *out, size_t outlen);

/*
 * The message for one record whose compact JSON is line (len bytes).
 * now_ns: wall clock for TIMESTAMP. Returns a malloc'd buffer and its
 * length in *outlen, or NULL on OOM.
 */
char *syslog_format(enum rec_kind kind, int severity, const char *line, size_t len,
		    const char *hostname, long pid, int64_t now_ns, bool octet_count,
		    size_t *outlen);

#endif
