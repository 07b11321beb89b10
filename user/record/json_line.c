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

#include "json.h"

#define REAL_PRECISION 15
#define MAX_DEPTH 64		/* records are a few levels deep; refuse cycles */

struct buf {
	char *p;
	size_t len, cap;
	bool failed;
};

static bool reserve(struct buf *b, size_t n)
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

/* Room is checked inline; reserve() only runs when the buffer must grow. */
static inline void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 <= b->cap || reserve(b, n)) {
		/* b->p is set: reserve() succeeded, or the room was there */
		memcpy(b->p + b->len, s, n);	/* NOLINT(clang-analyzer-core.NonNullParamChecker) */
		b->len += n;
	}
}

static inline void put_char(struct buf *b, char c)
{
	if (b->len + 2 <= b->cap || reserve(b, 1))
		b->p[b->len++] = c;
}

/* The bytes jansson escapes: control characters, '"' and '\\'. */
static const bool needs_escape[256] = {
	[0x00 ... 0x1f] = true, ['"'] = true, ['\\'] = true,
};

static void put_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0;

	put_char(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t elen = 2;

		if (!needs_escape[c])
			continue;
		put(b, s + run, i - run);
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
		put(b, esc, elen);
	}
	put(b, s + run, n - run);
	put_char(b, '"');
}

static void put_integer(struct buf *b, json_int_t v)
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
	put(b, tmp + i, sizeof(tmp) - i);
}

/* As jansson: %.15g, ".0" when it reads as an integer, no '+' or leading zeros in an exponent. */
static void put_real(struct buf *b, double v)
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
	put(b, tmp, (size_t)n);
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
static void put_value(struct buf *b, const json_t *v, int depth) /* NOLINT(misc-no-recursion) */
{
	if (depth > MAX_DEPTH) {
		b->failed = true;
		return;
	}
	if (nfrozen && json_is_object(v)) {
		const struct frozen *f = frozen_slot(v);

		if (f->obj == v) {
			put(b, f->text, f->len);
			return;
		}
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *m;
		bool first = true;

		put_char(b, '{');
		json_object_foreach((json_t *)v, key, m) {
			if (!first)
				put_char(b, ',');
			first = false;
			put_string(b, key, strlen(key));
			put_char(b, ':');
			put_value(b, m, depth + 1);
		}
		put_char(b, '}');
		break;
	}
	case JSON_ARRAY:
		put_char(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				put_char(b, ',');
			put_value(b, json_array_get(v, i), depth + 1);
		}
		put_char(b, ']');
		break;
	case JSON_STRING:
		put_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		put_integer(b, json_integer_value(v));
		break;
	case JSON_REAL:
		put_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		put(b, "true", 4);
		break;
	case JSON_FALSE:
		put(b, "false", 5);
		break;
	case JSON_NULL:
		put(b, "null", 4);
		break;
	}
}

char *json_line(const json_t *root)
{
	struct buf b = { 0 };

	if (!root)
		return NULL;
	put_value(&b, root, 0);
	if (b.failed || !reserve(&b, 0)) {
		free(b.p);
		return NULL;
	}
	b.p[b.len] = '\0';
	return b.p;
}
