/* Unix sockets of the agent: listening stream sockets that are root-only
 * and never stolen from a live agent, the client side, and handing one
 * file descriptor over a socket (a child's seccomp listener). */
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

/* Hands fd over on sock (stream or seqpacket): one byte of data with fd
 * as SCM_RIGHTS; with fd < 0 the byte alone. Allocates nothing and takes
 * no lock: fit for a child between fork and exec, also after its seccomp
 * filter is installed (sendmsg is never held). MSG_NOSIGNAL.
 * Returns 0 or -errno. */
int unixsock_send_fd(int sock, int fd);

/* Takes what unixsock_send_fd() sent, waiting for it on a blocking socket
 * (EINTR is retried). Returns the fd (close-on-exec), -ENODATA when the
 * byte came without one, -EPROTO for anything else (end of file, a
 * longer seqpacket message, a truncated or foreign control message), or
 * -errno. */
int unixsock_recv_fd(int sock);
