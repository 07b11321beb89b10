/*
 * The sink set: routing by record kind, the bounded queues, the pump
 * that writes when a transport can take it, and the alert spool's
 * positions (what each sink accepted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "log.h"
#include "sink_int.h"
#include "spool.h"
#include "syslog_fmt.h"

#define PUMP_IOV 64
#define PUMP_BYTES (1u << 20)
#define FEED_ALERTS 32		/* alerts from the spool in one sink's queue at once */
#define BATCH_COUNT 64		/* a drain's records go out in batches this big */
#define BATCH_BYTES (256u << 10)
#define RETRY_NS (1 * NS_PER_SEC)	/* a failed file write is tried again after */
#define CONFIRM_NS (5 * 1000000LL)	/* how often unacknowledged alerts are checked */

struct sinkset {
	struct loop *loop;
	struct sink_config c;
	char host[256];
	struct sink **v;
	size_t n;
	bool has_alert_sinks;
	struct spool *spool;
	bool spool_failed;	/* said once: alerts are kept in memory only */
	uint64_t alerts_lost;	/* unspooled alerts that found no room */
};

struct loop *sink_loop(const struct sink *s)
{
	return s->ss->loop;
}

const struct sink_config *sink_conf(const struct sink *s)
{
	return &s->ss->c;
}

int sink_check_spec(const char *spec, char *err, size_t errlen)
{
	struct sink_spec sp;

	return sink_spec_parse(spec, &sp, err, errlen);
}

struct sinkset *sinkset_new(struct loop *l, const struct sink_config *c)
{
	struct sinkset *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->loop = l;
	ss->c = *c;
	if (!ss->c.state_dir || !ss->c.state_dir[0])
		ss->c.state_dir = SINK_DEFAULT_STATE_DIR;
	if (!ss->c.spool_max)
		ss->c.spool_max = SINK_DEFAULT_SPOOL_MAX;
	if (!ss->c.queue_max)
		ss->c.queue_max = SINK_DEFAULT_QUEUE_MAX;
	syslog_hostname(c->host_name, ss->host, sizeof(ss->host));
	return ss;
}

/* ---- descriptors -------------------------------------------------------- */

static void on_fd(void *arg, int fd, uint32_t events)
{
	struct sink *s = arg;

	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		s->blocked = false;
	if (s->t->event)
		s->t->event(s, events);
	sink_pump(s);
}

int sink_attach_fd(struct sink *s, int fd)
{
	s->fd = fd;
	s->events = s->want;
	/* epoll refuses regular files (always writable): those are written directly. */
	s->in_loop = s->pollable = loop_add(s->ss->loop, fd, s->events, on_fd, s) == 0;
	return s->pollable || errno == EPERM ? 0 : -1;
}

void sink_detach_fd(struct sink *s)
{
	if (s->in_loop)
		loop_del(s->ss->loop, s->fd);
	s->in_loop = s->pollable = false;
	s->fd = -1;
}

void sink_update_events(struct sink *s)
{
	uint32_t ev = s->want;

	if (!s->pollable)
		return;
	/* A stalled stream (reader gone: EPOLLERR is always reported) leaves
	 * the loop until its retry timer, or it would wake the loop forever. */
	if (s->stalled) {
		if (s->in_loop)
			loop_del(s->ss->loop, s->fd);
		s->in_loop = false;
		return;
	}
	if (s->up && s->q.count)
		ev |= EPOLLOUT;
	if (!s->in_loop) {
		s->in_loop = loop_add(s->ss->loop, s->fd, ev, on_fd, s) == 0;
		s->events = ev;
	} else if (ev != s->events && loop_set(s->ss->loop, s->fd, ev) == 0) {
		s->events = ev;
	}
}

/* ---- spool positions ---------------------------------------------------- */

static uint64_t min_acked(const struct sinkset *ss)
{
	uint64_t m = UINT64_MAX;

	for (size_t i = 0; i < ss->n; i++)
		if ((ss->v[i]->kinds & REC_BIT(REC_ALERT)) && ss->v[i]->acked_seq < m)
			m = ss->v[i]->acked_seq;
	return m;
}

