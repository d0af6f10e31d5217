/* Step 1 of an emulated call (emulate.c): what the agent learns about the
 * target before the work, read through one /proc/TID directory fd so that
 * it all belongs to one task: its root, credentials, user namespace, a
 * pidfd, and its RLIMIT_FSIZE. */
#include "emulate_job.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify.h"
#include "readall.h"
#include "target.h"
#include "util.h"

#define EMU_STATUS_MAX  (1u << 20)      /* /proc/PID/status with NGROUPS_MAX groups fits */

/* The text after "key:" on its line of status (NUL-terminated), or NULL. */
static const char *status_value(const char *status, const char *key)
{
        size_t n = strlen(key);
        const char *s = status;

        while (s && *s) {
                if (!strncmp(s, key, n) && s[n] == ':')
                        return s + n + 1;
                s = strchr(s, '\n');
                if (s)
                        s++;
        }
        return NULL;
}

/* An unsigned number in base 8, 10 or 16 after optional blanks; advances
 * *p past it. -EPROTO if there is none or it exceeds max. */
static int parse_number(const char **p, unsigned base, uint64_t max, uint64_t *ret)
{
        const char *s = *p;
        uint64_t v = 0;
        bool any = false;

        while (*s == ' ' || *s == '\t')
                s++;
        for (;; s++) {
                unsigned d;

                if (*s >= '0' && *s <= '9')
                        d = (unsigned)(*s - '0');
                else if (*s >= 'a' && *s <= 'f')
                        d = (unsigned)(*s - 'a' + 10);
                else
                        break;
                if (d >= base)
                        break;
                if (v > (max - d) / base)
                        return -EPROTO;
                v = v * base + d;
                any = true;
        }
        if (!any)
                return -EPROTO;
        *p = s;
        *ret = v;
        return 0;
}

static int parse_ids(const char *status, const char *key, uint32_t out[4])
{
        const char *p = status_value(status, key);
        uint64_t v;

        if (!p)
                return -EPROTO;
        for (int i = 0; i < 4; i++) {
                if (parse_number(&p, 10, UINT32_MAX, &v) < 0)
                        return -EPROTO;
                out[i] = (uint32_t)v;
        }
        return 0;
}

/* Fills c from the text of /proc/TID/status. Groups go to groups (cap
 * entries); with more than cap of them c->ngroups tells how many there are
 * and the result is -E2BIG. Returns 0, -EPROTO or -E2BIG. */
static int creds_parse(const char *status, struct creds *c, gid_t *groups, size_t cap)
{
        const char *p;
        uint64_t v;
        size_t n = 0;

        _Static_assert(sizeof(uid_t) == 4 && sizeof(gid_t) == 4, "32-bit ids");
        if (parse_ids(status, "Uid", (uint32_t *)c->uid) < 0 ||
            parse_ids(status, "Gid", (uint32_t *)c->gid) < 0)
                return -EPROTO;
        p = status_value(status, "CapEff");
        if (!p || parse_number(&p, 16, UINT64_MAX, &c->cap_eff) < 0)
                return -EPROTO;
        p = status_value(status, "Umask");
        if (!p || parse_number(&p, 8, 07777, &v) < 0)
                return -EPROTO;
        c->umask = (mode_t)v;
        p = status_value(status, "Groups");
        if (!p)
                return -EPROTO;
        while (parse_number(&p, 10, UINT32_MAX, &v) == 0) {
                if (n < cap)
                        groups[n] = (gid_t)v;
                n++;
        }
        if (*p != '\n' && *p != ' ' && *p != '\t' && *p != '\0')
                return -EPROTO;
        c->ngroups = n;
        c->groups = groups;
        return n > cap ? -E2BIG : 0;
}

static int same_userns(int procfd)
{
        struct stat ours, theirs;

        if (stat("/proc/self/ns/user", &ours) < 0 || fstatat(procfd, "ns/user", &theirs, 0) < 0)
                return -errno;
        return ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

/* A task that has gone leaves ENOENT/ESRCH behind in /proc. */
static int gone(int r)
{
        return r == -ENOENT ? -ESRCH : r;
}

int emulate_snap_take(struct snap *s, pid_t tid, int notify_fd, uint64_t id, bool want_pidfd)
{
        cleanup_free char *status = NULL;
        cleanup_close int status_fd = -1;
        size_t status_len;
        char path[32];
        int r;

        snprintf(path, sizeof(path), "/proc/%d", (int)tid);
        s->procfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (s->procfd < 0)
                return gone(-errno);
        if (want_pidfd) {
                s->pidfd = target_pidfd(tid);
                if (s->pidfd < 0)
                        return gone(s->pidfd);
        }
        /* Both fds were opened while tid was (still) the held thread. */
        if (notify_fd >= 0 && (r = notify_id_valid(notify_fd, id)) < 0)
                return r;
        s->rootfd = openat(s->procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (s->rootfd < 0)
                return gone(-errno);
        /* procfs's own file: readall_at's file-type checks would only add
         * an fstat to every emulated call */
        status_fd = openat(s->procfd, "status", O_RDONLY | O_CLOEXEC);
        if (status_fd < 0)
                return gone(-errno);
        r = readall_fd(status_fd, EMU_STATUS_MAX, &status, &status_len);
        if (r < 0)
                return gone(r);
        r = creds_parse(status, &s->creds, NULL, 0);
        if (r == -E2BIG || r == 0) {
                s->creds.groups = calloc(s->creds.ngroups + 1, sizeof(gid_t));
                s->scratch = calloc(s->creds.ngroups + 1, sizeof(gid_t));
                if (!s->creds.groups || !s->scratch)
                        return -ENOMEM;
                r = creds_parse(status, &s->creds, s->creds.groups, s->creds.ngroups);
        }
        if (r < 0)
                return r;
        r = same_userns(s->procfd);
        if (r < 0)
                return gone(r);
        if (r == 0) {
                s->usernsfd = openat(s->procfd, "ns/user", O_RDONLY | O_CLOEXEC);
                if (s->usernsfd < 0)
                        return gone(-errno);
        }
        return 0;
}

/* path, or with path NULL the object j->src. */
void emulate_snap_release(struct snap *s)
{
        util_closep(&s->procfd);
        util_closep(&s->rootfd);
        util_closep(&s->usernsfd);
        util_closep(&s->pidfd);
        free(s->creds.groups);
        free(s->scratch);
}

/* The soft RLIMIT_FSIZE from /proc/TID/limits (prlimit(2) on another
 * process needs CAP_SYS_RESOURCE, which a container host may withhold). */
int emulate_snap_fsize_limit(const struct snap *s, uint64_t *ret)
{
        static const char key[] = "Max file size";
        cleanup_close int fd = openat(s->procfd, "limits", O_RDONLY | O_CLOEXEC);
        char buf[4096];
        const char *line, *v;
        ssize_t n;

        if (fd < 0)
                return gone(-errno);
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return gone(-errno);
        buf[n] = '\0';
        line = strstr(buf, key);
        if (!line)
                return -EPROTO;
        v = line + sizeof(key) - 1;
        while (*v == ' ')
                v++;
        if (!strncmp(v, "unlimited", 9)) {
                *ret = (uint64_t)RLIM_INFINITY;
                return 0;
        }
        return parse_number(&v, 10, UINT64_MAX, ret);
}
