/* The supervisor: the one pipeline every held call goes through.
 *
 *   receive -> decode registers -> open the target's memory -> check the id
 *   -> copy arguments once -> check the id again -> resolve paths in the
 *   target's root -> decide (policy, mode) -> respond -> event / learn
 *
 * Decisions are made on the copy, never on target memory read twice. */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>

#include "session.h"

/* One listener fd. Supervision starts at the first execve held on it (the
 * container's entrypoint, or CMD of `driftlock run`): what an OCI runtime
 * does under the filter before that (runc reopens its exec fifo through
 * /proc/self/fd) is the runtime's work, not the image's behaviour, and is
 * let through without being learned or judged. */
struct supervisor_fd {
        int fd;
        bool entrypoint_seen;
};

/* Receives one notification from sfd->fd (which must be readable) and
 * answers it for session s. req is a buffer from notify_alloc_req.
 * Returns 0 when the call was answered or went away, or -errno when the fd
 * itself failed (the caller stops supervising it). */
int supervisor_handle(struct session *s, struct supervisor_fd *sfd, struct seccomp_notif *req);

/* Reads the reports of the session's send gate (if it has one) and turns
 * them into events and learned entries, as held connects are. Calls the
 * kernel refused count as denied, the others as allowed or alerted.
 * Returns 0 or -errno when the gate could not be read. */
int supervisor_send_reports(struct session *s);
