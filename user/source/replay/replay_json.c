/* JSON field access for the replay readers (jansson parses, never we). */
#include <string.h>

#include "replay_json.h"

json_t *rj_get(const json_t *root, const char *path)
{
	json_t *v = json_object_get(root, path);
	char key[64];

	if (!v) {
		const char *p = path;

		v = (json_t *)root;
		while (v && *p) {
			const char *dot = strchr(p, '.');
			size_t n = dot ? (size_t)(dot - p) : strlen(p);

			if (n >= sizeof(key))
				return NULL;
			memcpy(key, p, n);
			key[n] = '\0';
			v = json_is_object(v) ? json_object_get(v, key) : NULL;
			p += n + (dot ? 1 : 0);
		}
	}
	return json_is_null(v) ? NULL : v;
}

const char *rj_str(const json_t *root, const char *path, size_t *len)
{
	json_t *v = rj_get(root, path);

	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

int rj_uint(const json_t *root, const char *path, uint64_t max, uint64_t *v)
{
	json_t *j = rj_get(root, path);

	if (!j)
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    (uint64_t)json_integer_value(j) > max)
		return -1;
	*v = (uint64_t)json_integer_value(j);
	return 1;
}

json_t *rj_load(const char *line, size_t len)
{
	json_t *r = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);

	if (r && !json_is_object(r)) {
		json_decref(r);
		r = NULL;
	}
	return r;
}
