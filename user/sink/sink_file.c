/*
 * file:PATH: NDJSON appended for Filebeat / Elastic Agent filestream.
 * Opened safely (fsafe.h), written whole lines only, rotated by size
 * (PATH -> PATH.1 -> ... -> PATH.N) when rotate_size is set, reopened on
 * SIGHUP after someone else rotated it. Alerts are fdatasynced before
 * they count as accepted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsafe.h"
#include "log.h"
#include "sink_write.h"

struct file_out {
	uint64_t size;		/* of the file being written */
	uint64_t synced;	/* stream offset fdatasynced */
};

static int open_out(struct sink *s, char *err, size_t errlen)
{
	struct file_out *f = s->priv;
	struct stat st;
	int fd;

	if (fsafe_mkdirs(s->sp.path, err, errlen) || fsafe_parent(s->sp.path, err, errlen))
		return -1;
	fd = fsafe_open(s->sp.path, O_WRONLY | O_APPEND | O_CREAT, err, errlen);
	if (fd < 0)
		return -1;
	f->size = fstat(fd, &st) ? 0 : (uint64_t)st.st_size;
	return fd;
}

static int file_start(struct sink *s, char *err, size_t errlen)
{
	char why[1200];
	int fd;

	s->priv = calloc(1, sizeof(struct file_out));
	if (!s->priv) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fd = open_out(s, why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "output %s: %s", s->spec, why);
		free(s->priv);
		s->priv = NULL;
		return -1;
	}
	s->fd = fd;	/* not in the loop: a file is always writable */
	sink_set_up(s);
	return 0;
}

/* PATH.k -> PATH.k+1 for the kept ones, PATH -> PATH.1, then a new PATH. */
static void rotate(struct sink *s)
{
	const struct sink_config *c = sink_conf(s);
	char from[540], to[540], err[1200];
	int fd;

	for (unsigned k = c->rotate_keep; k >= 1; k--) {
		snprintf(from, sizeof(from), "%s.%u", s->sp.path, k - 1);
		snprintf(to, sizeof(to), "%s.%u", s->sp.path, k);
		if (k == 1)
			snprintf(from, sizeof(from), "%s", s->sp.path);
		if (rename(from, to) && errno != ENOENT)
			log_warn("rotating %s: renaming %s: %s", s->spec, from, strerror(errno));
	}
	if (c->rotate_keep == 0)
		unlink(s->sp.path);
	fd = open_out(s, err, sizeof(err));
	if (fd < 0) {
		log_err("rotating %s: %s; still writing to the old file", s->spec, err);
		return;
	}
	close(s->fd);
	s->fd = fd;
}

static enum xp_result file_write(struct sink *s, const struct iovec *iov, int n, size_t *done)
{
	struct file_out *f = s->priv;
	uint64_t max = sink_conf(s)->rotate_size;
	enum xp_result r;

	if (max) {
		uint64_t total = 0;
		int fit = 0;

		/* Only what fits in this file; a line never spans two files. */
		while (fit < n && f->size + total + iov[fit].iov_len <= max)
			total += iov[fit++].iov_len;
		if (fit == 0 && f->size > 0) {
			rotate(s);
			while (fit < n && f->size + total + iov[fit].iov_len <= max)
				total += iov[fit++].iov_len;
		}
		n = fit ? fit : 1;	/* a line longer than rotate_size gets a file of its own */
	}
	r = sink_fd_writev(s, iov, n, done, true);
	f->size += *done;
	return r;
}

static uint64_t file_acked(struct sink *s)
{
	struct file_out *f = s->priv;

	if (s->written > f->synced) {
		/* /dev/null and friends cannot sync: nothing to keep there. */
		if (fdatasync(s->fd) && errno != EINVAL && errno != EROFS)
			return f->synced;
		f->synced = s->written;
	}
	return s->written;
}

static void file_reopen(struct sink *s)
{
	char err[1200];
	int fd = open_out(s, err, sizeof(err));

	if (fd < 0) {
		log_err("reopening %s: %s; still writing to the old file", s->spec, err);
		return;
	}
	close(s->fd);
	s->fd = fd;
}

static void file_stop(struct sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->priv);
	s->priv = NULL;
}

const struct sink_transport sink_file_transport = {
	.start = file_start,
	.write = file_write,
	.acked = file_acked,
	.reopen = file_reopen,
	.stop = file_stop,
};
