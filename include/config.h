/* The agent's configuration: built-in defaults, overlaid by an INI file
 * (scripts/driftlock.conf documents every key), overlaid by command-line
 * options through config_set.
 *
 *   [agent]
 *   listener = PATH            OCI runtimes' listenerPath (unix socket)
 *   control = PATH             the operator's control socket
 *   profiles = DIR             profiles, DIR/NAME.ini (oci_encode_name)
 *   events = - | PATH          JSON event lines: "-" is standard output
 *   default_mode = learn|monitor|enforce
 *   shim_dir = DIR             per-container sockets for the hook and shim
 *   flush_interval = SECONDS   learned profiles written every N s (0: only
 *                              on exit and on an operator's flush)
 *   unattached_timeout = MS    how long a container registered by
 *                              driftlock-hook may run before its seccomp
 *                              fd arrives
 *   unattached = kill|report   what happens to it then
 *
 * Paths are absolute. The file is read with libinih under the same rules as
 * profiles (profile.h): lines of at most PROFILE_MAX_LINE bytes, no indented
 * continuation lines, no control characters, " ;" starts a comment; every
 * problem is reported with its line number. This module reads one file and
 * does no other I/O. */
#pragma once

#include <stdbool.h>

#include "profile.h"

#define CONFIG_DEFAULT_PATH "/etc/driftlock/driftlock.conf"
/* A configuration file is a few lines; refuse anything much larger. */
#define CONFIG_MAX_FILE_BYTES (64u << 10)
/* Upper bounds of the numeric keys: one day. */
#define CONFIG_MAX_FLUSH_INTERVAL_S 86400u
#define CONFIG_MAX_UNATTACHED_TIMEOUT_MS 86400000u

struct config {
        char *listener;                 /* /run/driftlock/listener.sock */
        char *control;                  /* /run/driftlock/control.sock */
        char *profiles;                 /* /var/lib/driftlock/profiles */
        char *events;                   /* "-" (standard output) or a path */
        /* The mode of a container with neither an io.driftlock.mode
         * annotation nor a profile mode: monitor, which never breaks a
         * workload and still reports what enforce would refuse. */
        enum profile_mode default_mode;
        char *shim_dir;                 /* /run/driftlock/shim */
        unsigned flush_interval_s;      /* 60; 0: only on exit and flush */
        unsigned unattached_timeout_ms; /* 5000, 1..CONFIG_MAX_UNATTACHED_TIMEOUT_MS */
        /* "unattached": not set means the agent's built-in choice: kill a
         * container whose mode is enforce (it would otherwise run
         * unsupervised), report the others. */
        bool unattached_kill_set;
        bool unattached_kill;
        /* Enforce mode: the agent performs allowed opens and connects itself
         * (race-proof, the default); "no" answers them with CONTINUE. */
        bool emulate;
};

/* Fills c with the built-in defaults (nothing is allocated; the strings
 * are the module's own and must not be written to). Any previous contents
 * are forgotten, not freed. */
void config_defaults(struct config *c);

/* Reads the file at path and overlays what it sets on c. Every problem is
 * reported through diag (may be NULL) with its line number, in line order:
 * lines libinih would not read as written, a key outside [agent], unknown
 * sections and keys, a repeated key or [agent] section, bad values. c is
 * changed only on success. Returns 0; -ENOENT if there is no such file (the
 * caller decides whether that matters: the default path may be absent);
 * -EINVAL after diag; -EFBIG above CONFIG_MAX_FILE_BYTES; -EISDIR or -EINVAL
 * for something that is not a regular file; another -errno for I/O errors
 * (diag is not called for any of these); -ENOMEM. */
int config_load(const char *path, struct config *c, profile_diag_fn diag, void *ctx);

/* Sets one key as the file would (also used for command-line overrides).
 * Returns 0; -ENOENT for an unknown key; -EINVAL for a bad value; -ENOMEM.
 * On -ENOENT and -EINVAL, *ret_error (may be NULL) is set to a static
 * message; c is unchanged on every failure. */
int config_set(struct config *c, const char *key, const char *value, const char **ret_error);

/* Frees what c holds and zeroes it; c can then be released again or set up
 * with config_defaults. */
void config_release(struct config *c);
