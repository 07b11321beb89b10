#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>

#include "exfild.h"
#include "listeners.h"
#include "log.h"

#define TCP_LISTEN_STATE 0x0A	/* include/net/tcp_states.h */

/* "  1: 00000000:0016 00000000:0000 0A 00000000:00000000 ..." */
int listen_port_of_line(const char *line)
{
	unsigned port, state;

	/* The kernel writes these fields as fixed-width hex (4 and 2 digits). */
	if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &port, &state) != 2) /* NOLINT(cert-err34-c) */
		return -1;
	return state == TCP_LISTEN_STATE && port > 0 && port <= 0xffff ? (int)port : -1;
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
