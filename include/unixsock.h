/* Unix stream sockets of the agent: listening sockets that are root-only
 * and never stolen from a live agent, and the client side. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Creates a listening AF_UNIX stream socket at path (non-blocking,
 * close-on-exec), mode 0600, owned by the caller; the parent directory is
 * created (0755) if missing. A socket file left by a crashed agent (connect
 * is refused) is replaced; one that a live process answers is not:
 * -EADDRINUSE. Returns the fd or -errno (-ENAMETOOLONG for a path that does
 * not fit sun_path). */
int unixsock_listen(const char *path);

/* Connects to path (blocking, close-on-exec). Returns the fd or -errno. */
int unixsock_connect(const char *path);

/* The uid of the peer (SO_PEERCRED), or -errno. */
int unixsock_peer_uid(int fd, uid_t *ret);
