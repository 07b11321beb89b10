/* The record tree; see rtree.h. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "rtree.h"

void rt_init(struct rtree *t)
{
	t->count = 1;
	t->failed = false;
	t->used = 0;
	t->nextra = 0;
	t->n[0] = (struct rt_node){ .type = RT_OBJ, .next = -1, .first = -1, .last = -1 };
}

void rt_free(struct rtree *t)
{
	for (int i = 0; i < t->count; i++)
		if (t->n[i].type == RT_JSON)
			json_decref(t->n[i].v.json);
	for (int i = 0; i < t->nextra; i++)
		free(t->extra[i]);
	t->count = 0;
	t->nextra = 0;
}

char *rt_alloc(struct rtree *t, size_t n)
{
	char *p;

	if (n <= RT_ARENA - t->used) {
		p = t->arena + t->used;
		t->used += n;
		return p;
	}
	if (t->nextra == RT_EXTRA || !(p = malloc(n ? n : 1))) {
		t->failed = true;
		return NULL;
	}
	t->extra[t->nextra++] = p;
	return p;
}

const char *rt_copy(struct rtree *t, const char *s, size_t n)
{
	char *p = rt_alloc(t, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

bool rt_is_obj(const struct rtree *t, int node)
{
	return node >= 0 && node < t->count && t->n[node].type == RT_OBJ;
}

static int find(const struct rtree *t, int at, const char *key, size_t klen)
{
	for (int c = t->n[at].first; c >= 0; c = t->n[c].next) {
		const struct rt_node *n = &t->n[c];

		/* keys are short: the first byte tells most apart */
		if (n->klen == klen && n->key[0] == key[0] && !memcmp(n->key, key, klen))
			return c;
	}
	return -1;
}

/* The end of the path segment at seg: its '.' or its NUL. */
static inline const char *seg_end(const char *seg)
{
	while (*seg && *seg != '.')
		seg++;
	return seg;
}

int rt_get(const struct rtree *t, int at, const char *key)
{
	return rt_is_obj(t, at) ? find(t, at, key, strlen(key)) : -1;
}

/* A new last child of at (an object or an array). */
static int add(struct rtree *t, int at, const char *key, size_t klen, enum rt_type type)
{
	struct rt_node *p = &t->n[at];
	int c;

	if (t->count == RT_NODES) {
		t->failed = true;
		return -1;
	}
	c = t->count++;
	t->n[c] = (struct rt_node){ .key = key, .klen = (uint32_t)klen, .type = (uint8_t)type,
				    .next = -1, .first = -1, .last = -1 };
	if (p->last >= 0)
		t->n[p->last].next = (int16_t)c;
	else
		p->first = (int16_t)c;
	p->last = (int16_t)c;
	return c;
}

/* A value of a new type in node c, which keeps its place. */
static void retype(struct rtree *t, int c, enum rt_type type)
{
	struct rt_node *n = &t->n[c];

	if (n->type == RT_JSON)
		json_decref(n->v.json);
	n->type = (uint8_t)type;
	n->plain = false;
	n->first = n->last = -1;
	memset(&n->v, 0, sizeof(n->v));
}

/* The node path names under at, made type; -1 when a step is not an object. */
static int set(struct rtree *t, int at, const char *path, enum rt_type type)
{
	const char *seg = path;

	if (!rt_is_obj(t, at) || !path)
		return -1;
	for (;;) {
		const char *end = seg_end(seg), *dot = *end ? end : NULL;
		size_t n = (size_t)(end - seg);
		int c = find(t, at, seg, n);

		if (!dot) {
			if (c < 0)
				return add(t, at, seg, n, type);
			retype(t, c, type);
			return c;
		}
		if (c < 0)
			c = add(t, at, seg, n, RT_OBJ);
		if (c < 0 || t->n[c].type != RT_OBJ)
			return -1;
		at = c;
		seg = dot + 1;
	}
}

int rt_obj(struct rtree *t, int at, const char *path)
{
	const char *seg = path;

	if (!rt_is_obj(t, at))
		return -1;
	for (;;) {
		const char *end = seg_end(seg), *dot = *end ? end : NULL;
		size_t n = (size_t)(end - seg);
		int c = find(t, at, seg, n);

		if (c < 0)
			c = add(t, at, seg, n, RT_OBJ);
		if (c < 0 || t->n[c].type != RT_OBJ)
			return -1;
		if (!dot)
			return c;
		at = c;
		seg = dot + 1;
	}
}

