/* Pure /proc text parsers; see procfs_parse.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procfs_parse.h"

void procfs_copy_bytes(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The text as a C string, cut at max-1. */
static size_t as_string(char *dst, size_t max, const char *buf, size_t len)
{
	if (len >= max)
		len = max - 1;
	memcpy(dst, buf, len);
	dst[len] = '\0';
	return len;
}

/* Skip n space-separated fields of s; NULL if it has fewer. */
static const char *skip_fields(const char *s, int n)
{
	while (n-- > 0) {
		s += strspn(s, " ");
		if (!*s)
			return NULL;
		s += strcspn(s, " ");
	}
	return s;
}

/* A decimal number at s (after spaces or tabs) up to max: 0, or -1 if
 * there is none, it does not end at a space, tab or line end, or is too big. */
static int number_at(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long n;

	s += strspn(s, " \t");
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || n > max || (*end && *end != ' ' && *end != '\t' && *end != '\n'))
		return -1;
	*v = n;
	return 0;
}

int procfs_parse_stat(const char *buf, size_t len, char *name, size_t namesz, uint32_t *ppid,
		      uint64_t *ticks)
{
	char text[PROCFS_STAT_MAX];
	const char *f;
	char *l, *r;
	uint64_t pp, start;

	as_string(text, sizeof(text), buf, len);
	/* comm may hold spaces and parentheses: it ends at the last ')'. A NUL
	 * in it (no kernel writes one) ends the text here. */
	l = strchr(text, '(');
	r = strrchr(text, ')');
	if (!l || !r || r < l)
		return -1;
	/* After comm: state (field 3), ppid (4), ..., starttime (22). */
	f = skip_fields(r + 1, 1);
	if (!f || number_at(f, UINT32_MAX, &pp))
		return -1;
	f = skip_fields(f, 18);
	if (!f || number_at(f, UINT64_MAX, &start))
		return -1;
	procfs_copy_bytes(name, namesz, l + 1, (size_t)(r - l - 1));
	*ppid = (uint32_t)pp;
	*ticks = start;
	return 0;
}

/* The first number after "\nKEY" in text, into *out if it fits 32 bits. */
static void id_after(const char *text, const char *key, uint32_t *out)
{
	const char *k = strstr(text, key);
	uint64_t v;

	if (k && !number_at(k + strlen(key), UINT32_MAX, &v))
		*out = (uint32_t)v;
}

void procfs_parse_ids(const char *buf, size_t len, uint32_t *uid, uint32_t *gid)
{
	char text[PROCFS_STATUS_MAX];

	as_string(text, sizeof(text), buf, len);
	id_after(text, "\nUid:", uid);
	id_after(text, "\nGid:", gid);
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
