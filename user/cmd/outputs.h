/* The sink set as the options describe it (run and test-alert share it). */
#ifndef EXFILD_OUTPUTS_H
#define EXFILD_OUTPUTS_H

#include <stdint.h>

#include "loop.h"
#include "opts.h"
#include "sink.h"

/*
 * --output sinks take alerts and loss records, and flow records too
 * unless --flow-output names sinks for those. NULL with err on a sink
 * that can never work (a refused file, an unreadable CA file).
 */
struct sinkset *outputs_open(struct loop *l, const struct opts *o, const char *host,
			     char *err, size_t errlen);
/* "a,b" for the log line. */
void outputs_names(const struct opts *o, char *buf, size_t len);
/*
 * Run the loop until everything is delivered or timeout_ns passed.
 * Returns true when nothing is left.
 */
bool outputs_flush(struct loop *l, struct sinkset *ss, int64_t timeout_ns);

#endif
