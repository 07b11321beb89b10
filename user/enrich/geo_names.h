/*
 * English country and continent names by ISO 3166-1 alpha-2 code, for geo
 * databases that carry only codes (ip-location-db's country files). The
 * table is generated at build time by tools/gen-geonames.pl from Debian's
 * iso-codes (ISO 3166-1) and unicode-cldr-core (territory containment).
 */
#ifndef EXFILD_GEO_NAMES_H
#define EXFILD_GEO_NAMES_H

#define GEO_NAMES_SLOTS (26 * 26)	/* one per two-letter code AA..ZZ */

struct geo_name {
	const char *code;	/* NULL: no such country */
	const char *country;	/* English name, UTF-8 */
	const char *continent;	/* "Europe", ...; NULL if on none */
};

/* Generated: indexed by (first letter - 'A') * 26 + (second - 'A'). */
extern const struct geo_name geo_names_table[GEO_NAMES_SLOTS];

/* The entry for code ("DE", any case), or NULL if it names no country. */
const struct geo_name *geo_names_find(const char *code);

#endif
