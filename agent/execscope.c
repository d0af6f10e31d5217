#include "execscope.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pathglob.h"
#include "target.h"
#include "util.h"

/* The program inside the scope's root, as its processes reach it. */
static int execscope_open(int rootfd, const char *path)
{
        struct open_how how = {
                .flags = O_PATH | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        if (rootfd == AT_FDCWD)
                fd = open(path, O_PATH | O_CLOEXEC);
        else
                fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

int execscope_add(struct execgate *g, struct session *s, enum execgate_scope_kind kind,
                  pid_t pid, int rootfd, struct execgate_scope **ret)
{
        const struct profile_list *list = &s->profile->lists[PROFILE_EXEC];
        struct execgate_scope *scope;
        int r;

        r = execgate_add_scope(g, kind, pid, s, &scope);
        if (r < 0)
                return r;
        for (size_t i = 0; i < list->n; i++) {
                cleanup_free char *path = NULL;
                cleanup_close int fd = -1;

                if (!pathglob_is_literal(list->v[i].text))
                        continue;
                r = pathglob_literal_path(list->v[i].text, &path);
                if (r < 0)
                        goto fail;
                fd = execscope_open(rootfd, path);
                if (fd < 0)
                        continue;       /* not in this image: nothing to allow */
                r = execgate_allow_exec(scope, rootfd, fd);
                if (r < 0 && r != -EINVAL)      /* -EINVAL: not a regular file */
                        goto fail;
        }
        *ret = scope;
        return 0;
fail:
        execgate_remove_scope(g, scope);
        return r;
}

bool execscope_judge(void *ctx, const struct execgate_exec *ex)
{
        struct session *s = ex->cookie;
        cleanup_free char *path = NULL;
        struct policy_verdict pv = { 0 };
        struct target_info info;
        struct event ev = { 0 };

        (void)ctx;
        /* The gate judges enforced sessions only; one the operator moved to
         * monitor or learn keeps its scope but is no longer refused. */
        if (ex->allow || !s || s->mode != PROFILE_MODE_ENFORCE)
                return ex->allow || (s && s->mode != PROFILE_MODE_ENFORCE);
        /* A file not allowlisted by identity may still be what a pattern
         * of the profile allows, by the name the kernel gives it, if it has
         * not changed since supervision started. A literal entry means that
         * one file: another file at its path (renamed or linked into place)
         * is refused. */
        if (execgate_exec_path(ex, &path) == 0 && ex->reason == EXECGATE_NOT_ALLOWLISTED &&
            policy_check_path(s->policy, PROFILE_EXEC, path, &pv) && pv.rule &&
            !pathglob_is_literal(pv.rule))
                return true;
        s->counts.denied++;
        clock_gettime(CLOCK_REALTIME, &ev.time);
        ev.class = "exec";
        ev.syscall = "execve";
        ev.verdict = "deny";
        ev.error = EPERM;
        if (path) {
                ev.path = path;
                ev.path_len = strlen(path);
        }
        ev.pid = ex->pid;
        ev.uid = -1;
        if (target_info(ex->pid, &info) == 0) {
                ev.uid = info.uid;
                ev.comm = info.comm[0] ? info.comm : NULL;
        }
        ev.reason = execgate_reason_string(ex->reason);
        session_emit(s, &ev);
        return false;
}
