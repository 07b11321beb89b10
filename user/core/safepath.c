#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safepath.h"

/* "the config file" for PATH itself, "directory D" for one above it. */
static void name_of(char *out, size_t len, const char *what, const char *p, int top)
{
	if (top)
		snprintf(out, len, "the %s", what);
	else
		snprintf(out, len, "directory %s", p);
}

/* One path: its owner and its write bits. */
static int check_one(const char *what, const char *shown, const char *p, int top,
		     char *err, size_t errlen)
{
	struct stat st;
	char name[4200];

	if (stat(p, &st)) {
		snprintf(err, errlen, "%s: cannot check %s: %s", shown, p, strerror(errno));
		return -1;
	}
	name_of(name, sizeof(name), what, p, top);
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: %s is owned by uid %u, not root: run chown root %s",
			 shown, name, (unsigned)st.st_uid, p);
		return -1;
	}
	/* Group write by root's own group is root's; sticky directories keep
	 * others from replacing what root owns in them. */
	if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX))
		return 0;
	if ((st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid != 0)) {
		snprintf(err, errlen, "%s: %s is writable by others (mode %04o): run chmod go-w %s",
			 shown, name, (unsigned)(st.st_mode & 07777), p);
		return -1;
	}
	return 0;
}

int safepath_check(const char *what, const char *path, char *err, size_t errlen)
{
	char *real = realpath(path, NULL);
	char *slash;
	int rc;

	if (!real) {
		snprintf(err, errlen, "%s: cannot check the %s: %s", path, what, strerror(errno));
		return -1;
	}
	rc = check_one(what, path, real, 1, err, errlen);
	/* Then each directory above it, up to "/". */
	while (!rc && (slash = strrchr(real, '/'))) {
		if (slash == real) {
			rc = check_one(what, path, "/", 0, err, errlen);
			break;
		}
		*slash = 0;
		rc = check_one(what, path, real, 0, err, errlen);
	}
	free(real);
	return rc;
}
