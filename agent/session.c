#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "strbuf.h"
#include "util.h"

static int session_load_profile(const char *path, profile_diag_fn diag, void *ctx,
                                struct profile **ret)
{
        int r = profile_load(path, diag, ctx, ret);

        if (r == -ENOENT) {
                *ret = profile_new();
                return *ret ? 0 : -ENOMEM;
        }
        return r;
}

int session_new(const struct session_options *opts, profile_diag_fn diag, void *ctx,
                struct session **ret)
{
        struct session *s;
        int r;

        s = malloc(sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (struct session){
                .emulate = !opts->no_emulate,
                .mode = opts->mode,
                .refuse_errno = opts->refuse_errno,
                .events_fd = opts->events_fd,
        };
        s->profile_path = strdup(opts->profile_path);
        s->profile_name = strdup(opts->profile_name ? opts->profile_name : opts->profile_path);
        if (opts->container)
                s->container = strdup(opts->container);
        if (!s->profile_path || !s->profile_name || (opts->container && !s->container)) {
                r = -ENOMEM;
                goto fail;
        }

        r = session_load_profile(opts->profile_path, diag, ctx, &s->profile);
        if (r == -EINVAL && opts->broken_profile_ok) {
                s->profile = profile_new();
                s->profile_broken = true;
                r = s->profile ? 0 : -ENOMEM;
        }
        if (r < 0)
                goto fail;
        if (s->mode == PROFILE_MODE_UNSET)
                s->mode = s->profile->mode != PROFILE_MODE_UNSET ? s->profile->mode
                                                                 : opts->default_mode;
        if (opts->mode == PROFILE_MODE_LEARN && opts->learn_reads)
                s->profile->restricts_reads = true;
        if (opts->image || s->profile->image) {
                s->image = strdup(opts->image ? opts->image : s->profile->image);
                if (!s->image) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        r = policy_compile(s->profile, &s->policy);
        if (r < 0)
                goto fail;
        s->learn = learn_new();
        if (!s->learn) {
                r = -ENOMEM;
                goto fail;
        }
        /* Reads are held when the profile restricts them; learning records
         * them only when asked, which also adds a [read] section. */
        s->notify_reads = s->profile->restricts_reads;
        *ret = s;
        return 0;
fail:
        session_free(s);
        return r;
}

struct session *session_free(struct session *s)
{
        if (!s)
                return NULL;
        free(s->container);
        free(s->profile_name);
        free(s->profile_path);
        free(s->image);
        profile_free(s->profile);
        policy_free(s->policy);
        learn_free(s->learn);
        sendgate_free(s->send_gate);
        free(s);
        return NULL;
}

int session_gate_sends(struct session *s, int cgroup_fd)
{
        struct sendgate *g = NULL;
        enum sendgate_mode mode = s->mode == PROFILE_MODE_ENFORCE ? SENDGATE_ENFORCE
                                  : s->mode == PROFILE_MODE_MONITOR ? SENDGATE_MONITOR
                                                                    : SENDGATE_LEARN;
        int r = sendgate_new(s->policy, mode, cgroup_fd, &g);

        if (r < 0)
                return r;
        /* the new gate judges before the old one lets go */
        sendgate_free(s->send_gate);
        s->send_gate = g;
        return 0;
}

void session_emit(struct session *s, struct event *ev)
{
        struct strbuf line = STRBUF_INIT;
        ssize_t n;

        ev->container = s->container;
        ev->profile = s->profile_name;
        ev->image = s->image;
        ev->mode = profile_mode_name(s->mode);
        if (event_format(ev, &line) < 0) {
                s->counts.events_lost++;
                return;
        }
        /* One write per line: lines from several writers (sessions of one
         * agent, or O_APPEND files shared between runs) do not interleave. */
        do
                n = write(s->events_fd, line.data, line.len);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)line.len)
                s->counts.events_lost++;
        strbuf_release(&line);
}

static int session_lock_dir(const char *path)
{
        cleanup_free char *copy = strdup(path);
        int fd;

        if (!copy)
                return -ENOMEM;
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

int session_save_learned(struct session *s, profile_diag_fn diag, void *ctx)
{
        cleanup_close int lock = -1;
        struct profile *current = NULL;
        int r;

        if (s->profile_broken)
                return -EINVAL;
        lock = session_lock_dir(s->profile_path);
        if (lock < 0)
                return lock;
        r = session_load_profile(s->profile_path, diag, ctx, &current);
        if (r < 0)
                return r;
        if (s->profile->restricts_reads)
                current->restricts_reads = true;
        r = learn_merge_into(s->learn, current);
        if (r >= 0)
                r = profile_save_atomic(current, s->profile_path);
        profile_free(current);
        return r;
}
