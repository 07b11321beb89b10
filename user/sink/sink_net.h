/*
 * Network sinks' connection: resolve, non-blocking connect, reconnect
 * with exponential backoff and jitter, hang-up detection. TLS (sink_tls.c)
 * hooks in after the TCP connect. A dead receiver costs a timer, never a
 * wait in the loop.
 */
#ifndef EXFILD_SINK_NET_H
#define EXFILD_SINK_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "sink_int.h"

#define NET_BACKOFF_MIN_NS (250 * 1000000LL)
#define NET_BACKOFF_MAX_NS (30 * 1000000000LL)
/* A connection that stayed up this long starts the backoff over when it
 * breaks; one that breaks sooner (a receiver that accepts, then refuses)
 * keeps backing off. */
#define NET_HEALTHY_NS (10 * 1000000000LL)

enum net_state { NET_IDLE, NET_CONNECTING, NET_HANDSHAKE, NET_UP };

struct net_conn {
	enum net_state state;
	int socktype;			/* SOCK_STREAM or SOCK_DGRAM */
	int64_t backoff_ns;		/* the next wait before reconnecting */
	int64_t up_since;		/* CLOCK_MONOTONIC when it came up; 0: not up */
	struct loop_timer timer;
	/* TLS only */
	void *ctx, *ssl;		/* SSL_CTX, SSL */
	bool awaiting_ticket;		/* TLS 1.3: handshake done, not yet accepted */
	bool ticket_seen;		/* the server sent a session ticket: it accepted us */
	void (*connected)(struct sink *s);	/* TCP is up: begin the handshake */
	void (*ready)(struct sink *s, uint32_t events);	/* descriptor events past TCP */
};

struct net_conn *net_of(struct sink *s);
int net_start(struct sink *s, int socktype, char *err, size_t errlen);
/* Up: writes may go. */
void net_up(struct sink *s);
/* Down (why, logged once per different reason): close, retry after a backoff. */
void net_fail(struct sink *s, const char *why);
void net_stop(struct sink *s);
/* The transports' descriptor events (connect, handshake, input, hang-up). */
void net_event(struct sink *s, uint32_t events);
/* Read and discard what a receiver sends; 0 ok, -1 it closed or failed (net_fail done). */
int net_drain_input(struct sink *s);

#endif