static void infl_push(struct sink *s, uint64_t seq, uint64_t end)
{
	if (s->n_infl == s->cap_infl) {
		size_t cap = s->cap_infl ? s->cap_infl * 2 : 64;
		struct inflight *n = realloc(s->infl, cap * sizeof(*n));

		if (!n)
			return;	/* not confirmed now: sent again after a reconnect */
		s->infl = n;
		s->cap_infl = cap;
	}
	s->infl[s->n_infl++] = (struct inflight){ seq, end };
}

/* Past the last failure: the receiver has taken something since. */
static void recovered(struct sink *s)
{
	if (s->why[0])
		log_info("output %s works again", s->spec);
	s->why[0] = 0;
}

static void confirm(struct sink *s);

static void on_confirm_timer(void *arg)
{
	confirm(arg);
}

/* Advance the position over every alert the receiver has acknowledged. */
static void confirm(struct sink *s)
{
	struct sinkset *ss = s->ss;
	uint64_t ack, last = s->acked_seq;
	size_t k = 0;

	if (!s->n_infl)
		return;
	ack = s->t->acked ? s->t->acked(s) : s->written;
	while (k < s->n_infl && s->infl[k].end <= ack)
		last = s->infl[k++].seq;
	memmove(s->infl, s->infl + k, (s->n_infl - k) * sizeof(*s->infl));
	s->n_infl -= k;
	if (last != s->acked_seq) {
		recovered(s);
		s->acked_seq = last;
		if (ss->spool && spool_pos_store(ss->spool, s->spec, last))
			log_warn("alert spool: cannot store the position of %s: %s (alerts may be "
				 "sent again after a restart)", s->spec, strerror(errno));
		if (ss->spool)
			spool_trim(ss->spool, min_acked(ss));
	}
	if (s->n_infl)
		loop_timer_set(ss->loop, &s->confirm, clock_ns(CLOCK_MONOTONIC) + CONFIRM_NS,
			       on_confirm_timer, s);
}

/* ---- queueing ----------------------------------------------------------- */

static int enqueue(struct sink *s, enum rec_kind kind, uint64_t seq, int sev, const char *line,
		   size_t len)
{
	struct sinkset *ss = s->ss;
	size_t limit = ss->c.queue_max + (kind == REC_FLOW ? 0 : ss->c.queue_max / 4);
	struct sink_msg *m;

	if (s->t->syslog) {
		size_t n;
		char *b = syslog_format(kind, sev, line, len, ss->host, (long)getpid(),
					clock_ns(CLOCK_REALTIME), s->t->octet_count, &n);

		m = b && (seq || s->q.bytes + n <= limit) ? msg_new(kind, seq, b, n) : NULL;
		free(b);
	} else {
		m = seq || s->q.bytes + len + 1 <= limit ? msg_new(kind, seq, line, len + 1) : NULL;
		if (m)
			m->data[len] = '\n';
	}
	if (!m) {
		if (kind == REC_ALERT)
			s->alerts_lost++;
		else
			s->dropped++;
		return -1;
	}
	msgq_push(&s->q, m);
	return 0;
}

/* Move spooled alerts after fed_seq into the queue, a few at a time. */
static void feed(struct sink *s)
{
	struct spool *sp = s->ss->spool;

	if (!sp || !(s->kinds & REC_BIT(REC_ALERT)) || !s->up)
		return;
	while (s->q.alerts < FEED_ALERTS && s->q.bytes < s->ss->c.queue_max) {
		uint64_t seq;
		char *data;
		size_t len;
		struct sink_msg *m;

		if (spool_next(sp, s->fed_seq, &seq, &data, &len) <= 0)
			break;
		s->fed_seq = seq;
		if (!data || len < 2 || data[0] < '0' || data[0] > '7') {
			/* Unreadable: skipped (warned), yet in order for the position. */
			m = msg_new(REC_ALERT, seq, "", 0);
			if (m)
				msgq_push(&s->q, m);
		} else {
			enqueue(s, REC_ALERT, seq, data[0] - '0', data + 1, len - 1);
		}
		free(data);
	}
}

