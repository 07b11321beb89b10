/*
 * record/proc_record.c shares one "process" object among the records of a
 * process, and json_line writes frozen objects from their text: the
 * records must say exactly what unshared ones would, and a process whose
 * context changes (hash finished, another entry) must not show the old one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "proc.h"
#include "record.h"
#include "record_parts.h"

static const struct record_ctx ctx = { .host_name = "h", .now_ns = 1700000000123456789LL };

static char *line_of(const struct proc_info *pi, const struct hash_view *h)
{
	struct enriched_flow f = { 0 };
	json_t *r;
	char *line;

	f.obs.has_process = true;
	f.obs.pid = pi->pid;
	f.obs.remote.family = FLOW_AF_INET;
	f.proc = pi;
	f.hash = *h;
	r = record_flow(&f, &ctx);
	line = json_line(r);
	json_decref(r);
	assert_non_null(line);
	return line;
}

/* The same record built from a copy with no serial (never shared). */
static char *unshared_line_of(const struct proc_info *pi, const struct hash_view *h)
{
	struct proc_info copy = *pi;

	copy.serial = 0;
	return line_of(&copy, h);
}

static void test_shared_equals_unshared(void **state)
{
	struct proc_table *pt = proc_table_new(16, NULL);
	const struct proc_info *pi = proc_table_get(pt, (uint32_t)getpid());
	struct hash_view pending = { .status = HASH_PENDING };
	struct hash_view ok = { .status = HASH_OK,
				.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" };
	char *a, *b, *c;

	assert_non_null(pi);
	assert_true(pi->serial != 0);
	a = line_of(pi, &pending);
	b = line_of(pi, &pending);	/* shared, frozen text */
	c = unshared_line_of(pi, &pending);
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	assert_null(strstr(a, "sha256"));
	free(a);
	free(b);
	free(c);

	/* The hash finished: the shared object is rebuilt, not reused. */
	a = line_of(pi, &ok);
	c = unshared_line_of(pi, &ok);
	assert_non_null(strstr(a, ok.sha256));
	assert_string_equal(a, c);
	free(a);
	free(c);
	proc_table_free(pt);
}

/* A new entry for the same pid (exec, another table) gets its own object. */
static void test_new_entry_not_stale(void **state)
{
	struct proc_table *pt = proc_table_new(16, NULL), *pt2 = proc_table_new(16, NULL);
	struct hash_view h = { .status = HASH_PENDING };
	const struct proc_info *pi = proc_table_get(pt, (uint32_t)getpid());
	struct proc_info changed;
	uint64_t first;
	char *a, *b;

	assert_non_null(pi);
	first = pi->serial;
	a = line_of(pi, &h);
	pi = proc_table_get(pt2, (uint32_t)getpid());
	assert_true(pi->serial != first);
	changed = *pi;
	snprintf(changed.name, sizeof(changed.name), "renamed");
	b = line_of(&changed, &h);
	assert_non_null(strstr(b, "\"name\":\"renamed\""));
	assert_null(strstr(a, "renamed"));
	free(a);
	free(b);
	proc_table_free(pt);
	proc_table_free(pt2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_equals_unshared),
		cmocka_unit_test(test_new_entry_not_stale),
	};

	return cmocka_run_group_tests_name("proc_record", tests, NULL, NULL);
}
