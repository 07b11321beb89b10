#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>

#include "exfild.h"
#include "listeners.h"
#include "log.h"

static const char HEX[] = "0123456789abcdefABCDEF";

static long hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;	/* a-f, A-F (strspn checked it) */
}

/* "ADDR:PORT" at *p, hex: the port, and *p moved past it; -1 if malformed. */
static long hex_endpoint(const char **p)
{
	const char *s = *p + strspn(*p, " ");
	size_t alen = strspn(s, HEX), plen;
	long port = 0;

	if (!alen || s[alen] != ':')
		return -1;
	s += alen + 1;
	plen = strspn(s, HEX);
	if (!plen || plen > 4)
		return -1;
	for (size_t i = 0; i < plen; i++)
		port = port * 16 + hex_digit(s[i]);
	*p = s + plen;
	return port;
}

/* A whole hex field of at most max: the value, or -1. */
static long hex_field(const char *s, size_t len, unsigned long max)
{
	char buf[16], *end;
	unsigned long v;

	if (len == 0 || len >= sizeof(buf) || strspn(s, "0123456789abcdefABCDEF") < len)
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	v = strtoul(buf, &end, 16);
	return errno || *end || v > max ? -1 : (long)v;
}

/* "  1: 00000000:0016 00000000:0000 0A 00000000:00000000 ..." */
int listen_port_of_line(const char *line)
{
	const char *tok[4];
	size_t len[4];
	const char *p = line, *colon;
	long port, state;

	for (int i = 0; i < 4; i++) {
		p += strspn(p, " \t");
		tok[i] = p;
		len[i] = strcspn(p, " \t\n");
		if (!len[i])
			return -1;
		p += len[i];
	}
	/* tok[1] is the local ADDR:PORT, tok[3] the state. */
	colon = memchr(tok[1], ':', len[1]);
	if (!colon || tok[0][len[0] - 1] != ':')
		return -1;
	port = hex_field(colon + 1, len[1] - (size_t)(colon + 1 - tok[1]), 0xffff);
	state = hex_field(tok[3], len[3], 0xff);
	return state == TCP_LISTEN_STATE && port > 0 ? (int)port : -1;
}

int listeners_seed(int map_fd)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	__s64 *count = calloc(65536, sizeof(*count));
	struct stat ns;
	char line[512];
	int ports = 0;

	if (!count)
		return -1;
	if (stat("/proc/self/ns/net", &ns)) {
		free(count);
		return -1;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "r");

		while (f && fgets(line, sizeof(line), f)) {
			int p = listen_port_of_line(line);

			if (p > 0)
				count[p]++;
		}
		if (f)
			fclose(f);
	}
	for (int p = 1; p < 65536; p++) {
		struct listen_key k = { .netns = (__u32)ns.st_ino, .port = (__u16)p };

		if (!count[p])
			continue;
		/* NOEXIST: a listener the kernel already saw keeps its count. */
		if (!bpf_map_update_elem(map_fd, &k, &count[p], BPF_NOEXIST))
			ports++;
		else if (errno != EEXIST)
			log_warn("listening port %d not recorded (%s): its accepted "
				 "connections count as egress", p, strerror(errno));
	}
	free(count);
	return ports;
}
