/* Geo answers by address, each distinct answer stored once; see geo_cache.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "geo_cache.h"

#define SLOTS (GEO_CACHE_WAYS * GEO_CACHE_SETS)
#define INDEX_SIZE (2 * GEO_CACHE_INFOS)	/* open addressing, at most half full */

struct ent {
	uint64_t used;		/* tick of last use; 0 = empty */
	uint32_t info;		/* answer + 1; 0 = nothing found */
	uint8_t family;
	uint8_t addr[16];
};

struct geo_cache {
	struct ent *ent;
	uint16_t *fp;		/* per slot: a few bits of its key's hash, 0 = empty;
				 * a lookup reads one line of these, then one entry */
	uint64_t tick;
	struct geo_info *infos;	/* distinct answers, n of them */
	size_t n, cap;
	uint32_t *index;	/* answer + 1 by hash of its bytes; 0 = free */
};

struct geo_cache *geo_cache_new(void)
{
	struct geo_cache *c = calloc(1, sizeof(*c));

	if (!c || !(c->ent = calloc(SLOTS, sizeof(*c->ent))) ||
	    !(c->fp = calloc(SLOTS, sizeof(*c->fp))) ||
	    !(c->index = calloc(INDEX_SIZE, sizeof(*c->index)))) {
		geo_cache_free(c);
		return NULL;
	}
	return c;
}

void geo_cache_free(struct geo_cache *c)
{
	if (!c)
		return;
	free(c->ent);
	free(c->fp);
	free(c->index);
	free(c->infos);
	free(c);
}

void geo_cache_clear(struct geo_cache *c)
{
	memset(c->ent, 0, SLOTS * sizeof(*c->ent));
	memset(c->fp, 0, SLOTS * sizeof(*c->fp));
	memset(c->index, 0, INDEX_SIZE * sizeof(*c->index));
	c->n = 0;
}

/* Answer ids, process-wide: never reused, whatever the cache or its clears. */
static uint64_t next_answer_id;

/* FNV-1a: for answers (hundreds of bytes, hashed once per new answer). */
static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* The first slot of the key's set, and its fingerprint (never 0). */
static size_t set_of(uint8_t family, const uint8_t key[16], uint16_t *fp)
{
	uint64_t a, b, h;

	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	h = (a ^ (b * 0x9e3779b97f4a7c15ULL) ^ family) * 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 29;
	*fp = (uint16_t)(h | 1);
	return (size_t)((h >> 32) % GEO_CACHE_SETS) * GEO_CACHE_WAYS;
}

bool geo_cache_get(struct geo_cache *c, uint8_t family, const uint8_t key[16],
		   struct geo_info *out, bool *found)
{
	uint16_t fp;
	size_t first = set_of(family, key, &fp);
	struct ent *set = &c->ent[first];

	for (int w = 0; w < GEO_CACHE_WAYS; w++) {
		if (c->fp[first + w] == fp && set[w].family == family &&
		    !memcmp(set[w].addr, key, 16)) {
			set[w].used = ++c->tick;
			*found = set[w].info != 0;
			if (*found)
				*out = c->infos[set[w].info - 1];
			else
				memset(out, 0, sizeof(*out));
			return true;
		}
	}
	return false;
}

/*
 * The answer's number + 1, storing it if new; 0 if it cannot be stored.
 * Answers are compared as bytes: geo_lookup zeroes each one before
 * filling it, so equal answers have equal bytes, padding included.
 */
static uint32_t intern(struct geo_cache *c, const struct geo_info *info)
{
	const size_t n = offsetof(struct geo_info, answer_id);	/* the answer, not its id */
	uint32_t i = fnv(2166136261u, info, n) % INDEX_SIZE;

	for (;; i = (i + 1) % INDEX_SIZE) {
		uint32_t at = c->index[i];

		if (!at)
			break;
		if (!memcmp(&c->infos[at - 1], info, n))
			return at;
	}
	if (c->n == GEO_CACHE_INFOS)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct geo_info *ni = realloc(c->infos, cap * sizeof(*ni));

		if (!ni)
			return 0;
		c->infos = ni;
		c->cap = cap;
	}
	c->infos[c->n] = *info;
	c->infos[c->n].answer_id = ++next_answer_id;
	c->index[i] = (uint32_t)++c->n;
	return c->index[i];
}

uint64_t geo_cache_put(struct geo_cache *c, uint8_t family, const uint8_t key[16],
		       const struct geo_info *info)
{
	struct ent *set, *e;
	uint32_t at = 0;
	uint16_t fp;
	size_t first;

	if (info && !(at = intern(c, info))) {
		/* Full of distinct answers: start over (rare; answers are re-read). */
		geo_cache_clear(c);
		if (!(at = intern(c, info)))
			return 0;
	}
	first = set_of(family, key, &fp);
	set = &c->ent[first];
	e = &set[0];
	for (int w = 1; w < GEO_CACHE_WAYS && e->used; w++)
		if (set[w].used < e->used)
			e = &set[w];	/* empty or least recently used */
	c->fp[first + (size_t)(e - set)] = fp;
	e->used = ++c->tick;
	e->info = at;
	e->family = family;
	memcpy(e->addr, key, 16);
	return at ? c->infos[at - 1].answer_id : 0;
}
