/* Executable SHA-256 cache with a byte budget; see exehash.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "exehash.h"
#include "fileid.h"

#define CHUNK (64 * 1024)

struct exehash_entry {
	struct exehash *eh;
	struct exehash_entry *next;	/* hash chain */
	/* identity: a rebuilt binary gets a new mtime (or inode), so a new entry */
	struct file_id id;
	enum exehash_state state;
	const char *reason;
	char hex[65];
	unsigned refs;
	uint64_t seq;		/* creation order: pending files go oldest first */
	uint64_t used;		/* last exehash_get: unused results leave LRU */
	int fd;			/* held while pending, -1 otherwise */
	uint32_t pid;		/* to reopen through when no fd could be held */
	off_t done;		/* bytes already hashed */
	EVP_MD_CTX *ctx;
};

struct exehash {
	struct exehash_entry **bucket;
	size_t nbucket, max_entries, max_open;
	uint64_t max_file, clock;
	struct exehash_stats st;
	unsigned char *buf;
};

static size_t slot(const struct exehash *eh, dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)dev * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)ino;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (size_t)(h ^ (h >> 32)) & (eh->nbucket - 1);
}

static bool same_file(const struct exehash_entry *e, const struct stat *st)
{
	return file_id_matches(&e->id, st);
}

struct exehash *exehash_new(uint64_t max_file_bytes, size_t max_entries, size_t max_open)
{
	struct exehash *eh = calloc(1, sizeof(*eh));

	if (!eh)
		return NULL;
	eh->max_file = max_file_bytes;
	eh->max_entries = max_entries ? max_entries : 1;
	eh->max_open = max_open;
	eh->nbucket = 64;
	while (eh->nbucket < eh->max_entries / 2 && eh->nbucket < (1u << 20))
		eh->nbucket <<= 1;
	eh->bucket = calloc(eh->nbucket, sizeof(*eh->bucket)); /* NOLINT(bugprone-sizeof-expression): an array of pointers */
	eh->buf = malloc(CHUNK);
	if (!eh->bucket || !eh->buf) {
		exehash_free(eh);
		return NULL;
	}
	return eh;
}

/* Give back the fd and digest state of a pending entry. */
static void release(struct exehash_entry *e)
{
	if (e->fd >= 0) {
		close(e->fd);
		e->fd = -1;
		e->eh->st.open_fds--;
	}
	EVP_MD_CTX_free(e->ctx);
	e->ctx = NULL;
	if (e->state == EXEHASH_PENDING)
		e->eh->st.pending--;
}

/* End the work on an entry. */
static void finish(struct exehash_entry *e, enum exehash_state state, const char *reason)
{
	struct exehash *eh = e->eh;

	release(e);
	e->state = state;
	e->reason = reason;
	if (state == EXEHASH_SKIPPED)
		eh->st.skipped++;
}

