/*
 * Geo and AS enrichment of destination addresses from MaxMind DB (.mmdb)
 * files: GeoIP2/GeoLite2 City, Country and ASN, DB-IP lite (same layout),
 * and the flat ip-location-db layout. Several files combine (City + ASN):
 * for each field the first file (in the order given) that has it wins; a
 * later file's location fields are only used if it names the same country.
 *
 * Not thread-safe: exfild calls all of this from its single drain thread,
 * which is also why a reload can swap databases without locks.
 */
#ifndef EXFILD_GEO_H
#define EXFILD_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow.h"

struct geo;

/*
 * Open the databases at paths[0..n-1] (n may be 0: every lookup then finds
 * nothing). On failure returns NULL and writes a message naming the file
 * to err.
 */
struct geo *geo_open(const char *const *paths, size_t n, char *err, size_t errlen);
void geo_close(struct geo *g);

/* Reopen every file (SIGHUP). 0 ok; on failure the old db stays, warning logged. */
int geo_reload(struct geo *g);

/*
 * Reopen files whose dev/ino/size/mtime changed since they were loaded,
 * replaced by rename (as geoipupdate does) or rewritten in place (cp,
 * curl -o). Each database is read into a private sealed copy in memory
 * and used from there, so truncating or rewriting the file never affects
 * the loaded one; a file that is empty, invalid or still being written is
 * refused (warned once per version) and the loaded copy stays. Country and
 * continent names missing from a database come from geo_names.h.
 * Returns 1 if something was reloaded, 0 otherwise.
 */
int geo_maybe_reload(struct geo *g);

/*
 * Look up an address: family AF_INET (2) with the address in addr[0..3], or
 * AF_INET6 (10) with 16 bytes (IPv4-mapped ::ffff:a.b.c.d is looked up as
 * IPv4). Fills *out (zeroed first); returns true if any field was found.
 */
bool geo_lookup(struct geo *g, int family, const uint8_t addr[16], struct geo_info *out);

struct geo_stats {
	uint64_t lookups;    /* geo_lookup calls */
	uint64_t cache_hits; /* answered from the cache */
	uint64_t misses;     /* lookups that found nothing (no db covers the address) */
};
void geo_get_stats(const struct geo *g, struct geo_stats *st);
size_t geo_count(const struct geo *g);   /* open databases */
/* The i-th database's file, type and build date (seconds). */
bool geo_db_info(const struct geo *g, size_t i, const char **path, const char **type,
		 int64_t *build_unix);

#endif
