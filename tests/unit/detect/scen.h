/*
 * Scenario helpers for the detection tests: flows built from plain
 * values, a seeded generator, host profiles drained every 10 minutes and
 * a collector of the findings. Header-only: each test is one binary.
 */
#ifndef EXFILD_TEST_SCEN_H
#define EXFILD_TEST_SCEN_H

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"

#define HOUR (3600 * DETECT_SEC)
#define DRAIN (600 * DETECT_SEC)
#define T0 (1767225600LL * DETECT_SEC)	/* 2026-01-01T00:00:00Z */
#define MB 1000000ULL

struct collect {
	unsigned n;
	struct finding first, last;
	struct enriched_flow first_flow;
	int64_t first_t;
};

static void collect_emit(void *arg, const struct finding *fd)
{
	struct collect *c = arg;

	if (!c->n) {
		c->first = *fd;
		c->first_flow = *fd->flow;
		c->first.flow = &c->first_flow;
		c->first_t = fd->time_ns;
	}
	c->last = *fd;
	c->last.flow = NULL;
	c->n++;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double rnd01(uint64_t *s)
{
	return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

struct fl {
	int64_t t;
	uint32_t ip;		/* IPv4, host order */
	const char *cc, *region;
	uint16_t port;
	const char *proc, *user;
	uint64_t bytes;
	int ingress;
};

static struct enriched_flow mkflow(const struct fl *x)
{
	struct enriched_flow f;
	uint32_t be = htonl(x->ip);

	memset(&f, 0, sizeof(f));
	f.obs.start_ns = x->t - DRAIN;
	f.obs.end_ns = x->t;
	f.obs.remote.family = FLOW_AF_INET;
	memcpy(f.obs.remote.a, &be, 4);
	f.obs.local.family = FLOW_AF_INET;
	f.obs.local.a[0] = 10, f.obs.local.a[3] = 7;
	f.obs.transport = FLOW_PROTO_TCP;
	f.obs.direction = x->ingress ? FLOW_INGRESS : FLOW_EGRESS;
	if (x->ingress) {
		f.obs.local_port = x->port;
		f.obs.remote_port = 50000;
	} else {
		f.obs.local_port = 40000;
		f.obs.remote_port = x->port;
	}
	f.obs.bytes_sent = x->bytes;
	f.obs.host_name = "testhost";
	f.process_name = x->proc;
	f.user_name = x->user;
	if (x->cc)
		snprintf(f.geo.country_iso, sizeof(f.geo.country_iso), "%s", x->cc);
	if (x->region)
		snprintf(f.geo.region_name, sizeof(f.geo.region_name), "%s", x->region);
	return f;
}

static void feed(struct detect *d, const struct fl *x, struct collect *c)
{
	struct enriched_flow f = mkflow(x);

	detect_observe(d, &f, collect_emit, c);
}

/* Lognormal-ish bytes: 2^(lo + (hi-lo) * u). */
static uint64_t rbytes(uint64_t *s, double lo, double hi)
{
	return (uint64_t)exp2(lo + (hi - lo) * rnd01(s));
}

/*
 * A laptop, one drain: a browser to CDN addresses in three familiar
 * countries (new addresses all the time), a video call to a few relays,
 * a nightly backup of ~800 MB to the usual cloud region at 02:00, and
 * twice a day an hour of browsing a site in a country never used before
 * (2-4 MB: what a naive "new country" rule alerts on).
 */
static void laptop_drain(struct detect *d, int64_t t, uint64_t *s, struct collect *c)
{
	static const char *const cc[] = { "US", "US", "US", "US", "US", "US", "US", "DE", "DE", "NL" };
	static const char *const rg[] = { "California", "Virginia", "Oregon", "Texas", "Ohio",
					  "Virginia", "California", "Hesse", "Hesse", "North Holland" };
	int64_t hour = (t - T0) / HOUR % 24;

	for (int i = 0; i < 12; i++) {
		unsigned k = (unsigned)(rnd(s) % 10);
		struct fl x = { t, 0x0b000000u + (uint32_t)(k << 16) + (uint32_t)(rnd(s) % 4096),
				cc[k], rg[k], 443, "firefox", "alice", rbytes(s, 10, 19), 0 };
		feed(d, &x, c);
	}
	if (hour >= 9 && hour < 17) {
		struct fl x = { t, 0x0c000001u + (uint32_t)(rnd(s) % 4), "US", "Virginia", 8801,
				"zoom", "alice", rbytes(s, 24, 25.5), 0 };
		feed(d, &x, c);
	}
	if (hour == 11 || hour == 15) {
		static char cc_new[8];
		int64_t visit = (t - T0) / HOUR;	/* a fresh country per visit */
		struct fl x = { t, 0x0e000000u + (uint32_t)(visit << 8) + (uint32_t)(rnd(s) % 8),
				cc_new, NULL, 443, "firefox", "alice", rbytes(s, 18.2, 19.5), 0 };

		snprintf(cc_new, sizeof(cc_new), "X%c%c", 'A' + (int)(visit / 26 % 26),
			 'A' + (int)(visit % 26));
		feed(d, &x, c);
	}
	if (hour == 2) {
		struct fl x = { t, 0x0d000001u + (uint32_t)(rnd(s) % 3), "US", "Virginia", 443,
				"restic", "root", 800 * MB / 6, 0 };
		feed(d, &x, c);
	}
	detect_tick(d, t, collect_emit, c);
}

/* Run the laptop from t for n drains; returns the time after. */
static int64_t laptop_run(struct detect *d, int64_t t, int drains, uint64_t *s, struct collect *c)
{
	for (int i = 0; i < drains; i++, t += DRAIN)
		laptop_drain(d, t, s, c);
	return t;
}

static inline struct detect *new_detect(void)
{
	struct detect_config cfg;

	detect_config_defaults(&cfg);
	cfg.include_reserved = true;
	return detect_new(&cfg);
}

#endif