/* Take done written bytes off the queue; finished alerts wait for confirmation. */
static void consume(struct sink *s, size_t done)
{
	struct sink_msg *m;

	while ((m = s->q.head)) {
		size_t rem = m->len - s->q.head_off;

		if (rem > done) {
			s->q.head_off += done;
			s->written += done;
			return;
		}
		done -= rem;
		s->written += rem;
		msgq_pop(&s->q);
		if (m->kind == REC_ALERT && m->seq)
			infl_push(s, m->seq, s->written);
		free(m);
	}
}

static void on_retry(void *arg)
{
	struct sink *s = arg;

	s->stalled = false;
	sink_pump(s);
}

void sink_pump(struct sink *s)
{
	struct iovec iov[PUMP_IOV];

	if (s->up && !s->stalled && !s->blocked) {
		feed(s);
		for (;;) {
			size_t done = 0;
			enum xp_result r;
			int n;

			consume(s, 0);	/* empty placeholders of skipped alerts */
			if (!s->q.count)
				break;
			n = msgq_iov(&s->q, iov, PUMP_IOV, PUMP_BYTES);
			r = s->t->write(s, iov, n, &done);
			consume(s, done);
			if (r == XP_AGAIN) {
				s->blocked = true;
				break;
			}
			if (r == XP_FAIL) {
				if (s->up) {
					s->stalled = true;
					loop_timer_set(s->ss->loop, &s->retry,
						       clock_ns(CLOCK_MONOTONIC) + RETRY_NS, on_retry, s);
				}
				break;
			}
			feed(s);
		}
	}
	sink_update_events(s);
	confirm(s);
}

void sink_set_up(struct sink *s)
{
	/* The reason of the last failure stays until the receiver takes
	 * something: one that accepts, then refuses, is not "working again". */
	s->up = true;
	s->blocked = false;
	s->written = 0;
	sink_pump(s);
}

void sink_set_down(struct sink *s, const char *why)
{
	s->up = false;
	s->blocked = false;
	/* What was written but not acknowledged is sent again from the spool. */
	msgq_drop_alerts(&s->q);
	s->n_infl = 0;
	s->fed_seq = s->acked_seq;
	s->written = 0;
	loop_timer_cancel(s->ss->loop, &s->confirm);
	snprintf(s->why, sizeof(s->why), "%s", why);
	sink_update_events(s);
}

/* ---- the set -------------------------------------------------------------- */

static const struct sink_transport *transport_of(enum sink_type t)
{
	switch (t) {
	case SINK_STDOUT: return &sink_fd_transport;
	case SINK_FILE: return &sink_file_transport;
	case SINK_TCP: return &sink_tcp_transport;
	case SINK_TLS: return &sink_tls_transport;
	case SINK_UDP: return &sink_udp_transport;
	case SINK_UNIX: return &sink_unix_transport;
	}
	return NULL;
}

static void sink_free(struct sink *s)
{
	if (!s)
		return;
	if (s->t && s->t->stop)
		s->t->stop(s);
	sink_detach_fd(s);
	loop_timer_cancel(s->ss->loop, &s->retry);
	loop_timer_cancel(s->ss->loop, &s->confirm);
	msgq_clear(&s->q);
	free(s->infl);
	free(s->spec);
	free(s);
}

