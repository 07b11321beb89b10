/*
 * The control socket: a unix stream socket (0600 in a 0700 directory)
 * served from the agent's loop. A client sends one request line
 * ("status"); the agent answers with one line and closes. Nothing a
 * client does can block the loop: sockets are non-blocking, requests and
 * answers are bounded, and a client that says nothing is dropped.
 */
#ifndef EXFILD_CTL_H
#define EXFILD_CTL_H

#include <stddef.h>

struct loop;
struct ctl;

#define CTL_DEFAULT_PATH "/run/exfild/control.sock"

/* The answer to one request line (without its newline): a malloc'd
 * string, or NULL for an unknown request. */
typedef char *(*ctl_answer_fn)(void *arg, const char *request);

/* Bind path (replacing a stale socket), listen, and serve from loop. */
struct ctl *ctl_open(struct loop *loop, const char *path, ctl_answer_fn fn, void *arg,
		     char *err, size_t errlen);
/* Stop serving and remove the socket. NULL is fine. */
void ctl_close(struct ctl *c);

#endif
