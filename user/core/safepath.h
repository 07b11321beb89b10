/*
 * Paths only root may change: a config file, a state directory or a spool
 * that another user could write would let that user steer the agent.
 */
#ifndef EXFILD_SAFEPATH_H
#define EXFILD_SAFEPATH_H

#include <stddef.h>

/*
 * 0 if PATH and every directory above it are owned by root (or by us) and
 * writable by nobody else (a sticky directory such as /tmp is fine: others
 * cannot replace what root owns in it). Otherwise -1 and err says which
 * path is wrong and the command that fixes it; WHAT names it ("config file").
 */
int safepath_check(const char *what, const char *path, char *err, size_t errlen);

#endif
