/*
 * Defect: user and group names (NSS: LDAP, sssd) and /proc reads of
 * unknown processes ran inside the emit loop, so a directory service that
 * hangs stalled every drain. Now names come from a worker and a drain
 * waits for slow lookups only until its deadline: what is not answered is
 * marked and filled in later. The stand-in resolver below hangs until the
 * test lets it answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "enrich.h"
#include "idnames.h"
#include "json.h"
#include "proc.h"
#include "record_parts.h"

struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool open;
	int calls;
};

static struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0 };

/* A directory service that answers only once the test opens the gate. */
static int slow_resolve(void *ctx, enum idname_kind kind, uint32_t id, char *name, size_t size)
{
	struct gate *g = ctx;

	pthread_mutex_lock(&g->mu);
	g->calls++;
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	if (id == 4242)
		return 0;	/* no such user */
	snprintf(name, size, "%s-%u", kind == IDNAME_GROUP ? "grp" : "usr", id);
	return 1;
}

static void gate_set(bool open)
{
	pthread_mutex_lock(&gate.mu);
	gate.open = open;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
}

/* Far enough never to be reached: the wait ends on the answer. */
static int64_t far(void)
{
	return clock_ns(CLOCK_MONOTONIC) + 60 * NS_PER_SEC;
}

static void test_pending_then_known(void **state)
{
	struct idnames *c;
	char out[64];

	gate_set(false);
	c = idnames_new(slow_resolve, &gate);
	assert_non_null(c);
	/* The resolver hangs: the caller gets "pending" at once (deadline 0)... */
	assert_int_equal(idnames_get(c, IDNAME_USER, 1000, 0, out, sizeof(out)), IDNAME_PENDING);
	assert_string_equal(out, "");
	/* ...and again with a deadline already past, without asking twice. */
	assert_int_equal(idnames_get(c, IDNAME_USER, 1000, clock_ns(CLOCK_MONOTONIC), out,
				     sizeof(out)), IDNAME_PENDING);
	gate_set(true);
	assert_int_equal(idnames_get(c, IDNAME_USER, 1000, far(), out, sizeof(out)), IDNAME_KNOWN);
	assert_string_equal(out, "usr-1000");
	assert_int_equal(idnames_get(c, IDNAME_GROUP, 1000, far(), out, sizeof(out)), IDNAME_KNOWN);
	assert_string_equal(out, "grp-1000");
	assert_int_equal(idnames_get(c, IDNAME_USER, 4242, far(), out, sizeof(out)), IDNAME_NONE);
	pthread_mutex_lock(&gate.mu);
	int calls = gate.calls;
	pthread_mutex_unlock(&gate.mu);
	/* Cached: known and unknown ids are not asked again. */
	assert_int_equal(idnames_get(c, IDNAME_USER, 1000, 0, out, sizeof(out)), IDNAME_KNOWN);
	assert_int_equal(idnames_get(c, IDNAME_USER, 4242, 0, out, sizeof(out)), IDNAME_NONE);
	pthread_mutex_lock(&gate.mu);
	assert_int_equal(gate.calls, calls);
	pthread_mutex_unlock(&gate.mu);
	idnames_free(c);
}

/* The real NSS: root is root. */
static void test_nss(void **state)
{
	struct idnames *c = idnames_new(NULL, NULL);
	char out[64];

	assert_int_equal(idnames_get(c, IDNAME_USER, 0, far(), out, sizeof(out)), IDNAME_KNOWN);
	assert_string_equal(out, "root");
	assert_int_equal(idnames_get(c, IDNAME_GROUP, 0, far(), out, sizeof(out)), IDNAME_KNOWN);
	assert_string_equal(out, "root");
	idnames_free(c);
}

/* Through the process table and a record: the name is marked, then filled. */
static void test_process_names_filled_later(void **state)
{
	struct proc_table *pt = proc_table_new(16, NULL);
	struct idnames *c;
	const struct proc_info *pi;
	struct enriched_flow f = { 0 };
	char want[64];
	json_t *r;

	gate_set(false);
	c = idnames_new(slow_resolve, &gate);
	proc_table_set_names(pt, c);
	/* A drain whose budget is a few ms: the hung lookup costs no more. */
	proc_table_set_deadline(pt, clock_ns(CLOCK_MONOTONIC) + 5000000);
	pi = proc_table_get(pt, (uint32_t)getpid());
	assert_non_null(pi);
	assert_true(pi->names_pending);
	assert_string_equal(pi->user_name, "");
	f.proc = pi;
	r = json_object();
	record_process(r, &f);
	assert_true(json_is_true(json_object_get(json_object_get(json_object_get(r, "exfild"),
					"process"), "names_pending")));
	assert_null(json_object_get(json_object_get(r, "user"), "name"));
	json_decref(r);

	/* The directory answers; the next drain's get fills the names in. */
	gate_set(true);
	proc_table_set_deadline(pt, far());
	pi = proc_table_get(pt, (uint32_t)getpid());
	snprintf(want, sizeof(want), "usr-%u", (unsigned)getuid());
	assert_string_equal(pi->user_name, want);
	snprintf(want, sizeof(want), "grp-%u", (unsigned)getgid());
	assert_string_equal(pi->group_name, want);
	assert_false(pi->names_pending);
	proc_table_free(pt);
	idnames_free(c);
}

