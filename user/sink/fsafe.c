#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsafe.h"
#include "safepath.h"

#define FSAFE_PATH_MAX 1024	/* longer than any path a sink spec or the state dir holds */

int fsafe_mkdirs(const char *path, char *err, size_t errlen)
{
	char buf[FSAFE_PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	memcpy(buf, path, n + 1);
	/* Every parent of the last component, shortest first. */
	for (char *p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(buf, 0700) && errno != EEXIST) {
			snprintf(err, errlen, "cannot create directory %s: %s", buf, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int fsafe_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (fsafe_mkdirs(dir, err, errlen))
		return -1;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "refusing directory %s: not a directory (a symlink?)", dir);
		return -1;
	}
	/* It and every directory above it: only root may change them. */
	return safepath_check("state directory", dir, err, errlen);
}

int fsafe_parent(const char *path, char *err, size_t errlen)
{
	char dir[FSAFE_PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (n >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = 0;
	return safepath_check("output directory", n ? dir : "/", err, errlen);
}

int fsafe_open(const char *path, int flags, char *err, size_t errlen)
{
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	const char *why = NULL;
	struct stat st;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 errno == ELOOP ? "it is a symbolic link (refused)" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st))
		why = strerror(errno);
	else if (S_ISCHR(st.st_mode))
		return fd;	/* /dev/null, /dev/full: made by root, not planted */
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != geteuid())
		why = "owned by another user";
	else if (st.st_mode & 022)
		why = "writable by group or others";
	else if (st.st_nlink > 1)
		why = "it has other hard links";
	if (why) {
		snprintf(err, errlen, "refusing %s: %s", path, why);
		close(fd);
		return -1;
	}
	return fd;
}
