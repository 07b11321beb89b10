/*
 * What stands between a high score and an alert (allowlists, repeat
 * suppression, the rate cap), and the model's bounds: memory under a
 * million destinations, decay.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "detect_model.h"
#include "flow_members.h"
#include "scen.h"

/* A baselined laptop (3 days), with cfg's gates. */
static struct detect *baselined(struct detect_config *cfg, int64_t *t, uint64_t *s)
{
	struct detect *d;
	struct collect c = { 0 };

	cfg->include_reserved = true;
	d = detect_new(cfg);
	assert_non_null(d);
	*t = laptop_run(d, T0, 3 * 24 * 6, s, &c);
	assert_int_equal(c.n, 0);
	return d;
}

/* 200 MB from proc to a new country's address; the findings so far. */
static void exfil(struct detect *d, int64_t t, uint32_t ip, const char *proc, struct collect *c)
{
	struct fl x = { t, ip, "BR", NULL, 443, proc, "alice", 200 * MB, 0 };

	feed(d, &x, c);
}

static void add_allow(struct detect_config *cfg, enum detect_allow_kind k, const char *v)
{
	struct detect_allow *a = &cfg->allow[cfg->n_allow++];

	a->kind = k;
	snprintf(a->value, sizeof(a->value), "%s", v);
	snprintf(a->reason, sizeof(a->reason), "test allows %s", v);
	if (k == ALLOW_NET)
		assert_int_equal(ipnet_parse(v, &a->net), 0);
	if (k == ALLOW_ASN)
		a->asn = (uint32_t)atoi(v);
}

static void check_allow(enum detect_allow_kind k, const char *v, bool suppresses)
{
	struct detect_config cfg;
	struct collect c = { 0 };
	struct detect_stats st;
	uint64_t s = 21;
	int64_t t;
	struct detect *d;

	detect_config_defaults(&cfg);
	add_allow(&cfg, k, v);
	d = baselined(&cfg, &t, &s);
	exfil(d, t, 0xc6336401u, "curl", &c);	/* 198.51.100.1 */
	detect_get_stats(d, &st);
	assert_int_equal(c.n, suppresses ? 0 : 1);
	assert_int_equal(st.allowlisted, suppresses ? 1 : 0);
	detect_free(d);
}

static void test_allowlists(void **state)
{
	check_allow(ALLOW_COUNTRY, "br", true);	/* case does not matter */
	check_allow(ALLOW_COUNTRY, "AR", false);
	check_allow(ALLOW_NET, "198.51.100.0/24", true);
	check_allow(ALLOW_NET, "198.51.101.0/24", false);
	check_allow(ALLOW_NET, "::ffff:198.51.100.1", true);
	check_allow(ALLOW_PROCESS, "curl", true);
	check_allow(ALLOW_PROCESS, "/usr/bin/curl", false);	/* no executable known */
	check_allow(ALLOW_USER, "alice", true);
	check_allow(ALLOW_USER, "bob", false);
	check_allow(ALLOW_ASN, "64500", false);		/* the flow has no AS */
}

static void test_repeats_fold_into_one_alert(void **state)
{
	struct detect_config cfg;
	struct collect c = { 0 };
	struct detect_stats st;
	uint64_t s = 23;
	int64_t t;
	struct detect *d;

	detect_config_defaults(&cfg);
	d = baselined(&cfg, &t, &s);
	for (int i = 0; i < 5; i++)
		exfil(d, t + i * DRAIN, 0xc6336401u, "curl", &c);
	detect_get_stats(d, &st);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.first.repeat_count, 1);
	assert_int_equal(st.repeats, 4);
	/* Another process to the same IP is another alert. */
	exfil(d, t + 5 * DRAIN, 0xc6336401u, "scp", &c);
	assert_int_equal(c.n, 2);
	/* After the window the next alert carries what was folded. */
	exfil(d, t + HOUR + DRAIN, 0xc6336401u, "curl", &c);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.last.repeat_count, 5);
	detect_free(d);
}

static void test_rate_cap_counts_what_it_holds_back(void **state)
{
	static const char *const procs[] = { "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9" };
	struct detect_config cfg;
	struct collect c = { 0 };
	struct detect_stats st;
	uint64_t s = 29;
	int64_t t;
	struct detect *d;

	detect_config_defaults(&cfg);
	cfg.rate_cap = 3;
	d = baselined(&cfg, &t, &s);
	/* t is a multiple of 15 min: all ten fall in one rate window. */
	for (int i = 0; i < 10; i++)
		exfil(d, t, 0xc6336401u + (uint32_t)i, procs[i], &c);
	detect_get_stats(d, &st);
	assert_int_equal(c.n, 3);
	assert_int_equal(st.rate_capped, 7);
	/* The next window lets one of them through, saying what was held. */
	exfil(d, t + 15 * 60 * DETECT_SEC, 0xc6336409u, procs[9], &c);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.last.rate_capped, 7);
	detect_free(d);
}