void rt_del(struct rtree *t, int at, const char *key)
{
	int prev = -1, c;

	if (!rt_is_obj(t, at))
		return;
	for (c = t->n[at].first; c >= 0; prev = c, c = t->n[c].next)
		if (t->n[c].klen == strlen(key) && !memcmp(t->n[c].key, key, t->n[c].klen))
			break;
	if (c < 0)
		return;
	if (prev >= 0)
		t->n[prev].next = t->n[c].next;
	else
		t->n[at].first = t->n[c].next;
	if (t->n[at].last == c)
		t->n[at].last = (int16_t)prev;
	retype(t, c, RT_NULL);	/* unlinked; its reference (if any) let go */
}

int rt_str(struct rtree *t, int at, const char *path, const char *s, size_t n)
{
	int c = s ? set(t, at, path, RT_STR) : -1;

	if (c >= 0) {
		t->n[c].v.str.s = s;
		t->n[c].v.str.n = n;
	}
	return c;
}

/* rt_str of text that needs no escaping: times, numbers, addresses, literals. */
static int plain(struct rtree *t, int at, const char *path, const char *s, size_t n)
{
	int c = rt_str(t, at, path, s, n);

	if (c >= 0)
		t->n[c].plain = true;
	return c;
}

int rt_lit(struct rtree *t, int at, const char *path, const char *s)
{
	return plain(t, at, path, s, s ? strlen(s) : 0);
}

int rt_utf8(struct rtree *t, int at, const char *path, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return s && json_utf8_prefix(s, n) == n ? rt_str(t, at, path, s, n) : -1;
}

int rt_bytes(struct rtree *t, int at, const char *path, const void *p, size_t n)
{
	char *out;

	if (!p) {
		p = "";
		n = 0;
	}
	if (json_utf8_prefix(p, n) == n)
		return rt_str(t, at, path, p, n);
	if (n > (SIZE_MAX - 1) / 4 || !(out = rt_alloc(t, n * 4)))
		return -1;
	return rt_str(t, at, path, out, json_bytes_shown(p, n, out));
}

int rt_cstr(struct rtree *t, int at, const char *path, const char *s)
{
	return rt_bytes(t, at, path, s, s ? strlen(s) : 0);
}

int rt_set_str(struct rtree *t, int at, const char *path, const char *s)
{
	return s && s[0] ? rt_cstr(t, at, path, s) : -1;
}

int rt_int(struct rtree *t, int at, const char *path, json_int_t v)
{
	int c = set(t, at, path, RT_INT);

	if (c >= 0)
		t->n[c].v.i = v;
	return c;
}

int rt_real(struct rtree *t, int at, const char *path, double v)
{
	int c = set(t, at, path, RT_REAL);

	if (c >= 0)
		t->n[c].v.d = v;
	return c;
}

int rt_bool(struct rtree *t, int at, const char *path, bool v)
{
	return set(t, at, path, v ? RT_TRUE : RT_FALSE);
}

int rt_null(struct rtree *t, int at, const char *path)
{
	return set(t, at, path, RT_NULL);
}

int rt_time(struct rtree *t, int at, const char *path, int64_t unix_ns)
{
	char *buf = rt_alloc(t, 24);

	return buf && json_time_text(unix_ns, buf) ? plain(t, at, path, buf, 24) : -1;
}

int rt_decimal(struct rtree *t, int at, const char *path, uint32_t v)
{
	char tmp[10], *out;
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out = rt_alloc(t, sizeof(tmp) - i);
	if (!out)
		return -1;
	memcpy(out, tmp + i, sizeof(tmp) - i);
	return plain(t, at, path, out, sizeof(tmp) - i);
}

int rt_json(struct rtree *t, int at, const char *path, json_t *v)
{
	int c = v ? set(t, at, path, RT_JSON) : -1;

	if (c >= 0)
		t->n[c].v.json = v;
	else
		json_decref(v);
	return c;
}

int rt_arr(struct rtree *t, int at, const char *path)
{
	return set(t, at, path, RT_ARR);
}

int rt_push_lit(struct rtree *t, int arr, const char *s)
{
	int c;

	if (arr < 0 || arr >= t->count || t->n[arr].type != RT_ARR || !s)
		return -1;
	c = add(t, arr, NULL, 0, RT_STR);
	if (c >= 0) {
		t->n[c].v.str.s = s;
		t->n[c].v.str.n = strlen(s);
		t->n[c].plain = true;
	}
	return c;
}

