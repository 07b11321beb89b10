/*
 * A deterministic corpus of enriched flows that takes every branch of the
 * flow record: both directions and families, unknown local sides, every
 * optional field present and absent, strings that need escaping or are not
 * valid UTF-8, times outside what RFC 3339 can show, processes from a
 * table (shared parts, their states changing) and without one, replay
 * names, geo answers shared by id and not. Header-only: the golden test
 * and the tool that wrote the golden hash both include it.
 */
#ifndef EXFILD_TEST_RECORD_CORPUS_H
#define EXFILD_TEST_RECORD_CORPUS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "flow.h"
#include "record.h"

#define CORPUS_PROCS 40
#define CORPUS_ANSWERS 24

static uint64_t corpus_rng_state;

static uint32_t corpus_rand(void)
{
	/* splitmix64: the same sequence everywhere */
	uint64_t z = (corpus_rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 16);
}

static unsigned corpus_pick(unsigned n)
{
	return corpus_rand() % n;
}

/* Strings with something for every branch of the escaping. */
static const char *const corpus_strings[] = {
	"", "curl", "nginx: worker process", "a\"quoted\"name", "back\\slash",
	"tab\there", "new\nline", "ctl\x01\x1f", "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac",
	"bad\xff\xfe", "trunc\xc3", "over\xc0\xaf", "sur\xed\xa0\x80", "emoji\xf0\x9f\x98\x80",
	"big\xf4\x90\x80\x80", "/usr/bin/python3", "/tmp/x y/z", "\x7f" "del",
};
#define CORPUS_NSTR (sizeof(corpus_strings) / sizeof(corpus_strings[0]))

static const char *corpus_str(void)
{
	return corpus_strings[corpus_pick(CORPUS_NSTR)];
}

static void corpus_copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s);
}

static struct proc_info corpus_procs[CORPUS_PROCS];
static char corpus_args[CORPUS_PROCS][256];
static char corpus_exe[CORPUS_PROCS][64], corpus_cwd[CORPUS_PROCS][64];
static char corpus_pexe[CORPUS_PROCS][64];
static struct geo_info corpus_answers[CORPUS_ANSWERS];

static void corpus_ip(struct ipaddr *a, int family)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	if (family == FLOW_AF_INET) {
		for (int i = 0; i < 4; i++)
			a->a[i] = (uint8_t)(corpus_pick(4) ? corpus_rand() : corpus_pick(3) * 127);
	} else if (family == FLOW_AF_INET6) {
		a->a[0] = 0x20;
		a->a[1] = 0x01;
		/* runs of zeros of every length, for inet_ntop's "::" */
		for (int i = 2; i < 16; i++)
			a->a[i] = (uint8_t)(corpus_pick(3) ? 0 : corpus_rand());
	}
}

static void corpus_geo(struct geo_info *g)
{
	memset(g, 0, sizeof(*g));
	if (corpus_pick(4)) {
		corpus_copy(g->country_iso, sizeof(g->country_iso), corpus_pick(5) ? "DE" : "");
		corpus_copy(g->country_name, sizeof(g->country_name), corpus_pick(5) ? "Germany" : corpus_str());
		corpus_copy(g->continent_name, sizeof(g->continent_name), corpus_pick(3) ? "Europe" : "");
		corpus_copy(g->region_name, sizeof(g->region_name), corpus_pick(2) ? "Bayern" : corpus_str());
		corpus_copy(g->region_iso, sizeof(g->region_iso), corpus_pick(2) ? "DE-BY" : "");
		corpus_copy(g->city_name, sizeof(g->city_name), corpus_pick(2) ? "M\xc3\xbcnchen" : corpus_str());
	}
	if (corpus_pick(2)) {
		static const double v[] = { 48.1374, -33.8688, 0.0, 90.0, -180.0, 1e-5, 12.345678901234567,
					    151.2093, 1e21, -0.5, 100.0 };
		g->has_location = true;
		g->lat = v[corpus_pick(sizeof(v) / sizeof(v[0]))];
		g->lon = v[corpus_pick(sizeof(v) / sizeof(v[0]))];
	}
	if (corpus_pick(2)) {
		g->has_as = true;
		g->as_number = corpus_pick(3) ? corpus_rand() : 0;
		corpus_copy(g->as_org, sizeof(g->as_org), corpus_pick(3) ? "Example Networks GmbH" : corpus_str());
	}
}

