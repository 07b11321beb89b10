/*
 * stdout. A pipe or socket is made non-blocking and written when the
 * loop says it is writable, so a reader that stalls costs queued records
 * (counted), never a stalled agent. A regular file is written directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink_write.h"

static int fd_start(struct sink *s, char *err, size_t errlen)
{
	struct stat st;
	int fl = fcntl(STDOUT_FILENO, F_GETFL);

	if (fl < 0 || fstat(STDOUT_FILENO, &st)) {
		snprintf(err, errlen, "output stdout: %s", strerror(errno));
		return -1;
	}
	/* priv non-NULL: a regular file, written whole lines only */
	s->priv = S_ISREG(st.st_mode) ? (void *)s : NULL;
	if (!S_ISREG(st.st_mode))
		fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK);
	s->want = 0;
	if (sink_attach_fd(s, STDOUT_FILENO)) {
		snprintf(err, errlen, "output stdout: cannot watch it: %s", strerror(errno));
		return -1;
	}
	sink_set_up(s);
	return 0;
}

static enum xp_result fd_write(struct sink *s, const struct iovec *iov, int n, size_t *done)
{
	return sink_fd_writev(s, iov, n, done, s->priv != NULL);
}

static void fd_stop(struct sink *s)
{
	int fl = fcntl(STDOUT_FILENO, F_GETFL);

	/* Give the shell back the descriptor as we found it. */
	if (fl >= 0 && !s->priv)
		fcntl(STDOUT_FILENO, F_SETFL, fl & ~O_NONBLOCK);
	sink_detach_fd(s);
}

const struct sink_transport sink_fd_transport = {
	.start = fd_start,
	.write = fd_write,
	.stop = fd_stop,
};
