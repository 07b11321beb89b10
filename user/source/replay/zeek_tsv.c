/* Zeek conn.log TSV: header and line parsing (pure: buffers in, structs out). */
#include <stdio.h>
#include <string.h>

#include "replay_time.h"
#include "zeek_tsv.h"

void zeek_tsv_init(struct zeek_tsv *t)
{
	memset(t, 0, sizeof(*t));
	t->sep = '\t';
	t->unset[0] = '-';
	t->unset_len = 1;
	for (int i = 0; i < ZF_COUNT; i++)
		t->col[i] = -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Zeek escapes header values as \xNN; decode into out. */
static size_t unescape(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
		    hexval(s[i + 3]) >= 0) {
			out[o++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return o;
}

static bool starts(const char *line, size_t len, const char *key)
{
	size_t k = strlen(key);

	return len > k && !memcmp(line, key, k) && (line[k] == ' ' || line[k] == '\t');
}

static int map_fields(struct zeek_tsv *t, const char *s, size_t len, char *err, size_t errlen)
{
	int col = 0;

	for (int i = 0; i < ZF_COUNT; i++)
		t->col[i] = -1;
	for (size_t i = 0; i <= len; col++) {
		size_t j = i;

		while (j < len && s[j] != t->sep)
			j++;
		for (int f = 0; f < ZF_COUNT; f++)
			if (strlen(zeek_field_name[f]) == j - i &&
			    !memcmp(s + i, zeek_field_name[f], j - i))
				t->col[f] = col;
		i = j + 1;
	}
	t->ncols = col;
	for (int f = 0; f <= ZF_REQUIRED_LAST; f++)
		if (t->col[f] < 0) {
			snprintf(err, errlen, "a Zeek log without the field '%s': not a conn.log",
				 zeek_field_name[f]);
			return PARSE_WRONG_KIND;
		}
	if (t->col[ZF_ORIG_BYTES] < 0 && t->col[ZF_RESP_BYTES] < 0) {
		snprintf(err, errlen, "a Zeek log without orig_bytes/resp_bytes: not a conn.log");
		return PARSE_WRONG_KIND;
	}
	t->have_fields = true;
	return PARSE_OK;
}

int zeek_tsv_header(struct zeek_tsv *t, const char *line, size_t len, char *err, size_t errlen)
{
	char v[64];

	if (starts(line, len, "#separator")) {
		/* "#separator \x09": the only header written before the separator is known */
		if (unescape(line + 11, len - 11, v, sizeof(v)) != 1)
			return PARSE_MALFORMED;
		t->sep = v[0];
		return PARSE_OK;
	}
	if (len < 2 || line[0] != '#')
		return PARSE_MALFORMED;
	const char *tab = memchr(line, t->sep, len);
	if (!tab)
		return PARSE_OK;	/* "#close"-like lines without a value */
	size_t klen = (size_t)(tab - line), vlen = len - klen - 1;
	const char *val = tab + 1;

	if (klen == 5 && !memcmp(line, "#path", 5)) {
		if (!(vlen == 4 && !memcmp(val, "conn", 4))) {
			snprintf(err, errlen, "a Zeek %.*s log, not conn.log", (int)(vlen > 32 ? 32 : vlen), val);
			return PARSE_WRONG_KIND;
		}
	} else if (klen == 12 && !memcmp(line, "#unset_field", 12)) {
		t->unset_len = unescape(val, vlen, t->unset, sizeof(t->unset));
	} else if (klen == 7 && !memcmp(line, "#fields", 7)) {
		return map_fields(t, val, vlen, err, errlen);
	}
	return PARSE_OK;
}

struct span {
	const char *p;
	size_t n;
};

static bool is_unset(const struct zeek_tsv *t, struct span s)
{
	return s.n == t->unset_len && !memcmp(s.p, t->unset, s.n);
}

static int u64(struct span s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (s.n == 0 || s.n > 20)
		return -1;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(s.p[i] - '0');
		if (x > (max - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static int port(struct span s, uint16_t *p)
{
	uint64_t v;

	if (u64(s, 65535, &v))
		return -1;
	*p = (uint16_t)v;
	return 0;
}

static int tristate(const struct zeek_tsv *t, struct span s, int *v)
{
	if (is_unset(t, s))
		*v = ZEEK_UNSET;
	else if (s.n == 1 && s.p[0] == 'T')
		*v = ZEEK_T;
	else if (s.n == 1 && s.p[0] == 'F')
		*v = ZEEK_F;
	else
		return -1;
	return 0;
}

/* Optional count: unset is 0. */
static int count(const struct zeek_tsv *t, struct span s, uint64_t *v)
{
	*v = 0;
	return is_unset(t, s) ? 0 : u64(s, UINT64_MAX, v);
}

int zeek_tsv_line(const struct zeek_tsv *t, const char *line, size_t len, struct zeek_conn *c)
{
	struct span f[ZF_COUNT] = { { 0 } };
	int col = 0, proto;

	if (!t->have_fields)
		return PARSE_MALFORMED;
	for (size_t i = 0; i <= len; col++) {
		size_t j = i;

		while (j < len && line[j] != t->sep)
			j++;
		for (int k = 0; k < ZF_COUNT; k++)
			if (t->col[k] == col)
				f[k] = (struct span){ line + i, j - i };
		i = j + 1;
	}
	if (col != t->ncols)
		return PARSE_MALFORMED;
	memset(c, 0, sizeof(*c));
	if (decimal_seconds_parse(f[ZF_TS].p, f[ZF_TS].n, &c->ts_ns) ||
	    addr_parse(f[ZF_ORIG_H].p, f[ZF_ORIG_H].n, &c->orig) ||
	    addr_parse(f[ZF_RESP_H].p, f[ZF_RESP_H].n, &c->resp) ||
	    port(f[ZF_ORIG_P], &c->orig_p) || port(f[ZF_RESP_P], &c->resp_p))
		return PARSE_MALFORMED;
	proto = zeek_proto(f[ZF_PROTO].p, f[ZF_PROTO].n);
	if (proto < 0)
		return PARSE_MALFORMED;
	c->transport = (uint8_t)proto;
	if (t->col[ZF_DURATION] >= 0 && !is_unset(t, f[ZF_DURATION]) &&
	    decimal_seconds_parse(f[ZF_DURATION].p, f[ZF_DURATION].n, &c->duration_ns))
		return PARSE_MALFORMED;
	c->local_orig = c->local_resp = ZEEK_UNSET;
	if ((t->col[ZF_ORIG_BYTES] >= 0 && count(t, f[ZF_ORIG_BYTES], &c->orig_bytes)) ||
	    (t->col[ZF_RESP_BYTES] >= 0 && count(t, f[ZF_RESP_BYTES], &c->resp_bytes)) ||
	    (t->col[ZF_LOCAL_ORIG] >= 0 && tristate(t, f[ZF_LOCAL_ORIG], &c->local_orig)) ||
	    (t->col[ZF_LOCAL_RESP] >= 0 && tristate(t, f[ZF_LOCAL_RESP], &c->local_resp)))
		return PARSE_MALFORMED;
	return PARSE_OK;
}
