#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sink_write.h"

static void failed(struct sink *s, int err)
{
	if (!s->why[0])
		log_err("writing %s: %s; records stay queued (flow records are dropped and "
			"counted past %zu bytes)", s->spec, strerror(err), sink_conf(s)->queue_max);
	snprintf(s->why, sizeof(s->why), "%s", strerror(err));
}

enum xp_result sink_fd_writev(struct sink *s, const struct iovec *iov, int n, size_t *done,
			      bool whole)
{
	size_t total = 0, complete = 0;
	ssize_t w;
	int err;

	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	do
		w = writev(s->fd, iov, n);
	while (w < 0 && errno == EINTR);
	err = w < 0 ? errno : ENOSPC;
	if (w == (ssize_t)total) {
		*done = total;
		if (s->why[0])
			log_info("writing %s works again", s->spec);
		s->why[0] = 0;
		return XP_OK;
	}
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		*done = 0;
		return XP_AGAIN;
	}
	if (w > 0 && !whole) {
		*done = (size_t)w;	/* a stream takes the rest later */
		return XP_AGAIN;
	}
	for (int i = 0; w > 0 && i < n && complete + iov[i].iov_len <= (size_t)w; i++)
		complete += iov[i].iov_len;
	if (w > 0 && (size_t)w > complete) {
		/* Cut the partial message back off: the offset is just past it. */
		off_t end = lseek(s->fd, 0, SEEK_CUR);
		off_t keep = end - (off_t)((size_t)w - complete);

		if (end < 0 || ftruncate(s->fd, keep) || lseek(s->fd, keep, SEEK_SET) < 0)
			log_err("writing %s: cannot remove a partial record: %s", s->spec,
				strerror(errno));
	}
	*done = complete;
	failed(s, err);
	return XP_FAIL;
}
