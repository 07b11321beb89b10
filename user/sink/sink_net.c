#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/sockios.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "sink_net.h"

struct net_conn *net_of(struct sink *s)
{
	return s->priv;
}

static void reconnect(void *arg);

static void close_fd(struct sink *s)
{
	int fd = s->fd;

	sink_detach_fd(s);
	if (fd >= 0)
		close(fd);
}

void net_fail(struct sink *s, const char *why)
{
	struct net_conn *c = net_of(s);
	int64_t wait;

	/* One line per new reason, not one per retry. */
	if (strcmp(s->why, why))
		log_err("output %s: %s; alerts stay spooled, reconnecting with backoff", s->spec,
			why);
	close_fd(s);
	if (c->up_since && clock_ns(CLOCK_MONOTONIC) - c->up_since >= NET_HEALTHY_NS)
		c->backoff_ns = NET_BACKOFF_MIN_NS;
	c->up_since = 0;
	c->state = NET_IDLE;
	s->want = 0;
	sink_set_down(s, why);
	/* Somewhere in [backoff/2, backoff]: agents restarted together do not retry together. */
	wait = c->backoff_ns / 2 + (int64_t)(random() % (c->backoff_ns / 2 + 1));
	c->backoff_ns = c->backoff_ns * 2 > NET_BACKOFF_MAX_NS ? NET_BACKOFF_MAX_NS
							       : c->backoff_ns * 2;
	loop_timer_set(sink_loop(s), &c->timer, clock_ns(CLOCK_MONOTONIC) + wait, reconnect, s);
}

void net_up(struct sink *s)
{
	struct net_conn *c = net_of(s);

	c->state = NET_UP;
	c->up_since = clock_ns(CLOCK_MONOTONIC);
	/* A stream receiver sends nothing; input or a hang-up means it went away. */
	s->want = c->socktype == SOCK_STREAM ? EPOLLIN | EPOLLRDHUP : 0;
	sink_set_up(s);
}

