/*
 * Geo lookup speed: lookups/second cold (every address new, so each one
 * walks the database) and cached (a small set of destinations repeating,
 * as they do from one drain interval to the next).
 *
 *   bench_geo [-n LOOKUPS] [DB.mmdb...]
 *
 * Without a database it builds a synthetic City db covering all of IPv4
 * (every /16, plus 20,000 /24s inside them, and 2001:db8::/32) with
 * tools/mkmmdb.pl (or $EXFILD_MKMMDB) into build/bench/ (run from the repo
 * top). Lookups only read the file: no traffic is sent anywhere.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "geo.h"
#include "log.h"

#define SYNTH_DB   "build/bench/geo-bench.mmdb"
#define SYNTH_SRC  "build/bench/geo-bench.json"
#define SYNTH_NETS 20000  /* /24s on top of the /16 grid */

static uint32_t rng = 2463534242u;

static uint32_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *place(int i)
{
	static const char *const cities[][6] = {
		{ "DE", "Germany", "EU", "Europe", "Bavaria", "Munich" },
		{ "BR", "Brazil", "SA", "South America", "S\xc3\xa3o Paulo", "S\xc3\xa3o Paulo" },
		{ "JP", "Japan", "AS", "Asia", "Tokyo", "Tokyo" },
		{ "CA", "Canada", "NA", "North America", "Quebec", "Montreal" },
	};
	const char *const *c = cities[i % 4];

	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:i,s:s}",
			 "country", c[0], "country_name", c[1], "continent", c[2],
			 "continent_name", c[3], "region", "X", "region_name", c[4],
			 "city", c[5], "lat", 10.0 + i % 50, "lon", 20.0 + i % 70,
			 "asn", 64500 + i % 10, "as_org", "Example AS");
}

/* A JSON source of networks at two depths with a handful of different places. */
static int write_source(void)
{
	json_t *root = json_object();
	char cidr[32];
	int rc;

	for (int i = 0; i < 223 * 256 && root; i++) {
		snprintf(cidr, sizeof(cidr), "%d.%d.0.0/16", 1 + i / 256, i % 256);
		json_object_set_new(root, cidr, place(i));
	}
	for (int i = 0; i < SYNTH_NETS && root; i++) {
		uint32_t x = xorshift();

		snprintf(cidr, sizeof(cidr), "%u.%u.%u.0/24", 1 + (x >> 24) % 223,
			 (x >> 16) & 255, (x >> 8) & 255);
		json_object_set_new(root, cidr, place(i + 1));
	}
	if (root)
		json_object_set_new(root, "2001:db8::/32", place(0));
	rc = root ? json_dump_file(root, SYNTH_SRC, JSON_COMPACT) : -1;
	json_decref(root);
	return rc;
}

static int build_synthetic(void)
{
	const char *tool = getenv("EXFILD_MKMMDB") ? getenv("EXFILD_MKMMDB") : "tools/mkmmdb.pl";
	struct stat sb;
	int status;
	pid_t pid;

	if (stat(SYNTH_DB, &sb) == 0)
		return 0;  /* built by an earlier run */
	mkdir("build", 0755);
	mkdir("build/bench", 0755);
	if (write_source() < 0) {
		fprintf(stderr, "bench_geo: cannot write %s\n", SYNTH_SRC);
		return -1;
	}
	fprintf(stderr, "bench_geo: building %s (takes a few seconds)...\n", SYNTH_DB);
	pid = fork();
	if (pid == 0) {
		execlp("perl", "perl", tool, "--schema", "city", "--in", SYNTH_SRC,
		       "--out", SYNTH_DB, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_geo: %s failed\n", tool);
		return -1;
	}
	unlink(SYNTH_SRC);  /* 16 MB of JSON, only needed to build */
	return 0;
}

/* Address i of a run: IPv4 mostly, every 8th one IPv6 (2001:db8::/32). */
static int make_addr(uint32_t x, uint8_t a[16])
{
	memset(a, 0, 16);
	if ((x & 7) == 0) {
		a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
		memcpy(a + 12, &x, 4);
		return AF_INET6;
	}
	memcpy(a, &x, 4);
	return AF_INET;
}

int main(int argc, char **argv)
{
	long n = 1000000;
	const char *synth[] = { SYNTH_DB };
	const char *const *paths;
	size_t npaths;
	struct geo_stats st;
	struct geo_info gi;
	struct geo *g;
	char err[512];
	uint8_t a[16];
	long found = 0;
	double t;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n' || (n = atol(optarg)) <= 0) {
			fprintf(stderr, "usage: %s [-n LOOKUPS] [DB.mmdb...]\n", argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		paths = (const char *const *)argv + optind;
		npaths = (size_t)(argc - optind);
	} else {
		if (build_synthetic() < 0)
			return 1;
		paths = synth;
		npaths = 1;
	}
	log_set_level(LOG_WARN);
	if (!(g = geo_open(paths, npaths, err, sizeof(err)))) {
		fprintf(stderr, "bench_geo: %s\n", err);
		return 1;
	}

	/* Cold: distinct addresses, so the cache never answers. */
	t = now();
	for (long i = 0; i < n; i++) {
		int fam = make_addr(xorshift(), a);

		found += geo_lookup(g, fam, a, &gi);
	}
	t = now() - t;
	printf("geo cold:   %ld lookups in %.3f s = %.0f lookups/s (%ld found)\n",
	       n, t, (double)n / t, found);

	/* Cached: 1,000 destinations repeating, as between drain intervals. */
	for (uint32_t i = 0; i < 1000; i++) {
		int fam = make_addr(i * 2654435761u, a);

		geo_lookup(g, fam, a, &gi);
	}
	geo_get_stats(g, &st);
	uint64_t hits0 = st.cache_hits;
	t = now();
	for (long i = 0; i < n; i++) {
		int fam = make_addr((uint32_t)(i % 1000) * 2654435761u, a);

		geo_lookup(g, fam, a, &gi);
	}
	t = now() - t;
	geo_get_stats(g, &st);
	printf("geo cached: %ld lookups in %.3f s = %.0f lookups/s (%.1f%% cache hits)\n",
	       n, t, (double)n / t, 100.0 * (double)(st.cache_hits - hits0) / (double)n);
	geo_close(g);
	return 0;
}
