/* Reorder windows per file and a merge across files (see replay_merge.h). */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "replay_merge.h"

/*
 * A held record, packed: the observation, then the strings back to back
 * (host, process name, executable, user), then the geo when it has one.
 * Holding full replay_recs would cost 2 KB each.
 */
struct held {
	struct flow_obs obs;
	bool has_geo;
	uint16_t len[4];
	char data[];
};

/* The heap orders by keys kept in the array itself: comparing them walks
 * no pointers, so a pop costs no cache misses per level. */
struct slot {
	int64_t end_ns;
	uint64_t seq;
	struct held *h;
};

struct stream {
	struct replay_file *file;
	struct slot *heap;
	size_t n, cap;
	int64_t newest;		/* largest end time read from this file */
	uint64_t seq;
	int done;
};

struct replay_merge {
	struct stream *s;
	size_t n;
	int64_t window_ns;
	size_t window_records;
	int64_t clock;		/* end time of the last record handed out */
	int started;
	uint64_t late;
	int failed;
};

static int before(const struct slot *a, const struct slot *b)
{
	return a->end_ns != b->end_ns ? a->end_ns < b->end_ns : a->seq < b->seq;
}

static void sift_up(struct slot *h, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;

		if (!before(&h[i], &h[p]))
			break;
		struct slot t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

static void sift_down(struct slot *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && before(&h[l], &h[m]))
			m = l;
		if (r < n && before(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct slot t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static struct held *pack(const struct replay_rec *r)
{
	const char *str[4] = { r->host, r->process_name, r->process_executable, r->user_name };
	size_t len[4], total = 0;
	struct held *h;

	for (int i = 0; i < 4; i++)
		total += (len[i] = strlen(str[i]));
	h = malloc(sizeof(*h) + total + (r->has_geo ? sizeof(struct geo_info) : 0));
	if (!h)
		return NULL;
	h->obs = r->obs;
	h->has_geo = r->has_geo;
	char *p = h->data;
	for (int i = 0; i < 4; i++) {
		h->len[i] = (uint16_t)len[i];	/* fields are shorter than 64 KiB */
		memcpy(p, str[i], len[i]);
		p += len[i];
	}
	if (r->has_geo)
		memcpy(p, &r->geo, sizeof(r->geo));
	return h;
}

static void unpack(const struct held *h, struct replay_rec *r)
{
	char *dst[4] = { r->host, r->process_name, r->process_executable, r->user_name };
	const char *p = h->data;

	replay_rec_init(r);
	r->obs = h->obs;
	r->obs.host_name = r->host;
	for (int i = 0; i < 4; i++) {
		memcpy(dst[i], p, h->len[i]);
		dst[i][h->len[i]] = '\0';
		p += h->len[i];
	}
	r->has_geo = h->has_geo;
	if (h->has_geo)
		memcpy(&r->geo, p, sizeof(r->geo));
}

struct replay_merge *replay_merge_new(struct replay_file **files, size_t n, int64_t window_ns,
				      size_t window_records)
{
	struct replay_merge *m = calloc(1, sizeof(*m));

	if (!m || !(m->s = calloc(n ? n : 1, sizeof(*m->s)))) {
		free(m);
		for (size_t i = 0; i < n; i++)
			replay_file_close(files[i]);
		return NULL;
	}
	m->n = n;
	m->window_ns = window_ns;
	/* The cap is for all files together, so memory does not grow with
	 * their number; each still holds enough to sort what Zeek reorders. */
	m->window_records = window_records / (n ? n : 1);
	if (m->window_records < 1024 && window_records >= 1024)
		m->window_records = 1024;
	if (!m->window_records)
		m->window_records = 1;
	for (size_t i = 0; i < n; i++)
		m->s[i].file = files[i];
	return m;
}

static int push(struct stream *s, struct held *h)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct slot *nh = realloc(s->heap, cap * sizeof(*nh));

		if (!nh)
			return -1;
		s->heap = nh;
		s->cap = cap;
	}
	s->heap[s->n] = (struct slot){ h->obs.end_ns, s->seq++, h };
	sift_up(s->heap, s->n++);
	return 0;
}

/* Is the stream's smallest record safe to hand out? */
static int ready(const struct replay_merge *m, const struct stream *s)
{
	return s->n && (s->done || s->n >= m->window_records ||
			s->heap[0].end_ns <= s->newest - m->window_ns);
}

static void fill(struct replay_merge *m, struct stream *s)
{
	struct replay_rec r;
	char err[512];

	while (!s->done && !ready(m, s)) {
		int rc = replay_file_next(s->file, &r, err, sizeof(err));
		struct held *h;

		if (rc <= 0) {
			if (rc < 0) {
				log_err("%s", err);
				m->failed = 1;
			}
			s->done = 1;
			break;
		}
		if (!(h = pack(&r)) || push(s, h)) {
			free(h);
			log_err("%s: out of memory holding records to sort; the rest of it is not read",
				replay_file_name(s->file));
			m->failed = 1;
			s->done = 1;
			break;
		}
		if (r.obs.end_ns > s->newest)
			s->newest = r.obs.end_ns;
	}
}

int replay_merge_next(struct replay_merge *m, struct replay_rec *out)
{
	struct stream *best = NULL;

	for (size_t i = 0; i < m->n; i++) {
		struct stream *s = &m->s[i];

		fill(m, s);
		/* Across files only the time counts; a tie goes to the file named first. */
		if (s->n && (!best || s->heap[0].end_ns < best->heap[0].end_ns))
			best = s;
	}
	if (!best)
		return 0;
	struct held *h = best->heap[0].h;
	best->heap[0] = best->heap[--best->n];
	sift_down(best->heap, best->n, 0);
	unpack(h, out);
	free(h);
	/* Time never goes back for detection: a record later than the
	 * window is replayed now rather than lost. */
	if (m->started && out->obs.end_ns < m->clock) {
		m->late++;
		out->obs.end_ns = m->clock;
		if (out->obs.start_ns > out->obs.end_ns)
			out->obs.start_ns = out->obs.end_ns;
	}
	m->clock = out->obs.end_ns;
	m->started = 1;
	return 1;
}

int replay_merge_failed(const struct replay_merge *m)
{
	return m->failed;
}

uint64_t replay_merge_late(const struct replay_merge *m)
{
	return m->late;
}

void replay_merge_free(struct replay_merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		struct stream *s = &m->s[i];

		for (size_t j = 0; j < s->n; j++)
			free(s->heap[j].h);
		free(s->heap);
		replay_file_close(s->file);
	}
	free(m->s);
	free(m);
}
