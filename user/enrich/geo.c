#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <maxminddb.h>

#include "fileid.h"
#include "geo.h"
#include "geo_cache.h"
#include "geo_names.h"
#include "log.h"
#include "snapshot.h"

/*
 * How a database lays out its records; taken from metadata.database_type.
 * GEO_NESTED: GeoIP2/GeoLite2/DB-IP City and Country (country.iso_code, ...).
 * GEO_FLAT: ip-location-db (country_code, state1, city, latitude, ...), and
 * the ASN files of both families, which use the same two top-level keys.
 * GEO_GUESS: unknown type; each record's shape decides.
 */
enum geo_schema { GEO_GUESS, GEO_NESTED, GEO_FLAT };

struct geo_db {
	char *path;
	MMDB_s *mmdb;            /* heap, so a reload can swap one pointer */
	enum geo_schema schema;
	struct file_id seen;     /* last version we tried to load */
	bool stat_failed;        /* warned that the file vanished */
	bool lookup_warned;      /* warned once about a lookup error */
};

struct geo {
	struct geo_db *dbs;
	size_t n;
	struct geo_cache *cache;
	struct geo_stats st;
};

static enum geo_schema schema_of(const char *type)
{
	if (!type)
		return GEO_GUESS;
	/* ip-location-db: "country ipv4", "city ipvAll", "asn ipv6", ... */
	if (!strncmp(type, "country ", 8) || !strncmp(type, "city ", 5) ||
	    !strncmp(type, "asn ", 4))
		return GEO_FLAT;
	/* MaxMind and DB-IP: "GeoLite2-City", "GeoIP2-Country", "DBIP-City-Lite", ... */
	if (strstr(type, "City") || strstr(type, "Country") || strstr(type, "Enterprise") ||
	    strstr(type, "Location"))
		return GEO_NESTED;
	/* "GeoLite2-ASN", "GeoIP2-ISP", "DBIP-ASN-Lite": top-level AS keys */
	if (strstr(type, "ASN") || strstr(type, "ISP"))
		return GEO_FLAT;
	return GEO_GUESS;
}

static const char *mmdb_err(int status, int saved_errno)
{
	/* For I/O failures the OS reason is what the user needs. */
	if (status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR)
		return strerror(saved_errno);
	return MMDB_strerror(status);
}

static int file_id_get(const char *path, struct file_id *id)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return -1;
	file_id_of(&sb, id);
	return 0;
}

/*
 * Open path fully into a new MMDB_s, through a private copy of the file
 * (snapshot.h): libmaxminddb maps what it opens, and a database truncated
 * or rewritten in place under a mapping of the file itself would kill the
 * agent (SIGBUS) or change under it. A copy taken while the file was being
 * written is refused, so only a complete version is ever used. *id is the
 * version copied.
 */
static MMDB_s *db_load(const char *path, struct file_id *id, char *err, size_t errlen)
{
	MMDB_s *m = calloc(1, sizeof(*m));
	struct snapshot snap;
	struct stat st;
	char why[256];
	int status, saved;

	if (!m) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (snapshot_take(path, &st, &snap, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", path, why);
		free(m);
		return NULL;
	}
	file_id_of(&st, id);
	errno = 0;
	status = MMDB_open(snap.path, MMDB_MODE_MMAP, m);
	saved = errno;
	snapshot_release(&snap);	/* the mapping keeps the copy */
	if (status != MMDB_SUCCESS) {
		snprintf(err, errlen, "%s: %s", path, mmdb_err(status, saved));
		free(m);
		return NULL;
	}
	return m;
}

static void db_unload(MMDB_s *m)
{
	if (m) {
		MMDB_close(m);
		free(m);
	}
}

static void db_install(struct geo_db *db, MMDB_s *m, const struct file_id *id)
{
	db_unload(db->mmdb);
	db->mmdb = m;
	db->seen = *id;
	db->schema = schema_of(m->metadata.database_type);
	db->lookup_warned = false;
	if (db->schema == GEO_GUESS)
		log_info("geo database %s: unknown type \"%s\", reading records by their shape",
			 db->path, m->metadata.database_type ? m->metadata.database_type : "");
	else
		log_debug("geo database %s: type \"%s\"", db->path, m->metadata.database_type);
}

static void cache_clear(struct geo *g)
{
	geo_cache_clear(g->cache);
}

struct geo *geo_open(const char *const *paths, size_t n, char *err, size_t errlen)
{
	struct geo *g = calloc(1, sizeof(*g));
	char why[512];

	if (!g || !(g->cache = geo_cache_new()) ||
	    (n && !(g->dbs = calloc(n, sizeof(*g->dbs))))) {
		snprintf(err, errlen, "geo: out of memory");
		geo_close(g);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct geo_db *db = &g->dbs[i];
		struct file_id id;
		MMDB_s *m;

		if (!paths[i] || !paths[i][0]) {
			snprintf(err, errlen, "geo: database path %zu is empty", i + 1);
			geo_close(g);
			return NULL;
		}
		if (!(db->path = strdup(paths[i]))) {
			snprintf(err, errlen, "geo: out of memory");
			geo_close(g);
			return NULL;
		}
		g->n = i + 1;
		if (!(m = db_load(db->path, &id, why, sizeof(why)))) {
			snprintf(err, errlen, "cannot open geo database %s", why);
			geo_close(g);
			return NULL;
		}
		db_install(db, m, &id);
	}
	return g;
}

void geo_close(struct geo *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		db_unload(g->dbs[i].mmdb);
		free(g->dbs[i].path);
	}
	free(g->dbs);
	geo_cache_free(g->cache);
	free(g);
}