/* ---- out ---------------------------------------------------------------- */

/* "s" of text that needs no escaping. */
static void put_plain(struct jbuf *b, const char *s, size_t n, const char *after, size_t alen)
{
	if (b->len + n + alen + 2 <= b->cap || jbuf_reserve(b, n + alen + 1)) {
		char *o = b->p + b->len;

		*o++ = '"';
		memcpy(o, s, n);
		memcpy(o + n, after, alen);
		b->len += n + alen + 1;
	}
}

/* Recursive by the shape of the record (a few levels). */
static void line(const struct rtree *t, int c, struct jbuf *b) /* NOLINT(misc-no-recursion) */
{
	const struct rt_node *n = &t->n[c];

	switch ((enum rt_type)n->type) {
	case RT_OBJ:
	case RT_ARR:
		jbuf_char(b, n->type == RT_OBJ ? '{' : '[');
		for (int k = n->first; k >= 0; k = t->n[k].next) {
			if (k != n->first)
				jbuf_char(b, ',');
			if (n->type == RT_OBJ)
				put_plain(b, t->n[k].key, t->n[k].klen, "\":", 2);
			line(t, k, b);
		}
		jbuf_char(b, n->type == RT_OBJ ? '}' : ']');
		break;
	case RT_STR:
		if (n->plain)
			put_plain(b, n->v.str.s, n->v.str.n, "\"", 1);
		else
			jbuf_string(b, n->v.str.s, n->v.str.n);
		break;
	case RT_INT:
		jbuf_integer(b, n->v.i);
		break;
	case RT_REAL:
		jbuf_real(b, n->v.d);
		break;
	case RT_TRUE:
	case RT_FALSE:
	case RT_NULL:
		/* jansson's constants: written as json_line writes them */
		jbuf_value(b, n->type == RT_TRUE ? json_true() :
			      n->type == RT_FALSE ? json_false() : json_null());
		break;
	case RT_JSON:
		jbuf_value(b, n->v.json);
		break;
	}
}

void rt_line(const struct rtree *t, struct jbuf *b)
{
	line(t, 0, b);
}

static void merge(const struct rtree *t, int at, json_t *obj);

static json_t *value(const struct rtree *t, int c) /* NOLINT(misc-no-recursion) */
{
	const struct rt_node *n = &t->n[c];
	json_t *v = NULL;

	switch ((enum rt_type)n->type) {
	case RT_OBJ:
		if ((v = json_object()))
			merge(t, c, v);
		break;
	case RT_ARR:
		v = json_array();
		for (int k = n->first; v && k >= 0; k = t->n[k].next)
			json_array_append_new(v, value(t, k));
		break;
	case RT_STR:
		v = json_stringn_nocheck(n->v.str.s, n->v.str.n);
		break;
	case RT_INT:
		v = json_integer(n->v.i);
		break;
	case RT_REAL:
		v = json_real(n->v.d);
		break;
	case RT_TRUE:
		v = json_true();
		break;
	case RT_FALSE:
		v = json_false();
		break;
	case RT_NULL:
		v = json_null();
		break;
	case RT_JSON:
		v = json_incref(n->v.json);
		break;
	}
	return v;
}

/* The children of node at into obj; objects merged into objects that are there. */
static void merge(const struct rtree *t, int at, json_t *obj) /* NOLINT(misc-no-recursion) */
{
	for (int c = t->n[at].first; c >= 0; c = t->n[c].next) {
		const struct rt_node *n = &t->n[c];

		if (n->type == RT_OBJ) {
			json_t *have = json_object_getn(obj, n->key, n->klen);

			if (!have) {
				have = json_object();
				if (!have || json_object_setn_new(obj, n->key, n->klen, have))
					continue;
			} else if (!json_is_object(have)) {
				continue;	/* json_set_path would refuse each field */
			}
			merge(t, c, have);
			continue;
		}
		json_object_setn_new(obj, n->key, n->klen, value(t, c));
	}
}

json_t *rt_to_json(const struct rtree *t)
{
	json_t *obj = json_object();

	if (obj)
		merge(t, 0, obj);
	return obj;
}

void rt_merge(const struct rtree *t, json_t *root)
{
	if (json_is_object(root))
		merge(t, 0, root);
}