int sinkset_add(struct sinkset *ss, const char *spec, unsigned kinds, char *err, size_t errlen)
{
	struct sink *s, **v;

	for (size_t i = 0; i < ss->n; i++)
		if (!strcmp(ss->v[i]->spec, spec)) {
			ss->v[i]->kinds |= kinds;	/* named twice: one sink */
			ss->has_alert_sinks |= !!(kinds & REC_BIT(REC_ALERT));
			return 0;
		}
	s = calloc(1, sizeof(*s));
	v = realloc(ss->v, (ss->n + 1) * sizeof(*v)); /* NOLINT(bugprone-sizeof-expression): an array of pointers */
	if (v)
		ss->v = v;
	if (!s || !v || !(s->spec = strdup(spec))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->ss = ss;
	s->fd = -1;
	s->kinds = kinds;
	if (sink_spec_parse(spec, &s->sp, err, errlen)) {
		free(s->spec);
		free(s);
		return -1;
	}
	s->t = transport_of(s->sp.type);
	if (s->t->start(s, err, errlen)) {
		s->t = NULL;	/* nothing to stop */
		sink_free(s);
		return -1;
	}
	ss->v[ss->n++] = s;
	ss->has_alert_sinks |= !!(kinds & REC_BIT(REC_ALERT));
	return 0;
}

static int open_spool(struct sinkset *ss, char *err, size_t errlen)
{
	ss->spool = spool_open(ss->c.state_dir, ss->c.spool_max, err, errlen);
	if (!ss->spool)
		return -1;
	for (size_t i = 0; i < ss->n; i++) {
		struct sink *s = ss->v[i];

		if (s->kinds & REC_BIT(REC_ALERT))
			s->acked_seq = s->fed_seq = spool_pos_load(ss->spool, s->spec);
	}
	spool_trim(ss->spool, min_acked(ss));
	return 0;
}

int sinkset_open_spool(struct sinkset *ss, char *err, size_t errlen)
{
	if (ss->spool || !ss->has_alert_sinks || ss->c.no_spool)
		return 0;
	return open_spool(ss, err, errlen);
}

int sinkset_start(struct sinkset *ss, char *err, size_t errlen)
{
	if (!ss->has_alert_sinks || ss->c.no_spool || !spool_has_data(ss->c.state_dir))
		return 0;
	if (open_spool(ss, err, errlen)) {
		/* Another agent on the same state directory: its leftovers are its
		 * own to deliver; this one tries the spool again at its first alert. */
		log_warn("%s; alerts of an earlier run stay there", err);
		return 0;
	}
	log_info("alert spool: %zu alerts from an earlier run to deliver",
		 spool_count_after(ss->spool, min_acked(ss)));
	sinkset_kick(ss);
	return 0;
}

static int emit_alert(struct sinkset *ss, const json_t *rec, const char *line, size_t len)
{
	int sev = syslog_severity(REC_ALERT, rec);
	uint64_t seq = 0;
	int rc = 0;

	if (!ss->has_alert_sinks)
		return 0;
	if (!ss->spool && !ss->spool_failed && !ss->c.no_spool) {
		char err[512];

		if (open_spool(ss, err, sizeof(err))) {
			log_err("%s; alerts are kept in memory only and do not survive a restart",
				err);
			ss->spool_failed = true;
		}
	}
	if (ss->spool) {
		char *buf = malloc(len + 1);

		if (buf) {
			buf[0] = (char)('0' + sev);
			memcpy(buf + 1, line, len);
			if (spool_append(ss->spool, buf, (uint32_t)(len + 1), min_acked(ss), &seq))
				log_err("alert spool: cannot append an alert: %s; sending it from "
					"memory", strerror(errno));
			free(buf);
		}
	}
	for (size_t i = 0; i < ss->n; i++) {
		struct sink *s = ss->v[i];

		if (!(s->kinds & REC_BIT(REC_ALERT)))
			continue;
		if (!seq && enqueue(s, REC_ALERT, 0, sev, line, len))
			rc = -1;
		sink_pump(s);	/* a spooled alert is fed from the spool */
	}
	return rc;
}

/* Queue line on every sink that takes kind (not alerts); writes a batch when one is full. */
static int emit_line(struct sinkset *ss, enum rec_kind kind, int sev, const char *line, size_t len)
{
	int rc = 0;

	if (!line) {
		for (size_t i = 0; i < ss->n; i++)
			if (ss->v[i]->kinds & REC_BIT(kind))
				ss->v[i]->dropped++;
		return -1;
	}
	for (size_t i = 0; i < ss->n; i++) {
		struct sink *s = ss->v[i];

		if (!(s->kinds & REC_BIT(kind)))
			continue;
		if (enqueue(s, kind, 0, sev, line, len))
			rc = -1;
		/* Written as the drain goes, a batch at a time: memory stays bounded. */
		else if (kind != REC_FLOW || s->q.count >= BATCH_COUNT || s->q.bytes >= BATCH_BYTES)
			sink_pump(s);
	}
	return rc;
}

int sinkset_emit(struct sinkset *ss, enum rec_kind kind, const json_t *rec)
{
	char *line = json_line(rec);
	int rc;

	if (line && kind == REC_ALERT)
		rc = emit_alert(ss, rec, line, strlen(line));
	else
		rc = emit_line(ss, kind, syslog_severity(kind, rec), line, line ? strlen(line) : 0);
	free(line);
	return rc;
}

int sinkset_emit_line(struct sinkset *ss, enum rec_kind kind, const char *line, size_t len)
{
	if (kind == REC_ALERT)
		return emit_line(ss, kind, 0, NULL, 0);	/* alerts come as trees: see sink.h */
	return emit_line(ss, kind, syslog_severity(kind, NULL), line, len);
}

void sinkset_kick(struct sinkset *ss)
{
	for (size_t i = 0; i < ss->n; i++)
		sink_pump(ss->v[i]);
}

void sinkset_reopen(struct sinkset *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		struct sink *s = ss->v[i];

		if (s->t->reopen) {
			s->t->reopen(s);
			s->stalled = false;	/* a new file: try it now */
			loop_timer_cancel(ss->loop, &s->retry);
			sink_pump(s);
		}
	}
}