int geo_reload(struct geo *g)
{
	char err[512];
	bool changed = false;
	int rc = 0;

	for (size_t i = 0; g && i < g->n; i++) {
		struct geo_db *db = &g->dbs[i];
		struct file_id id;
		MMDB_s *m = db_load(db->path, &id, err, sizeof(err));

		if (!m) {
			log_warn("cannot reload geo database %s; still using the copy loaded before", err);
			rc = -1;
			continue;
		}
		db_install(db, m, &id);
		db->stat_failed = false;
		changed = true;
		log_info("geo database %s reloaded", db->path);
	}
	if (changed)
		cache_clear(g);
	return rc;
}

int geo_maybe_reload(struct geo *g)
{
	char err[512];
	bool changed = false;

	for (size_t i = 0; g && i < g->n; i++) {
		struct geo_db *db = &g->dbs[i];
		struct file_id id;
		MMDB_s *m;

		if (file_id_get(db->path, &id) < 0) {
			/* Warn once, not every interval, while it is missing. */
			if (!db->stat_failed)
				log_warn("geo database %s: %s; still using the copy loaded before",
					 db->path, strerror(errno));
			db->stat_failed = true;
			continue;
		}
		db->stat_failed = false;
		if (file_id_eq(&id, &db->seen))
			continue;
		if (!(m = db_load(db->path, &id, err, sizeof(err)))) {
			/* Remember this version so a bad file is reported once. */
			db->seen = id;
			log_warn("cannot reload geo database %s; still using the copy loaded before", err);
			continue;
		}
		db_install(db, m, &id);
		changed = true;
		log_info("geo database %s changed on disk, reloaded", db->path);
	}
	if (changed)
		cache_clear(g);
	return changed;
}

/*
 * Copy a string of len bytes from the db, cut at a character boundary if it
 * does not fit so the result stays valid UTF-8.
 */
static void copy_utf8(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size) {
		len = size - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* The string at path, or false if absent, not a string or "" (flat files use "" for unknown). */
static bool get_str(MMDB_entry_s *e, const char *const *path, char *dst, size_t size)
{
	MMDB_entry_data_s d;

	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size == 0)
		return false;
	copy_utf8(dst, size, d.utf8_string, d.data_size);
	return true;
}

/* Fill dst from path only if no earlier database filled it: first one wins. */
static void fill_str(MMDB_entry_s *e, const char *const *path, char *dst, size_t size)
{
	if (!dst[0])
		get_str(e, path, dst, size);
}

/*
 * A float coordinate rounded to 4 decimals (~10 m): its further digits are
 * noise and would print as 47.26269912719727. (No libm needed.)
 */
static double round4(float f)
{
	double x = (double)f * 1e4;

	if (!(x > -1e12 && x < 1e12))
		return (double)f;  /* NaN or absurd: left to the range checks */
	return (double)(long long)(x < 0 ? x - 0.5 : x + 0.5) / 1e4;
}

/* A number of any numeric type (flat files store coordinates as float). */
static bool get_num(MMDB_entry_s *e, const char *const *path, double *v)
{
	MMDB_entry_data_s d;

	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data)
		return false;
	switch (d.type) {
	case MMDB_DATA_TYPE_DOUBLE: *v = d.double_value; break;
	case MMDB_DATA_TYPE_FLOAT: *v = round4(d.float_value); break;
	case MMDB_DATA_TYPE_UINT16: *v = d.uint16; break;
	case MMDB_DATA_TYPE_UINT32: *v = d.uint32; break;
	case MMDB_DATA_TYPE_INT32: *v = d.int32; break;
	case MMDB_DATA_TYPE_UINT64: *v = (double)d.uint64; break;
	case MMDB_DATA_TYPE_UTF8_STRING: {
		/* Some converted files store AS numbers as text, e.g. "AS64500". */
		char buf[24], *end;
		const char *p = buf;

		if (d.data_size == 0 || d.data_size >= sizeof(buf))
			return false;
		memcpy(buf, d.utf8_string, d.data_size);
		buf[d.data_size] = '\0';
		if (!strncasecmp(p, "AS", 2))
			p += 2;
		if (*p < '0' || *p > '9')
			return false;
		*v = strtod(p, &end);
		return *end == '\0';
	}
	default: return false;
	}
	return isfinite(*v);
}

