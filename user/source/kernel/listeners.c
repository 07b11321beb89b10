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

/* "  1: 00000000:0016 00000000:0000 0A 00000000:00000000 ..." */
int listen_port_of_line(const char *line)
{
	const char *p = strchr(line, ':');
	long port;

	if (!p)
		return -1;
	p++;
	port = hex_endpoint(&p);
	if (port <= 0 || hex_endpoint(&p) < 0)
		return -1;
	p += strspn(p, " ");
	/* the state, two hex digits: 0A is LISTEN */
	return !strncmp(p, "0A", 2) && (p[2] == ' ' || p[2] == '\n' || p[2] == 0) ? (int)port : -1;
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
