/* The OCI seccomp listener protocol (runtime-spec config-linux.md,
 * "listenerPath"): a runtime connects, sends one container process state as
 * JSON, with the seccomp fd as SCM_RIGHTS in the first sendmsg, possibly in
 * several messages and possibly without ever closing its end (runc before
 * 1.2.7). One connection carries one fd.
 *
 * A connection is fed as its socket becomes readable; it never blocks. */
#pragma once

#include "oci.h"

struct listener_conn;

/* Takes ownership of an accepted connection fd (made non-blocking here).
 * Returns NULL on allocation failure (fd is closed then). */
struct listener_conn *listener_conn_new(int fd);

/* The connection's socket, for the caller's poll set. */
int listener_conn_fd(const struct listener_conn *c);

/* Reads what the socket has. Returns 0 when more is needed; 1 when the state
 * is complete: *ret_state and *ret_seccomp_fd now belong to the caller; or
 * -errno when the connection must be dropped, with *ret_error set: -EPROTO
 * (no fd in the first message, fds in a later one, MSG_CTRUNC, the fd is not
 * a seccomp listener, or the state names no seccompFd), -EINVAL (malformed
 * JSON, via oci_state_parse), -EMSGSIZE (state too large), -ECONNRESET (EOF
 * before a complete state). Every fd received is either handed out or
 * closed. */
int listener_conn_read(struct listener_conn *c, struct oci_state **ret_state,
                       int *ret_seccomp_fd, const char **ret_error);

/* Closes the connection and every fd it holds; accepts NULL; returns NULL. */
struct listener_conn *listener_conn_free(struct listener_conn *c);
