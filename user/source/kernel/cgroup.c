#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup2.h"
#include "log.h"

/* Where exfild mounts cgroup2 itself on hosts that have none mounted. */
#define OWN_MOUNT "/run/exfild/cgroup2"

int cgroup2_root_open(char *err, size_t errlen)
{
	char path[256];
	int fd;

	if (cgroup2_find("/proc/mounts", path, sizeof(path))) {
		mkdir("/run/exfild", 0700);
		if (mkdir(OWN_MOUNT, 0700) && errno != EEXIST) {
			snprintf(err, errlen, "no cgroup v2 mounted and cannot create %s: %s",
				 OWN_MOUNT, strerror(errno));
			return -1;
		}
		if (mount("cgroup2", OWN_MOUNT, "cgroup2", 0, NULL)) {
			snprintf(err, errlen, "no cgroup v2 mounted and mounting one on %s failed: %s",
				 OWN_MOUNT, strerror(errno));
			return -1;
		}
		log_info("mounted cgroup v2 on %s for cgroup/sendmsg4/6", OWN_MOUNT);
		snprintf(path, sizeof(path), "%s", OWN_MOUNT);
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "cannot open cgroup v2 root %s: %s", path, strerror(errno));
	return fd;
}
