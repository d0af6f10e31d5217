/* driftlockd's event loop: one thread and one epoll set for the listener
 * socket, the control socket, every container's notify fds, signals and a
 * one-second housekeeping tick. Each container is a session; `runc exec`
 * adds a notify fd to the session of its container id. Containers without
 * a listener are registered by driftlock-hook and attach through the shim
 * socket (include/shimproto.h). */
#pragma once

#include "config.h"

/* Runs the agent on already listening sockets until SIGTERM or SIGINT
 * (shim_fd: the shim socket, -1 for none).
 * Writes one byte to ready_fd (then closes it) once it serves requests, so
 * a parent that daemonised it can return; -1 for none. Learned profiles are
 * saved before it returns. Returns 0 or -errno. */
int agent_run(const struct config *cfg, int listener_fd, int control_fd, int shim_fd,
              int ready_fd);
