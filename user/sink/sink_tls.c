/*
 * syslog+tls://HOST:PORT (RFC 5425) with OpenSSL: TLS 1.2 or later, the
 * server's certificate verified against --tls-ca (or the system store)
 * and against HOST (a name, or an address literal), an optional client
 * certificate and key. Handshake and writes are non-blocking; a
 * certificate that does not verify is refused with its reason in one
 * line, and the alerts stay spooled.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "log.h"
#include "sink_net.h"

/* How long a TLS 1.3 server that sends no session tickets may take to refuse us. */
#define TLS13_ACCEPT_WAIT_NS (2 * NS_PER_SEC)

static bool is_ip_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

static void openssl_reason(char *buf, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	char r[256] = "unknown reason";

	if (e)
		ERR_error_string_n(e, r, sizeof(r));
	ERR_clear_error();
	snprintf(buf, len, "%s: %s", what, r);
}

/* Called from inside SSL_read: only note it; tls_ready() acts on it. */
static int on_ticket(SSL *ssl, SSL_SESSION *sess)
{
	struct sink *s = SSL_get_app_data(ssl);

	if (s)
		net_of(s)->ticket_seen = true;
	return 0;	/* not kept */
}

static SSL_CTX *make_ctx(const struct sink_config *c, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char why[400];

	if (!ctx) {
		openssl_reason(err, errlen, "TLS setup");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Only to hear of the server's session tickets (see handshake()). */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, on_ticket);
	if (c->tls_ca && c->tls_ca[0] ? !SSL_CTX_load_verify_locations(ctx, c->tls_ca, NULL)
				      : !SSL_CTX_set_default_verify_paths(ctx)) {
		snprintf(why, sizeof(why), "cannot load the CA certificates %s",
			 c->tls_ca && c->tls_ca[0] ? c->tls_ca : "of the system store");
		openssl_reason(err, errlen, why);
		goto fail;
	}
	if (c->tls_cert && c->tls_cert[0]) {
		if (!SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert)) {
			snprintf(why, sizeof(why), "cannot load the client certificate %s", c->tls_cert);
			openssl_reason(err, errlen, why);
			goto fail;
		}
		if (!SSL_CTX_use_PrivateKey_file(ctx, c->tls_key && c->tls_key[0] ? c->tls_key
										 : c->tls_cert,
						 SSL_FILETYPE_PEM) ||
		    !SSL_CTX_check_private_key(ctx)) {
			snprintf(why, sizeof(why), "cannot use the client key %s",
				 c->tls_key && c->tls_key[0] ? c->tls_key : c->tls_cert);
			openssl_reason(err, errlen, why);
			goto fail;
		}
	} else if (c->tls_key && c->tls_key[0]) {
		snprintf(err, errlen, "--tls-key needs --tls-cert");
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static void tls_free_ssl(struct net_conn *c)
{
	SSL_free(c->ssl);
	c->ssl = NULL;
}

/* Why the handshake failed, in one line. */
static void handshake_reason(struct sink *s, SSL *ssl, int r, char *buf, size_t len)
{
	long v = SSL_get_verify_result(ssl);

	if (v != X509_V_OK) {
		ERR_clear_error();
		snprintf(buf, len, "certificate of %s not accepted: %s", s->sp.host,
			 X509_verify_cert_error_string(v));
	} else if (SSL_get_error(ssl, r) == SSL_ERROR_SYSCALL && !ERR_peek_error()) {
		snprintf(buf, len, "TLS handshake: %s",
			 errno ? strerror(errno) : "the receiver closed the connection");
	} else {
		openssl_reason(buf, len, "TLS handshake");
	}
}

static void tls_ready(struct sink *s, uint32_t events);

/* A TLS 1.3 server that sends no session tickets and no refusal: accepted. */
static void accept_quietly(void *arg)
{
	struct sink *s = arg;
	struct net_conn *c = net_of(s);

	if (c->state == NET_HANDSHAKE && c->awaiting_ticket) {
		c->awaiting_ticket = false;
		net_up(s);
	}
}

/* handshake() and tls_ready() hand the connection to each other as its
 * state changes; each hand-over is one step, never a loop of calls. */
static void handshake(struct sink *s, uint32_t events) /* NOLINT(misc-no-recursion) */
{
	struct net_conn *c = net_of(s);
	int r;
	char why[400];

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(c->ssl);
	if (r == 1 && SSL_version(c->ssl) < TLS1_3_VERSION) {
		net_up(s);	/* TLS 1.2 checks a client certificate inside the handshake */
		return;
	}
	if (r == 1) {
		/*
		 * TLS 1.3: the server checks our certificate (if it wants one)
		 * after our side of the handshake is done, and refuses with an
		 * alert only then. Alerts written before that would reach its
		 * TCP (and count as accepted) and be thrown away, so writing
		 * waits for a sign of acceptance: the session tickets a server
		 * sends once it has accepted the client, or, from a server that
		 * sends none, a quiet while.
		 */
		c->awaiting_ticket = true;
		s->want = EPOLLIN;
		sink_update_events(s);
		loop_timer_set(sink_loop(s), &c->timer,
			       clock_ns(CLOCK_MONOTONIC) + TLS13_ACCEPT_WAIT_NS, accept_quietly, s);
		tls_ready(s, EPOLLIN);	/* a ticket may be here already */
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		s->want = EPOLLIN;
		sink_update_events(s);
		return;
	case SSL_ERROR_WANT_WRITE:
		s->want = EPOLLOUT;
		sink_update_events(s);
		return;
	default:
		handshake_reason(s, c->ssl, r, why, sizeof(why));
		tls_free_ssl(c);
		net_fail(s, why);
	}
}

static void tls_connected(struct sink *s)
{
	struct net_conn *c = net_of(s);
	SSL *ssl;
	char why[400];

	tls_free_ssl(c);	/* a reconnect starts a new session */
	ssl = SSL_new(c->ctx);
	if (!ssl || !SSL_set_fd(ssl, s->fd)) {
		openssl_reason(why, sizeof(why), "TLS setup");
		SSL_free(ssl);
		net_fail(s, why);
		return;
	}
	if (is_ip_literal(s->sp.host)) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), s->sp.host);
	} else {
		SSL_set_tlsext_host_name(ssl, s->sp.host);
		SSL_set1_host(ssl, s->sp.host);
	}
	SSL_set_connect_state(ssl);
	SSL_set_app_data(ssl, s);
	c->ssl = ssl;
	c->awaiting_ticket = c->ticket_seen = false;
	c->state = NET_HANDSHAKE;
	handshake(s, 0);
}

