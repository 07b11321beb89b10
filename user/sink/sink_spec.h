/*
 * Sink specs as the user writes them (--output, --flow-output):
 *   stdout | file:/PATH | syslog+tcp://HOST:PORT | syslog+tls://HOST:PORT
 *   | syslog+udp://HOST:PORT | syslog+unix:/PATH
 * HOST is a name, an IPv4 literal or an IPv6 literal in brackets. Pure:
 * no sockets, no files.
 */
#ifndef EXFILD_SINK_SPEC_H
#define EXFILD_SINK_SPEC_H

#include <stddef.h>

enum sink_type { SINK_STDOUT, SINK_FILE, SINK_TCP, SINK_TLS, SINK_UDP, SINK_UNIX };

struct sink_spec {
	enum sink_type type;
	char host[256];		/* tcp/tls/udp: without brackets */
	char port[8];		/* tcp/tls/udp: 1..65535 as text */
	char path[512];		/* file/unix: absolute */
};

/* 0 and *out filled, or -1 with err saying what is wrong and what is allowed. */
int sink_spec_parse(const char *spec, struct sink_spec *out, char *err, size_t errlen);

#endif
