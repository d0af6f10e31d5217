#include "landlock_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

/* Paths per landlock_exec_restrict() call: one open descriptor each. */
#define LANDLOCK_EXEC_MAX_PATHS 65536

/* glibc 2.36 has no wrappers: raw system calls, which are also what makes
 * the fd variant async-signal-safe. */
static long ll_create_ruleset(const struct landlock_ruleset_attr *attr, size_t size, uint32_t flags)
{
        return syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static long ll_add_rule(int ruleset, const struct landlock_path_beneath_attr *rule)
{
        return syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, rule, 0);
}

static long ll_restrict_self(int ruleset)
{
        return syscall(SYS_landlock_restrict_self, ruleset, 0);
}

int landlock_exec_abi(void)
{
        int saved = errno;
        long abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        int r;

        /* ENOSYS: not built in (or < 5.13); EOPNOTSUPP: disabled at boot. */
        if (abi < 0)
                r = (errno == ENOSYS || errno == EOPNOTSUPP) ? -EOPNOTSUPP : -errno;
        else
                r = abi >= 1 ? (int)abi : -EOPNOTSUPP;
        errno = saved;
        return r;
}

/* Every Landlock domain refuses reparenting (a rename or link into
 * another directory) with EXDEV unless a rule grants REFER, whatever it
 * handles. Granting REFER on "/" keeps renames and links working as
 * without the gate, except a move that would give a file EXECUTE it did
 * not have (into a directory an exec pattern allows), which Landlock
 * still refuses. ABI 1 has no REFER: no gate there. */
static int add_refer_on_root(int ruleset)
{
        const struct landlock_path_beneath_attr rule = {
                .allowed_access = LANDLOCK_ACCESS_FS_REFER,
                .parent_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC),
        };
        int r = 0;

        if (rule.parent_fd < 0)
                return -errno;
        if (ll_add_rule(ruleset, &rule) < 0)
                r = -errno;
        close(rule.parent_fd);
        return r;
}

static int restrict_fds(const int *fds, size_t n)
{
        const struct landlock_ruleset_attr attr = {
                .handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_REFER,
        };
        long abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        int ruleset, r;

        if (!fds && n > 0)
                return -EINVAL;
        if (abi < 2)
                return abi < 0 && errno != ENOSYS && errno != EOPNOTSUPP ? -errno : -EOPNOTSUPP;
        ruleset = (int)ll_create_ruleset(&attr, sizeof(attr), 0);
        if (ruleset < 0)
                return (errno == ENOSYS || errno == EOPNOTSUPP) ? -EOPNOTSUPP : -errno;
        r = add_refer_on_root(ruleset);
        for (size_t i = 0; i < n && r == 0; i++) {
                const struct landlock_path_beneath_attr rule = {
                        .allowed_access = LANDLOCK_ACCESS_FS_EXECUTE,
                        .parent_fd = fds[i],
                };

                if (ll_add_rule(ruleset, &rule) < 0)
                        r = -errno;
        }
        if (r == 0 && ll_restrict_self(ruleset) < 0)
                r = -errno;
        close(ruleset);
        return r;
}

int landlock_exec_restrict_fds(const int *fds, size_t n)
{
        int saved = errno, r = restrict_fds(fds, n);

        errno = saved;
        return r;
}

int landlock_exec_restrict(const char *const *paths, size_t n)
{
        cleanup_free int *fds = NULL;
        size_t nfds = 0;
        int r = 0;

        if ((!paths && n > 0) || n > LANDLOCK_EXEC_MAX_PATHS)
                return -EINVAL;
        fds = calloc(n ? n : 1, sizeof(*fds));
        if (!fds)
                return -ENOMEM;
        for (size_t i = 0; i < n && r == 0; i++) {
                int fd;

                if (!paths[i])
                        r = -EINVAL;
                else if ((fd = open(paths[i], O_PATH | O_CLOEXEC)) >= 0)
                        fds[nfds++] = fd;
                else if (errno != ENOENT && errno != ENOTDIR)
                        r = -errno;
        }
        if (r == 0)
                r = landlock_exec_restrict_fds(fds, nfds);
        for (size_t i = 0; i < nfds; i++)
                close(fds[i]);
        return r;
}
