#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syslog_fmt.h"

static const char *const msgids[] = { [REC_ALERT] = "alert", [REC_FLOW] = "flow",
				      [REC_LOSS] = "loss" };

int syslog_severity(enum rec_kind kind, const json_t *rec)
{
	json_t *ev, *sev;
	json_int_t v;

	if (kind == REC_FLOW)
		return 6;	/* informational */
	if (kind == REC_LOSS)
		return 4;	/* warning */
	ev = json_object_get(rec, "event");
	sev = ev ? json_object_get(ev, "severity") : NULL;
	if (!json_is_integer(sev))
		return 4;	/* an alert that says nothing: warning */
	v = json_integer_value(sev);
	if (v <= 21)
		return 5;	/* low: notice */
	if (v <= 47)
		return 4;	/* medium: warning */
	if (v <= 73)
		return 3;	/* high: error */
	return 2;		/* critical */
}

void syslog_hostname(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	for (; in && *in && n + 1 < outlen && n < 255; in++)
		out[n++] = *in > 32 && *in < 127 ? *in : '_'; /* NOLINT(bugprone-narrowing-conversions): both are chars */
	if (n == 0 && outlen > 1)
		out[n++] = '-';
	out[n] = 0;
}

char *syslog_format(enum rec_kind kind, int severity, const char *line, size_t len,
		    const char *hostname, long pid, int64_t now_ns, bool octet_count,
		    size_t *outlen)
{
	char head[400], ts[40], lenbuf[24];
	time_t secs = (time_t)(now_ns / 1000000000);
	struct tm tm;
	int hl, ll = 0;
	char *out;

	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	hl = snprintf(head, sizeof(head), "<%d>1 %s.%06ldZ %s exfild %ld %s - ",
		      SYSLOG_FACILITY * 8 + severity, ts, (long)(now_ns % 1000000000) / 1000,
		      hostname, pid, msgids[kind]);
	if (hl < 0 || (size_t)hl >= sizeof(head))
		return NULL;
	if (octet_count)
		ll = snprintf(lenbuf, sizeof(lenbuf), "%zu ", (size_t)hl + len);
	out = malloc((size_t)ll + (size_t)hl + len);
	if (!out)
		return NULL;
	memcpy(out, lenbuf, (size_t)ll);
	memcpy(out + ll, head, (size_t)hl);
	memcpy(out + ll + hl, line, len);
	*outlen = (size_t)ll + (size_t)hl + len;
	return out;
}
