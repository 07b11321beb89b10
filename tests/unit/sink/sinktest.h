/* Shared by the sink unit tests: a temp dir, records, whole-file checks. */
#ifndef EXFILD_SINKTEST_H
#define EXFILD_SINKTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <jansson.h>

static char dir[256];

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static inline int setup_dir(void **state)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/exfild-sink-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static inline int teardown_dir(void **state)
{
	return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

#ifdef SINKTEST_LOOP
#include "loop.h"

/* The loop the sinks under test are registered with, new for each test. */
static struct loop *L;

static inline int setup(void **state)
{
	L = loop_new();
	return L ? setup_dir(state) : -1;
}

static inline int teardown(void **state)
{
	loop_free(L);
	return teardown_dir(state);
}
#endif

/* "DIR/name" in a static buffer per slot (several paths live at once). */
static inline const char *in_dir(int slot, const char *name)
{
	static char p[6][320];

	snprintf(p[slot], sizeof(p[slot]), "%s/%s", dir, name);
	return p[slot];
}

static inline const char *spec_of(const char *path)
{
	static char s[340];

	snprintf(s, sizeof(s), "file:%s", path);
	return s;
}

/* The whole file as a NUL-terminated string; caller frees. NULL if missing. */
static inline char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (!f)
		return NULL;
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			if (!buf)
				abort();
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r);
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* A record with a sequence number and pad bytes of padding. */
static inline json_t *rec_pad(int seq, size_t pad)
{
	char *p = malloc(pad + 1);
	json_t *r;

	memset(p, 'p', pad);
	p[pad] = 0;
	r = json_pack("{s:i, s:s, s:s}", "seq", seq, "text", "a \"quoted\"\nline é", "pad", p);
	free(p);
	return r;
}

/*
 * Every line of text is one whole record; their seq values, in order,
 * go to seqs (up to max). Returns the number of lines, -1 on a bad one.
 */
static inline int parse_lines(const char *text, int *seqs, int max)
{
	int n = 0;

	while (*text) {
		const char *nl = strchr(text, '\n');
		json_error_t e;
		json_t *j;

		if (!nl)
			return -1;	/* a partial line */
		j = json_loadb(text, (size_t)(nl - text), 0, &e);
		if (!json_is_object(j) || !json_is_integer(json_object_get(j, "seq"))) {
			json_decref(j);
			return -1;
		}
		if (n < max)
			seqs[n] = (int)json_integer_value(json_object_get(j, "seq"));
		n++;
		json_decref(j);
		text = nl + 1;
	}
	return n;
}

#endif
