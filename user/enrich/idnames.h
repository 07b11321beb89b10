/*
 * Names of user and group ids, resolved off the loop. NSS (getpwuid_r,
 * getgrgid_r) may ask LDAP or sssd, which can take seconds or hang until a
 * time-out: one worker thread does every lookup, answers are cached, and
 * the loop only reads the cache. A caller that needs a name now waits for
 * it at most until a deadline (the drain's budget); an id not answered by
 * then is "pending" and gets its name on a later look.
 *
 * One thread (the loop) calls these; the worker is internal and holds no
 * capability (it drops its own at start: it runs before the agent drops
 * the rest, and capabilities are per thread).
 */
#ifndef EXFILD_IDNAMES_H
#define EXFILD_IDNAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum idname_kind { IDNAME_USER, IDNAME_GROUP };
enum idname_state {
	IDNAME_KNOWN,		/* out holds the name */
	IDNAME_NONE,		/* the id has no name (or the lookup failed) */
	IDNAME_PENDING,		/* asked, not answered yet */
};

/*
 * Look one id up (may block): 1 and the name in name[size]; 0 if the id
 * has no name; -1 if the lookup failed (the directory timed out or is
 * down): it is asked again later (idnames_set_retry). The default asks
 * NSS; tests put a stand-in here.
 */
typedef int (*idname_resolve_fn)(void *ctx, enum idname_kind kind, uint32_t id, char *name,
				 size_t size);

#define IDNAMES_RETRY_NS (60 * 1000000000LL)	/* a failed lookup is asked again after */

struct idnames;

struct idname_stats {
	uint64_t lookups;	/* idnames_get calls */
	uint64_t resolved;	/* answers the worker gave */
	uint64_t pending;	/* gets answered "pending" */
	uint64_t queue_full;	/* requests put off because the queue was full */
	uint64_t failed;	/* lookups that failed (asked again later) */
};

/* resolve NULL: NSS. Starts the worker; NULL if it cannot. */
struct idnames *idnames_new(idname_resolve_fn resolve, void *ctx);
/*
 * Stop the worker. One stuck in a lookup is left to finish on its own
 * (the state is then kept, not freed, and the process is exiting anyway).
 */
void idnames_free(struct idnames *c);

/*
 * The name of id, waiting for the worker at most until deadline_ns
 * (CLOCK_MONOTONIC; 0 = do not wait). out gets "" unless IDNAME_KNOWN.
 */
enum idname_state idnames_get(struct idnames *c, enum idname_kind kind, uint32_t id,
			      int64_t deadline_ns, char *out, size_t outsz);

void idnames_get_stats(const struct idnames *c, struct idname_stats *st);

/* How long a failed lookup stays "no name" before it is asked again. */
void idnames_set_retry(struct idnames *c, int64_t ns);

#endif