/* Call once: the processes and geo answers the flows point at. */
static void corpus_init(void)
{
	corpus_rng_state = 20261202;
	for (int i = 0; i < CORPUS_PROCS; i++) {
		struct proc_info *p = &corpus_procs[i];
		size_t off = 0;

		memset(p, 0, sizeof(*p));
		/* a few outside any table: never shared */
		p->serial = i % 10 == 9 ? 0 : 1000 + (uint64_t)i;
		p->pid = 100 + (uint32_t)i * 7;
		p->ppid = corpus_pick(4) ? 1 + corpus_pick(1000) : 0;
		p->uid = corpus_pick(2) ? 0 : 1000 + corpus_pick(5);
		p->gid = corpus_pick(2) ? 0 : 100 + corpus_pick(5);
		p->start_ticks = corpus_rand();
		p->start_unix_ns = 1700000000000000000LL + (int64_t)corpus_rand() * 1000003;
		p->cgroup_id = corpus_pick(2) ? 0 : 5000 + corpus_pick(100);
		corpus_copy(p->name, sizeof(p->name), corpus_str());
		if (corpus_pick(5)) {
			corpus_copy(corpus_exe[i], sizeof(corpus_exe[i]), corpus_str());
			p->executable = corpus_exe[i];
		}
		if (corpus_pick(3)) {
			corpus_copy(corpus_cwd[i], sizeof(corpus_cwd[i]), corpus_pick(2) ? "/srv" : corpus_str());
			p->cwd = corpus_cwd[i];
		}
		p->argc = corpus_pick(5);
		for (uint32_t a = 0; a < p->argc; a++) {
			const char *s = corpus_str();
			size_t n = strlen(s);

			memcpy(corpus_args[i] + off, s, n + 1);
			off += n + 1;
		}
		p->args = corpus_args[i];
		p->args_len = off;
		p->args_truncated = corpus_pick(4) == 0;
		snprintf(p->entity_id, sizeof(p->entity_id), "%08x%08x%08x%08x", corpus_rand(),
			 corpus_rand(), corpus_rand(), (unsigned)i);
		if (corpus_pick(3) == 0)
			snprintf(p->container_id, sizeof(p->container_id), "%08x%08x", corpus_rand(),
				 corpus_rand());
		if (corpus_pick(3))
			corpus_copy(p->user_name, sizeof(p->user_name), corpus_pick(2) ? "root" : corpus_str());
		if (corpus_pick(3))
			corpus_copy(p->group_name, sizeof(p->group_name), corpus_pick(2) ? "adm" : corpus_str());
		if (corpus_pick(3)) {
			p->parent.known = true;
			corpus_copy(p->parent.name, sizeof(p->parent.name), corpus_str());
			if (corpus_pick(2)) {
				corpus_copy(corpus_pexe[i], sizeof(corpus_pexe[i]), corpus_str());
				p->parent.executable = corpus_pexe[i];
			}
			p->parent.start_unix_ns = 1600000000000000000LL + (int64_t)corpus_rand() * 999;
			snprintf(p->parent.entity_id, sizeof(p->parent.entity_id), "%016x%016x",
				 corpus_rand(), corpus_rand());
		}
		p->facts_known = corpus_pick(4) != 0;
		p->exe_deleted = corpus_pick(2);
		p->fileless = corpus_pick(2);
		p->exe_writable_by_others = corpus_pick(2);
		p->source = (enum proc_source)corpus_pick(5);
	}
	for (int i = 0; i < CORPUS_ANSWERS; i++) {
		corpus_geo(&corpus_answers[i]);
		/* a third are not known to be shared */
		corpus_answers[i].answer_id = i % 3 == 2 ? 0 : 77 + (uint64_t)i;
	}
}

/*
 * The next flow of the corpus (the process states change as they go, as a
 * running table's do); *ctx gets the record context.
 */
