/* The in-container shim (DESIGN.md §2, path 2): what the preload library
 * (preload.c) and the exec wrapper (exec.c) share. Both install the filter
 * the agent sends over its socket (include/shimproto.h) and hand the
 * listener to the agent; they differ only in how they get control.
 *
 * Nothing here uses libc (see sys.h): no allocation, no errno, no output
 * except the one line a failure prints. */
#pragma once

#include "sys.h"

/* Where the operator mounts the agent's per-container socket. */
#define SHIM_SOCKET_DEFAULT "/.driftlock/agent.sock"
/* Exit status when the shim refuses to start the workload. */
#define SHIM_EXIT_REFUSED 126

/* Read from the environment the workload was started with:
 *   DRIFTLOCK_SHIM_SOCKET=PATH   the agent's socket, honoured only when
 *                                SHIM_SOCKET_DEFAULT does not exist (tests,
 *                                hosts): a container whose operator mounted
 *                                the socket always talks to that agent,
 *                                whatever the image's ENV says.
 *   DRIFTLOCK_SHIM_FAIL=open     agent unreachable: warn and run
 *                                unsupervised. Anything else, or unset
 *                                (closed): refuse to start, exit 126.
 * As with getenv(), the first definition of a name counts. */
struct shim_config {
        char socket[SHIM_SUN_PATH_MAX];
        int socket_err;         /* -ENAMETOOLONG: the override does not fit sun_path */
        bool socket_set;
        bool fail_open;
        bool fail_set;
};

/* Defaults: SHIM_SOCKET_DEFAULT, fail closed. */
void shim_config_init(struct shim_config *cfg);

/* Reads the two variables from a NULL-terminated environment array. */
void shim_config_from_envp(struct shim_config *cfg, char *const *envp);

/* Reads them from /proc/self/environ (the environment the process was
 * exec'ed with), for libcs that do not pass envp to constructors (musl).
 * Unreadable (no /proc): the defaults stay. */
void shim_config_from_proc(struct shim_config *cfg);

/* The socket path to use: the override if one was given and the default
 * path does not exist, else the default. NULL when the override applies
 * but is unusable (cfg->socket_err says why). */
const char *shim_config_socket(const struct shim_config *cfg);

/* True when this process already runs under a driftlock filter (inherited
 * from an attached parent): one system call, the probe of shimproto.h. */
bool shim_already_attached(void);

/* What went wrong in shim_attach(), for the one diagnostic line. */
struct shim_failure {
        const char *stage;      /* "connect", "hello", "filter", "install", "hand-over", "ack" */
        uint32_t status;        /* the agent's refusal (enum shimproto_status), or 0 */
        bool installed;         /* the filter is in place: no way back */
};

/* Connects to the agent at sock_path, sends the hello, receives the filter,
 * sets no_new_privs, installs the filter with a listener, hands the listener
 * over with SCM_RIGHTS, closes its own copy and waits for the ack. Every
 * wait is bounded (5 s send and receive timeouts). Returns 0 (attached),
 * 1 (already attached: the agent says so, or the kernel refuses a second
 * listener in this process's filter chain with EBUSY) or -errno:
 * -ECONNREFUSED with *fail->status set when the agent refused, -EPROTO for
 * a malformed answer, -ECONNRESET when the agent hung up, -EAGAIN for a
 * timeout, otherwise the errno of the failing call. */
int shim_attach(const char *sock_path, uint32_t kind, struct shim_failure *fail);

/* The shim's whole job for one process: skips if already attached, else
 * attaches and applies the failure policy of cfg. Returns when the process
 * may go on (attached, skipped, or fail-open after one warning line on
 * stderr); otherwise prints one line and exits with SHIM_EXIT_REFUSED. A
 * failure after the filter is installed is fatal whatever the policy: the
 * filter cannot be removed, and without its supervisor every intercepted
 * call would fail with ENOSYS. prog prefixes the line ("driftlock"). */
void shim_attach_or_exit(const struct shim_config *cfg, uint32_t kind, const char *prog);

/* A diagnostic line built without allocation, written with one write(2)
 * so that concurrent writers do not interleave mid-line. */
struct shim_line {
        char buf[512];
        size_t len;
};

void shim_line_add(struct shim_line *line, const char *s);
/* Appends the errno's name ("ENOENT"), or "errno N" for one without. */
void shim_line_add_errno(struct shim_line *line, int err);
/* Appends '\n' and writes the line to fd 2; errors are ignored. */
void shim_line_write(struct shim_line *line);