uint64_t sinkset_dropped(const struct sinkset *ss)
{
	uint64_t d = 0;

	for (size_t i = 0; i < ss->n; i++)
		d += ss->v[i]->dropped;
	return d;
}

static uint64_t queued_records(const struct sink *s)
{
	uint64_t n = 0;

	for (const struct sink_msg *m = s->q.head; m; m = m->next)
		n += m->kind != REC_ALERT || !m->seq;
	return n;
}

void sinkset_pending(const struct sinkset *ss, struct sinkset_pending *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < ss->n; i++) {
		p->records += queued_records(ss->v[i]);
		p->alerts_lost += ss->v[i]->alerts_lost;
	}
	if (ss->spool) {
		p->alerts = spool_count_after(ss->spool, min_acked(ss));
		p->alerts_lost += spool_dropped(ss->spool);
	}
	p->alerts_lost += ss->alerts_lost;
}

bool sinkset_idle(const struct sinkset *ss)
{
	struct sinkset_pending p;

	sinkset_pending(ss, &p);
	return !p.records && !p.alerts;
}

void sinkset_describe(const struct sinkset *ss, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < ss->n && o < len; i++) {
		const struct sink *s = ss->v[i];
		uint64_t recs = queued_records(s);
		size_t alerts = ss->spool && (s->kinds & REC_BIT(REC_ALERT)) ?
					spool_count_after(ss->spool, s->acked_seq) : 0;
		int w;

		if (!recs && !alerts)
			continue;
		w = snprintf(buf + o, len - o, "%s%s: %llu records and %zu alerts not delivered (%s)",
			     o ? "; " : "", s->spec, (unsigned long long)recs, alerts,
			     s->why[0] ? s->why : s->up ? "receiver slow" : "not connected");
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

bool sinkset_spooled(const struct sinkset *ss)
{
	return ss->spool != NULL;
}

void sinkset_free(struct sinkset *ss)
{
	if (!ss)
		return;
	for (size_t i = 0; i < ss->n; i++)
		sink_free(ss->v[i]);
	free(ss->v);
	spool_close(ss->spool);
	free(ss);
}
