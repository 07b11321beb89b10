/* Reading one process from /proc; see procfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "container.h"
#include "exehash.h"
#include "procfs.h"
#include "procfs_parse.h"

/* Read up to size-1 bytes of a small file and NUL-terminate; -1 on error. */
static ssize_t read_at(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return -1;
	while (n < size - 1) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

/* readlinkat into a new string; NULL if unreadable. */
static char *link_at(int dirfd, const char *name)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);

	if (n <= 0)
		return NULL;
	return strndup(buf, (size_t)n);
}

/* comm, ppid and start ticks from /proc/PID/stat. */
static int read_stat(int dirfd, char *name, size_t namesz, uint32_t *ppid, uint64_t *ticks)
{
	char buf[PROCFS_STAT_MAX];
	ssize_t n = read_at(dirfd, "stat", buf, sizeof(buf));

	return n <= 0 ? -1 : procfs_parse_stat(buf, (size_t)n, name, namesz, ppid, ticks);
}

/* Real uid and gid from /proc/PID/status. */
static void read_ids(int dirfd, struct proc_info *pi)
{
	char buf[PROCFS_STATUS_MAX];
	ssize_t n = read_at(dirfd, "status", buf, sizeof(buf));

	if (n > 0)
		procfs_parse_ids(buf, (size_t)n, &pi->uid, &pi->gid);
}

static void read_args(int dirfd, struct proc_info *pi)
{
	/* One byte past the bound tells a cut argv from one that fits. */
	char buf[PROC_ARGS_BYTES + 2];
	ssize_t n = read_at(dirfd, "cmdline", buf, sizeof(buf));

	if (n > 0)
		procfs_parse_args(buf, (size_t)n, pi);
}

/* /proc/PID/cgroup: container id and cgroup v2 id. */
static void read_cgroup(const struct cgroup2_mount *cg2, int dirfd, struct proc_info *pi)
{
	char buf[8192];

	if (read_at(dirfd, "cgroup", buf, sizeof(buf)) <= 0)
		return;
	container_from_proc_cgroup(cg2, buf, pi->container_id, &pi->cgroup_id);
}

static bool mode_lets_others_write(const struct stat *st)
{
	return (st->st_mode & (S_IWGRP | S_IWOTH)) || st->st_uid != 0;
}

/*
 * Open path below root as the process sees it: RESOLVE_IN_ROOT keeps
 * "..", absolute paths and symlinks inside its root (a container's /bin ->
 * usr/bin must not lead to the agent's). Kernels before 5.6 lack openat2:
 * plain openat from the root then.
 */
static int open_in_root(int rootfd, const char *path, uint64_t flags)
{
	struct open_how how = { .flags = flags | O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = openat(rootfd, path, (int)how.flags);
	return fd;
}

/*
 * Whether others may write the directory that holds the executable, which
 * is where they could put another binary in its place. The path the exe
 * link shows is the process's own view (a container's mount namespace), so
 * it is resolved through /proc/PID/root, and trusted only if it leads to the
 * very file the process runs (or the file was deleted: then the directory
 * that held it is judged); otherwise (the path shows another file) the
 * directory is not judged.
 */
static bool exe_dir_writable(int dirfd, const char *exe, const struct stat *exe_st, bool deleted)
{
	const char *slash = strrchr(exe, '/');
	char dir[PATH_MAX];
	struct stat fst, dst;
	int rootfd, fd;
	bool writable = false;

	if (!slash || exe[0] != '/')
		return false;
	rootfd = openat(dirfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return false;
	fd = deleted ? -1 : open_in_root(rootfd, exe, 0);
	if (deleted || (fd >= 0 && !fstat(fd, &fst) && fst.st_dev == exe_st->st_dev &&
			fst.st_ino == exe_st->st_ino)) {
		if (fd >= 0)
			close(fd);
		procfs_copy_bytes(dir, sizeof(dir), exe, slash == exe ? 1 : (size_t)(slash - exe));
		fd = open_in_root(rootfd, dir, O_DIRECTORY);
		writable = fd >= 0 && !fstat(fd, &dst) && mode_lets_others_write(&dst);
	}
	if (fd >= 0)
		close(fd);
	close(rootfd);
	return writable;
}

/* exe link, deleted/fileless/writable facts and the hash entry. */
static void read_exe(struct exehash *eh, int dirfd, struct proc_info *pi)
{
	static const char del[] = " (deleted)";
	const size_t dlen = sizeof(del) - 1;
	struct stat st;

	pi->executable = link_at(dirfd, "exe");
	if (!pi->executable) {
		/* ENOENT: a kernel thread or a zombie has no executable */
		pi->hash_reason = errno == EACCES || errno == EPERM ? "permission_denied"
								    : "no_executable";
		return;
	}
	size_t n = strlen(pi->executable);
	bool marked = n > dlen && !strcmp(pi->executable + n - dlen, del);
	if (!fstatat(dirfd, "exe", &st, 0)) {
		pi->facts_known = true;
		pi->fileless = marked && !strncmp(pi->executable, "/memfd:", 7);
		/* nlink tells a deleted file from one really named "x (deleted)". */
		pi->exe_deleted = marked && (st.st_nlink == 0 || pi->fileless);
		pi->exe_writable_by_others = mode_lets_others_write(&st);
	}
	if (pi->exe_deleted)
		pi->executable[n - dlen] = '\0';
	if (pi->facts_known && !pi->fileless && exe_dir_writable(dirfd, pi->executable, &st, pi->exe_deleted))
		pi->exe_writable_by_others = true;
	if (eh) {
		pi->hash = exehash_get(eh, dirfd, pi->pid);
		if (!pi->hash)
			pi->hash_reason = "open_failed";
	} else {
		pi->hash_reason = "disabled";
	}
}

int procfs_read(uint32_t pid, uint64_t want_ticks, struct exehash *eh,
		const struct cgroup2_mount *cg2, struct proc_info *pi)
{
	char path[64];
	int dfd;

	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	snprintf(path, sizeof(path), "/proc/%u", pid);
	/* Every read goes through this fd: it stays bound to this very process. */
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	if (read_stat(dfd, pi->name, sizeof(pi->name), &pi->ppid, &pi->start_ticks) ||
	    (want_ticks != UINT64_MAX && pi->start_ticks != want_ticks)) {
		close(dfd);
		return want_ticks != UINT64_MAX && pi->start_ticks != want_ticks ? PROCFS_OTHER_START
										 : -1;
	}
	read_ids(dfd, pi);
	read_args(dfd, pi);
	pi->cwd = link_at(dfd, "cwd");
	read_cgroup(cg2, dfd, pi);
	read_exe(eh, dfd, pi);
	close(dfd);
	return 0;
}

void procfs_read_parent(uint32_t ppid, uint64_t child_ticks, struct proc_parent *pp)
{
	char path[64];
	uint32_t gpp;

	snprintf(path, sizeof(path), "/proc/%u", ppid);
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	if (!read_stat(dfd, pp->name, sizeof(pp->name), &gpp, &pp->start_ticks) &&
	    pp->start_ticks <= child_ticks) {
		pp->known = true;
		pp->executable = link_at(dfd, "exe");
	}
	close(dfd);
}

bool procfs_boot_id(char *out, size_t outsz)
{
	char buf[64];

	if (read_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", buf, sizeof(buf)) <= 0)
		return false;
	procfs_copy_bytes(out, outsz, buf, strcspn(buf, "\n"));
	return true;
}