static int open_socket(struct sink *s, char *why, size_t whylen)
{
	struct net_conn *c = net_of(s);
	int fd, rc;

	if (s->sp.type == SINK_UNIX) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		size_t n = strlen(s->sp.path);

		/* sink_spec_parse keeps unix paths shorter than sun_path. */
		memcpy(sun.sun_path, s->sp.path, n < sizeof(sun.sun_path) ? n : sizeof(sun.sun_path) - 1);
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	} else {
		struct addrinfo hints = { .ai_socktype = c->socktype }, *ai = NULL;
		int g = getaddrinfo(s->sp.host, s->sp.port, &hints, &ai);

		if (g) {
			snprintf(why, whylen, "cannot resolve %s: %s", s->sp.host, gai_strerror(g));
			return -1;
		}
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		rc = fd < 0 ? -1 : connect(fd, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(ai);
	}
	if (fd < 0 || (rc && errno != EINPROGRESS)) {
		snprintf(why, whylen, "cannot connect: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	c->state = rc ? NET_CONNECTING : NET_UP;
	s->want = rc ? EPOLLOUT : 0;
	if (sink_attach_fd(s, fd)) {
		snprintf(why, whylen, "cannot watch the socket: %s", strerror(errno));
		close(fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

static void tcp_done(struct sink *s)
{
	struct net_conn *c = net_of(s);

	if (c->connected)
		c->connected(s);
	else
		net_up(s);
}

static void reconnect(void *arg)
{
	struct sink *s = arg;
	struct net_conn *c = net_of(s);
	char why[300];

	if (open_socket(s, why, sizeof(why))) {
		net_fail(s, why);
		return;
	}
	if (c->state == NET_UP) {
		if (c->socktype == SOCK_STREAM)
			tcp_done(s);
		else
			net_up(s);
	}
}

int net_drain_input(struct sink *s)
{
	char buf[4096];

	for (;;) {
		ssize_t r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r > 0)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		net_fail(s, r == 0 ? "the receiver closed the connection" : strerror(errno));
		return -1;
	}
}

void net_event(struct sink *s, uint32_t events)
{
	struct net_conn *c = net_of(s);
	int err = 0;
	socklen_t len = sizeof(err);

	if (events & EPOLLERR)
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	switch (c->state) {
	case NET_CONNECTING:
		if (!err)
			getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			char why[300];

			snprintf(why, sizeof(why), "cannot connect: %s", strerror(err));
			net_fail(s, why);
			return;
		}
		c->state = NET_UP;
		tcp_done(s);
		return;
	case NET_HANDSHAKE:
		c->ready(s, events);
		return;
	case NET_UP:
		if (c->socktype == SOCK_DGRAM)
			return;	/* an ICMP error was read (and cleared) above: UDP promises nothing */
		if (c->ready) {
			c->ready(s, events);
			return;
		}
		if (err) {
			net_fail(s, strerror(err));
			return;
		}
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
			net_drain_input(s);
		return;
	case NET_IDLE:
		return;
	}
}

int net_start(struct sink *s, int socktype, char *err, size_t errlen)
{
	struct net_conn *c = s->priv ? s->priv : calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->priv = c;
	c->socktype = socktype;
	c->backoff_ns = NET_BACKOFF_MIN_NS;
	s->up = false;	/* sinkset_describe says "not connected" until it is */
	/* From the loop: a receiver that is down at start is retried like any other. */
	loop_timer_set(sink_loop(s), &c->timer, 0, reconnect, s);
	return 0;
}

void net_stop(struct sink *s)
{
	struct net_conn *c = net_of(s);

	if (!c)
		return;
	loop_timer_cancel(sink_loop(s), &c->timer);
	close_fd(s);
	free(c);
	s->priv = NULL;
}

/* ---- plain TCP, UDP, unix datagrams ---------------------------------------- */

static enum xp_result stream_write(struct sink *s, const struct iovec *iov, int n, size_t *done)
{
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };
	ssize_t w;

	do
		w = sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	if (w >= 0) {
		size_t total = 0;

		for (int i = 0; i < n; i++)
			total += iov[i].iov_len;
		*done = (size_t)w;
		return (size_t)w == total ? XP_OK : XP_AGAIN;
	}
	*done = 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return XP_AGAIN;
	net_fail(s, strerror(errno));
	return XP_FAIL;
}

static enum xp_result dgram_write(struct sink *s, const struct iovec *iov, int n, size_t *done)
{
	ssize_t w;

	do
		w = send(s->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	*done = 0;
	if (w >= 0 || (errno == ECONNREFUSED && s->sp.type == SINK_UDP)) {
		/* UDP: sent is all it can say (a refusal is an earlier datagram's ICMP). */
		*done = iov[0].iov_len;
		return XP_OK;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return XP_AGAIN;
	if (errno == EMSGSIZE) {
		/* Never cut: a datagram this long cannot go; say so and count it. */
		log_warn("output %s: a %zu-byte message is longer than a datagram may be; dropped "
			 "(use syslog+tcp or syslog+tls for long records)", s->spec, iov[0].iov_len);
		s->dropped++;
		*done = iov[0].iov_len;
		return XP_OK;
	}
	net_fail(s, strerror(errno));
	return XP_FAIL;
}

/* Bytes the receiver's TCP acknowledged: what was written less what is unacknowledged. */
static uint64_t tcp_acked(struct sink *s)
{
	int outq = 0;

	if (s->fd < 0 || ioctl(s->fd, SIOCOUTQ, &outq) || outq < 0)
		return 0;
	return s->written - (uint64_t)outq;
}

static int tcp_start(struct sink *s, char *err, size_t errlen)
{
	return net_start(s, SOCK_STREAM, err, errlen);
}

static int dgram_start(struct sink *s, char *err, size_t errlen)
{
	return net_start(s, SOCK_DGRAM, err, errlen);
}

const struct sink_transport sink_tcp_transport = {
	.start = tcp_start,
	.write = stream_write,
	.event = net_event,
	.acked = tcp_acked,
	.stop = net_stop,
	.syslog = true,
	.octet_count = true,
};

const struct sink_transport sink_udp_transport = {
	.start = dgram_start,
	.write = dgram_write,
	.event = net_event,
	.stop = net_stop,
	.syslog = true,
};

const struct sink_transport sink_unix_transport = {
	.start = dgram_start,
	.write = dgram_write,
	.event = net_event,
	.stop = net_stop,
	.syslog = true,
};
