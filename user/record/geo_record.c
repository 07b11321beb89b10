#include "json.h"
#include "record_parts.h"

void record_geo(json_t *side, const struct geo_info *gi)
{
	if (!gi || !json_is_object(side))
		return;
	/* json_set_path creates "geo" and "as" only when a field goes in. */
	json_set_str(side, "geo.country_iso_code", gi->country_iso);
	json_set_str(side, "geo.country_name", gi->country_name);
	json_set_str(side, "geo.continent_name", gi->continent_name);
	json_set_str(side, "geo.region_name", gi->region_name);
	json_set_str(side, "geo.region_iso_code", gi->region_iso);
	json_set_str(side, "geo.city_name", gi->city_name);
	if (gi->has_location)
		json_set_path(side, "geo.location",
			      json_pack("{s:f,s:f}", "lat", gi->lat, "lon", gi->lon));
	if (gi->has_as) {
		json_set_path(side, "as.number", json_integer(gi->as_number));
		json_set_str(side, "as.organization.name", gi->as_org);
	}
}
