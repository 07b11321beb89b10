/* Field groups shared by flow records and alerts. */
#ifndef EXFILD_RECORD_PARTS_H
#define EXFILD_RECORD_PARTS_H

#include <jansson.h>

#include "flow.h"

/* The ECS event header: @timestamp, event.kind/module/dataset. */
json_t *record_base(int64_t now_ns, const char *kind, const char *dataset);

/*
 * Add geo.* and as.* (ECS) for the fields present in gi to side (the
 * "destination" or "source" object). Absent fields are left out, never
 * written as empty strings.
 */
void record_geo(json_t *side, const struct geo_info *gi);

/*
 * process.*, user.*, group.*, container.id and exfild.process.* of f's
 * process context. The "process" object is shared by every record of the
 * same process (built once, see proc_record.c): never change it in a
 * record; replace it with a copy (json_deep_copy) to add to it. The flow's own send-time user.id and cgroup id (from
 * the observation) win: user.name is added only when it names that user.
 */
void record_process(json_t *root, const struct enriched_flow *f);

#endif
