/*
 * The typed values that pass between exfild's stages (see
 * docs/architecture.md in the README's layout section):
 *
 *   source (kernel drain, replay readers) -> struct flow_obs
 *   enrich                                -> struct enriched_flow
 *   detect                                -> struct finding (core/finding.h)
 *   record                                -> ECS JSON (the only JSON)
 *
 * Nothing here knows JSON, libbpf or a file format. Strings referenced by
 * pointer are owned by the stage that produced them and are valid until
 * that stage is called again (one flow is carried through the pipeline at
 * a time), so a consumer that keeps something copies it.
 */
#ifndef EXFILD_CORE_FLOW_H
#define EXFILD_CORE_FLOW_H

#include <stdbool.h>
#include <stdint.h>

/* Address families and transports as the kernel spells them. */
#define FLOW_AF_INET 2
#define FLOW_AF_INET6 10
#define FLOW_PROTO_TCP 6
#define FLOW_PROTO_UDP 17

/* An IPv4 address lives in a[0..3] (network order, rest zero). IPv4-mapped
 * IPv6 addresses are always folded to IPv4 by the source. */
struct ipaddr {
	uint8_t family;		/* FLOW_AF_INET or FLOW_AF_INET6; 0 = unknown */
	uint8_t a[16];
};

/* Who opened the connection, from this host's point of view (ECS
 * network.direction). The side that opened it is the ECS source. */
enum flow_direction {
	FLOW_EGRESS = 0,	/* this host opened it (TCP connect, UDP send) */
	FLOW_INGRESS = 1,	/* the peer opened it (TCP accept) */
};

/*
 * One observation: bytes this host sent to one peer over a span of time.
 * The kernel drain makes one per (process, local, remote, transport) per
 * interval; a replay reader makes one per recorded flow or Zeek line.
 */
struct flow_obs {
	int64_t start_ns;	/* wall clock (unix ns): first byte of the span */
	int64_t end_ns;		/* wall clock: end of the span; the detection's clock */
	struct ipaddr local;	/* this host's side */
	struct ipaddr remote;	/* the peer */
	uint16_t local_port;	/* ingress: the service port */
	uint16_t remote_port;	/* egress: the service port; ingress: 0 when grouped */
	uint8_t transport;	/* FLOW_PROTO_* */
	uint8_t direction;	/* enum flow_direction */
	uint64_t bytes_sent;	/* bytes this host sent to the peer in the span */
	uint64_t calls;		/* sends that returned > 0; 0 if unknown (replay) */
	/* Known only to the kernel source (has_process false in replay). */
	bool has_process;
	uint32_t pid;		/* tgid */
	uint64_t proc_start;	/* start time of pid (boot-based ns); 0 unknown */
	bool has_uid;
	uint32_t uid;		/* of the first send */
	uint64_t cgroup_id;	/* cgroup v2 id of the first send; 0 unknown */
	const char *host_name;	/* the host that sent (replay: from the record) */
	const char *tier;	/* attach tier that counted it; NULL in replay */
};

#define GEO_COUNTRY_ISO_LEN 8
/* Geo and AS facts about one address; "" / has_* false = absent. */
struct geo_info {
	char country_iso[GEO_COUNTRY_ISO_LEN], country_name[64], continent_name[32];
	char region_name[64], region_iso[16], city_name[96];	/* region_iso: "CA-QC" */
	double lat, lon;
	bool has_location;
	uint32_t as_number;
	bool has_as;
	char as_org[128];
	/* Last: the same answer (all fields above) has the same id while the
	 * enrich cache keeps it, so records may share what they build of it;
	 * 0 = not known to be shared. Ids are never reused. */
	uint64_t answer_id;
};

#include "proc_info.h"

/*
 * An observation with what enrichment learned about it. The process_*
 * and user_name strings are what detection and records use; they come
 * from proc (live) or from the replayed record. NULL = unknown.
 */
struct enriched_flow {
	struct flow_obs obs;
	const struct proc_info *proc;	/* NULL in replay or when unknown */
	bool proc_deferred;		/* proc NULL: not looked up in this drain's budget */
	struct hash_view hash;		/* of proc's executable, when proc */
	const char *process_name;
	const char *process_executable;
	const char *user_name;
	struct geo_info geo;		/* of obs.remote */
	bool reserved;			/* obs.remote is in a reserved range */
};

/*
 * What the kernel could not count in one interval (loss record): sends
 * whose new entry did not fit the accounting map, and exec/exit events the
 * ring buffer refused.
 */
struct loss_counts {
	uint64_t bytes;
	uint64_t entries;
	uint64_t events;
};

#endif
