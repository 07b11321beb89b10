/*
 * libFuzzer: /proc/PID/cgroup text and cgroup paths (enrich/container.c),
 * with no cgroup2 mount (ids are looked up through it, not parsed).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgroup2_mount m;
	char id[65] = "", *text;
	uint64_t cg = 0;

	cgroup2_mount_init(&m);
	(void)container_id_from_path((const char *)data, size, id);
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	id[0] = '\0';
	container_from_proc_cgroup(&m, text, id, &cg);
	if (strlen(id) > 64)
		abort();
	free(text);
	return 0;
}
