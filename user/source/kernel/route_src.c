#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "route_src.h"

bool route_source(const struct ipaddr *peer, uint16_t port, struct ipaddr *out)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	bool ok = false;
	int fd;

	memset(out, 0, sizeof(*out));
	if (!port)
		port = 9;	/* connect() wants a port; any will do for routing */
	if (peer->family == FLOW_AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, peer->a, 4);
		len = sizeof(*s4);
	} else if (peer->family == FLOW_AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, peer->a, 16);
		len = sizeof(*s6);
	} else {
		return false;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (!connect(fd, (struct sockaddr *)&ss, len)) {
		len = sizeof(ss);
		if (!getsockname(fd, (struct sockaddr *)&ss, &len)) {
			out->family = peer->family;
			if (peer->family == FLOW_AF_INET)
				memcpy(out->a, &((struct sockaddr_in *)&ss)->sin_addr, 4);
			else
				memcpy(out->a, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
			ok = true;
		}
	}
	close(fd);
	return ok;
}
