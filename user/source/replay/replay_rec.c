/* Helpers that keep a replay_rec's self-references right when it moves. */
#include <string.h>

#include "replay_rec.h"

void replay_rec_init(struct replay_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->obs.host_name = r->host;
}

void replay_rec_copy(struct replay_rec *dst, const struct replay_rec *src)
{
	memcpy(dst, src, sizeof(*dst));
	dst->obs.host_name = dst->host;
}

void replay_set_str(char *dst, size_t size, const char *src, size_t n)
{
	if (!size)
		return;
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}
