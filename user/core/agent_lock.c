#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_lock.h"

/* FNV-1a, 64 bits: a short stable name for any pin path. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

int agent_lock_path(const char *dir, const char *pin_path, char *out, size_t outlen)
{
	int n;

	if (!strcmp(pin_path, AGENT_DEFAULT_PIN))
		n = snprintf(out, outlen, "%s/exfild.lock", dir);
	else
		n = snprintf(out, outlen, "%s/exfild-%016" PRIx64 ".lock", dir, fnv1a(pin_path));
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* The holder's pid, as it wrote it in the file; 0 if not (yet) there. */
static long holder(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	if (n <= 0)
		return 0;
	text[n] = 0;
	return strtol(text, NULL, 10);
}

int agent_lock_take(const char *dir, const char *pin_path, char *err, size_t errlen)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[512], pid[32];
	long other;
	int fd, n;

	if (agent_lock_path(dir, pin_path, path, sizeof(path))) {
		snprintf(err, errlen, "lock directory %s: path too long", dir);
		return -1;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s for the agent's lock: %s", dir,
			 strerror(errno));
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open lock %s: %s", path, strerror(errno));
		return -1;
	}
	/* An open file description lock: it dies with its holder (no stale
	 * lock after a crash), and closing another descriptor of the file
	 * does not drop it, as it would a process's record lock. */
	if (fcntl(fd, F_OFD_SETLK, &fl)) {
		if (errno != EACCES && errno != EAGAIN) {
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		other = holder(fd);
		if (other > 0)
			snprintf(err, errlen, "another exfild agent (pid %ld) is running with pin "
				 "path %s (lock %s): stop it first, or give this one its own "
				 "--pin-path", other, pin_path, path);
		else
			snprintf(err, errlen, "another exfild agent is starting with pin path %s "
				 "(lock %s): stop it first, or give this one its own --pin-path",
				 pin_path, path);
		close(fd);
		return -1;
	}
	/* The pid, for people reading the file. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n) {
		snprintf(err, errlen, "cannot write lock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
