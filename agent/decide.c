#include "decide.h"

#include <string.h>

static void decide_from_policy(enum profile_mode mode, bool allowed, int refuse_errno,
                               struct decide_result *ret)
{
        ret->action = DECIDE_CONTINUE;
        ret->error = 0;
        ret->verdict = NULL;
        ret->record = false;

        switch (mode) {
        case PROFILE_MODE_LEARN:
                ret->record = true;
                if (!allowed)
                        ret->verdict = "learn";
                break;
        case PROFILE_MODE_MONITOR:
                if (!allowed)
                        ret->verdict = "alert";
                break;
        case PROFILE_MODE_ENFORCE:
        case PROFILE_MODE_UNSET:        /* never reached: sessions always have a mode */
                if (!allowed) {
                        ret->action = DECIDE_REFUSE;
                        ret->error = refuse_errno;
                        ret->verdict = "deny";
                }
                break;
        }
}

void decide_path(enum profile_mode mode, const struct policy *pol, enum profile_class cls,
                 const char *path, int refuse_errno, struct decide_result *ret)
{
        memset(ret, 0, sizeof(*ret));
        policy_check_path(pol, cls, path, &ret->pv);
        decide_from_policy(mode, ret->pv.allowed, refuse_errno, ret);
}

void decide_connect(enum profile_mode mode, const struct policy *pol,
                    const struct policy_endpoint *ep, int refuse_errno,
                    struct decide_result *ret)
{
        memset(ret, 0, sizeof(*ret));
        policy_check_connect(pol, ep, &ret->pv);
        decide_from_policy(mode, ret->pv.allowed, refuse_errno, ret);
}

void decide_unnamed(enum profile_mode mode, const char *reason, int refuse_errno,
                    struct decide_result *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->pv.reason = reason;
        decide_from_policy(mode, false, refuse_errno, ret);
        /* Nothing to write into a profile; the event still tells the
         * operator what learning saw. */
        ret->record = false;
}

void decide_combine(struct decide_result *acc, const struct decide_result *next)
{
        if (acc->action == DECIDE_REFUSE)
                return;
        if (next->action == DECIDE_REFUSE || (!acc->verdict && next->verdict))
                *acc = *next;
}
