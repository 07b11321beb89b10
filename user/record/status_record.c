#include "json.h"
#include "status_record.h"

static json_t *geo_dbs(const struct agent_status *st)
{
	json_t *arr = json_array();

	for (uint32_t i = 0; i < st->n_geo && i < STATUS_MAX_GEO; i++) {
		const struct geo_db_status *g = &st->geo[i];
		json_t *o = json_object();

		json_set_path(o, "path", json_cstr(g->path));
		json_set_path(o, "type", json_cstr(g->type ? g->type : ""));
		if (g->build_unix)
			json_set_path(o, "build_date", json_time(g->build_unix * 1000000000LL));
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *record_status(const struct agent_status *st)
{
	json_t *r = json_object();
	double fill = st->max_flows ? (double)st->last_drain_flows / st->max_flows : 0;

	json_set_path(r, "version", json_string(st->version));
	json_set_path(r, "pid", json_integer(st->pid));
	json_set_path(r, "started", json_time(st->started_unix_ns));
	json_set_path(r, "uptime_s", json_integer((st->now_unix_ns - st->started_unix_ns) / 1000000000LL));
	json_set_path(r, "attach.tier", json_string(st->tier));
	json_set_path(r, "attach.pin_dir", st->pin_dir ? json_cstr(st->pin_dir) : json_null());
	json_set_path(r, "drain.interval_s", json_integer(st->interval_s));
	json_set_path(r, "drain.count", json_integer((json_int_t)st->drains));
	json_set_path(r, "drain.last_flows", json_integer((json_int_t)st->last_drain_flows));
	json_set_path(r, "drain.last_duration_ms", json_real((double)st->last_drain_ns / 1e6));
	if (st->last_drain_unix_ns)
		json_set_path(r, "drain.last", json_time(st->last_drain_unix_ns));
	json_set_path(r, "maps.max_flows", json_integer(st->max_flows));
	json_set_path(r, "maps.last_fill", json_real(fill));
	json_set_path(r, "loss.bytes", json_integer((json_int_t)st->lost_bytes));
	json_set_path(r, "loss.entries", json_integer((json_int_t)st->lost_entries));
	json_set_path(r, "loss.events", json_integer((json_int_t)st->lost_events));
	json_set_path(r, "loss.records", json_integer((json_int_t)st->lost_records));
	json_set_path(r, "records.flows", json_integer((json_int_t)st->flow_records));
	json_set_path(r, "records.alerts", json_integer((json_int_t)st->alerts));
	json_set_path(r, "process.entries", json_integer((json_int_t)st->proc_entries));
	json_set_path(r, "process.exited", json_integer((json_int_t)st->proc_exited));
	json_set_path(r, "process.hash_pending", json_integer((json_int_t)st->hash_pending));
	json_set_path(r, "process.hashed_files", json_integer((json_int_t)st->hashed_files));
	json_set_path(r, "geo.lookups", json_integer((json_int_t)st->geo_lookups));
	json_set_path(r, "geo.cache_hits", json_integer((json_int_t)st->geo_cache_hits));
	json_set_path(r, "geo.databases", geo_dbs(st));
	return r;
}