/* Up: read (and discard) what the server sends: session tickets, a close. */
static void tls_ready(struct sink *s, uint32_t events) /* NOLINT(misc-no-recursion) */
{
	struct net_conn *c = net_of(s);
	char buf[4096], why[400];

	if (c->state == NET_HANDSHAKE && !c->awaiting_ticket) {
		handshake(s, events);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		int r;

		ERR_clear_error();
		errno = 0;
		r = SSL_read(c->ssl, buf, sizeof(buf));
		if (r > 0)
			continue;
		switch (SSL_get_error(c->ssl, r)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			if (c->awaiting_ticket && c->ticket_seen) {
				c->awaiting_ticket = false;
				loop_timer_cancel(sink_loop(s), &c->timer);
				net_up(s);
			}
			return;
		case SSL_ERROR_ZERO_RETURN:
			snprintf(why, sizeof(why), "the receiver closed the TLS connection");
			break;
		default:
			openssl_reason(why, sizeof(why), errno ? strerror(errno) :
							 "the receiver closed the connection");
		}
		tls_free_ssl(c);
		net_fail(s, why);
		return;
	}
}

static enum xp_result tls_write(struct sink *s, const struct iovec *iov, int n, size_t *done)
{
	struct net_conn *c = net_of(s);
	char why[400];
	int r;

	*done = 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_write(c->ssl, iov[0].iov_base, (int)iov[0].iov_len);
	if (r > 0) {
		*done = (size_t)r;
		return XP_OK;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_WRITE:
	case SSL_ERROR_WANT_READ:
		return XP_AGAIN;
	default:
		openssl_reason(why, sizeof(why), errno ? strerror(errno) : "TLS write");
		tls_free_ssl(c);
		net_fail(s, why);
		return XP_FAIL;
	}
}

/*
 * TLS adds its own bytes, so the stream offsets of the plaintext do not
 * map onto the socket's: an alert counts as acknowledged once the socket
 * has nothing unacknowledged left (everything written so far arrived).
 */
static uint64_t tls_acked(struct sink *s)
{
	int outq = 1;

	if (s->fd >= 0 && !ioctl(s->fd, SIOCOUTQ, &outq) && outq == 0)
		return s->written;
	return 0;
}

static int tls_start(struct sink *s, char *err, size_t errlen)
{
	struct net_conn *c = calloc(1, sizeof(*c));
	char why[600];

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->ctx = make_ctx(sink_conf(s), why, sizeof(why));
	if (!c->ctx) {
		snprintf(err, errlen, "output %s: %s", s->spec, why);
		free(c);
		return -1;
	}
	c->connected = tls_connected;
	c->ready = tls_ready;
	s->priv = c;
	return net_start(s, SOCK_STREAM, err, errlen);
}

static void tls_stop(struct sink *s)
{
	struct net_conn *c = net_of(s);

	if (!c)
		return;
	tls_free_ssl(c);
	SSL_CTX_free(c->ctx);
	net_stop(s);
}

const struct sink_transport sink_tls_transport = {
	.start = tls_start,
	.write = tls_write,
	.event = net_event,
	.acked = tls_acked,
	.stop = tls_stop,
	.syslog = true,
	.octet_count = true,
};
