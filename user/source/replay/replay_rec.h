/*
 * One replayed observation: the flow plus the per-record strings an
 * enriched_flow carries (process, user, and geo when the record already
 * had it). Readers fill it; strings are inline so a parse needs no
 * allocation and a reader stays pure. NULL-ness of the enriched_flow's
 * strings is "" here (replay_rec_strings() maps it back).
 */
#ifndef EXFILD_REPLAY_REC_H
#define EXFILD_REPLAY_REC_H

#include <stdbool.h>

#include "flow.h"

#define REPLAY_HOST_LEN 256
#define REPLAY_NAME_LEN 256
#define REPLAY_PATH_LEN 1024
#define REPLAY_USER_LEN 128

struct replay_rec {
	struct flow_obs obs;		/* obs.host_name points at host */
	char host[REPLAY_HOST_LEN];
	char process_name[REPLAY_NAME_LEN];
	char process_executable[REPLAY_PATH_LEN];
	char user_name[REPLAY_USER_LEN];
	bool has_geo;			/* the record carried destination geo/AS */
	struct geo_info geo;
};

/* Zero *r and point obs.host_name at r->host. */
void replay_rec_init(struct replay_rec *r);

/* Copy src to dst keeping dst's own pointers right. */
void replay_rec_copy(struct replay_rec *dst, const struct replay_rec *src);

/* Bounded copy of n bytes into a string field (cut, always terminated). */
void replay_set_str(char *dst, size_t size, const char *src, size_t n);

#endif
