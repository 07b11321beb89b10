/* Pure /proc text parsers; see procfs_parse.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfs_parse.h"

static void copy_bytes(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The text as a C string (the parsers below use sscanf), cut at max-1. */
static size_t as_string(char *dst, size_t max, const char *buf, size_t len)
{
	if (len >= max)
		len = max - 1;
	memcpy(dst, buf, len);
	dst[len] = '\0';
	return len;
}

int procfs_parse_stat(const char *buf, size_t len, char *name, size_t namesz, uint32_t *ppid,
		      uint64_t *ticks)
{
	char text[PROCFS_STAT_MAX];
	unsigned long long start;
	unsigned int pp;
	char *l, *r;

	as_string(text, sizeof(text), buf, len);
	/* comm may hold spaces and parentheses: it ends at the last ')'. A NUL
	 * in it (no kernel writes one) ends the text here. */
	l = strchr(text, '(');
	r = strrchr(text, ')');
	if (!l || !r || r < l)
		return -1;
	if (sscanf(r + 1, " %*c %u %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
		   "%*s %*s %*s %*s %llu", &pp, &start) != 2)
		return -1;
	copy_bytes(name, namesz, l + 1, (size_t)(r - l - 1));
	*ppid = pp;
	*ticks = start;
	return 0;
}

void procfs_parse_ids(const char *buf, size_t len, uint32_t *uid, uint32_t *gid)
{
	char text[PROCFS_STATUS_MAX];
	char *u, *g;

	as_string(text, sizeof(text), buf, len);
	u = strstr(text, "\nUid:");
	g = strstr(text, "\nGid:");
	if (u)
		sscanf(u, "\nUid: %" SCNu32, uid);
	if (g)
		sscanf(g, "\nGid: %" SCNu32, gid);
}

void procfs_parse_args(const char *buf, size_t len, struct proc_info *pi)
{
	size_t n = len, used = 0;
	uint32_t argc = 0;
	bool cut = false;
	char *args;

	if (!len)
		return;
	if (n > PROC_ARGS_BYTES) {
		n = PROC_ARGS_BYTES;
		cut = true;
	}
	/* Each string ends with a NUL; the last one may not (a process can
	 * rewrite its argv area): it ends at n then. */
	while (used < n && argc < PROC_ARGS_MAX) {
		size_t a = strnlen(buf + used, n - used);

		used += a < n - used ? a + 1 : a;
		argc++;
	}
	if (used < n)
		cut = true;
	args = malloc(used + 1);
	if (!args)
		return;
	memcpy(args, buf, used);
	/* The last string's NUL, when the text had none for it: added, or
	 * in place of the last byte at the bound (args_len <= PROC_ARGS_BYTES). */
	if (args[used - 1] != '\0') {
		if (used < PROC_ARGS_BYTES)
			args[used++] = '\0';
		else
			args[used - 1] = '\0';
	}
	pi->args = args;
	pi->args_len = used;
	pi->argc = argc;
	pi->args_truncated = cut;
}