/* /proc of an unknown process is not read once the budget is spent. */
static void test_unknown_process_deferred(void **state)
{
	struct proc_table *pt = proc_table_new(16, NULL);
	struct enricher e = { .procs = pt, .include_reserved = true };
	struct flow_obs obs = { .has_process = true, .pid = (uint32_t)getpid(),
				.remote = { .family = FLOW_AF_INET, .a = { 192, 0, 2, 1 } } };
	struct enriched_flow f;
	struct proc_stats st;
	json_t *r;

	/* A drain that started long enough ago for its budget to be spent. */
	enrich_begin(&e, clock_ns(CLOCK_MONOTONIC) - 2 * ENRICH_BUDGET_NS);
	assert_true(enrich_flow(&e, &obs, &f));
	assert_null(f.proc);
	assert_true(f.proc_deferred);
	proc_table_get_stats(pt, &st);
	assert_int_equal(st.deferred, 1);
	r = json_object();
	record_process(r, &f);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(r,
			    "exfild"), "process"), "context_source")), "deferred");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "process"), "pid")),
			 getpid());
	json_decref(r);

	/* The next drain, within its budget: read and kept. */
	enrich_begin(&e, clock_ns(CLOCK_MONOTONIC));
	assert_true(enrich_flow(&e, &obs, &f));
	assert_non_null(f.proc);
	assert_false(f.proc_deferred);
	assert_int_equal(f.proc->pid, getpid());
	proc_table_free(pt);
}

/* CapPrm and CapEff of the calling thread, from its own status file. */
static void thread_caps(unsigned long long *prm, unsigned long long *eff)
{
	char line[256];
	FILE *f = fopen("/proc/thread-self/status", "r");

	*prm = *eff = ~0ULL;
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "CapPrm: %llx", prm);
		sscanf(line, "CapEff: %llx", eff);
	}
	if (f)
		fclose(f);
}

static unsigned long long worker_prm, worker_eff;

static int caps_resolve(void *ctx, enum idname_kind kind, uint32_t id, char *name, size_t size)
{
	thread_caps(&worker_prm, &worker_eff);
	snprintf(name, size, "x");
	return 1;
}

/* A directory that fails (times out) on the first ask, then answers. */
static int flaky_resolve(void *ctx, enum idname_kind kind, uint32_t id, char *name, size_t size)
{
	int *calls = ctx;

	if ((*calls)++ == 0)
		return -1;
	snprintf(name, size, "late");
	return 1;
}

/* A failed lookup is not "no name" for good: it is asked again. */
static void test_failed_lookup_retried(void **state)
{
	int calls = 0;
	struct idnames *c = idnames_new(flaky_resolve, &calls);
	struct idname_stats st;
	char out[16];

	assert_int_equal(idnames_get(c, IDNAME_USER, 5, far(), out, sizeof(out)), IDNAME_NONE);
	/* Within the retry time: not asked again. */
	assert_int_equal(idnames_get(c, IDNAME_USER, 5, far(), out, sizeof(out)), IDNAME_NONE);
	idnames_get_stats(c, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.resolved, 1);
	idnames_free(c);

	/* Once the retry time is over (here: at once), the next get asks again. */
	calls = 0;
	c = idnames_new(flaky_resolve, &calls);
	idnames_set_retry(c, 0);	/* the agent waits IDNAMES_RETRY_NS */
	assert_int_equal(idnames_get(c, IDNAME_USER, 5, far(), out, sizeof(out)), IDNAME_NONE);
	assert_int_equal(idnames_get(c, IDNAME_USER, 5, far(), out, sizeof(out)), IDNAME_KNOWN);
	assert_string_equal(out, "late");
	idnames_free(c);
}

/*
 * The worker starts before the agent drops its privileges and
 * capabilities are per thread: it must hold none, or a thread of the
 * agent would keep them all.
 */
static void test_worker_unprivileged(void **state)
{
	struct idnames *c = idnames_new(caps_resolve, NULL);
	unsigned long long prm, eff;
	char out[8];

	thread_caps(&prm, &eff);
	if (eff == 0)
		skip();	/* not root here: nothing to prove */
	assert_int_equal(idnames_get(c, IDNAME_USER, 7, far(), out, sizeof(out)), IDNAME_KNOWN);
	assert_int_equal(worker_prm, 0);
	assert_int_equal(worker_eff, 0);
	thread_caps(&prm, &eff);
	assert_true(eff != 0);	/* the caller's thread keeps its own */
	idnames_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pending_then_known),
		cmocka_unit_test(test_nss),
		cmocka_unit_test(test_process_names_filled_later),
		cmocka_unit_test(test_unknown_process_deferred),
		cmocka_unit_test(test_worker_unprivileged),
		cmocka_unit_test(test_failed_lookup_retried),
	};

	return cmocka_run_group_tests_name("idnames", tests, NULL, NULL);
}
