#include <mntent.h>
#include <stdio.h>
#include <string.h>

#include "cgroup2.h"

int cgroup2_find(const char *mounts_file, char *path, size_t len)
{
	FILE *f = setmntent(mounts_file, "r");
	struct mntent *m;
	int found = -1;

	path[0] = 0;
	if (!f)
		return -1;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			int n = snprintf(path, len, "%s", m->mnt_dir);

			found = n >= 0 && (size_t)n < len ? 0 : -1;
			break;
		}
	}
	endmntent(f);
	return found;
}
