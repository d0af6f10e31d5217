/* The decision for one operand of a held call: from the mode, the policy and
 * what the call touches to an answer (continue or refuse), whether to emit
 * an event and whether learning records it. Pure: no I/O.
 *
 *   learn    continue; record; event "learn" when the profile did not
 *            already allow it (the supervisor emits it only the first time)
 *   monitor  continue; event "alert" when enforce would refuse
 *   enforce  refuse with the session's errno and event "deny" when the
 *            profile does not allow it; otherwise continue silently
 *
 * The answer type leaves room for "emulate" (the agent performs the call,
 * DESIGN.md §4) without changing callers. */
#pragma once

#include <stdbool.h>

#include "policy.h"
#include "profile.h"

enum decide_action {
        DECIDE_CONTINUE,
        DECIDE_REFUSE,
};

struct decide_result {
        enum decide_action action;
        int error;                      /* errno for DECIDE_REFUSE */
        const char *verdict;            /* event verdict, NULL: no event */
        bool record;                    /* learn mode: record the observation */
        struct policy_verdict pv;       /* what the policy said */
};

/* Decides exec/write/read of a resolved path. */
void decide_path(enum profile_mode mode, const struct policy *pol, enum profile_class cls,
                 const char *path, int refuse_errno, struct decide_result *ret);

/* Decides a connection. */
void decide_connect(enum profile_mode mode, const struct policy *pol,
                    const struct policy_endpoint *ep, int refuse_errno,
                    struct decide_result *ret);

/* Decides a call whose target cannot be named (a path that has no name in
 * the target's root, a socket of a protocol profiles cannot express): it is
 * never in the allowlist, and learning cannot record it. reason is static. */
void decide_unnamed(enum profile_mode mode, const char *reason, int refuse_errno,
                    struct decide_result *ret);

/* Combines the results of the operands of one call (rename has two): the
 * first refusal wins; otherwise the first result with an event. */
void decide_combine(struct decide_result *acc, const struct decide_result *next);
