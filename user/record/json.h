/*
 * The one JSON writer: every record exfild emits is a jansson tree built
 * with these helpers and written by json_line(). Records are nested ECS
 * objects.
 */
#ifndef EXFILD_JSON_H
#define EXFILD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/*
 * A JSON string for arbitrary bytes (process names, command lines, paths):
 * valid UTF-8 passes through unchanged (control characters are escaped by
 * jansson); each byte that is not valid UTF-8 becomes the four characters
 * \xNN, so the record stays valid JSON and still says what was there.
 * A NUL byte also becomes \x00. Never returns NULL except on OOM.
 */
json_t *json_bytes(const void *buf, size_t len);

/* Bytes of valid UTF-8 (as json_bytes judges it) at the start of buf. */
size_t json_utf8_prefix(const void *buf, size_t len);
/* The string json_bytes() makes of buf, into out (room for 4 * len): its length. */
size_t json_bytes_shown(const void *buf, size_t len, char *out);

/* json_bytes() of a NUL-terminated string. */
json_t *json_cstr(const char *s);

/*
 * Set root["a"]["b"]["c"] = val for path "a.b.c", creating objects on the
 * way; steals the reference to val (also on failure). Returns 0 or -1.
 */
int json_set_path(json_t *root, const char *path, json_t *val);

/*
 * json_set_path(root, path, json_cstr(s)) when s is a non-empty string;
 * nothing otherwise: ECS wants an unknown field absent, never "".
 */
int json_set_str(json_t *root, const char *path, const char *s);

/* RFC 3339 UTC with milliseconds, e.g. 2026-11-28T01:02:03.456Z. */
json_t *json_time(int64_t unix_ns);
/* Its 24 characters (no NUL); false for a year it cannot show. */
bool json_time_text(int64_t unix_ns, char out[24]);

/*
 * One compact line (no newline) for a record; caller frees. NULL on OOM.
 * The bytes are exactly what jansson's json_dumps(JSON_COMPACT |
 * JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)) writes (a unit test holds
 * them to it), written in one pass without its per-token callbacks: the
 * dump was the largest cost of a flow record (json_line.c).
 */
char *json_line(const json_t *root);

/*
 * Promise that obj (an object shared by many records) will not change
 * again until json_line_thaw(obj): json_line() then writes the text it
 * made of it once. A reference is held meanwhile.
 */
void json_line_freeze(json_t *obj);
void json_line_thaw(json_t *obj);

#endif
