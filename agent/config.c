/* The agent's configuration file (see config.h).
 *
 * The lines are read by inifile.h under the same rules as profiles, so that
 * libinih reads each line whole and as written and every problem has its
 * line number; this file gives the one section, its keys and their values
 * their meaning.
 *
 * The file is applied to a copy of the configuration, which replaces the
 * caller's only if the whole file was good: a half-applied file would leave
 * the agent with settings nobody wrote down together. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "inifile.h"
#include "readall.h"
#include "util.h"

/* The defaults are the module's own arrays: config_release frees a string
 * only if it is not one of these, so config_defaults cannot fail. */
static char config_default_listener[] = "/run/driftlock/listener.sock";
static char config_default_control[] = "/run/driftlock/control.sock";
static char config_default_profiles[] = "/var/lib/driftlock/profiles";
static char config_default_events[] = "-";
static char config_default_shim_dir[] = "/run/driftlock/shim";

/* Offending values are quoted in messages up to this many bytes. */
#define CONFIG_QUOTE_MAX 120
#define CONFIG_QUOTE_BUF (CONFIG_QUOTE_MAX + 4)

enum config_key {
        CONFIG_LISTENER,
        CONFIG_CONTROL,
        CONFIG_PROFILES,
        CONFIG_EVENTS,
        CONFIG_DEFAULT_MODE,
        CONFIG_SHIM_DIR,
        CONFIG_FLUSH_INTERVAL,
        CONFIG_UNATTACHED_TIMEOUT,
        CONFIG_UNATTACHED,
        CONFIG_EMULATE,
        CONFIG_NKEYS,
};

static const char *const config_key_names[CONFIG_NKEYS] = {
        [CONFIG_LISTENER] = "listener",
        [CONFIG_CONTROL] = "control",
        [CONFIG_PROFILES] = "profiles",
        [CONFIG_EVENTS] = "events",
        [CONFIG_DEFAULT_MODE] = "default_mode",
        [CONFIG_SHIM_DIR] = "shim_dir",
        [CONFIG_FLUSH_INTERVAL] = "flush_interval",
        [CONFIG_UNATTACHED_TIMEOUT] = "unattached_timeout",
        [CONFIG_UNATTACHED] = "unattached",
        [CONFIG_EMULATE] = "emulate",
};

#define CONFIG_KEY_LIST "listener, control, profiles, events, default_mode, shim_dir, " \
                        "flush_interval, unattached_timeout, unattached or emulate"

void config_defaults(struct config *c)
{
        *c = (struct config){
                .listener = config_default_listener,
                .control = config_default_control,
                .profiles = config_default_profiles,
                .events = config_default_events,
                .default_mode = PROFILE_MODE_MONITOR,
                .shim_dir = config_default_shim_dir,
                .flush_interval_s = 60,
                .unattached_timeout_ms = 5000,
                .emulate = true,
        };
}

static bool config_is_default(const char *s)
{
        return s == config_default_listener || s == config_default_control ||
               s == config_default_profiles || s == config_default_events ||
               s == config_default_shim_dir;
}

static void config_free_string(char *s)
{
        if (!config_is_default(s))
                free(s);
}

void config_release(struct config *c)
{
        config_free_string(c->listener);
        config_free_string(c->control);
        config_free_string(c->profiles);
        config_free_string(c->events);
        config_free_string(c->shim_dir);
        *c = (struct config){ 0 };
}

