/* Container ids from cgroups; see container.h. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup2.h"
#include "container.h"

#define FILEID_KERNFS 0xfe	/* file handle type of a cgroup2 directory */

void cgroup2_mount_init(struct cgroup2_mount *m)
{
	m->path[0] = '\0';
	m->fd = -1;
}

void cgroup2_mount_find(struct cgroup2_mount *m)
{
	if (m->fd >= 0 || cgroup2_find("/proc/mounts", m->path, sizeof(m->path)))
		return;
	m->fd = open(m->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void cgroup2_mount_close(struct cgroup2_mount *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

static bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
static bool is_alnum(char c)
{
	return is_hex(c) || (c >= 'g' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Container runtimes name the container's cgroup after its 64-hex id:
 * docker-<id>.scope, /docker/<id>, cri-containerd-<id>.scope,
 * crio-<id>.scope, libpod-<id>.scope, /kubepods/.../<id>. Take the deepest
 * path component holding exactly 64 hex digits between non-alphanumerics;
 * conmon (podman/cri-o's monitor) lives beside the container, not in it.
 */
bool container_id_from_path(const char *path, size_t len, char out[65])
{
	bool found = false;
	size_t i = 0;

	while (i < len) {
		size_t s = i, e;
		while (i < len && path[i] != '/')
			i++;
		e = i++;
		if (memmem(path + s, e - s, "conmon", 6))
			continue;
		for (size_t j = s; j < e;) {
			size_t k = j;
			if (!is_hex(path[j]) || (j > s && is_alnum(path[j - 1]))) {
				j++;
				continue;
			}
			while (k < e && is_hex(path[k]))
				k++;
			if (k - j == 64 && (k == e || !is_alnum(path[k]))) {
				memcpy(out, path + j, 64);
				out[64] = '\0';
				found = true;
			}
			j = k;
		}
	}
	return found;
}

void container_from_proc_cgroup(const struct cgroup2_mount *m, const char *text,
				char out[65], uint64_t *cgroup_id)
{
	const char *v2 = NULL;
	size_t v2len = 0;

	/* Lines are "id:controllers:path"; v2's is "0::path" and is tried first. */
	for (int pass = 0; pass < 2 && !out[0]; pass++) {
		for (const char *l = text; *l;) {
			size_t n = strcspn(l, "\n");
			bool is_v2 = !strncmp(l, "0::", 3);
			const char *c = memchr(l, ':', n);
			const char *p = c ? memchr(c + 1, ':', n - (size_t)(c + 1 - l)) : NULL;

			if (is_v2) {
				v2 = l + 3;
				v2len = n - 3;
			}
			if (p && is_v2 == (pass == 0) && !out[0])
				container_id_from_path(p + 1, n - (size_t)(p + 1 - l), out);
			l += n + (l[n] == '\n');
		}
	}
	if (v2 && !*cgroup_id && m->path[0]) {
		char path[PATH_MAX + 64];
		struct stat st;
		/* A cgroup2 directory's inode number is its cgroup id. */
		snprintf(path, sizeof(path), "%s%.*s", m->path, (int)v2len, v2);
		if (!stat(path, &st))
			*cgroup_id = st.st_ino;
	}
}

void container_from_cgroup_id(const struct cgroup2_mount *m, uint64_t id, char out[65])
{
	union {
		struct file_handle fh;
		char raw[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	char fdpath[64], path[PATH_MAX];

	if (m->fd < 0 || !id)
		return;
	h.fh.handle_bytes = sizeof(uint64_t);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	int fd = open_by_handle_at(m->fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(fdpath, path, sizeof(path) - 1);
	close(fd);
	if (n > 0)
		container_id_from_path(path, (size_t)n, out);
}
