/*
 * One drained kernel flow (bpf/exfild.h's key and value) as the neutral
 * observation the other stages take. Pure: the benchmark runs it too.
 */
#ifndef EXFILD_KOBS_H
#define EXFILD_KOBS_H

#include <stdint.h>

#include "drain.h"
#include "flow.h"

/*
 * mono_to_wall: CLOCK_REALTIME - CLOCK_MONOTONIC, read back to back at the
 * drain; now_wall: the drain's wall clock (the span's end); tier: the
 * attach tier's name (kept by pointer).
 */
void kobs_of(const struct flow *f, int64_t mono_to_wall, int64_t now_wall, const char *tier,
	     struct flow_obs *obs);

#endif
