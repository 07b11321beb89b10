/* User and group names through a worker thread; see idnames.h. */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "clock.h"
#include "idnames.h"

#define SLOTS 4096		/* cached ids, direct-mapped */
#define QUEUE 256		/* lookups waiting for the worker */
#define NAME_LEN 64
#define STOP_WAIT_NS 1000000000LL	/* how long free() waits for a busy worker */

struct slot {
	bool used, queued;
	uint8_t kind;
	int64_t retry_at;	/* failed lookup: ask again from then (CLOCK_MONOTONIC) */
	enum idname_state state;
	uint32_t id;
	char name[NAME_LEN];
};

struct req {
	uint8_t kind;
	uint32_t id;
};

struct idnames {
	pthread_mutex_t mu;
	pthread_cond_t work, done;	/* done: CLOCK_MONOTONIC */
	pthread_t thread;
	bool stop, exited;
	idname_resolve_fn resolve;
	void *ctx;
	int64_t retry_ns;
	struct req q[QUEUE];
	size_t qhead, qlen;
	struct idname_stats st;
	struct slot slot[SLOTS];
};

/* getpwuid_r/getgrgid_r's answer: these errors mean "no such id" (POSIX). */
static int nss_answer(int rc, bool found)
{
	if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
		return rc == 0 && found ? 1 : 0;
	return -1;	/* EIO, EAGAIN, ERANGE, EMFILE, a timeout: not an answer */
}

static int nss_resolve(void *ctx, enum idname_kind kind, uint32_t id, char *name, size_t size)
{
	char buf[16384];
	int rc;

	(void)ctx;
	if (kind == IDNAME_GROUP) {
		struct group gr, *r = NULL;

		rc = getgrgid_r(id, &gr, buf, sizeof(buf), &r);
		rc = nss_answer(rc, r != NULL);
		if (rc == 1)
			snprintf(name, size, "%s", gr.gr_name);
	} else {
		struct passwd pw, *r = NULL;

		rc = getpwuid_r(id, &pw, buf, sizeof(buf), &r);
		rc = nss_answer(rc, r != NULL);
		if (rc == 1)
			snprintf(name, size, "%s", pw.pw_name);
	}
	return rc == 1 && !name[0] ? 0 : rc;
}

static struct slot *slot_of(struct idnames *c, uint8_t kind, uint32_t id)
{
	uint32_t h = (id ^ ((uint32_t)kind << 31)) * 2654435761u;

	return &c->slot[h >> 20];	/* top 12 bits: SLOTS = 4096 */
}

/*
 * The worker needs no privilege: it gives up every capability of its own
 * thread (capabilities are per thread, and it starts before the agent
 * drops its own) and may never regain one. 0 or -1.
 */
static int drop_thread_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return (int)syscall(SYS_capset, &h, d);
}

