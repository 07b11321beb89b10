/* Looking fields up in a parsed JSON line, for the NDJSON readers. */
#ifndef EXFILD_REPLAY_JSON_H
#define EXFILD_REPLAY_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/*
 * root["a.b"] if that flat key exists (Zeek writes "id.orig_h"), else
 * root["a"]["b"] (ECS nests). NULL when absent or JSON null.
 */
json_t *rj_get(const json_t *root, const char *path);

/* A string field: pointer and length, or NULL when absent / not a string. */
const char *rj_str(const json_t *root, const char *path, size_t *len);

/* A non-negative integer field within max; 1 found, 0 absent, -1 bad. */
int rj_uint(const json_t *root, const char *path, uint64_t max, uint64_t *v);

/* Parse one line as a JSON object; NULL if it is not one. */
json_t *rj_load(const char *line, size_t len);

#endif
