/*
 * Geo answers by address. Destinations repeat every drain interval, and a
 * busy host has 100,000 of them at once, so the table holds 262,144
 * addresses (8-way set-associative, least recently used out), each with
 * a 4-byte reference to its answer: distinct answers (a city, a country)
 * are far fewer than addresses and are stored once each, up to a bound.
 * About 8.5 MB of addresses plus 0.5 KB per distinct answer.
 */
#ifndef EXFILD_GEO_CACHE_H
#define EXFILD_GEO_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define GEO_CACHE_WAYS 8
#define GEO_CACHE_SETS 32768
#define GEO_CACHE_INFOS 16384	/* distinct answers kept; past it the cache starts over */

struct geo_cache;

struct geo_cache *geo_cache_new(void);
void geo_cache_free(struct geo_cache *c);
void geo_cache_clear(struct geo_cache *c);

/*
 * The answer cached for (family, key[16]): true, and *out (zeroed when the
 * address had none) with *found; false if the address is not cached. A
 * cached answer carries its answer_id.
 */
bool geo_cache_get(struct geo_cache *c, uint8_t family, const uint8_t key[16],
		   struct geo_info *out, bool *found);
/* Remember info (NULL: nothing found) for the address; its answer_id, or 0. */
uint64_t geo_cache_put(struct geo_cache *c, uint8_t family, const uint8_t key[16],
		       const struct geo_info *info);

#endif
