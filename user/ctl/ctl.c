#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"
#include "log.h"
#include "loop.h"

#define CTL_MAX_CLIENTS 8
#define CTL_REQUEST_MAX 256
#define CTL_CLIENT_TIMEOUT_NS (10 * NS_PER_SEC)	/* a drain may hold the loop a while */

struct ctl_client {
	struct ctl *c;
	int fd;
	char req[CTL_REQUEST_MAX];
	size_t req_len;
	char *out;		/* the answer, while it is being written */
	size_t out_len, out_off;
	struct loop_timer timeout;
};

struct ctl {
	struct loop *loop;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_answer_fn fn;
	void *arg;
	struct ctl_client *clients[CTL_MAX_CLIENTS];
};

static void client_free(struct ctl_client *cl)
{
	struct ctl *c = cl->c;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i] == cl)
			c->clients[i] = NULL;
	loop_timer_cancel(c->loop, &cl->timeout);
	loop_del(c->loop, cl->fd);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

static void on_client_timeout(void *arg)
{
	client_free(arg);
}

static void answer(struct ctl_client *cl)
{
	static const char unknown[] = "{\"error\":\"unknown request (try: status)\"}";
	char *a;

	cl->req[cl->req_len] = 0;
	a = cl->c->fn(cl->c->arg, cl->req);
	if (!a)
		a = strdup(unknown);
	if (!a) {
		client_free(cl);
		return;
	}
	cl->out_len = strlen(a) + 1;
	cl->out = realloc(a, cl->out_len + 1);
	if (!cl->out) {
		free(a);
		client_free(cl);
		return;
	}
	cl->out[cl->out_len - 1] = '\n';
	loop_set(cl->c->loop, cl->fd, EPOLLOUT);
}

static void on_client(void *arg, int fd, uint32_t events)
{
	struct ctl_client *cl = arg;

	if (cl->out) {
		ssize_t w = send(fd, cl->out + cl->out_off, cl->out_len - cl->out_off, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (w > 0)
			cl->out_off += (size_t)w;
		if (w <= 0 || cl->out_off == cl->out_len)
			client_free(cl);
		return;
	}
	for (;;) {
		ssize_t r = recv(fd, cl->req + cl->req_len, CTL_REQUEST_MAX - 1 - cl->req_len, 0);
		char *nl;

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			/* A request without a newline ends with the client's shutdown. */
			if (r == 0 && cl->req_len)
				answer(cl);
			else
				client_free(cl);
			return;
		}
		cl->req_len += (size_t)r;
		nl = memchr(cl->req, '\n', cl->req_len);
		if (nl) {
			cl->req_len = (size_t)(nl - cl->req);
			answer(cl);
			return;
		}
		if (cl->req_len == CTL_REQUEST_MAX - 1) {
			client_free(cl);	/* no request is this long */
			return;
		}
	}
}

static void on_listen(void *arg, int fd, uint32_t events)
{
	struct ctl *c = arg;
	struct ctl_client *cl;
	int slot = -1, cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS && slot < 0; i++)
		if (!c->clients[i])
			slot = i;
	cl = slot >= 0 ? calloc(1, sizeof(*cl)) : NULL;
	if (!cl || loop_add(c->loop, cfd, EPOLLIN, on_client, cl)) {
		close(cfd);	/* too many at once: the client sees EOF and may retry */
		free(cl);
		return;
	}
	cl->c = c;
	cl->fd = cfd;
	c->clients[slot] = cl;
	loop_timer_set(c->loop, &cl->timeout, clock_ns(CLOCK_MONOTONIC) + CTL_CLIENT_TIMEOUT_NS,
		       on_client_timeout, cl);
}

/* The socket's directory, created 0700 if missing. */
static int make_parent(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "control socket: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

struct ctl *ctl_open(struct loop *loop, const char *path, ctl_answer_fn fn, void *arg,
		     char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl *c;
	mode_t old;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket %s: path longer than %zu bytes: choose a "
			 "shorter --control path", path, sizeof(sa.sun_path) - 1);
		return NULL;
	}
	if (make_parent(path, err, errlen))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->loop = loop;
	c->fn = fn;
	c->arg = arg;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail;
	/* A socket someone still answers on belongs to a live agent: leave
	 * it. One left by an agent that died is stale: replace it. */
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
		snprintf(err, errlen, "control socket %s is served by another agent "
			 "(give this one its own --control PATH)", path);
		close(c->fd);
		free(c);
		return NULL;
	}
	close(c->fd);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail;
	unlink(path);
	old = umask(0177);	/* the socket is created 0600 */
	rc = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc || listen(c->fd, CTL_MAX_CLIENTS) ||
	    loop_add(loop, c->fd, EPOLLIN, on_listen, c))
		goto fail;
	return c;
fail:
	snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return NULL;
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i])
			client_free(c->clients[i]);
	loop_del(c->loop, c->fd);
	close(c->fd);
	unlink(c->path);
	free(c);
}
