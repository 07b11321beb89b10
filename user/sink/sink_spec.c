#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink_spec.h"

#define SINK_KINDS "stdout, file:/path, syslog+tcp://host:port, syslog+tls://host:port, " \
		   "syslog+udp://host:port or syslog+unix:/path"

static int bad(char *err, size_t errlen, const char *spec, const char *why)
{
	snprintf(err, errlen, "output %s: %s", spec, why);
	return -1;
}

static int parse_path(const char *spec, const char *p, struct sink_spec *out, char *err,
		      size_t errlen)
{
	if (p[0] != '/')
		return bad(err, errlen, spec, "takes an absolute path");
	if (strlen(p) >= sizeof(out->path))
		return bad(err, errlen, spec, "path too long");
	snprintf(out->path, sizeof(out->path), "%s", p);
	return 0;
}

/* "host:port" or "[v6]:port". */
static int parse_hostport(const char *spec, const char *p, struct sink_spec *out, char *err,
			  size_t errlen)
{
	const char *host = p, *colon;
	size_t hlen;
	char *end;
	long port;

	if (*p == '[') {
		const char *close = strchr(p, ']');

		if (!close || close[1] != ':')
			return bad(err, errlen, spec, "an IPv6 address is written [addr]:port");
		host = p + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(p, ':');
		if (!colon)
			return bad(err, errlen, spec, "needs host:port");
		hlen = (size_t)(colon - p);
		if (memchr(p, ':', hlen))
			return bad(err, errlen, spec, "an IPv6 address is written [addr]:port");
	}
	if (hlen == 0 || hlen >= sizeof(out->host) || memchr(host, '/', hlen))
		return bad(err, errlen, spec, "needs a host name or address before the port");
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || port < 1 || port > 65535)
		return bad(err, errlen, spec, "the port is a number from 1 to 65535");
	memcpy(out->host, host, hlen);
	out->host[hlen] = 0;
	snprintf(out->port, sizeof(out->port), "%ld", port);
	return 0;
}

int sink_spec_parse(const char *spec, struct sink_spec *out, char *err, size_t errlen)
{
	static const struct { const char *prefix; enum sink_type type; } nets[] = {
		{ "syslog+tcp://", SINK_TCP },
		{ "syslog+tls://", SINK_TLS },
		{ "syslog+udp://", SINK_UDP },
	};

	memset(out, 0, sizeof(*out));
	if (!strcmp(spec, "stdout")) {
		out->type = SINK_STDOUT;
		return 0;
	}
	if (!strncmp(spec, "file:", 5)) {
		out->type = SINK_FILE;
		return parse_path(spec, spec + 5, out, err, errlen);
	}
	if (!strncmp(spec, "syslog+unix:", 12)) {
		out->type = SINK_UNIX;
		/* sockaddr_un holds 108 bytes, NUL included */
		if (strlen(spec + 12) >= 108)
			return bad(err, errlen, spec, "a unix socket path is at most 107 bytes");
		return parse_path(spec, spec + 12, out, err, errlen);
	}
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		size_t n = strlen(nets[i].prefix);

		if (!strncmp(spec, nets[i].prefix, n)) {
			out->type = nets[i].type;
			return parse_hostport(spec, spec + n, out, err, errlen);
		}
	}
	return bad(err, errlen, spec, "unknown sink (use " SINK_KINDS ")");
}
