/*
 * Inside the sink set: one struct sink per --output / --flow-output, and
 * the transports (file, fd, net, tls) that move its queue's bytes. The
 * core (sinkset.c) owns the queue, the spool positions and the pump; a
 * transport only opens, writes and says when it is up or down.
 */
#ifndef EXFILD_SINK_INT_H
#define EXFILD_SINK_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "loop.h"
#include "sink.h"
#include "sink_queue.h"
#include "sink_spec.h"

struct sink;

enum xp_result { XP_OK = 0, XP_AGAIN = 1, XP_FAIL = -1 };

struct sink_transport {
	/* Open, or begin connecting. -1 with err: this sink can never work. */
	int (*start)(struct sink *s, char *err, size_t errlen);
	/*
	 * Write from iov; *done: bytes taken (a file takes whole messages
	 * only). XP_AGAIN: wait for s->want events; XP_FAIL: s->why says
	 * why; the transport went down (network) or the core retries later.
	 */
	enum xp_result (*write)(struct sink *s, const struct iovec *iov, int n, size_t *done);
	/* Descriptor events while registered (connect progress, input, hang-up). */
	void (*event)(struct sink *s, uint32_t events);
	/* Stream bytes the receiver has acknowledged (NULL: all written). */
	uint64_t (*acked)(struct sink *s);
	void (*reopen)(struct sink *s);
	void (*stop)(struct sink *s);
	bool syslog;		/* RFC 5424 messages instead of NDJSON lines */
	bool octet_count;	/* RFC 6587 framing (stream transports) */
};

struct inflight {
	uint64_t seq;		/* alert sequence number */
	uint64_t end;		/* stream offset just past it */
};

struct sink {
	struct sinkset *ss;
	char *spec;
	struct sink_spec sp;
	const struct sink_transport *t;
	unsigned kinds;
	struct msgq q;
	int fd;			/* -1: none */
	bool pollable;		/* epoll takes fd (not a regular file) */
	bool in_loop;		/* fd registered with the loop now (not while stalled) */
	bool up;		/* the transport can take writes */
	bool stalled;		/* a write failed; the retry timer runs */
	bool blocked;		/* the last write would block: wait for EPOLLOUT */
	uint32_t events;	/* what the loop waits for now */
	uint32_t want;		/* events the transport waits for besides output */
	uint64_t written;	/* stream bytes written since the transport came up */
	uint64_t acked_seq;	/* last alert the sink accepted (stored position) */
	uint64_t fed_seq;	/* last alert put in the queue */
	struct inflight *infl;
	size_t n_infl, cap_infl;
	struct loop_timer retry, confirm;
	uint64_t dropped;	/* flow/loss records dropped */
	uint64_t alerts_lost;	/* unspooled alerts dropped */
	char why[320];		/* why it last failed ("" when healthy) */
	void *priv;		/* the transport's state */
};

struct loop *sink_loop(const struct sink *s);
const struct sink_config *sink_conf(const struct sink *s);

/* The transport's descriptor: registered when epoll takes it (not for regular files). */
int sink_attach_fd(struct sink *s, int fd);
void sink_detach_fd(struct sink *s);
/* Re-register for want | EPOLLOUT while something is queued. */
void sink_update_events(struct sink *s);
/* The transport can take writes now / cannot (why): alerts go back to the spool. */
void sink_set_up(struct sink *s);
void sink_set_down(struct sink *s, const char *why);
/* Write what the transport takes now. */
void sink_pump(struct sink *s);

extern const struct sink_transport sink_file_transport, sink_fd_transport,
	sink_tcp_transport, sink_udp_transport, sink_unix_transport, sink_tls_transport;

#endif
