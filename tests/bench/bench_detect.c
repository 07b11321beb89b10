/*
 * Cost of detect_observe (make bench): CPU ns per flow (process CPU time,
 * so other load on the machine does not count) for a busy host's mix,
 * after a day of baseline. The flows are built before the clock starts, so
 * only detection is measured. Prints a markdown table.
 *
 *   mix: 50,000 destination IPs in 20 countries, 8 processes, 2 users,
 *        3 ports, byte counts from 100 B to 10 MB, 10 s drains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect.h"

#define FLOWS 2000000
#define PER_DRAIN 2000

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count(void *arg, const struct finding *fd)
{
	(void)fd;
	++*(unsigned long *)arg;
}

int main(void)
{
	static const char *const procs[] = { "firefox", "curl", "git", "ssh", "restic", "zoom",
					     "apt", "python3" };
	static const char *const users[] = { "alice", "root" };
	static const uint16_t ports[] = { 443, 80, 22 };
	struct enriched_flow *f = calloc(FLOWS, sizeof(*f));
	struct detect_config cfg;
	struct detect_stats st;
	struct detect *d;
	unsigned long alerts = 0;
	int64_t t0 = 1767225600LL * DETECT_SEC;
	double t;

	if (!f)
		return 1;
	for (long i = 0; i < FLOWS; i++) {
		uint32_t ip = (uint32_t)(rnd() % 50000), c = ip % 20;

		f[i].obs.end_ns = t0 + (i / PER_DRAIN) * 10 * DETECT_SEC;
		f[i].obs.remote.family = FLOW_AF_INET;
		f[i].obs.remote.a[0] = 100;
		f[i].obs.remote.a[1] = (uint8_t)(ip >> 16);
		f[i].obs.remote.a[2] = (uint8_t)(ip >> 8);
		f[i].obs.remote.a[3] = (uint8_t)ip;
		f[i].obs.remote_port = ports[rnd() % 3];
		f[i].obs.transport = FLOW_PROTO_TCP;
		f[i].obs.bytes_sent = 100 + rnd() % (rnd() % 64 ? 20000 : 10000000);
		f[i].process_name = procs[rnd() % 8];
		f[i].user_name = users[rnd() % 2];
		snprintf(f[i].geo.country_iso, sizeof(f[i].geo.country_iso), "%c%c", 'A' + c, 'Q');
		if (c < 10)
			snprintf(f[i].geo.region_name, sizeof(f[i].geo.region_name), "Region %u", c);
	}
	detect_config_defaults(&cfg);
	cfg.include_reserved = true;
	cfg.learning_ns = 0;
	d = detect_new(&cfg);
	if (!d)
		return 1;
	/* First half builds the baseline (a day and more); the second is timed. */
	for (long i = 0; i < FLOWS / 2; i++)
		detect_observe(d, &f[i], count, &alerts);
	t = now_s();
	for (long i = FLOWS / 2; i < FLOWS; i++) {
		detect_observe(d, &f[i], count, &alerts);
		if (i % PER_DRAIN == 0)
			detect_tick(d, f[i].obs.end_ns, NULL, NULL);
	}
	t = now_s() - t;
	detect_get_stats(d, &st);
	printf("| detection | flows | ns per detect_observe | flows/s | members | bytes per member | memory |\n");
	printf("|---|---|---|---|---|---|---|\n");
	printf("| 50k IPs, 20 countries, 8 processes | %d | %.0f | %.2fM | %u of %u | %zu | %.1f MiB |\n",
	       FLOWS / 2, t * 1e9 / (FLOWS / 2), (FLOWS / 2) / t / 1e6, st.members, st.max_members,
	       st.member_bytes, (double)st.memory_bytes / (1 << 20));
	fprintf(stderr, "bench_detect: %lu alerts (not asserted)\n", alerts);
	detect_free(d);
	free(f);
	return 0;
}