static void corpus_flow(struct enriched_flow *f, struct record_ctx *ctx)
{
	struct flow_obs *o = &f->obs;
	static const int64_t times[] = {
		1700000000123456789LL, 1700000000999999999LL, 0, -1, -1500000000LL,
		INT64_MAX / 2, INT64_MIN / 2, -86400000000001LL, 1700000001000000000LL,
	};
	static const char *const tiers[] = { NULL, "fentry", "kprobe", "tracepoint" };
	static const char *const reasons[] = { NULL, "disabled", "no_executable", "permission_denied" };
	int fam = corpus_pick(3) ? FLOW_AF_INET : FLOW_AF_INET6;

	memset(f, 0, sizeof(*f));
	ctx->host_name = corpus_pick(8) ? "web-01" : corpus_str();
	ctx->now_ns = 1700000000123456789LL;
	if (corpus_pick(10)) {
		o->end_ns = 1700000000000000000LL + (int64_t)corpus_rand() * 1000;
		o->start_ns = o->end_ns - (int64_t)corpus_pick(100000) * 1000000;
	} else {
		o->end_ns = times[corpus_pick(sizeof(times) / sizeof(times[0]))];
		o->start_ns = times[corpus_pick(sizeof(times) / sizeof(times[0]))];
	}
	corpus_ip(&o->remote, corpus_pick(40) ? fam : 0);
	corpus_ip(&o->local, corpus_pick(6) ? fam : 0);
	if (corpus_pick(20) == 0)
		o->local = o->remote;	/* the same address on both sides: related.ip once */
	o->local_port = (uint16_t)(corpus_pick(5) ? corpus_rand() : 0);
	o->remote_port = (uint16_t)(corpus_pick(5) ? corpus_rand() : 0);
	o->transport = corpus_pick(10) ? (corpus_pick(2) ? FLOW_PROTO_TCP : FLOW_PROTO_UDP) : 1;
	o->direction = corpus_pick(4) == 0 ? FLOW_INGRESS : FLOW_EGRESS;
	o->bytes_sent = corpus_pick(4) ? corpus_rand() : (uint64_t)corpus_rand() << 31;
	if (corpus_pick(50) == 0)
		o->bytes_sent = UINT64_MAX;	/* json_int_t is signed: shows negative, as before */
	o->calls = corpus_pick(4) ? 1 + corpus_pick(1000) : 0;
	o->has_process = corpus_pick(6) != 0;
	o->pid = corpus_pick(5) ? 100 + corpus_pick(CORPUS_PROCS) * 7 : 4294967295u;
	o->proc_start = corpus_rand();
	o->has_uid = corpus_pick(3) != 0;
	o->uid = corpus_pick(2) ? 1000 : (corpus_pick(2) ? 0 : 4294967295u);
	o->cgroup_id = corpus_pick(2) ? 0 : 5000 + corpus_pick(100);
	o->host_name = corpus_pick(3) ? NULL : corpus_str();
	o->tier = tiers[corpus_pick(4)];

	switch (corpus_pick(4)) {
	case 0:
	case 1: {
		struct proc_info *p = &corpus_procs[corpus_pick(CORPUS_PROCS)];

		/* what may change under one serial: names, hash, exit */
		if (corpus_pick(8) == 0)
			p->names_pending = !p->names_pending;
		if (corpus_pick(30) == 0)
			p->exited = true;
		f->proc = p;
		f->hash.status = (enum hash_status)corpus_pick(3);
		if (f->hash.status == HASH_OK)
			f->hash.sha256 = corpus_pick(6) ?
				"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" : NULL;
		if (f->hash.status == HASH_SKIPPED)
			f->hash.reason = reasons[corpus_pick(4)];
		break;
	}
	case 2:
		f->proc_deferred = corpus_pick(2);
		break;
	default:
		break;
	}
	if (!f->proc && corpus_pick(2)) {
		f->process_name = corpus_pick(4) ? corpus_str() : NULL;
		f->process_executable = corpus_pick(3) ? corpus_str() : NULL;
		f->user_name = corpus_pick(3) ? corpus_str() : NULL;
	}
	if (corpus_pick(5))
		f->geo = corpus_answers[corpus_pick(CORPUS_ANSWERS)];
	else if (corpus_pick(2))
		corpus_geo(&f->geo);	/* a one-off answer, id 0 */
	f->reserved = corpus_pick(10) == 0;
}

#endif
