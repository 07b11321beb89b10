/*
 * libFuzzer: the /proc text parsers (enrich/procfs_parse.c, and the
 * /proc/net/tcp line parser of source/kernel/listeners.c). The first byte
 * picks the file (stat, status, cmdline, net/tcp), the rest is its text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listeners.h"
#include "procfs_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	struct proc_info pi;
	char name[PROC_NAME_LEN];
	uint32_t a = 0, b = 0;
	uint64_t t;

	if (size < 1)
		return 0;
	size--;
	switch (data[0] % 4) {
	case 0:
		if (!procfs_parse_stat(text, size, name, sizeof(name), &a, &t) &&
		    strlen(name) >= sizeof(name))
			abort();
		break;
	case 1:
		procfs_parse_ids(text, size, &a, &b);
		break;
	case 3: {
		char *line = malloc(size + 1);
		int port;

		if (!line)
			return 0;
		memcpy(line, text, size);
		line[size] = '\0';
		port = listen_port_of_line(line);
		if (port < -1 || port > 0xffff)
			abort();
		free(line);
		break;
	}
	default:
		memset(&pi, 0, sizeof(pi));
		procfs_parse_args(text, size, &pi);
		/* The promise: bounded, and every string terminated. */
		if (pi.args && (pi.args_len > PROC_ARGS_BYTES + 1 || pi.argc > PROC_ARGS_MAX ||
				pi.args[pi.args_len - 1] != '\0'))
			abort();
		free(pi.args);
	}
	return 0;
}
