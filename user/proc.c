/* Process context table; see proc.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cgroup.h"
#include "exehash.h"
#include "json.h"
#include "log.h"
#include "proc.h"

#define ID_CACHE 64		/* uid->name and gid->name, direct-mapped */
#define FILEID_KERNFS 0xfe	/* file handle type of a cgroup2 directory */

struct link {
	struct link *prev, *next;
};

struct node {
	struct proc_info pi;	/* first: &node->pi converts back */
	struct node *hnext;	/* pid hash chain */
	struct link lru;	/* in live (LRU order) or exited (exit order) */
};

struct idname {
	bool used;
	uint32_t id;
	char name[64];
};

struct proc_table {
	struct node **bucket;
	size_t nbucket, max;
	struct link live, exited;
	struct exehash *eh;
	char boot_id[64];
	int64_t boot_unix_ns;	/* wall-clock time of boot */
	uint64_t ns_per_tick;
	char cg2_mount[PATH_MAX];	/* "" if no cgroup2 mount */
	int cg2_fd;
	struct idname users[ID_CACHE], groups[ID_CACHE];
	struct proc_stats st;
};

/* ---- small helpers ---------------------------------------------------- */

static void list_init(struct link *l) { l->prev = l->next = l; }

static void list_del(struct link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	list_init(l);
}

