// SPDX-License-Identifier: GPL-2.0-only
/* itest: geo expectations from the fixture sources (see main.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

struct fixnet {
	uint8_t net[16];	/* IPv4 as v4-mapped, like struct sent */
	int plen;
	int file;		/* index in geo_fixture: earlier files win */
	json_t *src;		/* the source record */
};

static struct fixnet *fix;
static size_t n_fix;
static json_t *fix_roots[MAX_GEO];

/* Read every --geo-fixture: { "CIDR": { country, city, lat, asn, ... }, ... }. */
int load_fixtures(char *why, size_t n)
{
	for (int f = 0; f < n_geo_fixture; f++) {
		json_error_t e;
		const char *key;
		json_t *v;

		fix_roots[f] = json_load_file(geo_fixture[f], 0, &e);
		if (!json_is_object(fix_roots[f])) {
			snprintf(why, n, "%s: line %d: %s", geo_fixture[f], e.line, e.text);
			return -1;
		}
		json_object_foreach(fix_roots[f], key, v) {
			char addr[64];
			const char *slash = strchr(key, '/');
			struct fixnet x = { .file = f, .src = v }, *grown;

			if (key[0] == '_')
				continue;	/* comments */
			if (!slash || (size_t)(slash - key) >= sizeof(addr) || !json_is_object(v)) {
				snprintf(why, n, "%s: '%s' is not CIDR -> object", geo_fixture[f], key);
				return -1;
			}
			memcpy(addr, key, slash - key);
			addr[slash - key] = '\0';
			x.plen = atoi(slash + 1) + (strchr(addr, ':') ? 0 : 96);
			if (ip_parse(addr, x.net) != 0 || x.plen > 128) {
				snprintf(why, n, "%s: bad CIDR '%s'", geo_fixture[f], key);
				return -1;
			}
			grown = realloc(fix, (n_fix + 1) * sizeof(*fix));
			if (!grown) {
				snprintf(why, n, "out of memory");
				return -1;
			}
			fix = grown;
			fix[n_fix++] = x;
		}
	}
	return 0;
}

void free_fixtures(void)
{
	for (int f = 0; f < n_geo_fixture; f++)
		json_decref(fix_roots[f]);
	free(fix);
}

/* Set obj[key] to a copy of src[skey] unless obj has key (an earlier file won). */
static void take(json_t *obj, const char *key, json_t *src, const char *skey)
{
	json_t *v = json_object_get(src, skey);

	if (v && !json_object_get(obj, key) && !(json_is_string(v) && !json_string_value(v)[0]))
		json_object_set_new(obj, key, json_deep_copy(v));
}

/*
 * What destination.geo and destination.as must be for ip (NULL: absent).
 * Per fixture file the longest matching prefix; fields map to ECS the way
 * tools/mkmmdb.pl's city and asn layouts and geo_to_json() do, e.g. region
 * "BY" of country "DE" is region_iso_code "DE-BY".
 */
static void expect_geo(const uint8_t ip[16], json_t **geo, json_t **as)
{
	json_t *g = json_object(), *a = json_object(), *org = json_object();

	for (int f = 0; f < n_geo_fixture; f++) {
		const struct fixnet *best = NULL;
		json_t *src, *cc, *lat, *lon;

		for (size_t i = 0; i < n_fix; i++)
			if (fix[i].file == f && same_prefix(fix[i].net, ip, fix[i].plen) &&
			    (!best || fix[i].plen > best->plen))
				best = &fix[i];
		if (!best)
			continue;
		src = best->src;
		take(g, "country_iso_code", src, "country");
		take(g, "country_name", src, "country_name");
		take(g, "continent_name", src, "continent_name");
		take(g, "region_name", src, "region_name");
		take(g, "city_name", src, "city");
		cc = json_object_get(src, "country");
		if (json_is_string(cc) && json_is_string(json_object_get(src, "region")) &&
		    !json_object_get(g, "region_iso_code"))
			json_object_set_new(g, "region_iso_code", json_sprintf("%s-%s",
					    json_string_value(cc), jstr(src, "region")));
		lat = json_object_get(src, "lat");
		lon = json_object_get(src, "lon");
		if (json_is_number(lat) && json_is_number(lon) && !json_object_get(g, "location"))
			json_object_set_new(g, "location", json_pack("{s:f,s:f}",
					    "lat", json_number_value(lat), "lon", json_number_value(lon)));
		take(a, "number", src, "asn");
		take(org, "name", src, "as_org");
	}
	if (json_object_size(org) && json_object_size(a))
		json_object_set(a, "organization", org);
	json_decref(org);
	*geo = json_object_size(g) ? g : (json_decref(g), NULL);
	*as = json_object_size(a) ? a : (json_decref(a), NULL);
}

/* Equal JSON, with coordinates compared to a micro-degree (float text round trips). */
static int near(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;

	if (!a || !b)
		return a == b;
	if ((json_is_real(a) || json_is_real(b)) && json_is_number(a) && json_is_number(b)) {
		double d = json_number_value(a) - json_number_value(b);

		return d < 1e-6 && d > -1e-6;
	}
	if (json_is_object(a) && json_is_object(b)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach(a, k, v)
			if (!near(v, json_object_get(b, k)))
				return 0;
		return 1;
	}
	return json_equal(a, b);
}

static void dump_short(json_t *v, char *out, size_t n)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII) : NULL;

	snprintf(out, n, "%s", v ? (s ? s : "?") : "(absent)");
	free(s);
}

int geo_ok(const struct run_case *c, const struct sent *s, json_t *j,
		  const struct output *o, char *why, size_t n)
{
	/* Geo describes the peer: the destination of egress, the source of ingress. */
	const char *side = s->ingress ? "source" : "destination";
	json_t *eg, *ea, *dst = jget(j, side);
	const char *what = NULL;
	char wbuf[32];
	json_t *exp = NULL, *got = NULL;
	char e[400], g[400];

	expect_geo(s->ip, &eg, &ea);
	if (!near(eg, json_object_get(dst, "geo")))
		what = "geo", exp = eg, got = json_object_get(dst, "geo");
	else if (!near(ea, json_object_get(dst, "as")))
		what = "as", exp = ea, got = json_object_get(dst, "as");
	if (what) {
		snprintf(wbuf, sizeof(wbuf), "%s.%s", side, what);
		what = wbuf;
	}
	if (what) {
		dump_short(exp, e, sizeof(e));
		dump_short(got, g, sizeof(g));
		snprintf(why, n, "expected %s=%s, got %s", what, e, g);
	}
	json_decref(eg);
	json_decref(ea);
	return !what;
}
