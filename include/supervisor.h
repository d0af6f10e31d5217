/* The supervisor: the one pipeline every held call goes through.
 *
 *   receive -> decode registers -> open the target's memory -> check the id
 *   -> copy arguments once -> check the id again -> resolve paths in the
 *   target's root -> decide (policy, mode) -> respond -> event / learn
 *
 * Decisions are made on the copy, never on target memory read twice. */
#pragma once

#include <linux/seccomp.h>

#include "session.h"

/* Receives one notification from notify_fd (which must be readable) and
 * answers it for session s. req is a buffer from notify_alloc_req.
 * Returns 0 when the call was answered or went away, or -errno when the fd
 * itself failed (the caller stops supervising it). */
int supervisor_handle(struct session *s, int notify_fd, struct seccomp_notif *req);
