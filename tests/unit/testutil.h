/* Small helpers shared by the unit tests (header-only: each test is one binary). */
#ifndef EXFILD_TESTUTIL_H
#define EXFILD_TESTUTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

static inline int copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	return n < 0 ? -1 : 0;
}

static inline int copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
	int r = in < 0 || out < 0 ? -1 : copy_fd(in, out);

	if (in >= 0)
		close(in);
	if (out < 0)
		return -1;
	return close(out) || r ? -1 : 0;
}

/* sha256sum(1)'s answer, as an independent check of our own hashing. */
static inline int sha256sum(const char *path, char out[65])
{
	char cmd[600];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%64s", out) != 1) {
		pclose(p);
		return -1;
	}
	return pclose(p) == 0 ? 0 : -1;
}

#endif
