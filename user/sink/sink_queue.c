#include <stdlib.h>
#include <string.h>

#include "sink_queue.h"

struct sink_msg *msg_new(enum rec_kind kind, uint64_t seq, const char *data, size_t len)
{
	struct sink_msg *m = malloc(sizeof(*m) + len);

	if (!m)
		return NULL;
	m->next = NULL;
	m->kind = kind;
	m->seq = seq;
	m->len = len;
	memcpy(m->data, data, len);
	return m;
}

void msgq_push(struct msgq *q, struct sink_msg *m)
{
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->bytes += m->len;
	q->count++;
	q->alerts += m->kind == REC_ALERT;
}

int msgq_iov(const struct msgq *q, struct iovec *iov, int max, size_t max_bytes)
{
	size_t total = 0;
	int n = 0;

	for (const struct sink_msg *m = q->head; m && n < max && total < max_bytes; m = m->next) {
		size_t off = m == q->head ? q->head_off : 0;

		iov[n].iov_base = (char *)m->data + off;
		iov[n].iov_len = m->len - off;
		total += iov[n].iov_len;
		n++;
	}
	return n;
}

struct sink_msg *msgq_pop(struct msgq *q)
{
	struct sink_msg *m = q->head;

	if (!m)
		return NULL;
	q->head = m->next;
	if (!q->head)
		q->tail = NULL;
	q->bytes -= m->len;
	q->count--;
	q->alerts -= m->kind == REC_ALERT;
	q->head_off = 0;
	m->next = NULL;
	return m;
}

void msgq_drop_alerts(struct msgq *q)
{
	struct msgq keep = { 0 };
	struct sink_msg *m;

	/* A message cut in the middle is sent again whole after a reconnect. */
	q->head_off = 0;
	while ((m = msgq_pop(q))) {
		if (m->kind == REC_ALERT && m->seq)
			free(m);
		else
			msgq_push(&keep, m);
	}
	*q = keep;
}

void msgq_clear(struct msgq *q)
{
	struct sink_msg *m;

	while ((m = msgq_pop(q)))
		free(m);
}
