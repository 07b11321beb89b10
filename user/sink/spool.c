#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fsafe.h"
#include "log.h"
#include "spool.h"
#include "spool_rec.h"

struct spool_ent {
	uint64_t seq, off;
	uint32_t len;		/* payload */
};

struct spool {
	char dir[256], path[300];
	int fd, lock_fd;
	uint64_t max, size;
	struct spool_ent *ix;
	size_t n, cap;
	uint64_t next_seq, dropped, damaged;
};

static int ix_push(struct spool *sp, uint64_t seq, uint64_t off, uint32_t len)
{
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 256;
		struct spool_ent *n = realloc(sp->ix, cap * sizeof(*n));

		if (!n)
			return -1;
		sp->ix = n;
		sp->cap = cap;
	}
	sp->ix[sp->n++] = (struct spool_ent){ seq, off, len };
	return 0;
}

static int read_all(int fd, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t n = 0;

	if (fstat(fd, &st))
		return -1;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -1;
	while (n < (size_t)st.st_size) {
		ssize_t r = pread(fd, buf + n, (size_t)st.st_size - n, (off_t)n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Index every valid record; skip damaged ones, cut a torn tail. */
static int scan(struct spool *sp)
{
	uint8_t *buf;
	size_t len, o = 0;
	uint64_t last = 0;

	sp->n = 0;
	if (read_all(sp->fd, &buf, &len))
		return -1;
	while (o < len) {
		struct spool_rec r;
		size_t next;

		if (spool_rec_parse(buf + o, len - o, &r) == SPOOL_REC_OK && r.seq > last) {
			if (ix_push(sp, r.seq, o, r.len)) {
				free(buf);
				return -1;
			}
			last = r.seq;
			o += r.size;
			continue;
		}
		next = spool_rec_resync(buf, len, o + 1);
		sp->damaged++;
		if (next == len) {
			log_warn("alert spool %s: torn record at byte %zu (%zu bytes, an interrupted "
				 "write) skipped and cut off", sp->path, o, len - o);
			if (ftruncate(sp->fd, (off_t)o))
				log_warn("alert spool %s: cannot cut the torn record: %s", sp->path,
					 strerror(errno));
			len = o;
			break;
		}
		log_warn("alert spool %s: damaged record at byte %zu (%zu bytes) skipped", sp->path,
			 o, next - o);
		o = next;
	}
	free(buf);
	sp->size = len;
	if (last >= sp->next_seq)
		sp->next_seq = last + 1;
	return 0;
}

static void pos_path(const struct spool *sp, const char *id, char *buf, size_t len)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	snprintf(buf, len, "%s/pos-%016llx", sp->dir, (unsigned long long)h);
}

static int read_pos_file(const char *path, uint64_t *seq)
{
	char buf[80];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 ? spool_pos_parse(buf, (size_t)n, seq) : -1;
}

/*
 * Sequence numbers continue past every position ever stored. With nothing
 * spooled, every position means the same as none ("deliver what comes"), so
 * the files of sinks long gone are removed instead of piling up.
 */
static void positions_floor(struct spool *sp, bool remove)
{
	DIR *d = opendir(sp->dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[600];
		uint64_t seq;

		if (strncmp(e->d_name, "pos-", 4))
			continue;
		snprintf(p, sizeof(p), "%s/%s", sp->dir, e->d_name);
		if (!read_pos_file(p, &seq) && seq >= sp->next_seq)
			sp->next_seq = seq + 1;
		if (remove)
			unlink(p);
	}
	closedir(d);
}

int spool_has_data(const char *dir)
{
	char p[300];
	struct stat st;

	snprintf(p, sizeof(p), "%s/alerts.spool", dir);
	return !lstat(p, &st) && st.st_size > 0;
}

struct spool *spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	char lock[300];

	if (!sp || strlen(dir) >= sizeof(sp->dir)) {
		snprintf(err, errlen, "alert spool %s: %s", dir, sp ? "path too long" : "out of memory");
		free(sp);
		return NULL;
	}
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	snprintf(sp->path, sizeof(sp->path), "%s/alerts.spool", dir);
	snprintf(lock, sizeof(lock), "%s/alerts.lock", dir);
	sp->max = max_bytes;
	sp->next_seq = 1;
	sp->fd = sp->lock_fd = -1;
	if (fsafe_dir(dir, err, errlen))
		goto fail;
	sp->lock_fd = fsafe_open(lock, O_RDWR | O_CREAT, err, errlen);
	if (sp->lock_fd < 0)
		goto fail;
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "alert spool %s is in use by another exfild (stop it, or "
			 "use another --state-dir)", sp->path);
		goto fail;
	}
	sp->fd = fsafe_open(sp->path, O_RDWR | O_CREAT | O_APPEND, err, errlen);
	if (sp->fd < 0)
		goto fail;
	positions_floor(sp, false);
	if (scan(sp)) {
		snprintf(err, errlen, "alert spool %s: cannot read: %s", sp->path, strerror(errno));
		goto fail;
	}
	if (sp->n == 0)
		positions_floor(sp, true);
	return sp;
