/* Sealed in-memory copies of files; see snapshot.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fdio.h"
#include "fileid.h"
#include "snapshot.h"

#define COPY_CHUNK (1u << 20)

/* Copy exactly size bytes of in to out: 0, 1 if in had another length, -1 on error. */
static int copy_exact(int in, int out, off_t size, char *buf)
{
	off_t done = 0;

	for (;;) {
		ssize_t r = read(in, buf, COPY_CHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return done == size ? 0 : 1;
		if (done + r > size)
			return 1;
		if (fd_write_all(out, buf, (size_t)r))
			return -1;
		done += r;
	}
}

int snapshot_take(const char *path, struct stat *st, struct snapshot *s, char *err, size_t errlen)
{
	struct stat after;
	struct file_id before;
	char *buf = NULL;
	int in, out = -1, r;

	s->fd = -1;
	s->path[0] = '\0';
	in = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (in < 0 || fstat(in, st) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st->st_mode) || st->st_size == 0) {
		snprintf(err, errlen, "%s", S_ISREG(st->st_mode) ? "empty file" : "not a regular file");
		goto fail;
	}
	file_id_of(st, &before);
	if (!(buf = malloc(COPY_CHUNK)) ||
	    (out = memfd_create("exfild-snapshot", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0) {
		snprintf(err, errlen, "%s", buf ? strerror(errno) : "out of memory");
		goto fail;
	}
	r = copy_exact(in, out, st->st_size, buf);
	if (r < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	/* Written to while we read: the copy may mix two versions. */
	if (r > 0 || fstat(in, &after) < 0 || !file_id_matches(&before, &after)) {
		snprintf(err, errlen, "changed while being read (still being written?)");
		goto fail;
	}
	if (fcntl(out, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		snprintf(err, errlen, "cannot seal the copy: %s", strerror(errno));
		goto fail;
	}
	free(buf);
	close(in);
	s->fd = out;
	snprintf(s->path, sizeof(s->path), "/proc/self/fd/%d", out);
	return 0;
fail:
	free(buf);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return -1;
}

void snapshot_release(struct snapshot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->path[0] = '\0';
}