static void fill_location(MMDB_entry_s *e, const char *const *lat_path,
			  const char *const *lon_path, struct geo_info *gi)
{
	double lat, lon;

	if (gi->has_location || !get_num(e, lat_path, &lat) || !get_num(e, lon_path, &lon))
		return;
	if (lat < -90 || lat > 90 || lon < -180 || lon > 180)
		return;
	gi->lat = lat;
	gi->lon = lon;
	gi->has_location = true;
}

/*
 * Number and organization come from the same record, so they always match.
 * ASN files have them at the top; GeoIP2 Enterprise-style files in traits.
 */
static void fill_as(MMDB_entry_s *e, bool in_traits, struct geo_info *gi)
{
	static const char *const num[] = { "autonomous_system_number", NULL };
	static const char *const org[] = { "autonomous_system_organization", NULL };
	static const char *const tnum[] = { "traits", "autonomous_system_number", NULL };
	static const char *const torg[] = { "traits", "autonomous_system_organization", NULL };
	double v;

	if (gi->has_as || !get_num(e, in_traits ? tnum : num, &v) || v < 0 || v > UINT32_MAX)
		return;
	gi->as_number = (uint32_t)v;
	gi->has_as = true;
	get_str(e, in_traits ? torg : org, gi->as_org, sizeof(gi->as_org));
}

/*
 * A later database only adds detail to a location it agrees with: a
 * record placing the address in another country than the one already
 * chosen would give e.g. "AT" with "Germany", so its geo fields are skipped.
 */
static bool agrees(const struct geo_info *gi, const char *rec_cc)
{
	return !gi->country_iso[0] || !rec_cc[0] || !strcmp(gi->country_iso, rec_cc);
}

static void read_nested(MMDB_entry_s *e, struct geo_info *gi)
{
	static const char *const cc[] = { "country", "iso_code", NULL };
	static const char *const cname[] = { "country", "names", "en", NULL };
	static const char *const cont[] = { "continent", "names", "en", NULL };
	static const char *const sub[] = { "subdivisions", "0", "names", "en", NULL };
	static const char *const subiso[] = { "subdivisions", "0", "iso_code", NULL };
	static const char *const city[] = { "city", "names", "en", NULL };
	static const char *const lat[] = { "location", "latitude", NULL };
	static const char *const lon[] = { "location", "longitude", NULL };
	char rec_cc[8] = "", rec_sub[8] = "";

	get_str(e, cc, rec_cc, sizeof(rec_cc));
	if (!agrees(gi, rec_cc))
		return;
	fill_str(e, cc, gi->country_iso, sizeof(gi->country_iso));
	fill_str(e, cname, gi->country_name, sizeof(gi->country_name));
	fill_str(e, cont, gi->continent_name, sizeof(gi->continent_name));
	fill_str(e, sub, gi->region_name, sizeof(gi->region_name));
	fill_str(e, city, gi->city_name, sizeof(gi->city_name));
	fill_location(e, lat, lon, gi);
	/* ECS region_iso_code is "CA-QC": this record's country + subdivision. */
	if (!gi->region_iso[0] && rec_cc[0] && get_str(e, subiso, rec_sub, sizeof(rec_sub)))
		snprintf(gi->region_iso, sizeof(gi->region_iso), "%s-%s", rec_cc, rec_sub);
}

static void read_flat(MMDB_entry_s *e, struct geo_info *gi)
{
	static const char *const cc[] = { "country_code", NULL };
	static const char *const state[] = { "state1", NULL };
	static const char *const city[] = { "city", NULL };
	static const char *const lat[] = { "latitude", NULL };
	static const char *const lon[] = { "longitude", NULL };
	char rec_cc[8] = "";

	get_str(e, cc, rec_cc, sizeof(rec_cc));
	if (!agrees(gi, rec_cc))
		return;
	fill_str(e, cc, gi->country_iso, sizeof(gi->country_iso));
	fill_str(e, state, gi->region_name, sizeof(gi->region_name));
	fill_str(e, city, gi->city_name, sizeof(gi->city_name));
	fill_location(e, lat, lon, gi);
}

