/* The running agent: load, then drain -> enrich -> sinks every interval. */
#ifndef EXFILD_AGENT_H
#define EXFILD_AGENT_H

#include "opts.h"

/* Returns the process exit status: 0 ok, 1 runtime failure. */
int agent_run(const struct opts *o);

#endif
