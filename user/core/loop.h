/*
 * The one event loop (OpenBSD ntpd style): every descriptor the agent
 * waits on is polled here, and nothing else blocks. Output is asked for
 * with EPOLLOUT only while something is queued. Timers are one-shot,
 * owned by the caller, on CLOCK_MONOTONIC.
 *
 * Single-threaded: callbacks run from loop_run_once() and may add,
 * change or remove descriptors and timers, their own included.
 */
#ifndef EXFILD_LOOP_H
#define EXFILD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

typedef void (*loop_fd_fn)(void *arg, int fd, uint32_t events);
typedef void (*loop_timer_fn)(void *arg);

struct loop_timer {
	int64_t deadline;	/* CLOCK_MONOTONIC ns */
	loop_timer_fn fn;
	void *arg;
	bool armed;
	struct loop_timer *next;
};

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* events: EPOLLIN / EPOLLOUT bits (sys/epoll.h). 0 or -1 with errno. */
int loop_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg);
int loop_set(struct loop *l, int fd, uint32_t events);
void loop_del(struct loop *l, int fd);

/* (Re)arm t to fire once at deadline; cancel is a no-op when not armed. */
void loop_timer_set(struct loop *l, struct loop_timer *t, int64_t deadline, loop_timer_fn fn,
		    void *arg);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/*
 * Wait up to max_wait_ms (-1: until something happens) for descriptors
 * or the next timer, then run every ready callback and due timer.
 * Returns the number of callbacks run, or -1 with errno (EINTR is not an
 * error: it returns 0).
 */
int loop_run_once(struct loop *l, int max_wait_ms);

#endif
