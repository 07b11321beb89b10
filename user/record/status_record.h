/* The status an agent reports over its control socket, as JSON. */
#ifndef EXFILD_STATUS_RECORD_H
#define EXFILD_STATUS_RECORD_H

#include <jansson.h>

#include "status.h"

json_t *record_status(const struct agent_status *st);

#endif
