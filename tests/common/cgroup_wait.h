/*
 * Shared by the unit tests and itest: removing a cgroup a test created once
 * its processes are gone. Header-only (each test is its own binary).
 */
#ifndef EXFILD_TESTS_CGROUP_WAIT_H
#define EXFILD_TESTS_CGROUP_WAIT_H

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * The kernel empties a cgroup asynchronously after its last process is
 * reaped: wait (up to ms) for cgroup.events to say "populated 0" (a change
 * wakes poll with POLLPRI), then remove it. 0 on success.
 */
static inline int rmdir_when_empty(const char *cg, int ms)
{
	char path[4200], buf[256];
	int fd, left = ms;

	snprintf(path, sizeof(path), "%s/cgroup.events", cg);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
		struct pollfd p = { fd, POLLPRI, 0 };

		buf[r > 0 ? r : 0] = '\0';
		if (strstr(buf, "populated 0") || left <= 0)
			break;
		/* Slices: a missed wake-up costs one slice, never the run. */
		poll(&p, 1, 1000);
		left -= 1000;
	}
	close(fd);
	return rmdir(cg);
}

#endif
