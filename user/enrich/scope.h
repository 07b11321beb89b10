/*
 * Scope: which destinations are reported. By default the reserved ranges
 * the reference detection filters out (loopback, private, CGNAT,
 * link-local, multicast, documentation, ...) and their IPv6 equivalents
 * are not, since data sent there does not leave the organisation.
 */
#ifndef EXFILD_SCOPE_H
#define EXFILD_SCOPE_H

#include <stdbool.h>
#include <stdint.h>

/* family: 2 (AF_INET, addr[0..3]) or 10 (AF_INET6, addr[0..15]). */
bool scope_reserved(int family, const uint8_t addr[16]);

#endif
