/*
 * The baseline file: written to a temporary file in the same directory,
 * fsync'ed and renamed over the old one (then the directory fsync'ed), so
 * a crash leaves either the old or the new baseline, never half of one.
 * Reading is bounded by the largest file this detector could accept.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect_model.h"

/* Largest file read: a detector 4x this one's table, plus headers. */
static size_t max_file(const struct detect *d)
{
	return (size_t)d->nsets * SET_WAYS * 4 * 512 + (1 << 20);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int detect_save(const struct detect *d, const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	uint8_t *buf;
	size_t len;
	int fd, e;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if (detect_state_encode(d, &buf, &len)) {
		snprintf(err, errlen, "%s: out of memory encoding the baseline", path);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary file beside it: %s "
			 "(check that the state directory exists and is writable)", path, strerror(errno));
		free(buf);
		return -1;
	}
	if (write_all(fd, buf, len) || fsync(fd)) {
		e = errno;
		close(fd);
		unlink(tmp);
		free(buf);
		snprintf(err, errlen, "%s: cannot write the baseline: %s", tmp, strerror(e));
		return -1;
	}
	free(buf);
	if (close(fd) || rename(tmp, path)) {
		e = errno;
		unlink(tmp);
		snprintf(err, errlen, "%s: cannot replace the baseline: %s", path, strerror(e));
		return -1;
	}
	fsync_dir(path);
	return 0;
}

int detect_load(struct detect *d, const char *path, char *err, size_t errlen)
{
	char why[160];
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > max_file(d)) {
		snprintf(err, errlen, "%s: %s", path,
			 !S_ISREG(st.st_mode) ? "not a regular file" : "too large for a baseline");
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	rc = detect_state_parse(d, buf, got, why, sizeof(why));
	free(buf);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}
