/*
 * json_line(): a jansson tree as one compact line, byte for byte what
 * json_dumps(JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))
 * gives, in one pass over a growing buffer. Strings in a jansson tree are
 * valid UTF-8 already (json_bytes and jansson see to it): only '"', '\\'
 * and control characters need escaping, as jansson escapes them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "json.h"

#define REAL_PRECISION 15
#define MAX_DEPTH 64		/* records are a few levels deep; refuse cycles */

bool jbuf_reserve(struct jbuf *b, size_t n)
{
	size_t cap;
	char *np;

	if (b->failed)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 2048;
	while (cap < b->len + n + 1)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np) {
		b->failed = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

/* The bytes jansson escapes: control characters, '"' and '\\'. */
static const bool needs_escape[256] = {
	[0x00 ... 0x1f] = true, ['"'] = true, ['\\'] = true,
};

/* Whether one of the 8 bytes in w needs escaping (< 0x20, '"' or '\\'). */
static inline bool word_needs_escape(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');

	/* a zero byte in q or bs, or a byte below 0x20 in w (high bit clear) */
	return (((q - ones) & ~q) | ((bs - ones) & ~bs) | ((w - ones * 0x20) & ~w)) & high;
}

void jbuf_string(struct jbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0, i = 0;

	/* Most strings need nothing: skip 8 clean bytes at a time. */
	for (uint64_t w; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (word_needs_escape(w))
			break;
	}
	if (i + 8 > n) {	/* no word needed escaping: the tail decides */
		size_t k = i;

		while (k < n && !needs_escape[(unsigned char)s[k]])
			k++;
		if (k == n && (b->len + n + 3 <= b->cap || jbuf_reserve(b, n + 2))) {
			char *o = b->p + b->len;

			o[0] = '"';
			memcpy(o + 1, s, n);
			o[n + 1] = '"';
			b->len += n + 2;
			return;
		}
	}
	jbuf_char(b, '"');
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t elen = 2;

		if (!needs_escape[c])
			continue;
		jbuf_put(b, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3); /* NOLINT(bugprone-not-null-terminated-result): esc is bytes, not a string */
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			elen = 6;
		}
		jbuf_put(b, esc, elen);
	}
	jbuf_put(b, s + run, n - run);
	jbuf_char(b, '"');
}

void jbuf_integer(struct jbuf *b, json_int_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	jbuf_put(b, tmp + i, sizeof(tmp) - i);
}

/* As jansson: %.15g, ".0" when it reads as an integer, no '+' or leading zeros in an exponent. */
void jbuf_real(struct jbuf *b, double v)
{
	char tmp[64], *e;
	int n = snprintf(tmp, sizeof(tmp) - 3, "%.*g", REAL_PRECISION, v);

	if (n < 0 || (size_t)n >= sizeof(tmp) - 3) {
		b->failed = true;
		return;
	}
	if (strspn(tmp, "0123456789-") == (size_t)n) {
		memcpy(tmp + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(tmp, 'e'))) {
		char *d = e + 1, *s = e + 1;

		if (*s == '-')
			*d++ = *s++;
		if (*s == '+')
			s++;
		while (*s == '0' && s[1])
			s++;
		memmove(d, s, strlen(s) + 1);
		n = (int)strlen(tmp);
	}
	jbuf_put(b, tmp, (size_t)n);
}

/*
 * Frozen objects: subtrees that many records share and nobody changes
 * (a process's "process" object), with their text written once. Direct-
 * mapped by address; a colliding freeze takes the slot.
 */
#define FROZEN 16384

static struct frozen {
	json_t *obj;		/* a reference held; NULL = free */
	char *text;
	size_t len;
} frozen[FROZEN];
static size_t nfrozen;

static struct frozen *frozen_slot(const json_t *obj)
{
	uintptr_t h = (uintptr_t)obj;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return &frozen[(h >> 40) % FROZEN];
}

static void frozen_drop(struct frozen *f)
{
	if (!f->obj)
		return;
	json_decref(f->obj);
	free(f->text);
	*f = (struct frozen){ 0 };
	nfrozen--;
}

void json_line_freeze(json_t *obj)
{
	struct frozen *f = frozen_slot(obj);
	char *text;

	if (!obj || f->obj == obj || !(text = json_line(obj)))
		return;
	frozen_drop(f);
	*f = (struct frozen){ .obj = json_incref(obj), .text = text, .len = strlen(text) };
	nfrozen++;
}

void json_line_thaw(json_t *obj)
{
	struct frozen *f = obj ? frozen_slot(obj) : NULL;

	if (f && f->obj == obj)
		frozen_drop(f);
}

/* Recursive by the shape of JSON; depth is bounded by MAX_DEPTH. */
static void put_value(struct jbuf *b, const json_t *v, int depth) /* NOLINT(misc-no-recursion) */
{
	if (depth > MAX_DEPTH) {
		b->failed = true;
		return;
	}
	if (nfrozen && json_is_object(v)) {
		const struct frozen *f = frozen_slot(v);

		if (f->obj == v) {
			jbuf_put(b, f->text, f->len);
			return;
		}
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *m;
		bool first = true;

		jbuf_char(b, '{');
		json_object_foreach((json_t *)v, key, m) {
			if (!first)
				jbuf_char(b, ',');
			first = false;
			jbuf_string(b, key, strlen(key));
			jbuf_char(b, ':');
			put_value(b, m, depth + 1);
		}
		jbuf_char(b, '}');
		break;
	}
	case JSON_ARRAY:
		jbuf_char(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				jbuf_char(b, ',');
			put_value(b, json_array_get(v, i), depth + 1);
		}
		jbuf_char(b, ']');
		break;
	case JSON_STRING:
		jbuf_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		jbuf_integer(b, json_integer_value(v));
		break;
	case JSON_REAL:
		jbuf_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		jbuf_put(b, "true", 4);
		break;
	case JSON_FALSE:
		jbuf_put(b, "false", 5);
		break;
	case JSON_NULL:
		jbuf_put(b, "null", 4);
		break;
	}
}

void jbuf_value(struct jbuf *b, const json_t *v)
{
	put_value(b, v, 0);
}

char *json_line(const json_t *root)
{
	struct jbuf b = { 0 };

	if (!root)
		return NULL;
	put_value(&b, root, 0);
	if (b.failed || !jbuf_reserve(&b, 0)) {
		free(b.p);
		return NULL;
	}
	b.p[b.len] = '\0';
	return b.p;
}