static void test_memory_bounded_under_a_million_destinations(void **state)
{
	struct detect_config cfg;
	struct detect_stats before, after;
	struct collect c = { 0 };
	struct detect *d;

	detect_config_defaults(&cfg);
	cfg.include_reserved = true;
	cfg.max_members = 4096;
	d = detect_new(&cfg);
	detect_get_stats(d, &before);
	assert_int_equal(before.max_members, 4096);
	assert_int_equal(before.member_bytes, sizeof(struct member) + sizeof(uint64_t));
	for (uint32_t i = 0; i < 1000000; i++) {
		struct fl x = { T0 + (int64_t)i * DETECT_SEC / 10, 0x40000000u + i * 7919u, "US", NULL,
				443, "scanner", "root", 1500, 0 };

		feed(d, &x, &c);
	}
	detect_get_stats(d, &after);
	assert_int_equal(after.flows, 1000000);
	assert_true(after.members <= 4096);
	assert_true(after.evictions >= 1000000 - 4096);
	/* Nothing grew: everything was allocated by detect_new. */
	assert_int_equal(after.memory_bytes, before.memory_bytes);
	assert_int_equal(after.memory_bytes, sizeof(struct detect) + 4096 * before.member_bytes);
	/* The familiar members survived the churn (they are worth more). */
	{
		struct enriched_flow f;
		struct fl x = { T0 + 100001 * DETECT_SEC, 0x40000000u, "US", NULL, 443, "scanner",
				"root", 1, 0 };
		struct flow_keys k;
		struct member *m;

		f = mkflow(&x);
		flow_keys_of(&f, &k);
		m = member_get(d, k.key[VIEW_COUNTRY], VIEW_COUNTRY, 0, x.t);
		assert_true(m->w > 20.0f);	/* 27 hours of history */
	}
	detect_free(d);
}

static void test_decay(void **state)
{
	struct detect_config cfg;
	struct pop p;
	struct member m;
	struct detect *d;

	memset(&p, 0, sizeof(p));
	pop_add(&p, 20.0, 1.0f);
	pop_add(&p, 22.0, 1.0f);
	pop_decay(&p, 0.5f);
	pop_finish(&p);
	assert_float_equal(p.sw, 1.0, 1e-12);
	assert_float_equal(p.tail[0], 1.0, 1e-6);
	assert_float_equal(p.hist[20 * HIST_PER_OCTAVE], 0.5, 1e-6);

	/* A member's weight halves per half-life (7 days of 1 h buckets). */
	detect_config_defaults(&cfg);
	d = detect_new(&cfg);
	memset(&m, 0, sizeof(m));
	m.w = 8.0f;
	m.stat_bucket = 1000;
	assert_float_equal(member_weight(d, &m, 1000 + 7 * 24), 4.0, 1e-3);
	assert_float_equal(member_weight(d, &m, 1000 + 14 * 24), 2.0, 1e-3);
	detect_free(d);
}

/* A country used all week, then silent for ten weeks, is rare again. */
static void test_decay_makes_familiar_rare_again(void **state)
{
	struct detect_config cfg;
	struct detect *d;
	struct collect c = { 0 };
	struct enriched_flow f;
	struct flow_keys k;
	struct member *m;
	int64_t t = T0;

	detect_config_defaults(&cfg);
	cfg.include_reserved = true;
	d = detect_new(&cfg);
	for (int h = 0; h < 7 * 24; h++, t += HOUR) {
		struct fl x = { t, 0x0b000001u, "DE", NULL, 443, "firefox", "alice", 2 * MB, 0 };

		feed(d, &x, &c);
	}
	{
		struct fl x = { t + 10 * 7 * 24 * HOUR, 0x0b000001u, "DE", NULL, 443, "firefox", "alice",
				1, 0 };

		f = mkflow(&x);
	}
	flow_keys_of(&f, &k);
	m = member_get(d, k.key[VIEW_COUNTRY], VIEW_COUNTRY, 0, t);
	assert_int_equal(member_class(d, m), CLASS_FAMILIAR);
	detect_observe(d, &f, collect_emit, &c);
	assert_int_equal(member_class(d, m), CLASS_RARE);
	assert_int_equal(c.n, 0);
	detect_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowlists),
		cmocka_unit_test(test_repeats_fold_into_one_alert),
		cmocka_unit_test(test_rate_cap_counts_what_it_holds_back),
		cmocka_unit_test(test_memory_bounded_under_a_million_destinations),
		cmocka_unit_test(test_decay),
		cmocka_unit_test(test_decay_makes_familiar_rare_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
