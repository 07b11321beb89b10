/*
 * A record under construction: an ordered tree of fields in one block of
 * memory, with no allocation per field. Flow records are built here and
 * written straight to their line (rt_line); the same tree becomes a
 * jansson tree (rt_to_json, rt_merge) for the callers that want one
 * (alerts, tests). One set of code per record, two ways out.
 *
 * Paths and their meaning are json_set_path()'s (json.h): "a.b.c" sets
 * root["a"]["b"]["c"], creating objects on the way; a key that is there
 * already keeps its place and takes the new value; a path through
 * something that is not an object sets nothing. Keys and order are what
 * jansson keeps (insertion order), so rt_line() writes byte for byte what
 * json_line(rt_to_json()) would. Internal to record/.
 *
 * Strings are borrowed: they must outlive the tree (rt_copy keeps a copy).
 * Keys (the segments of paths) and rt_lit strings are written as they
 * are: plain ASCII without '"', '\\' or control characters, as the
 * literals of record/ are.
 * A node is an int; 0 is the root object; -1 is "none" (a failed set).
 */
#ifndef EXFILD_RECORD_RTREE_H
#define EXFILD_RECORD_RTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "jbuf.h"

#define RT_NODES 192
#define RT_ARENA 2048
#define RT_EXTRA 8

enum rt_type { RT_OBJ, RT_ARR, RT_STR, RT_INT, RT_REAL, RT_TRUE, RT_FALSE, RT_NULL, RT_JSON };

struct rt_node {
	const char *key;	/* NULL in an array */
	uint32_t klen;
	uint8_t type;		/* enum rt_type */
	bool plain;		/* a string that needs no escaping (written as it is) */
	int16_t next, first, last;	/* siblings; children (objects, arrays) */
	union {
		json_int_t i;
		double d;
		struct {
			const char *s;
			size_t n;
		} str;
		json_t *json;	/* a reference the tree holds */
	} v;
};

struct rtree {
	struct rt_node n[RT_NODES];
	int count;
	bool failed;		/* out of nodes or memory: the record is incomplete */
	size_t used;
	char arena[RT_ARENA];
	char *extra[RT_EXTRA];	/* what did not fit the arena */
	int nextra;
};

void rt_init(struct rtree *t);
void rt_free(struct rtree *t);

/* n bytes that live as long as the tree; NULL (and failed) on OOM. */
char *rt_alloc(struct rtree *t, size_t n);
/* A copy of s[0..n) kept by the tree. */
const char *rt_copy(struct rtree *t, const char *s, size_t n);

/* The object at path under at, created if missing; -1 if something else is there. */
int rt_obj(struct rtree *t, int at, const char *path);
/* The child key of object at, or -1. */
int rt_get(const struct rtree *t, int at, const char *key);
bool rt_is_obj(const struct rtree *t, int node);
/* Remove key from object at (json_object_del). */
void rt_del(struct rtree *t, int at, const char *key);

/* Setters: each returns the node set or -1. */
int rt_str(struct rtree *t, int at, const char *path, const char *s, size_t n);	/* valid UTF-8 */
int rt_lit(struct rtree *t, int at, const char *path, const char *s);	/* plain, see above */
/* json_string: s when it is valid UTF-8, else nothing (and -1). */
int rt_utf8(struct rtree *t, int at, const char *path, const char *s);
int rt_bytes(struct rtree *t, int at, const char *path, const void *p, size_t n);	/* json_bytes */
int rt_cstr(struct rtree *t, int at, const char *path, const char *s);	/* json_cstr */
/* json_set_str: only a non-empty s, else nothing (and -1). */
int rt_set_str(struct rtree *t, int at, const char *path, const char *s);
int rt_int(struct rtree *t, int at, const char *path, json_int_t v);
int rt_real(struct rtree *t, int at, const char *path, double v);
int rt_bool(struct rtree *t, int at, const char *path, bool v);
int rt_null(struct rtree *t, int at, const char *path);
int rt_time(struct rtree *t, int at, const char *path, int64_t unix_ns);	/* json_time */
int rt_decimal(struct rtree *t, int at, const char *path, uint32_t v);	/* "17" */
/* A jansson value, its reference taken (also on failure); NULL sets nothing. */
int rt_json(struct rtree *t, int at, const char *path, json_t *v);
/* An empty array at path; rt_push_lit appends a plain string to it. */
int rt_arr(struct rtree *t, int at, const char *path);
int rt_push_lit(struct rtree *t, int arr, const char *s);

/* The tree as one JSON line, appended to b. */
void rt_line(const struct rtree *t, struct jbuf *b);
/* A new jansson object of the tree; NULL on OOM. */
json_t *rt_to_json(const struct rtree *t);
/* Set every field of the tree into root, as json_set_path would one by one. */
void rt_merge(const struct rtree *t, json_t *root);

#endif
