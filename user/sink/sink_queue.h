/* A sink's queue: whole messages in order, with the byte offset already
 * written of the first one (a stream may take part of a message). */
#ifndef EXFILD_SINK_QUEUE_H
#define EXFILD_SINK_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "sink.h"

struct sink_msg {
	struct sink_msg *next;
	enum rec_kind kind;
	uint64_t seq;		/* alert: its spool sequence number; 0: not spooled */
	size_t len;
	char data[];
};

struct msgq {
	struct sink_msg *head, *tail;
	size_t bytes;		/* of every queued message, whole */
	size_t count, alerts;	/* messages; alerts among them */
	size_t head_off;	/* bytes of head already written */
};

struct sink_msg *msg_new(enum rec_kind kind, uint64_t seq, const char *data, size_t len);
void msgq_push(struct msgq *q, struct sink_msg *m);
/* Fill up to max iovecs (at most max_bytes) from the head, head_off applied. */
int msgq_iov(const struct msgq *q, struct iovec *iov, int max, size_t max_bytes);
/* Detach the head (fully written); caller frees. */
struct sink_msg *msgq_pop(struct msgq *q);
/* Remove every alert (they are re-read from the spool); keeps the rest. */
void msgq_drop_alerts(struct msgq *q);
void msgq_clear(struct msgq *q);

#endif
