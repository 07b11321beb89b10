#include <stdbool.h>

#include "json.h"
#include "record_parts.h"
#include "rtree.h"
#include "shared.h"

/*
 * geo and as of one answer, as {"geo":{...},"as":{...}} (either absent).
 * Only non-empty strings go in: ECS wants a field absent, not "".
 */
static json_t *build_geo(const struct geo_info *gi)
{
	json_t *o = json_object();

	json_set_str(o, "geo.country_iso_code", gi->country_iso);
	json_set_str(o, "geo.country_name", gi->country_name);
	json_set_str(o, "geo.continent_name", gi->continent_name);
	json_set_str(o, "geo.region_name", gi->region_name);
	json_set_str(o, "geo.region_iso_code", gi->region_iso);
	json_set_str(o, "geo.city_name", gi->city_name);
	if (gi->has_location)
		json_set_path(o, "geo.location",
			      json_pack("{s:f,s:f}", "lat", gi->lat, "lon", gi->lon));
	if (gi->has_as) {
		json_set_path(o, "as.number", json_integer(gi->as_number));
		json_set_str(o, "as.organization.name", gi->as_org);
	}
	return o;
}

static bool has_geo(const struct geo_info *gi)
{
	return gi->country_iso[0] || gi->country_name[0] || gi->continent_name[0] ||
	       gi->region_name[0] || gi->region_iso[0] || gi->city_name[0] || gi->has_location;
}

/* Destinations share answers (a city, a country): built once per answer. */
#define GEO_SHARED 4096

static struct shared_slot geo_objs[GEO_SHARED], as_objs[GEO_SHARED];

/* side[name] = what the answer has there (from the shared one if kept). */
static void put_part(struct rtree *t, int side, const char *name, json_t *built,
		     struct shared_slot *slots, uint64_t id)
{
	json_t *part = json_object_get(built, name);

	if (!part)
		return;
	rt_json(t, side, name, json_incref(id ? shared_put(slots, GEO_SHARED, id, 0, json_incref(part))
					      : part));
}

void record_geo_tree(struct rtree *t, int side, const struct geo_info *gi)
{
	json_t *geo, *as, *built;

	if (!gi || !rt_is_obj(t, side))
		return;
	geo = shared_get(geo_objs, GEO_SHARED, gi->answer_id, 0);
	as = shared_get(as_objs, GEO_SHARED, gi->answer_id, 0);
	/* Both parts it has must be kept (another answer may have taken one slot). */
	if ((geo || as) && !geo == !has_geo(gi) && !as == !gi->has_as) {
		if (geo)
			rt_json(t, side, "geo", json_incref(geo));
		if (as)
			rt_json(t, side, "as", json_incref(as));
		return;
	}
	if (!(built = build_geo(gi)))
		return;
	put_part(t, side, "geo", built, geo_objs, gi->answer_id);
	put_part(t, side, "as", built, as_objs, gi->answer_id);
	json_decref(built);
}

void record_geo(json_t *side, const struct geo_info *gi)
{
	struct rtree t;

	if (!gi || !json_is_object(side))
		return;
	rt_init(&t);
	record_geo_tree(&t, 0, gi);
	rt_merge(&t, side);
	rt_free(&t);
}
