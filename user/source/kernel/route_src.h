/*
 * The local address of a send the kernel could not name: an unconnected
 * UDP socket bound to the wildcard address gets its source address from
 * the routing table packet by packet, and keeps none. This asks the
 * routing table the same question for the peer (a UDP socket connected to
 * it, which sends nothing), in the agent's network namespace.
 */
#ifndef EXFILD_ROUTE_SRC_H
#define EXFILD_ROUTE_SRC_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

bool route_source(const struct ipaddr *peer, uint16_t port, struct ipaddr *out);

#endif