/* A copy of s that config_release may free (defaults stay shared). */
static int config_dup(char *s, char **ret)
{
        if (!s || config_is_default(s)) {
                *ret = s;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int config_copy(const struct config *from, struct config *to)
{
        *to = *from;
        to->listener = to->control = to->profiles = to->events = to->shim_dir = NULL;
        if (config_dup(from->listener, &to->listener) < 0 ||
            config_dup(from->control, &to->control) < 0 ||
            config_dup(from->profiles, &to->profiles) < 0 ||
            config_dup(from->events, &to->events) < 0 ||
            config_dup(from->shim_dir, &to->shim_dir) < 0) {
                config_release(to);
                return -ENOMEM;
        }
        return 0;
}

/* An absolute path of at most max bytes without control characters (they
 * would garble messages and events that name it). */
static const char *config_check_path(const char *value, size_t max)
{
        size_t n = strlen(value);

        if (n == 0)
                return "empty (expected an absolute path)";
        if (value[0] != '/')
                return "not an absolute path";
        if (n > max)
                return max < PATH_MAX - 1 ? "path too long for a unix socket (limit 107 bytes)"
                                          : "path too long";
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)value[i];

                if (c < 0x20 || c == 0x7f)
                        return "control character in path";
        }
        return NULL;
}

/* A decimal number in [min, max]: digits only, no sign, no unit. Returns
 * 0, -ERANGE or -EINVAL. */
static int config_parse_unsigned(const char *value, unsigned min, unsigned max, unsigned *ret)
{
        unsigned long long v = 0;

        if (!*value)
                return -EINVAL;
        for (const char *p = value; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned)(*p - '0');
                if (v > max)
                        return -ERANGE;
        }
        if (v < min)
                return -ERANGE;
        *ret = (unsigned)v;
        return 0;
}

static int config_replace(char **field, const char *value)
{
        char *copy = strdup(value);

        if (!copy)
                return -ENOMEM;
        config_free_string(*field);
        *field = copy;
        return 0;
}

/* Sets key k. Returns 0, -EINVAL with *ret_error, or -ENOMEM. */
static int config_apply(struct config *c, enum config_key k, const char *value,
                        const char **ret_error)
{
        const char *problem = NULL;
        unsigned u = 0;
        int r;

        switch (k) {
        case CONFIG_LISTENER:
        case CONFIG_CONTROL:
                problem = config_check_path(value, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
                if (!problem)
                        return config_replace(k == CONFIG_LISTENER ? &c->listener : &c->control,
                                              value);
                break;
        case CONFIG_PROFILES:
        case CONFIG_SHIM_DIR:
                /* "none": no shim socket (only runtimes with a listener). */
                problem = k == CONFIG_SHIM_DIR && !strcmp(value, "none")
                                  ? NULL : config_check_path(value, PATH_MAX - 1);
                if (!problem)
                        return config_replace(k == CONFIG_PROFILES ? &c->profiles : &c->shim_dir,
                                              value);
                break;
        case CONFIG_EVENTS:
                if (strcmp(value, "-") == 0)
                        return config_replace(&c->events, value);
                problem = config_check_path(value, PATH_MAX - 1);
                if (problem && value[0] != '/')
                        problem = "expected '-' (standard output) or an absolute path";
                if (!problem)
                        return config_replace(&c->events, value);
                break;
        case CONFIG_DEFAULT_MODE:
                r = profile_mode_from_name(value);
                if (r < 0) {
                        problem = "expected learn, monitor or enforce";
                        break;
                }
                c->default_mode = (enum profile_mode)r;
                return 0;
        case CONFIG_FLUSH_INTERVAL:
                r = config_parse_unsigned(value, 0, CONFIG_MAX_FLUSH_INTERVAL_S, &u);
                if (r < 0) {
                        problem = r == -ERANGE ? "out of range (0 to 86400 seconds)"
                                               : "expected a number of seconds";
                        break;
                }
                c->flush_interval_s = u;
                return 0;
        case CONFIG_UNATTACHED_TIMEOUT:
                r = config_parse_unsigned(value, 1, CONFIG_MAX_UNATTACHED_TIMEOUT_MS, &u);
                if (r < 0) {
                        problem = r == -ERANGE ? "out of range (1 to 86400000 milliseconds)"
                                               : "expected a number of milliseconds";
                        break;
                }
                c->unattached_timeout_ms = u;
                return 0;
        case CONFIG_UNATTACHED:
                if (strcmp(value, "kill") != 0 && strcmp(value, "report") != 0) {
                        problem = "expected kill or report";
                        break;
                }
                c->unattached_kill_set = true;
                c->unattached_kill = strcmp(value, "kill") == 0;
                return 0;
        case CONFIG_EMULATE:
                if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
                        problem = "expected yes or no";
                        break;
                }
                c->emulate = strcmp(value, "yes") == 0;
                return 0;
        case CONFIG_NKEYS:
                break;
        }
        if (ret_error)
                *ret_error = problem ? problem : "internal error: bad key";
        return -EINVAL;
}

