/*
 * SHA-256 of process executables, cached by file identity (device, inode,
 * size, mtime) so a binary that runs a thousand times is hashed once.
 *
 * Files are read through /proc/PID/exe, so deleted and memfd binaries hash
 * too. Hashing is incremental: exehash_get() only opens the file (keeping
 * the fd, so the hash survives the process exiting) and exehash_pump() does
 * at most `budget` bytes of work per call, so a huge binary cannot stall
 * the agent. Call exehash_pump() once per drain, before writing records,
 * with budget = rate (EXEHASH_DEFAULT_RATE bytes/s) * interval seconds.
 *
 * Not thread-safe: one thread owns the cache (the drain loop).
 */
#ifndef EXFILD_EXEHASH_H
#define EXFILD_EXEHASH_H

#include <stddef.h>
#include <stdint.h>

#define EXEHASH_DEFAULT_RATE (64ULL << 20)	/* bytes hashed per second */
#define EXEHASH_DEFAULT_MAX_FILE (512ULL << 20)	/* bigger files are skipped */
#define EXEHASH_DEFAULT_ENTRIES 4096
/* ... and at most this much per drain, however long the interval. */
#define EXEHASH_MAX_PER_DRAIN (256ULL << 20)

enum exehash_state {
	EXEHASH_PENDING = 0,	/* opened, not fully read yet */
	EXEHASH_OK = 1,
	EXEHASH_SKIPPED = 2,	/* see exehash_reason() */
};

struct exehash;
struct exehash_entry;

struct exehash_stats {
	uint64_t entries;	/* files currently cached */
	uint64_t pending;	/* files waiting for budget */
	uint64_t open_fds;	/* fds held for pending files */
	uint64_t hashed_files;	/* completed hashes since start */
	uint64_t hashed_bytes;
	uint64_t skipped;	/* entries that ended skipped */
	uint64_t evicted;	/* finished, unused entries dropped for room */
};

/*
 * max_entries bounds the cache of unused results; entries still referenced
 * are never dropped. max_open bounds fds held for pending files: beyond it
 * a file is reopened through /proc/PID/exe when its turn comes.
 */
struct exehash *exehash_new(uint64_t max_file_bytes, size_t max_entries, size_t max_open);
/* Every reference must have been put back before this. */
void exehash_free(struct exehash *eh);

/*
 * The entry for the executable of process pid, with a new reference.
 * proc_dirfd is an open /proc/PID directory (or -1: open by pid), which
 * pins the exact process even if the pid is reused meanwhile.
 * NULL when there is no executable to read (process gone, kernel thread).
 */
struct exehash_entry *exehash_get(struct exehash *eh, int proc_dirfd, uint32_t pid);
struct exehash_entry *exehash_ref(struct exehash_entry *e);
/* Drop a reference; an unreferenced pending hash is abandoned. NULL is ok. */
void exehash_put(struct exehash_entry *e);

/* The budget for one drain of an interval of that many seconds. */
uint64_t exehash_budget(uint32_t interval_s);

/* Hash up to budget bytes of pending files, oldest first; returns bytes read. */
uint64_t exehash_pump(struct exehash *eh, uint64_t budget);

enum exehash_state exehash_state(const struct exehash_entry *e);
const char *exehash_hex(const struct exehash_entry *e);	/* 64 hex chars, or NULL */
/* Why skipped: "too_large", "not_regular", "open_failed", "read_error",
 * "changed" (file modified while being hashed), "no_memory"; else NULL. */
const char *exehash_reason(const struct exehash_entry *e);

void exehash_get_stats(const struct exehash *eh, struct exehash_stats *st);

#endif
