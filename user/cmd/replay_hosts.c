/* Per-host detectors for replay (see replay_hosts.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "replay_hosts.h"

#define SLOTS (REPLAY_MAX_HOSTS * 2)	/* load factor <= 0.5: short probes */

struct host {
	char *name;
	struct detect *d;
};

struct replay_hosts {
	struct detect_config cfg;
	char *load_path;
	struct host slot[SLOTS];
	size_t n;
	size_t order[REPLAY_MAX_HOSTS];	/* slots in first-seen order: saves are deterministic */
};

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

struct replay_hosts *replay_hosts_new(const struct detect_config *cfg, const char *load_path)
{
	struct replay_hosts *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->cfg = *cfg;
	if (load_path && !(h->load_path = strdup(load_path))) {
		free(h);
		return NULL;
	}
	return h;
}

void replay_hosts_free(struct replay_hosts *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < SLOTS; i++) {
		free(h->slot[i].name);
		detect_free(h->slot[i].d);
	}
	free(h->load_path);
	free(h);
}

struct detect *replay_hosts_get(struct replay_hosts *h, const char *name, char *err,
				size_t errlen)
{
	size_t i = fnv1a(name) % SLOTS;

	while (h->slot[i].name) {
		if (!strcmp(h->slot[i].name, name))
			return h->slot[i].d;
		i = (i + 1) % SLOTS;
	}
	if (h->n >= REPLAY_MAX_HOSTS) {
		snprintf(err, errlen, "more than %d hosts in the input: %s and later ones not scored",
			 REPLAY_MAX_HOSTS, name);
		return NULL;
	}
	struct detect *d = detect_new(&h->cfg);
	if (!d) {
		snprintf(err, errlen, "cannot make a detector for host %s (memory)", name);
		return NULL;
	}
	if (h->load_path && detect_load(d, h->load_path, err, errlen)) {
		detect_free(d);
		return NULL;
	}
	if (!(h->slot[i].name = strdup(name))) {
		detect_free(d);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->slot[i].d = d;
	h->order[h->n++] = i;
	return d;
}

void replay_hosts_tick(struct replay_hosts *h, int64_t now_ns)
{
	for (size_t i = 0; i < h->n; i++)
		detect_tick(h->slot[h->order[i]].d, now_ns, NULL, NULL);
}

/* A host name as a file name suffix: unusual bytes become '_'. */
static void suffix(const char *name, char *out, size_t len)
{
	size_t o = 0;

	for (; *name && o + 1 < len; name++) {
		const char c = *name;
		const bool keep = strchr("._-:", c) || (c >= '0' && c <= '9') ||
				  (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		out[o++] = c;
		if (!keep)
			out[o - 1] = '_';
	}
	out[o] = '\0';
}

int replay_hosts_save(const struct replay_hosts *h, const char *path, char *err, size_t errlen)
{
	char p[4096], sfx[256];

	if (h->n == 0) {
		snprintf(err, errlen, "%s: no host was replayed, no baseline to save", path);
		return -1;
	}
	for (size_t i = 0; i < h->n; i++) {
		const struct host *x = &h->slot[h->order[i]];

		if (h->n == 1) {
			snprintf(p, sizeof(p), "%s", path);
		} else {
			suffix(x->name, sfx, sizeof(sfx));
			snprintf(p, sizeof(p), "%s.%s", path, sfx);
		}
		if (detect_save(x->d, p, err, errlen))
			return -1;
		log_info("baseline of %s saved to %s", x->name, p);
	}
	return 0;
}

size_t replay_hosts_count(const struct replay_hosts *h)
{
	return h->n;
}
