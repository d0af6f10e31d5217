/* The shim's configuration from the environment, without libc: from an
 * envp array (exec wrapper; glibc's constructor arguments) or streamed out
 * of /proc/self/environ (other libcs call constructors without arguments). */
#include "shim.h"

#define ENV_SOCKET "DRIFTLOCK_SHIM_SOCKET="
#define ENV_FAIL "DRIFTLOCK_SHIM_FAIL="

void shim_config_init(struct shim_config *cfg)
{
        memset(cfg, 0, sizeof(*cfg));
        memcpy(cfg->socket, SHIM_SOCKET_DEFAULT, sizeof(SHIM_SOCKET_DEFAULT));
}

/* One "NAME=VALUE" entry of len bytes (not NUL-terminated). truncated: the
 * entry was longer than what the caller could keep, so its value is
 * incomplete. */
static void config_entry(struct shim_config *cfg, const char *entry, size_t len, bool truncated)
{
        size_t n;

        if (!cfg->socket_set && shim_has_prefix(entry, len, ENV_SOCKET)) {
                cfg->socket_set = true;
                n = len - (sizeof(ENV_SOCKET) - 1);
                if (truncated || n >= sizeof(cfg->socket)) {
                        cfg->socket_err = -ENAMETOOLONG;
                        return;
                }
                if (n == 0) {           /* set but empty: as if unset */
                        cfg->socket_set = false;
                        return;
                }
                memcpy(cfg->socket, entry + sizeof(ENV_SOCKET) - 1, n);
                cfg->socket[n] = '\0';
        } else if (!cfg->fail_set && shim_has_prefix(entry, len, ENV_FAIL)) {
                cfg->fail_set = true;
                n = len - (sizeof(ENV_FAIL) - 1);
                cfg->fail_open = !truncated && n == 4 &&
                                 memcmp(entry + sizeof(ENV_FAIL) - 1, "open", 4) == 0;
        }
}

void shim_config_from_envp(struct shim_config *cfg, char *const *envp)
{
        if (!envp)
                return;
        for (; *envp; envp++)
                config_entry(cfg, *envp, shim_strlen(*envp), false);
}

void shim_config_from_proc(struct shim_config *cfg)
{
        /* Static: the preload constructor keeps its stack use small, and a
         * process runs this at most once. The entry buffer only needs to
         * hold our own variables: longer entries are never ours, or are an
         * override that does not fit sun_path anyway. */
        static char chunk[4096];
        static char entry[sizeof(ENV_SOCKET) + SHIM_SUN_PATH_MAX];
        size_t elen = 0;
        bool truncated = false;
        long fd, n;

        fd = sys_openat(AT_FDCWD, "/proc/self/environ", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        for (;;) {
                n = sys_read((int)fd, chunk, sizeof(chunk));
                if (n == -EINTR)
                        continue;
                if (n <= 0)
                        break;
                for (long i = 0; i < n; i++) {
                        if (chunk[i] == '\0') {
                                config_entry(cfg, entry, elen, truncated);
                                elen = 0;
                                truncated = false;
                        } else if (elen < sizeof(entry)) {
                                entry[elen++] = chunk[i];
                        } else {
                                truncated = true;
                        }
                }
        }
        if (elen > 0)
                config_entry(cfg, entry, elen, truncated);
        sys_close((int)fd);
}

const char *shim_config_socket(const struct shim_config *cfg)
{
        if (!cfg->socket_set || sys_access(SHIM_SOCKET_DEFAULT, SHIM_F_OK) == 0)
                return SHIM_SOCKET_DEFAULT;
        return cfg->socket_err < 0 ? NULL : cfg->socket;
}
