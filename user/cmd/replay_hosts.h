/*
 * One detector per replayed host. The live agent is one host with one
 * baseline; a replayed Zeek log of a network holds many, and each must be
 * judged against its own history. Hosts are found by name (an open
 * addressing table); at most REPLAY_MAX_HOSTS, the flows of further hosts
 * are counted and reported, not scored.
 */
#ifndef EXFILD_REPLAY_HOSTS_H
#define EXFILD_REPLAY_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"

#define REPLAY_MAX_HOSTS 4096

struct replay_hosts;

/* load_path: a baseline every new host starts from (NULL: learn afresh). */
struct replay_hosts *replay_hosts_new(const struct detect_config *cfg, const char *load_path);
void replay_hosts_free(struct replay_hosts *h);

/* The detector of host name, made on first sight. NULL (err set) when the
 * table is full or the detector cannot be made or loaded. */
struct detect *replay_hosts_get(struct replay_hosts *h, const char *name, char *err,
				size_t errlen);

/* Advance every host's time. */
void replay_hosts_tick(struct replay_hosts *h, int64_t now_ns);

/*
 * Save the baselines: with one host to path itself (what a live agent
 * loads from DIR/baseline.state), with several to path.HOST each. 0 or -1.
 */
int replay_hosts_save(const struct replay_hosts *h, const char *path, char *err, size_t errlen);

size_t replay_hosts_count(const struct replay_hosts *h);

#endif