static void *worker(void *arg)
{
	struct idnames *c = arg;
	bool unprivileged = drop_thread_caps() == 0;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct req r;
		char name[NAME_LEN] = "";
		int ok;
		struct slot *s;

		while (!c->qlen && !c->stop)
			pthread_cond_wait(&c->work, &c->mu);
		if (c->stop)
			break;
		r = c->q[c->qhead];
		c->qhead = (c->qhead + 1) % QUEUE;
		c->qlen--;
		pthread_mutex_unlock(&c->mu);
		/* Never look up with privileges: without the drop, no names. */
		ok = unprivileged ? c->resolve(c->ctx, r.kind, r.id, name, sizeof(name)) : 0;
		pthread_mutex_lock(&c->mu);
		c->st.resolved++;
		s = slot_of(c, r.kind, r.id);
		/* The slot may hold another id by now: then this answer is not needed. */
		if (s->used && s->kind == r.kind && s->id == r.id) {
			s->state = ok == 1 ? IDNAME_KNOWN : IDNAME_NONE;
			s->queued = false;
			s->retry_at = ok < 0 ? clock_ns(CLOCK_MONOTONIC) + c->retry_ns : 0;
			if (ok < 0)
				c->st.failed++;
			snprintf(s->name, sizeof(s->name), "%s", ok == 1 ? name : "");
		}
		pthread_cond_broadcast(&c->done);
	}
	c->exited = true;
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct idnames *idnames_new(idname_resolve_fn resolve, void *ctx)
{
	struct idnames *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if (!c)
		return NULL;
	c->resolve = resolve ? resolve : nss_resolve;
	c->retry_ns = IDNAMES_RETRY_NS;
	c->ctx = ctx;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->work, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->done, &ca);
	pthread_condattr_destroy(&ca);
	/* The worker takes no signals: they belong to the loop's signalfd, and a
	 * thread started before the agent blocks them would take SIGTERM's
	 * default action (killing the agent without its final drain). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->thread, NULL, worker, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_cond_destroy(&c->done);
		pthread_cond_destroy(&c->work);
		pthread_mutex_destroy(&c->mu);
		free(c);
		return NULL;
	}
	return c;
}

static struct timespec ts_of(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

	return ts;
}

void idnames_free(struct idnames *c)
{
	struct timespec until;

	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->work);
	until = ts_of(clock_ns(CLOCK_MONOTONIC) + STOP_WAIT_NS);
	while (!c->exited && pthread_cond_timedwait(&c->done, &c->mu, &until) != ETIMEDOUT)
		;
	if (!c->exited) {
		/* Stuck in a lookup: it may still touch c, so c is not freed. */
		pthread_mutex_unlock(&c->mu);
		pthread_detach(c->thread);
		return;
	}
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->done);
	pthread_cond_destroy(&c->work);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Ask the worker, unless it was asked already; called locked. */
static void enqueue(struct idnames *c, struct slot *s)
{
	if (s->queued)
		return;
	if (c->qlen == QUEUE) {
		c->st.queue_full++;	/* asked again on a later get */
		return;
	}
	c->q[(c->qhead + c->qlen) % QUEUE] = (struct req){ .kind = s->kind, .id = s->id };
	c->qlen++;
	s->queued = true;
	pthread_cond_signal(&c->work);
}

enum idname_state idnames_get(struct idnames *c, enum idname_kind kind, uint32_t id,
			      int64_t deadline_ns, char *out, size_t outsz)
{
	struct timespec until = ts_of(deadline_ns);
	enum idname_state state;
	struct slot *s;

	if (outsz)
		out[0] = '\0';
	if (!c)
		return IDNAME_NONE;
	pthread_mutex_lock(&c->mu);
	c->st.lookups++;
	s = slot_of(c, (uint8_t)kind, id);
	if (!s->used || s->kind != kind || s->id != id)
		*s = (struct slot){ .used = true, .kind = (uint8_t)kind, .id = id,
				    .state = IDNAME_PENDING };
	if (s->state == IDNAME_NONE && s->retry_at && clock_ns(CLOCK_MONOTONIC) >= s->retry_at) {
		s->state = IDNAME_PENDING;	/* the directory failed before: ask again */
		s->retry_at = 0;
	}
	if (s->state == IDNAME_PENDING)
		enqueue(c, s);
	/* The slot may be taken by another id while we wait: check the key too. */
	while (s->state == IDNAME_PENDING && s->kind == kind && s->id == id &&
	       deadline_ns > clock_ns(CLOCK_MONOTONIC) &&
	       pthread_cond_timedwait(&c->done, &c->mu, &until) != ETIMEDOUT)
		;
	state = s->kind == kind && s->id == id ? s->state : IDNAME_PENDING;
	if (state == IDNAME_KNOWN)
		snprintf(out, outsz, "%s", s->name);
	else if (state == IDNAME_PENDING)
		c->st.pending++;
	pthread_mutex_unlock(&c->mu);
	return state;
}

void idnames_set_retry(struct idnames *c, int64_t ns)
{
	pthread_mutex_lock(&c->mu);
	c->retry_ns = ns;
	pthread_mutex_unlock(&c->mu);
}

void idnames_get_stats(const struct idnames *c, struct idname_stats *st)
{
	struct idnames *m = (struct idnames *)c;

	memset(st, 0, sizeof(*st));
	if (!c)
		return;
	pthread_mutex_lock(&m->mu);
	*st = c->st;
	pthread_mutex_unlock(&m->mu);
}
