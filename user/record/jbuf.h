/*
 * The JSON text writer under json_line() and the record tree (rtree.h):
 * a growing buffer and the pieces of a line, each written exactly as
 * jansson's json_dumps(JSON_COMPACT | JSON_ENCODE_ANY |
 * JSON_REAL_PRECISION(15)) writes it. Internal to record/.
 */
#ifndef EXFILD_RECORD_JBUF_H
#define EXFILD_RECORD_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <jansson.h>

struct jbuf {
	char *p;
	size_t len, cap;
	bool failed;		/* out of memory (or a cycle): the text is not usable */
};

/* Room for n more bytes and a NUL; false (and failed) when there is none. */
bool jbuf_reserve(struct jbuf *b, size_t n);

/* Room is checked inline; jbuf_reserve() only runs when the buffer must grow. */
static inline void jbuf_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 <= b->cap || jbuf_reserve(b, n)) {
		/* b->p is set: jbuf_reserve() succeeded, or the room was there */
		memcpy(b->p + b->len, s, n);	/* NOLINT(clang-analyzer-core.NonNullParamChecker) */
		b->len += n;
	}
}

static inline void jbuf_char(struct jbuf *b, char c)
{
	if (b->len + 2 <= b->cap || jbuf_reserve(b, 1))
		b->p[b->len++] = c;
}

/* A string value (valid UTF-8, as in a jansson tree), quoted and escaped. */
void jbuf_string(struct jbuf *b, const char *s, size_t n);
void jbuf_integer(struct jbuf *b, json_int_t v);
void jbuf_real(struct jbuf *b, double v);
/* A jansson value; frozen objects (json.h) from their text. */
void jbuf_value(struct jbuf *b, const json_t *v);

#endif
