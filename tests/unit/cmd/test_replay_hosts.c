/* cmd/replay_hosts.c: one detector per replayed host, its bound, and where
 * the baselines of one and of several hosts are saved. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay_hosts.h"

static struct detect_config small(void)
{
	struct detect_config c;

	detect_config_defaults(&c);
	c.include_reserved = true;	/* feed() uses a documentation address */
	c.max_members = 64;	/* the smallest table: 4096 hosts stay cheap */
	return c;
}

static void test_one_detector_per_host(void **state)
{
	struct detect_config c = small();
	struct replay_hosts *h = replay_hosts_new(&c, NULL);
	char err[256];

	assert_non_null(h);
	struct detect *a = replay_hosts_get(h, "laptop-1", err, sizeof(err));
	struct detect *b = replay_hosts_get(h, "10.0.0.5", err, sizeof(err));
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(replay_hosts_get(h, "laptop-1", err, sizeof(err)), a);
	assert_int_equal(replay_hosts_count(h), 2);
	replay_hosts_free(h);
}

static void test_bound(void **state)
{
	struct detect_config c = small();
	struct replay_hosts *h = replay_hosts_new(&c, NULL);
	char err[256], name[32];

	for (int i = 0; i < REPLAY_MAX_HOSTS; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		assert_non_null(replay_hosts_get(h, name, err, sizeof(err)));
	}
	assert_null(replay_hosts_get(h, "one-too-many", err, sizeof(err)));
	assert_non_null(strstr(err, "one-too-many and later ones not scored"));
	assert_non_null(replay_hosts_get(h, "h17", err, sizeof(err)));	/* known ones still are */
	assert_int_equal(replay_hosts_count(h), REPLAY_MAX_HOSTS);
	replay_hosts_free(h);
}

/* A host is made on its first flow, so a saved one has seen one. */
static void feed(struct detect *d)
{
	struct enriched_flow f;

	memset(&f, 0, sizeof(f));
	f.obs.end_ns = f.obs.start_ns = 1793577600LL * 1000000000LL;
	f.obs.remote.family = FLOW_AF_INET;
	f.obs.remote.a[0] = 192;
	f.obs.remote.a[2] = 2;
	f.obs.remote.a[3] = 1;
	f.obs.remote_port = 443;
	f.obs.transport = FLOW_PROTO_TCP;
	f.obs.bytes_sent = 5000;
	f.obs.host_name = "web1";
	snprintf(f.geo.country_iso, sizeof(f.geo.country_iso), "DE");
	f.reserved = true;
	detect_observe(d, &f, NULL, NULL);
}

static int exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && st.st_size > 0;
}

static void test_save_paths(void **state)
{
	struct detect_config c = small();
	char dir[] = "/tmp/exfild-hosts-XXXXXX", p[128], q[256], err[512];

	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/baseline.state", dir);
	/* one host: the path itself, what a live agent loads */
	struct replay_hosts *h = replay_hosts_new(&c, NULL);
	feed(replay_hosts_get(h, "web1", err, sizeof(err)));
	assert_int_equal(replay_hosts_save(h, p, err, sizeof(err)), 0);
	assert_true(exists(p));
	replay_hosts_free(h);
	/* and it loads back into every new host */
	h = replay_hosts_new(&c, p);
	if (!replay_hosts_get(h, "other", err, sizeof(err)))
		fail_msg("load: %s", err);
	replay_hosts_free(h);
	unlink(p);
	/* several: path.HOST, odd bytes of the name made safe */
	h = replay_hosts_new(&c, NULL);
	feed(replay_hosts_get(h, "fd00::10", err, sizeof(err)));
	feed(replay_hosts_get(h, "a/b c", err, sizeof(err)));
	assert_int_equal(replay_hosts_save(h, p, err, sizeof(err)), 0);
	snprintf(q, sizeof(q), "%s.fd00::10", p);
	assert_true(exists(q));
	unlink(q);
	snprintf(q, sizeof(q), "%s.a_b_c", p);
	assert_true(exists(q));
	unlink(q);
	assert_false(exists(p));
	replay_hosts_free(h);
	/* nothing replayed: nothing to save, said so */
	h = replay_hosts_new(&c, NULL);
	assert_int_equal(replay_hosts_save(h, p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no host was replayed"));
	replay_hosts_free(h);
	/* a baseline that does not load makes no detector */
	FILE *f = fopen(p, "w");
	fputs("not a state file", f);
	fclose(f);
	h = replay_hosts_new(&c, p);
	assert_null(replay_hosts_get(h, "x", err, sizeof(err)));
	replay_hosts_free(h);
	unlink(p);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_detector_per_host),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_save_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
