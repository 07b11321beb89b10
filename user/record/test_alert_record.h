/* The alert exfild test-alert sends: clearly marked, one event.id each. */
#ifndef EXFILD_TEST_ALERT_RECORD_H
#define EXFILD_TEST_ALERT_RECORD_H

#include <jansson.h>

#include "record.h"

/* Alert i (1-based) of n, with event.id id. */
json_t *record_test_alert(const struct record_ctx *ctx, unsigned i, unsigned n, const char *id);

#endif