static int config_key_from_name(const char *name)
{
        for (size_t k = 0; k < CONFIG_NKEYS; k++)
                if (strcmp(name, config_key_names[k]) == 0)
                        return (int)k;
        return -ENOENT;
}

int config_set(struct config *c, const char *key, const char *value, const char **ret_error)
{
        int k = config_key_from_name(key);

        if (k < 0) {
                if (ret_error)
                        *ret_error = "unknown key (expected " CONFIG_KEY_LIST ")";
                return -ENOENT;
        }
        return config_apply(c, (enum config_key)k, value, ret_error);
}

/* ---- the file ---- */

struct config_parser {
        unsigned agent_line;            /* the [agent] header, 0 if none yet */
        unsigned key_line[CONFIG_NKEYS];
        struct config *c;
};

/* s for a message, cut to fit CONFIG_QUOTE_BUF bytes. */
static const char *config_quote(char *dst, const char *s)
{
        return inifile_quote(dst, CONFIG_QUOTE_BUF, s, SIZE_MAX);
}

static int config_section(struct config_parser *st, struct inifile *ini, unsigned line,
                          const char *name)
{
        char q[CONFIG_QUOTE_BUF];

        if (strcmp(name, "agent") != 0)
                return inifile_report(ini, "unknown section [%s] (expected [agent])",
                                      config_quote(q, name));
        if (st->agent_line)
                return inifile_report(ini, "repeated [agent] section (first on line %u)",
                                      st->agent_line);
        st->agent_line = line;
        return 0;
}

/* inifile's handler: a header (name NULL) or a key of a section that was
 * not refused, so section is "agent" or NULL (before any header). */
static int config_handler(void *ctx, struct inifile *ini, unsigned line, const char *section,
                          const char *name, const char *value)
{
        struct config_parser *st = ctx;
        char qn[CONFIG_QUOTE_BUF], qv[CONFIG_QUOTE_BUF];
        const char *error = NULL;
        int k, r;

        if (!name)
                return config_section(st, ini, line, section);
        if (!section)
                return inifile_report(ini, "'%s = ...' before the [agent] section",
                                      config_quote(qn, name));
        k = config_key_from_name(name);
        if (k < 0)
                return inifile_report(ini, "unknown key '%s' in [agent] (expected %s)",
                                      config_quote(qn, name), CONFIG_KEY_LIST);
        if (st->key_line[k])
                return inifile_report(ini, "repeated key '%s' (first on line %u)", name,
                                      st->key_line[k]);
        st->key_line[k] = line;
        r = config_apply(st->c, (enum config_key)k, value, &error);
        if (r == -EINVAL)
                return inifile_report(ini, "bad value '%s' for '%s': %s",
                                      config_quote(qv, value), name, error);
        return r;
}

int config_load(const char *path, struct config *c, profile_diag_fn diag, void *ctx)
{
        struct config_parser st = { 0 };
        cleanup_free char *text = NULL;
        struct config next;
        size_t len = 0;
        int r;

        r = readall_at(AT_FDCWD, path, CONFIG_MAX_FILE_BYTES, &text, &len);
        if (r < 0)
                return r;
        r = config_copy(c, &next);
        if (r < 0)
                return r;
        st.c = &next;
        r = inifile_parse(text, len, PROFILE_MAX_LINE, 0, config_handler, &st, diag, ctx);
        if (r < 0) {
                config_release(&next);
                return r;
        }
        config_release(c);
        *c = next;
        return 0;
}
