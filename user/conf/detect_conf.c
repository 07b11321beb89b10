#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "detect_conf.h"
#include "duration.h"
#include "ipnet.h"

static int fail(const config_setting_t *s, const char *path, const char *key, const char *why,
		char *err, size_t errlen)
{
	snprintf(err, errlen, "%s:%d: key '%s': %s", path, config_setting_source_line(s), key, why);
	return -1;
}

static bool is_int(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64;
}

/* A duration: "24h" and friends, or a number of seconds. */
static const char *get_duration(const config_setting_t *s, int64_t *ns)
{
	if (is_int(s)) {
		long long v = config_setting_get_int64(s);

		if (v < 0 || v > INT64_MAX / 1000000000LL)
			return "out of range";
		*ns = (int64_t)v * 1000000000LL;
		return NULL;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    duration_parse(config_setting_get_string(s), ns))
		return "expected a duration such as \"90s\", \"15m\", \"24h\", \"7d\" or seconds";
	return NULL;
}

static const char *get_uint(const config_setting_t *s, long long lo, long long hi, long long *v)
{
	if (!is_int(s))
		return "expected a number";
	*v = config_setting_get_int64(s);
	return *v < lo || *v > hi ? "out of range" : NULL;
}

static const char *const allow_keys[] = { "net", "country", "asn", "process", "user" };

/* One `allow` entry: exactly one match key and a reason. */
static const char *allow_entry(const config_setting_t *e, struct detect_allow *a)
{
	const config_setting_t *m = NULL, *r = NULL;
	const char *v;

	if (!config_setting_is_group(e))
		return "expected a group such as { country = \"DE\"; reason = \"...\"; }";
	for (int i = 0; i < config_setting_length(e); i++) {
		const config_setting_t *s = config_setting_get_elem(e, (unsigned)i);
		const char *name = config_setting_name(s);
		int k;

		if (!strcmp(name, "reason")) {
			r = s;
			continue;
		}
		for (k = 0; k < 5 && strcmp(name, allow_keys[k]); k++)
			;
		if (k == 5)
			return "unknown key (expected net, country, asn, process or user, and reason)";
		if (m)
			return "more than one of net, country, asn, process, user";
		m = s;
		a->kind = (enum detect_allow_kind)k;
	}
	if (!m)
		return "needs one of net, country, asn, process or user";
	if (!r || config_setting_type(r) != CONFIG_TYPE_STRING || !config_setting_get_string(r)[0])
		return "missing 'reason' (a non-empty string: it is logged when the entry suppresses)";
	if (strlen(config_setting_get_string(r)) >= sizeof(a->reason))
		return "reason too long";
	snprintf(a->reason, sizeof(a->reason), "%s", config_setting_get_string(r));
	if (a->kind == ALLOW_ASN) {
		long long asn;

		if (get_uint(m, 1, 4294967295LL, &asn))
			return "asn: expected an AS number";
		a->asn = (uint32_t)asn;
		snprintf(a->value, sizeof(a->value), "AS%lld", asn);
		return NULL;
	}
	if (config_setting_type(m) != CONFIG_TYPE_STRING || !(v = config_setting_get_string(m))[0])
		return "expected a non-empty string";
	if (strlen(v) >= sizeof(a->value))
		return "value too long";
	snprintf(a->value, sizeof(a->value), "%s", v);
	if (a->kind == ALLOW_NET && ipnet_parse(v, &a->net))
		return "net: expected an address or CIDR such as 203.0.113.0/24 or 2001:db8::/32";
	if (a->kind == ALLOW_COUNTRY) {
		if (strlen(v) != 2 || !isalpha((unsigned char)v[0]) || !isalpha((unsigned char)v[1]))
			return "country: expected a two-letter ISO 3166 code such as DE";
		a->value[0] = (char)toupper((unsigned char)v[0]);
		a->value[1] = (char)toupper((unsigned char)v[1]);
	}
	return NULL;
}

static int apply_allow(const config_setting_t *list, const char *path, struct detect_config *c,
		       char *err, size_t errlen)
{
	char key[48];

	if (!config_setting_is_list(list) && !config_setting_is_array(list))
		return fail(list, path, "detect.allow", "expected a list ( { ... }, { ... } )", err, errlen);
	c->n_allow = 0;
	for (int i = 0; i < config_setting_length(list); i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		const char *why;

		snprintf(key, sizeof(key), "detect.allow.[%d]", i);
		if (c->n_allow >= DETECT_MAX_ALLOW)
			return fail(e, path, key, "too many entries (at most 64)", err, errlen);
		memset(&c->allow[c->n_allow], 0, sizeof(c->allow[0]));
		if ((why = allow_entry(e, &c->allow[c->n_allow])))
			return fail(e, path, key, why, err, errlen);
		c->n_allow++;
	}
	return 0;
}

int detect_conf_apply(const config_setting_t *group, const char *path, struct detect_config *c,
		      char *err, size_t errlen)
{
	const char *why;

	if (!config_setting_is_group(group))
		return fail(group, path, "detect", "expected a group: detect = { ... };", err, errlen);
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		char key[64];
		long long v;

		snprintf(key, sizeof(key), "detect.%s", name);
		why = NULL;
		if (!strcmp(name, "allow")) {
			if (apply_allow(s, path, c, err, errlen))
				return -1;
			continue;
		} else if (!strcmp(name, "alert_threshold")) {
			if (!(why = get_uint(s, 1, 100, &v)))
				c->alert_threshold = (int)v;
		} else if (!strcmp(name, "rate_cap")) {
			if (!(why = get_uint(s, 1, 1000000, &v)))
				c->rate_cap = (uint32_t)v;
		} else if (!strcmp(name, "max_members")) {
			if (!(why = get_uint(s, 64, 1 << 24, &v)))
				c->max_members = (uint32_t)v;
		} else if (!strcmp(name, "min_bytes")) {
			if (!(why = get_uint(s, 1, INT64_MAX, &v)))
				c->min_bytes = (uint64_t)v;
		} else if (!strcmp(name, "learning_period")) {
			why = get_duration(s, &c->learning_ns);
		} else if (!strcmp(name, "bucket_span")) {
			why = get_duration(s, &c->bucket_ns);
		} else if (!strcmp(name, "suppression_window")) {
			why = get_duration(s, &c->suppress_ns);
		} else if (!strcmp(name, "rate_window")) {
			why = get_duration(s, &c->rate_window_ns);
		} else if (!strcmp(name, "half_life")) {
			why = get_duration(s, &c->half_life_ns);
		} else {
			why = "unknown key";
		}
		if (why)
			return fail(s, path, key, why, err, errlen);
	}
	if ((why = detect_config_check(c)))
		return fail(group, path, "detect", why, err, errlen);
	return 0;
}

int detect_conf_parse(const char *text, const char *path, struct detect_config *c, char *err,
		      size_t errlen)
{
	config_t cfg;
	const config_setting_t *g;
	int rc = 0;

	config_init(&cfg);
	if (!config_read_string(&cfg, text)) {
		snprintf(err, errlen, "%s:%d: %s", path, config_error_line(&cfg), config_error_text(&cfg));
		rc = -1;
	} else if ((g = config_lookup(&cfg, "detect"))) {
		rc = detect_conf_apply(g, path, c, err, errlen);
	}
	config_destroy(&cfg);
	return rc;
}