static void list_add_tail(struct link *head, struct link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static struct node *lru_node(struct link *l)
{
	return (struct node *)((char *)l - offsetof(struct node, lru));
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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

static void copy_bytes(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void entity_id(const struct proc_table *pt, uint32_t pid, uint64_t ticks, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char in[128];
	int n = snprintf(in, sizeof(in), "%s:%u:%llu", pt->boot_id, pid,
			 (unsigned long long)ticks);

	out[0] = '\0';
	if (n < 0 || !EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
		return;
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- users and groups ------------------------------------------------- */

static void id_name(struct idname *cache, uint32_t id, bool group, char *out, size_t outsz)
{
	struct idname *c = &cache[id % ID_CACHE];
	char buf[4096];

	if (!c->used || c->id != id) {
		struct passwd pw, *pwr = NULL;
		struct group gr, *grr = NULL;

		c->used = true;
		c->id = id;
		c->name[0] = '\0';	/* also remembers "no such user" */
		if (group) {
			if (!getgrgid_r(id, &gr, buf, sizeof(buf), &grr) && grr)
				copy_bytes(c->name, sizeof(c->name), gr.gr_name, strlen(gr.gr_name));
		} else if (!getpwuid_r(id, &pw, buf, sizeof(buf), &pwr) && pwr) {
			copy_bytes(c->name, sizeof(c->name), pw.pw_name, strlen(pw.pw_name));
		}
	}
	copy_bytes(out, outsz, c->name, strlen(c->name));
}

/* ---- cgroups ---------------------------------------------------------- */

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
bool proc_container_id(const char *path, size_t len, char out[65])
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
				copy_bytes(out, 65, path + j, 64);
				found = true;
			}
			j = k;
		}
	}
	return found;
}

/* cgroup2 may be mounted late (by the loader): callers retry while missing. */
static void find_cgroup2(struct proc_table *pt)
{
	if (pt->cg2_fd >= 0 || cgroup2_find("/proc/mounts", pt->cg2_mount, sizeof(pt->cg2_mount)))
		return;
	pt->cg2_fd = open(pt->cg2_mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* /proc/PID/cgroup: container id from any hierarchy (v2 first), v2 id. */
static void read_cgroup(struct proc_table *pt, int dirfd, struct proc_info *pi)
{
	char buf[8192];
	const char *v2 = NULL;
	size_t v2len = 0;

	if (read_at(dirfd, "cgroup", buf, sizeof(buf)) <= 0)
		return;
	/* Lines are "id:controllers:path"; v2's is "0::path" and is tried first. */
	for (int pass = 0; pass < 2 && !pi->container_id[0]; pass++) {
		for (char *l = buf; *l;) {
			size_t n = strcspn(l, "\n");
			bool is_v2 = !strncmp(l, "0::", 3);
			char *c = memchr(l, ':', n);
			char *p = c ? memchr(c + 1, ':', n - (size_t)(c + 1 - l)) : NULL;

			if (is_v2) {
				v2 = l + 3;
				v2len = n - 3;
			}
			if (p && is_v2 == (pass == 0) && !pi->container_id[0])
				proc_container_id(p + 1, n - (size_t)(p + 1 - l), pi->container_id);
			l += n + (l[n] == '\n');
		}
	}
	if (v2 && !pi->cgroup_id && pt->cg2_mount[0]) {
		char path[PATH_MAX + 64];
		struct stat st;
		/* A cgroup2 directory's inode number is its cgroup id. */
		snprintf(path, sizeof(path), "%s%.*s", pt->cg2_mount, (int)v2len, v2);
		if (!stat(path, &st))
			pi->cgroup_id = st.st_ino;
	}
}

/* The process is gone: find its cgroup's path from the id the kernel sent. */
static void container_from_id(struct proc_table *pt, uint64_t id, char out[65])
{
	union {
		struct file_handle fh;
		char raw[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	char fdpath[64], path[PATH_MAX];

	if (pt->cg2_fd < 0 || !id)
		return;
	h.fh.handle_bytes = sizeof(uint64_t);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	int fd = open_by_handle_at(pt->cg2_fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(fdpath, path, sizeof(path) - 1);
	close(fd);
	if (n > 0)
		proc_container_id(path, (size_t)n, out);
}

/* ---- reading one process ---------------------------------------------- */

/* comm, ppid and start ticks from /proc/PID/stat. */
static int read_stat(int dirfd, char *name, size_t namesz, uint32_t *ppid, uint64_t *ticks)
{
	char buf[1024];
	unsigned long long start;
	unsigned int pp;

	if (read_at(dirfd, "stat", buf, sizeof(buf)) <= 0)
		return -1;
	/* comm may hold spaces and parentheses: it ends at the last ')'. */
	char *l = strchr(buf, '('), *r = strrchr(buf, ')');
	if (!l || !r || r < l)
		return -1;
	if (sscanf(r + 1, " %*c %u %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
		   "%*s %*s %*s %*s %llu", &pp, &start) != 2)
		return -1;
	copy_bytes(name, namesz, l + 1, (size_t)(r - l - 1));
	*ppid = pp;
	*ticks = start;
	return 0;
}

static void read_args(int dirfd, struct proc_info *pi)
{
	char buf[PROC_ARGS_BYTES + 2];
	ssize_t n = read_at(dirfd, "cmdline", buf, sizeof(buf));
	size_t len = 0;

	if (n <= 0)
		return;
	if ((size_t)n > PROC_ARGS_BYTES) {
		n = PROC_ARGS_BYTES;
		pi->args_truncated = true;
	}
	/* Keep at most PROC_ARGS_MAX strings; each ends with a NUL. */
	while (len < (size_t)n && pi->argc < PROC_ARGS_MAX) {
		size_t a = strnlen(buf + len, (size_t)n - len);
		len += a + 1;
		pi->argc++;
	}
	if (len < (size_t)n)
		pi->args_truncated = true;
	if (len > (size_t)n) {	/* last string was cut: terminate it within n */
		buf[n - 1] = '\0';
		len = (size_t)n;
	}
	pi->args = malloc(len);
	if (!pi->args) {
		pi->argc = 0;
		return;
	}
	memcpy(pi->args, buf, len);
	pi->args_len = len;
}

static bool mode_lets_others_write(const struct stat *st)
{
	return (st->st_mode & (S_IWGRP | S_IWOTH)) || st->st_uid != 0;
}

/* exe link, deleted/fileless/writable facts and the hash entry. */
static void read_exe(struct proc_table *pt, int dirfd, struct proc_info *pi)
{
	static const char del[] = " (deleted)";
	const size_t dlen = sizeof(del) - 1;
	struct stat st, dst;

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
	if (pi->facts_known && !pi->fileless) {
		char *slash = strrchr(pi->executable, '/');
		if (slash) {
			char dir[PATH_MAX];
			copy_bytes(dir, sizeof(dir), pi->executable,
				   slash == pi->executable ? 1 : (size_t)(slash - pi->executable));
			if (!stat(dir, &dst) && mode_lets_others_write(&dst))
				pi->exe_writable_by_others = true;
		}
	}
	if (pt->eh) {
		pi->hash = exehash_get(pt->eh, dirfd, pi->pid);
		if (!pi->hash)
			pi->hash_reason = "open_failed";
	} else {
		pi->hash_reason = "disabled";
	}
}

static void fill_common(struct proc_table *pt, struct proc_info *pi)
{
	pi->start_unix_ns = pt->boot_unix_ns + (int64_t)(pi->start_ticks * pt->ns_per_tick);
	entity_id(pt, pi->pid, pi->start_ticks, pi->entity_id);
	id_name(pt->users, pi->uid, false, pi->user_name, sizeof(pi->user_name));
	id_name(pt->groups, pi->gid, true, pi->group_name, sizeof(pi->group_name));
}

static struct node *find(const struct proc_table *pt, uint32_t pid)
{
	struct node *n = pt->bucket[pid & (pt->nbucket - 1)];

	while (n && n->pi.pid != pid)
		n = n->hnext;
	return n;
}

/* The parent as it is now; a parent cannot have started after its child. */
static void fill_parent(struct proc_table *pt, struct proc_info *pi)
{
	struct proc_parent *pp = &pi->parent;
	struct node *n;
	char path[64];

	if (!pi->ppid)
		return;
	n = find(pt, pi->ppid);
	if (n && n->pi.start_ticks <= pi->start_ticks) {
		memcpy(pp->name, n->pi.name, sizeof(pp->name));
		pp->executable = n->pi.executable ? strdup(n->pi.executable) : NULL;
		pp->start_ticks = n->pi.start_ticks;
		pp->known = true;
	} else {
		uint32_t gpp;
		snprintf(path, sizeof(path), "/proc/%u", pi->ppid);
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return;
		if (!read_stat(dfd, pp->name, sizeof(pp->name), &gpp, &pp->start_ticks) &&
		    pp->start_ticks <= pi->start_ticks) {
			pp->known = true;
			pp->executable = link_at(dfd, "exe");
		}
		close(dfd);
	}
	if (!pp->known)
		return;
	pp->start_unix_ns = pt->boot_unix_ns + (int64_t)(pp->start_ticks * pt->ns_per_tick);
	entity_id(pt, pi->ppid, pp->start_ticks, pp->entity_id);
}

/*
 * Read /proc/PID into pi. want_ticks (or UINT64_MAX for any) guards
 * against a pid that was reused before we got to read it.
 */
static int capture(struct proc_table *pt, uint32_t pid, uint64_t want_ticks, struct proc_info *pi)
{
	char path[64], buf[4096];
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
		if (want_ticks != UINT64_MAX && pi->start_ticks != want_ticks)
			pt->st.start_mismatch++;
		close(dfd);
		return -1;
	}
	if (read_at(dfd, "status", buf, sizeof(buf)) > 0) {
		char *u = strstr(buf, "\nUid:"), *g = strstr(buf, "\nGid:");
		if (u)
			sscanf(u, "\nUid: %u", &pi->uid);
		if (g)
			sscanf(g, "\nGid: %u", &pi->gid);
	}
	read_args(dfd, pi);
	pi->cwd = link_at(dfd, "cwd");
	read_cgroup(pt, dfd, pi);
	read_exe(pt, dfd, pi);
	close(dfd);
	fill_common(pt, pi);
	fill_parent(pt, pi);
	return 0;
}

/* What the event alone says (the process is gone or unreadable). */
static void from_event(struct proc_table *pt, const struct task_event *ev, struct proc_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->pid = ev->pid;
	pi->ppid = ev->ppid;
	pi->uid = ev->uid;
	pi->gid = ev->gid;
	pi->start_ticks = ev->start_ns / pt->ns_per_tick;
	pi->cgroup_id = ev->cgroup_id;
	copy_bytes(pi->name, sizeof(pi->name), ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
	if (ev->kind == PROC_EXEC && ev->filename[0])
		pi->executable = strndup(ev->filename, strnlen(ev->filename, sizeof(ev->filename)));
	pi->hash_reason = "process_gone";
	container_from_id(pt, ev->cgroup_id, pi->container_id);
	fill_common(pt, pi);
	fill_parent(pt, pi);
}

/* ---- the table -------------------------------------------------------- */

static void info_free(struct proc_info *pi)
{
	free(pi->executable);
	free(pi->cwd);
	free(pi->args);
	free(pi->parent.executable);
	exehash_put(pi->hash);
}

static void remove_node(struct proc_table *pt, struct node *n)
{
	struct node **pp = &pt->bucket[n->pi.pid & (pt->nbucket - 1)];

	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	list_del(&n->lru);
	pt->st.entries--;
	if (n->pi.exited)
		pt->st.exited--;
	info_free(&n->pi);
	free(n);
}

/* Full: drop the oldest exited process first, else the least recently used. */
static void evict_one(struct proc_table *pt)
{
	if (pt->exited.next != &pt->exited) {
		remove_node(pt, lru_node(pt->exited.next));
		pt->st.evicted_exited++;
	} else if (pt->live.next != &pt->live) {
		remove_node(pt, lru_node(pt->live.next));
		pt->st.evicted_live++;
	}
}

/* Store pi (taking its allocations), replacing any entry for the pid. */
static struct node *insert(struct proc_table *pt, struct proc_info *pi)
{
	struct node *n = find(pt, pi->pid);

	if (n)
		remove_node(pt, n);
	if (pt->st.entries >= pt->max)
		evict_one(pt);
	n = calloc(1, sizeof(*n));
	if (!n) {
		info_free(pi);
		return NULL;
	}
	n->pi = *pi;
	n->hnext = pt->bucket[pi->pid & (pt->nbucket - 1)];
	pt->bucket[pi->pid & (pt->nbucket - 1)] = n;
	list_add_tail(pi->exited ? &pt->exited : &pt->live, &n->lru);
	pt->st.entries++;
	if (pi->exited)
		pt->st.exited++;
	return n;
}

struct proc_table *proc_table_new(size_t max_entries, struct exehash *eh)
{
	struct proc_table *pt = calloc(1, sizeof(*pt));
	char buf[64];
	long tck = sysconf(_SC_CLK_TCK);

	if (!pt)
		return NULL;
	pt->max = max_entries ? max_entries : 1;
	pt->nbucket = 256;
	while (pt->nbucket < pt->max && pt->nbucket < (1u << 22))
		pt->nbucket <<= 1;
	pt->bucket = calloc(pt->nbucket, sizeof(*pt->bucket));
	if (!pt->bucket) {
		free(pt);
		return NULL;
	}
	list_init(&pt->live);
	list_init(&pt->exited);
	pt->cg2_fd = -1;
	pt->eh = eh;
	pt->ns_per_tick = 1000000000ULL / (uint64_t)(tck > 0 ? tck : 100);
	pt->boot_unix_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	if (read_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", buf, sizeof(buf)) > 0)
		copy_bytes(pt->boot_id, sizeof(pt->boot_id), buf, strcspn(buf, "\n"));
	else
		log_warn("cannot read boot_id: entity ids are unique to this boot only");
	find_cgroup2(pt);
	return pt;
}

void proc_table_free(struct proc_table *pt)
{
	if (!pt)
		return;
	for (size_t i = 0; i < pt->nbucket; i++)
		while (pt->bucket[i])
			remove_node(pt, pt->bucket[i]);
	if (pt->cg2_fd >= 0)
		close(pt->cg2_fd);
	free(pt->bucket);
	free(pt);
}

void proc_table_scan(struct proc_table *pt)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	struct proc_info pi;

	find_cgroup2(pt);
	if (!d) {
		log_warn("cannot list /proc: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);
		if (*end || !pid || pid > UINT32_MAX || find(pt, (uint32_t)pid))
			continue;
		if (!capture(pt, (uint32_t)pid, UINT64_MAX, &pi)) {
			pi.source = PROC_SRC_SCAN;
			insert(pt, &pi);
		}
	}
	closedir(d);
}

void proc_table_on_exec(struct proc_table *pt, const struct task_event *ev)
{
	struct proc_info pi;

	if (ev->kind != PROC_EXEC || !ev->pid)
		return;
	/* A live entry with the same start is this process exec'ing again. */
	if (!capture(pt, ev->pid, ev->start_ns / pt->ns_per_tick, &pi)) {
		pi.source = PROC_SRC_EXEC;
		if (ev->cgroup_id)
			pi.cgroup_id = ev->cgroup_id;
		/* Caught as a zombie: /proc still lists it but has no executable
		 * any more. The path the exec event carried stands in. */
		if (!pi.executable && ev->filename[0]) {
			pi.executable = strndup(ev->filename, strnlen(ev->filename, sizeof(ev->filename)));
			pi.hash_reason = "process_gone";
			pi.source = PROC_SRC_EVENT;
			pt->st.proc_gone++;
		}
	} else {
		pt->st.proc_gone++;
		from_event(pt, ev, &pi);
		pi.source = PROC_SRC_EVENT;
	}
	insert(pt, &pi);
}

void proc_table_on_exit(struct proc_table *pt, const struct task_event *ev)
{
	uint64_t ticks = ev->start_ns / pt->ns_per_tick;
	struct node *n, *par;
	struct proc_info pi;

	if (ev->kind != PROC_EXIT || !ev->pid)
		return;
	n = find(pt, ev->pid);
	if (n && n->pi.start_ticks > ticks)
		return;		/* a late exit of an older process with this pid */
	if (n && n->pi.start_ticks == ticks) {
		if (!n->pi.exited) {
			n->pi.exited = true;
			n->pi.exit_ns = ev->ts_ns;
			list_del(&n->lru);
			list_add_tail(&pt->exited, &n->lru);
			pt->st.exited++;
		}
		return;
	}
	/*
	 * Never saw it (forked without exec, or its exec event was lost) or
	 * the entry is an older process with the same pid. A fork runs its
	 * parent's image, so take the executable and hash from the parent.
	 */
	from_event(pt, ev, &pi);
	pi.source = PROC_SRC_EXIT;
	pi.exited = true;
	pi.exit_ns = ev->ts_ns;
	par = find(pt, ev->ppid);
	if (par && par->pi.start_ticks <= ticks && par->pi.executable) {
		pi.executable = strdup(par->pi.executable);
		pi.hash = exehash_ref(par->pi.hash);
		pi.hash_reason = par->pi.hash_reason;
		pi.facts_known = par->pi.facts_known;
		pi.exe_deleted = par->pi.exe_deleted;
		pi.fileless = par->pi.fileless;
		pi.exe_writable_by_others = par->pi.exe_writable_by_others;
		/* Same image, same argv memory: the command line is the parent's too. */
		if (par->pi.args_len && (pi.args = malloc(par->pi.args_len))) {
			memcpy(pi.args, par->pi.args, par->pi.args_len);
			pi.args_len = par->pi.args_len;
			pi.argc = par->pi.argc;
			pi.args_truncated = par->pi.args_truncated;
		}
	}
	insert(pt, &pi);
}

const struct proc_info *proc_table_get(struct proc_table *pt, uint32_t pid)
{
	struct node *n = find(pt, pid);
	struct proc_info pi;

	if (n) {
		if (!n->pi.exited) {	/* recently used: evicted last */
			list_del(&n->lru);
			list_add_tail(&pt->live, &n->lru);
		}
		return &n->pi;
	}
	if (!pid || capture(pt, pid, UINT64_MAX, &pi))
		return NULL;
	pi.source = PROC_SRC_LOOKUP;
	n = insert(pt, &pi);
	return n ? &n->pi : NULL;
}

void proc_table_gc(struct proc_table *pt, uint64_t before_ns)
{
	/* Exit events from different CPUs may arrive slightly out of order. */
	for (struct link *l = pt->exited.next, *next; l != &pt->exited; l = next) {
		next = l->next;
		if (lru_node(l)->pi.exit_ns < before_ns)
			remove_node(pt, lru_node(l));
	}
}

bool proc_table_user_name(struct proc_table *pt, uint32_t uid, char *out, size_t outsz)
{
	id_name(pt->users, uid, false, out, outsz);
	return out[0] != '\0';
}

void proc_table_get_stats(const struct proc_table *pt, struct proc_stats *st)
{
	*st = pt->st;
}

/* ---- JSON ------------------------------------------------------------- */

static void put(json_t *root, const char *path, json_t *v)
{
	if (v)
		json_set_path(root, path, v);
}

static void put_id(json_t *root, const char *path, uint32_t id)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", id);
	put(root, path, json_string(buf));
}

static json_t *at_path(json_t *root, const char *a, const char *b)
{
	return json_object_get(json_object_get(root, a), b);
}

static void put_args(const struct proc_info *pi, json_t *root)
{
	json_t *arr = json_array();
	char *line = malloc(pi->args_len ? pi->args_len : 1);
	size_t off = 0;

	if (!arr || !line) {
		json_decref(arr);
		free(line);
		return;
	}
	for (uint32_t i = 0; i < pi->argc && off < pi->args_len; i++) {
		size_t n = strnlen(pi->args + off, pi->args_len - off);
		json_array_append_new(arr, json_bytes(pi->args + off, n));
		off += n + 1;
	}
	/* The command line is argv joined by spaces, as ps shows it. */
	memcpy(line, pi->args, pi->args_len);
	for (size_t i = 0; i + 1 < pi->args_len; i++)
		if (!line[i])
			line[i] = ' ';
	put(root, "process.args", arr);
	put(root, "process.command_line", json_bytes(line, pi->args_len ? pi->args_len - 1 : 0));
	free(line);
}

void proc_to_json(const struct proc_info *pi, json_t *root)
{
	static const char *const src[] = {
		[PROC_SRC_EXEC] = "exec", [PROC_SRC_SCAN] = "scan",
		[PROC_SRC_LOOKUP] = "lookup", [PROC_SRC_EVENT] = "event",
		[PROC_SRC_EXIT] = "exit_event",
	};
	const struct proc_parent *pp;
	json_t *user;
	const char *have;
	char id[16];

	if (!pi || !root)
		return;
	pp = &pi->parent;
	put(root, "process.pid", json_integer(pi->pid));
	put(root, "process.name", json_cstr(pi->name));
	if (pi->executable)
		put(root, "process.executable", json_cstr(pi->executable));
	if (pi->argc)
		put_args(pi, root);
	put(root, "process.start", json_time(pi->start_unix_ns));
	put(root, "process.entity_id", json_string(pi->entity_id));
	if (pi->cwd)
		put(root, "process.working_directory", json_cstr(pi->cwd));
	if (pi->hash && exehash_state(pi->hash) == EXEHASH_OK)
		put(root, "process.hash.sha256", json_string(exehash_hex(pi->hash)));
	if (pi->ppid)
		put(root, "process.parent.pid", json_integer(pi->ppid));
	if (pp->known) {
		put(root, "process.parent.name", json_cstr(pp->name));
		if (pp->executable)
			put(root, "process.parent.executable", json_cstr(pp->executable));
		put(root, "process.parent.entity_id", json_string(pp->entity_id));
		put(root, "process.parent.start", json_time(pp->start_unix_ns));
	}
	/* The flow's send-time uid (set by the caller) wins over the exec-time one. */
	snprintf(id, sizeof(id), "%u", pi->uid);
	user = at_path(root, "user", "id");
	have = json_string_value(user);
	if (!user)
		put(root, "user.id", json_string(id));
	if (pi->user_name[0] && (!user || (have && !strcmp(have, id))))
		put(root, "user.name", json_cstr(pi->user_name));
	put_id(root, "group.id", pi->gid);
	if (pi->group_name[0])
		put(root, "group.name", json_cstr(pi->group_name));
	if (pi->container_id[0])
		put(root, "container.id", json_string(pi->container_id));
	if (pi->cgroup_id && !at_path(root, "exfild", "cgroup_id"))
		put(root, "exfild.cgroup_id", json_integer((json_int_t)pi->cgroup_id));
	if (pi->facts_known) {
		put(root, "exfild.process.executable_deleted", json_boolean(pi->exe_deleted));
		put(root, "exfild.process.fileless", json_boolean(pi->fileless));
		put(root, "exfild.process.executable_writable_by_others",
		    json_boolean(pi->exe_writable_by_others));
	}
	if (pi->args_truncated)
		put(root, "exfild.process.args_truncated", json_true());
	if (!pi->hash) {
		put(root, "exfild.process.hash_status", json_string("skipped"));
		put(root, "exfild.process.hash_reason", json_string(pi->hash_reason ? pi->hash_reason : "unknown"));
	} else if (exehash_state(pi->hash) == EXEHASH_SKIPPED) {
		put(root, "exfild.process.hash_status", json_string("skipped"));
		put(root, "exfild.process.hash_reason", json_string(exehash_reason(pi->hash)));
	} else {
		put(root, "exfild.process.hash_status",
		    json_string(exehash_state(pi->hash) == EXEHASH_OK ? "ok" : "pending"));
	}
	put(root, "exfild.process.context_source", json_string(src[pi->source]));
	if (pi->exited)
		put(root, "exfild.process.exited", json_true());
}
