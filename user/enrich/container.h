/*
 * Which container a process runs in, from its cgroup: container runtimes
 * name the container's cgroup after the container's id. While the process
 * lives its cgroup path comes from /proc/PID/cgroup; once it is gone, from
 * the cgroup id the kernel sent, resolved through the cgroup2 mount.
 */
#ifndef EXFILD_CONTAINER_H
#define EXFILD_CONTAINER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The cgroup2 mount: its path turns a cgroup path into an id, its fd an id into a path. */
struct cgroup2_mount {
	char path[PATH_MAX];	/* "" if no cgroup2 mount */
	int fd;			/* -1 while not found */
};

void cgroup2_mount_init(struct cgroup2_mount *m);
/* cgroup2 may be mounted late (by the loader): callers retry while missing. */
void cgroup2_mount_find(struct cgroup2_mount *m);
void cgroup2_mount_close(struct cgroup2_mount *m);

/*
 * The container id a cgroup path names (docker-<id>.scope, /docker/<id>,
 * cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope,
 * /kubepods/.../<id>: 64 hex digits), into out; false if none.
 */
bool container_id_from_path(const char *path, size_t len, char out[65]);

/*
 * From the text of /proc/PID/cgroup: the container id any hierarchy names
 * (v2 first) into out, unless out holds one already, and the v2 cgroup id
 * into *cgroup_id, unless it is set already.
 */
void container_from_proc_cgroup(const struct cgroup2_mount *m, const char *text,
				char out[65], uint64_t *cgroup_id);

/* The process is gone: the container id from the cgroup id the kernel sent. */
void container_from_cgroup_id(const struct cgroup2_mount *m, uint64_t id, char out[65]);

#endif