fail:
	spool_close(sp);
	return NULL;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);
	free(sp->ix);
	free(sp);
}

static int copy_range(int from, int to, uint64_t off, size_t len)
{
	char buf[65536];

	while (len) {
		ssize_t r = pread(from, buf, len < sizeof(buf) ? len : sizeof(buf), (off_t)off);

		if (r <= 0 || write(to, buf, (size_t)r) != r)
			return -1;
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	return 0;
}

/*
 * Rewrite the spool with the entries from `first` on (temp file, fsync,
 * rename), so the file never holds a half-written compaction.
 */
static int rewrite_from(struct spool *sp, size_t first)
{
	char tmp[320], err[400];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", sp->path);
	unlink(tmp);
	fd = fsafe_open(tmp, O_RDWR | O_CREAT | O_EXCL | O_APPEND, err, sizeof(err));
	if (fd < 0) {
		log_err("alert spool: %s", err);
		return -1;
	}
	for (size_t i = first; i < sp->n; i++)
		if (copy_range(sp->fd, fd, sp->ix[i].off, SPOOL_REC_HDR + (size_t)sp->ix[i].len)) {
			log_err("alert spool: compacting into %s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
	if (fsync(fd) || rename(tmp, sp->path)) {
		log_err("alert spool: replacing %s: %s", sp->path, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(sp->fd);
	sp->fd = fd;
	return scan(sp);
}

/* Make room for need more bytes: what every sink has first, then the oldest. */
static int make_room(struct spool *sp, uint64_t min_acked, uint64_t need)
{
	size_t first = 0, drop = 0;
	uint64_t keep_bytes = sp->size;
	uint64_t target = sp->max - sp->max / 4;	/* a quarter free: not once per alert */

	if (need > sp->max)
		return -1;
	if (target < need)
		target = need;
	/* What every sink has goes first; undelivered alerts only if that is not enough. */
	while (first < sp->n && sp->ix[first].seq <= min_acked)
		keep_bytes -= SPOOL_REC_HDR + sp->ix[first++].len;
	if (keep_bytes + need > sp->max)
		while (first < sp->n && keep_bytes + need > target) {
			keep_bytes -= SPOOL_REC_HDR + sp->ix[first++].len;
			drop++;
		}
	if (drop) {
		sp->dropped += drop;
		log_warn("alert spool %s is full (%llu bytes, --spool-size): dropped the %zu oldest "
			 "undelivered alerts (%llu so far)", sp->path, (unsigned long long)sp->max,
			 drop, (unsigned long long)sp->dropped);
	}
	return rewrite_from(sp, first);
}

int spool_append(struct spool *sp, const void *data, uint32_t len, uint64_t min_acked,
		 uint64_t *seq)
{
	uint8_t hdr[SPOOL_REC_HDR];
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)data, len } };
	uint64_t need = SPOOL_REC_HDR + (uint64_t)len;
	ssize_t w;

	if (len == 0 || len > SPOOL_REC_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (sp->size + need > sp->max && make_room(sp, min_acked, need)) {
		errno = ENOSPC;
		return -1;
	}
	spool_rec_header(hdr, sp->next_seq, data, len);
	w = writev(sp->fd, iov, 2);
	if (w != (ssize_t)need || fdatasync(sp->fd)) {
		int e = w < 0 ? errno : ENOSPC;

		/* Nothing half-written stays behind to be read as damage. */
		if (ftruncate(sp->fd, (off_t)sp->size))
			log_warn("alert spool %s: cannot cut a failed append: %s", sp->path,
				 strerror(errno));
		errno = e;
		return -1;
	}
	if (ix_push(sp, sp->next_seq, sp->size, len))
		return -1;
	sp->size += need;
	*seq = sp->next_seq++;
	return 0;
}

/* Index of the first entry with seq > after (entries are in seq order). */
static size_t first_after(const struct spool *sp, uint64_t after)
{
	size_t lo = 0, hi = sp->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sp->ix[mid].seq <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int spool_next(struct spool *sp, uint64_t after, uint64_t *seq, char **data, size_t *len)
{
	size_t i = first_after(sp, after);
	const struct spool_ent *e;
	uint8_t *buf;
	struct spool_rec r;
	size_t total;

	if (i >= sp->n)
		return 0;
	e = &sp->ix[i];
	total = SPOOL_REC_HDR + (size_t)e->len;
	buf = malloc(total);
	if (!buf)
		return -1;
	/* Checked again: what the disk gives back is what was fsynced. */
	if (pread(sp->fd, buf, total, (off_t)e->off) != (ssize_t)total ||
	    spool_rec_parse(buf, total, &r) != SPOOL_REC_OK || r.seq != e->seq) {
		log_warn("alert spool %s: record %llu no longer reads back intact; skipped",
			 sp->path, (unsigned long long)e->seq);
		sp->damaged++;
		free(buf);
		*seq = e->seq;
		*data = NULL;
		*len = 0;
		return 1;
	}
	memmove(buf, buf + SPOOL_REC_HDR, e->len);
	*seq = e->seq;
	*data = (char *)buf;
	*len = e->len;
	return 1;
}

size_t spool_count_after(const struct spool *sp, uint64_t seq)
{
	return sp->n - first_after(sp, seq);
}

uint64_t spool_start(const struct spool *sp)
{
	return sp->n ? sp->ix[0].seq - 1 : sp->next_seq - 1;
}

void spool_trim(struct spool *sp, uint64_t min_acked)
{
	if (sp->n == 0 || sp->ix[sp->n - 1].seq > min_acked)
		return;
	if (ftruncate(sp->fd, 0) || fdatasync(sp->fd)) {
		log_warn("alert spool %s: cannot empty it: %s", sp->path, strerror(errno));
		return;
	}
	sp->n = 0;
	sp->size = 0;
}

uint64_t spool_pos_load(struct spool *sp, const char *id)
{
	char p[320];
	uint64_t seq;

	pos_path(sp, id, p, sizeof(p));
	if (read_pos_file(p, &seq))
		return spool_start(sp);
	return seq;
}

int spool_pos_store(struct spool *sp, const char *id, uint64_t seq)
{
	char p[320], tmp[330], text[64], err[400];
	int fd, n = spool_pos_format(text, sizeof(text), seq);

	pos_path(sp, id, p, sizeof(p));
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	unlink(tmp);
	fd = fsafe_open(tmp, O_WRONLY | O_CREAT | O_EXCL, err, sizeof(err));
	if (fd < 0)
		return -1;
	/* No fsync: a position lost to a crash only means an alert sent twice. */
	if (write(fd, text, (size_t)n) != n || rename(tmp, p)) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return 0;
}

uint64_t spool_dropped(const struct spool *sp)
{
	return sp->dropped;
}

uint64_t spool_damaged(const struct spool *sp)
{
	return sp->damaged;
}
