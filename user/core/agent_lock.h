/*
 * One agent per pin path. Two agents on the same pins would unlink each
 * other's maps and both count, so the SIEM would see everything twice.
 * The lock is a file under the run directory, one per pin path: the
 * default pin path has the default lock (exfild.lock), any other pin
 * path its own (exfild-<hash of the path>.lock), so agents with their
 * own --pin-path run side by side.
 */
#ifndef EXFILD_AGENT_LOCK_H
#define EXFILD_AGENT_LOCK_H

#include <stddef.h>

#define AGENT_RUN_DIR "/run/exfild"
#define AGENT_DEFAULT_PIN "/sys/fs/bpf/exfild"

/* The lock file's path for PIN_PATH under DIR. -1 if it does not fit. */
int agent_lock_path(const char *dir, const char *pin_path, char *out, size_t outlen);
/*
 * Take the lock of PIN_PATH under DIR (created 0700 if missing). Returns
 * the descriptor that holds it (keep it open while the agent runs), or -1
 * with err saying why: another agent's pid when one holds it.
 */
int agent_lock_take(const char *dir, const char *pin_path, char *err, size_t errlen);

#endif
