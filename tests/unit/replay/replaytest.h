/* Helpers shared by the replay reader tests (header-only). */
#ifndef EXFILD_REPLAYTEST_H
#define EXFILD_REPLAYTEST_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "localnet.h"
#include "replay_file.h"
#include "replay_merge.h"

#define FIX "tests/fixtures/replay/"
#define NS 1000000000LL

/* The address of an ipaddr as text, for exact comparisons. */
static inline const char *addr_text(const struct ipaddr *a, char *buf, size_t len)
{
	if (a->family == 0)
		return "";
	return inet_ntop(a->family == FLOW_AF_INET ? AF_INET : AF_INET6, a->a, buf, (socklen_t)len);
}

static inline void assert_addr(const struct ipaddr *a, const char *want)
{
	char buf[64];

	assert_string_equal(addr_text(a, buf, sizeof(buf)), want);
}

/* Every record of one file, in file order (at most max). */
static inline size_t read_all(const char *path, const struct localnets *ln, struct replay_rec *out,
			      size_t max, struct replay_file_stats *st)
{
	char err[512];
	struct replay_file *f = replay_file_open(path, ln, err, sizeof(err));
	size_t n = 0;

	if (!f)
		fail_msg("open %s: %s", path, err);
	while (n < max && replay_file_next(f, &out[n], err, sizeof(err)) == 1)
		n++;
	if (st)
		replay_file_get_stats(f, st);
	replay_file_close(f);
	return n;
}

/* A temp file holding text; returns its path (static buffer per call site). */
static inline void write_tmp(char *path, size_t len, const char *tag, const char *text)
{
	snprintf(path, len, "/tmp/exfild-replay-%s-%d", tag, (int)getpid());
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		fail_msg("cannot write %s", path);
}

#endif