/* Unknown database type: a "country" or "continent" map means the nested layout. */
static bool looks_nested(MMDB_entry_s *e)
{
	static const char *const country[] = { "country", NULL };
	static const char *const continent[] = { "continent", NULL };
	MMDB_entry_data_s d;

	return (MMDB_aget_value(e, &d, country) == MMDB_SUCCESS && d.has_data &&
		d.type == MMDB_DATA_TYPE_MAP) ||
	       (MMDB_aget_value(e, &d, continent) == MMDB_SUCCESS && d.has_data &&
		d.type == MMDB_DATA_TYPE_MAP);
}

static void db_lookup(struct geo_db *db, const struct sockaddr *sa, struct geo_info *gi)
{
	int mmdb_err_code = MMDB_SUCCESS;
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(db->mmdb, sa, &mmdb_err_code);

	if (mmdb_err_code == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
		return;  /* an IPv4-only file has nothing for IPv6 */
	if (mmdb_err_code != MMDB_SUCCESS) {
		if (!db->lookup_warned)
			log_warn("geo database %s: lookup failed: %s", db->path,
				 MMDB_strerror(mmdb_err_code));
		db->lookup_warned = true;
		return;
	}
	if (!r.found_entry)
		return;
	if (db->schema == GEO_NESTED || (db->schema == GEO_GUESS && looks_nested(&r.entry))) {
		read_nested(&r.entry, gi);
		fill_as(&r.entry, true, gi);
	} else {
		read_flat(&r.entry, gi);
		fill_as(&r.entry, false, gi);
	}
}

static bool info_empty(const struct geo_info *gi)
{
	return !gi->country_iso[0] && !gi->country_name[0] && !gi->continent_name[0] &&
	       !gi->region_name[0] && !gi->region_iso[0] && !gi->city_name[0] &&
	       !gi->has_location && !gi->has_as;
}

/*
 * Databases that carry only codes (ip-location-db's country files) get
 * the English country and continent names from the generated table. A
 * name the database gave is kept.
 */
static void add_names(struct geo_info *gi)
{
	const struct geo_name *n;

	if (!gi->country_iso[0] || (gi->country_name[0] && gi->continent_name[0]) ||
	    !(n = geo_names_find(gi->country_iso)))
		return;
	if (!gi->country_name[0])
		snprintf(gi->country_name, sizeof(gi->country_name), "%s", n->country);
	if (!gi->continent_name[0] && n->continent)
		snprintf(gi->continent_name, sizeof(gi->continent_name), "%s", n->continent);
}

bool geo_lookup(struct geo *g, int family, const uint8_t addr[16], struct geo_info *out)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	uint8_t key[16] = { 0 };
	struct sockaddr_storage ss;
	bool found;

	memset(out, 0, sizeof(*out));
	if (!g)
		return false;
	g->st.lookups++;
	if (family == AF_INET6 && !memcmp(addr, v4mapped, sizeof(v4mapped))) {
		family = AF_INET;
		addr += 12;
	}
	if (family == AF_INET)
		memcpy(key, addr, 4);
	else if (family == AF_INET6)
		memcpy(key, addr, 16);
	else {
		g->st.misses++;
		return false;
	}

	if (geo_cache_get(g->cache, (uint8_t)family, key, out, &found)) {
		g->st.cache_hits++;
		if (!found)
			g->st.misses++;
		return found;
	}

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, key, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, key, 16);
	}
	for (size_t i = 0; i < g->n; i++)
		db_lookup(&g->dbs[i], (const struct sockaddr *)&ss, out);
	add_names(out);

	found = !info_empty(out);
	if (found)
		out->answer_id = geo_cache_put(g->cache, (uint8_t)family, key, out);
	else
		geo_cache_put(g->cache, (uint8_t)family, key, NULL);
	if (!found)
		g->st.misses++;
	return found;
}

void geo_get_stats(const struct geo *g, struct geo_stats *st)
{
	if (g)
		*st = g->st;
	else
		memset(st, 0, sizeof(*st));
}

bool geo_db_info(const struct geo *g, size_t i, const char **path, const char **type,
		 int64_t *build_unix)
{
	if (!g || i >= g->n || !g->dbs[i].mmdb)
		return false;
	*path = g->dbs[i].path;
	*type = g->dbs[i].mmdb->metadata.database_type;
	*build_unix = (int64_t)g->dbs[i].mmdb->metadata.build_epoch;
	return true;
}

size_t geo_count(const struct geo *g)
{
	return g ? g->n : 0;
}
