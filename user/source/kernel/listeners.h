/*
 * The TCP ports that already listen when the agent starts. The kernel
 * keeps listen_ports from LISTEN state changes it sees (bpf/exfild.bpf.c,
 * tp_listen); listeners that started before the agent are read here from
 * /proc/net/tcp and /proc/net/tcp6, which show the agent's own network
 * namespace only (listeners of other namespaces that predate the agent are
 * not known, and their accepted connections count as egress).
 */
#ifndef EXFILD_LISTENERS_H
#define EXFILD_LISTENERS_H

/* Put them into the listen_ports map; the number of ports, or -1. */
int listeners_seed(int map_fd);

/* The local port of a /proc/net/tcp* line if the socket listens, else -1.
 * Exposed for the unit test. */
int listen_port_of_line(const char *line);

#endif