static void drop(struct exehash_entry *e)
{
	struct exehash *eh = e->eh;
	struct exehash_entry **pp = &eh->bucket[slot(eh, e->id.dev, e->id.ino)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	release(e);
	eh->st.entries--;
	free(e);
}

void exehash_free(struct exehash *eh)
{
	if (!eh)
		return;
	for (size_t i = 0; eh->bucket && i < eh->nbucket; i++)
		while (eh->bucket[i])
			drop(eh->bucket[i]);
	free(eh->bucket);
	free(eh->buf);
	free(eh);
}

/* Make room: drop the least recently used finished entry nobody refers to. */
static void evict_one(struct exehash *eh)
{
	struct exehash_entry *victim = NULL;

	for (size_t i = 0; i < eh->nbucket; i++)
		for (struct exehash_entry *e = eh->bucket[i]; e; e = e->next)
			if (!e->refs && e->state != EXEHASH_PENDING &&
			    (!victim || e->used < victim->used))
				victim = e;
	if (victim) {
		drop(victim);
		eh->st.evicted++;
	}
}

/*
 * Open the executable itself (through the magic link, which works for
 * deleted and memfd files) and check it is still the file we keyed on.
 */
static int open_exe(struct exehash_entry *e, int dirfd, uint32_t pid)
{
	char path[64];
	struct stat st;
	int fd = -1;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	/* O_NOATIME: hashing must not disturb the evidence an analyst reads. */
	for (int flags = O_RDONLY | O_CLOEXEC | O_NOATIME;; flags &= ~O_NOATIME) {
		fd = dirfd >= 0 ? openat(dirfd, "exe", flags) : open(path, flags);
		if (fd >= 0 || errno != EPERM || !(flags & O_NOATIME))
			break;
	}
	if (fd < 0) {
		finish(e, EXEHASH_SKIPPED, "open_failed");
		return -1;
	}
	if (fstat(fd, &st) || !same_file(e, &st)) {
		close(fd);
		finish(e, EXEHASH_SKIPPED, "changed");
		return -1;
	}
	e->fd = fd;
	e->eh->st.open_fds++;
	return 0;
}

struct exehash_entry *exehash_get(struct exehash *eh, int proc_dirfd, uint32_t pid)
{
	struct exehash_entry *e;
	struct stat st;
	char path[64];
	int r;

	if (!eh)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	r = proc_dirfd >= 0 ? fstatat(proc_dirfd, "exe", &st, 0) : stat(path, &st);
	if (r)
		return NULL;
	for (e = eh->bucket[slot(eh, st.st_dev, st.st_ino)]; e; e = e->next) {
		if (same_file(e, &st)) {
			e->refs++;
			e->used = ++eh->clock;
			if (e->state == EXEHASH_PENDING && e->fd < 0)
				e->pid = pid;	/* the newest user is the likeliest alive */
			return e;
		}
	}
	if (eh->st.entries >= eh->max_entries)
		evict_one(eh);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->eh = eh;
	file_id_of(&st, &e->id);
	e->refs = 1;
	e->seq = e->used = ++eh->clock;
	e->fd = -1;
	e->pid = pid;
	e->state = EXEHASH_PENDING;
	eh->st.pending++;
	e->next = eh->bucket[slot(eh, st.st_dev, st.st_ino)];
	eh->bucket[slot(eh, st.st_dev, st.st_ino)] = e;
	eh->st.entries++;
	if (!S_ISREG(st.st_mode))
		finish(e, EXEHASH_SKIPPED, "not_regular");
	else if ((uint64_t)st.st_size > eh->max_file)
		finish(e, EXEHASH_SKIPPED, "too_large");
	else if (eh->st.open_fds < eh->max_open)
		open_exe(e, proc_dirfd, pid);	/* failure marks it skipped */
	return e;
}

struct exehash_entry *exehash_ref(struct exehash_entry *e)
{
	if (e)
		e->refs++;
	return e;
}

void exehash_put(struct exehash_entry *e)
{
	if (!e || --e->refs)
		return;
	/* Nobody will print this hash: do not spend budget on it. */
	if (e->state == EXEHASH_PENDING)
		drop(e);
}

static struct exehash_entry *oldest_pending(struct exehash *eh)
{
	struct exehash_entry *best = NULL;

	for (size_t i = 0; i < eh->nbucket; i++)
		for (struct exehash_entry *e = eh->bucket[i]; e; e = e->next)
			if (e->state == EXEHASH_PENDING && (!best || e->seq < best->seq))
				best = e;
	return best;
}

/* Hash what the budget allows of e; returns bytes read. */
static uint64_t work(struct exehash_entry *e, uint64_t budget)
{
	struct exehash *eh = e->eh;
	uint64_t total = 0;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct stat st;

	if (e->fd < 0 && open_exe(e, -1, e->pid))
		return 0;
	if (!e->ctx) {
		e->ctx = EVP_MD_CTX_new();
		if (!e->ctx || !EVP_DigestInit_ex(e->ctx, EVP_sha256(), NULL)) {
			finish(e, EXEHASH_SKIPPED, "no_memory");
			return 0;
		}
	}
	while (e->done < e->id.size && budget) {
		size_t n = CHUNK;
		if ((uint64_t)n > budget)
			n = (size_t)budget;
		if ((uint64_t)n > (uint64_t)(e->id.size - e->done))
			n = (size_t)(e->id.size - e->done);
		ssize_t r = pread(e->fd, eh->buf, n, e->done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			finish(e, EXEHASH_SKIPPED, r ? "read_error" : "changed");
			return total;
		}
		if (!EVP_DigestUpdate(e->ctx, eh->buf, (size_t)r)) {
			finish(e, EXEHASH_SKIPPED, "no_memory");
			return total;
		}
		e->done += r;
		total += (uint64_t)r;
		budget -= (uint64_t)r;
	}
	if (e->done < e->id.size)
		return total;
	/* A file rewritten in place while we read it has no single hash. */
	if (fstat(e->fd, &st) || !same_file(e, &st)) {
		finish(e, EXEHASH_SKIPPED, "changed");
		return total;
	}
	if (!EVP_DigestFinal_ex(e->ctx, md, &mdlen) || mdlen != 32) {
		finish(e, EXEHASH_SKIPPED, "no_memory");
		return total;
	}
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(e->hex + 2 * i, 3, "%02x", md[i]);
	finish(e, EXEHASH_OK, NULL);
	eh->st.hashed_files++;
	return total;
}

uint64_t exehash_pump(struct exehash *eh, uint64_t budget)
{
	uint64_t total = 0;
	struct exehash_entry *e;

	if (!eh)
		return 0;
	/* Stop when the budget is gone; an empty file still completes. */
	while ((e = oldest_pending(eh))) {
		if (!budget && e->done < e->id.size)
			break;
		uint64_t n = work(e, budget);
		total += n;
		budget -= n;
	}
	eh->st.hashed_bytes += total;
	return total;
}

enum exehash_state exehash_state(const struct exehash_entry *e) { return e->state; }

const char *exehash_hex(const struct exehash_entry *e)
{
	return e->state == EXEHASH_OK ? e->hex : NULL;
}

const char *exehash_reason(const struct exehash_entry *e)
{
	return e->state == EXEHASH_SKIPPED ? e->reason : NULL;
}

void exehash_get_stats(const struct exehash *eh, struct exehash_stats *st)
{
	*st = eh->st;
}

uint64_t exehash_budget(uint32_t interval_s)
{
	uint64_t b = EXEHASH_DEFAULT_RATE * interval_s;

	return b < EXEHASH_MAX_PER_DRAIN ? b : EXEHASH_MAX_PER_DRAIN;
}
