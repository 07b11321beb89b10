#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"

#define LOOP_MAX_EVENTS 32

struct loop_fd {
	int fd;
	loop_fd_fn fn;
	void *arg;
	struct loop_fd *next;
};

struct loop {
	int epfd;
	struct loop_fd *fds;		/* registered descriptors */
	struct loop_timer *timers;	/* armed, soonest first */
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	while (l->fds) {
		struct loop_fd *n = l->fds->next;

		free(l->fds);
		l->fds = n;
	}
	close(l->epfd);
	free(l);
}

/* Whether p is still registered: an earlier callback of the same round
 * may have removed (and freed) it, so p is compared, never read. */
static bool registered(const struct loop *l, const struct loop_fd *p)
{
	for (const struct loop_fd *q = l->fds; q; q = q->next)
		if (q == p)
			return true;
	return false;
}

static struct loop_fd *find_fd(struct loop *l, int fd)
{
	for (struct loop_fd *p = l->fds; p; p = p->next)
		if (p->fd == fd)
			return p;
	return NULL;
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
	struct loop_fd *p = calloc(1, sizeof(*p));
	struct epoll_event ev = { .events = events };

	if (!p)
		return -1;
	p->fd = fd;
	p->fn = fn;
	p->arg = arg;
	ev.data.ptr = p;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		free(p);
		return -1;
	}
	p->next = l->fds;
	l->fds = p;
	return 0;
}

int loop_set(struct loop *l, int fd, uint32_t events)
{
	struct loop_fd *p = find_fd(l, fd);
	struct epoll_event ev = { .events = events };

	if (!p) {
		errno = ENOENT;
		return -1;
	}
	ev.data.ptr = p;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void loop_del(struct loop *l, int fd)
{
	for (struct loop_fd **pp = &l->fds; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			struct loop_fd *p = *pp;

			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			*pp = p->next;
			free(p);
			return;
		}
	}
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (!t->armed)
		return;
	for (struct loop_timer **pp = &l->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = NULL;
}

void loop_timer_set(struct loop *l, struct loop_timer *t, int64_t deadline, loop_timer_fn fn,
		    void *arg)
{
	struct loop_timer **pp = &l->timers;

	loop_timer_cancel(l, t);
	t->deadline = deadline;
	t->fn = fn;
	t->arg = arg;
	while (*pp && (*pp)->deadline <= deadline)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	t->armed = true;
}

static int run_timers(struct loop *l)
{
	int64_t now = clock_ns(CLOCK_MONOTONIC);
	int ran = 0;

	while (l->timers && l->timers->deadline <= now) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		t->armed = false;
		t->next = NULL;
		t->fn(t->arg);
		ran++;
	}
	return ran;
}

int loop_run_once(struct loop *l, int max_wait_ms)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int wait = max_wait_ms, n, ran = 0;

	if (l->timers) {
		int64_t left = l->timers->deadline - clock_ns(CLOCK_MONOTONIC);
		int ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);

		if (wait < 0 || ms < wait)
			wait = ms;
	}
	n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, wait);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		struct loop_fd *p = evs[i].data.ptr;

		if (!registered(l, p))
			continue;
		p->fn(p->arg, p->fd, evs[i].events);
		ran++;
	}
	return ran + run_timers(l);
}
