/* The agent's configuration file (see config.h).
 *
 * libinih is fed through a line-checking reader, for the reasons given at
 * the top of profile_ini.c: Debian's libinih 55 cuts lines at 199 bytes,
 * joins indented lines to the previous value, truncates keys to 49 bytes,
 * accepts "key: value" and does not tell the handler the line number. The
 * reader refuses (and reports) every line inih would not read as written
 * and serves an empty line in its place, so the reader's line counter is
 * the line of each handler call. profile_ini.c keeps its reader static;
 * this is a smaller copy of the same rules for a file with one section.
 *
 * The file is applied to a copy of the configuration, which replaces the
 * caller's only if the whole file was good: a half-applied file would leave
 * the agent with settings nobody wrote down together. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

/* The defaults are the module's own arrays: config_release frees a string
 * only if it is not one of these, so config_defaults cannot fail. */
static char config_default_listener[] = "/run/driftlock/listener.sock";
static char config_default_control[] = "/run/driftlock/control.sock";
static char config_default_profiles[] = "/var/lib/driftlock/profiles";
static char config_default_events[] = "-";
static char config_default_shim_dir[] = "/run/driftlock/shim";

/* libinih copies keys into 50-byte buffers. */
#define CONFIG_MAX_KEY 49
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
};

#define CONFIG_KEY_LIST "listener, control, profiles, events, default_mode, shim_dir, " \
                        "flush_interval, unattached_timeout or unattached"

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
                problem = config_check_path(value, PATH_MAX - 1);
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

enum config_section {
        CONFIG_SECTION_NONE,    /* before the first header */
        CONFIG_SECTION_AGENT,
        CONFIG_SECTION_IGNORE,  /* unknown or repeated, already reported */
};

struct config_parser {
        const char *text;
        size_t len, pos;
        unsigned line;                  /* of the line served last */
        profile_diag_fn diag;
        void *ctx;
        unsigned nproblems;
        int fatal;                      /* -ENOMEM: stop doing work */
        enum config_section section;
        unsigned agent_line;            /* the [agent] header, 0 if none yet */
        unsigned key_line[CONFIG_NKEYS];
        struct config *c;
};

static void config_report(struct config_parser *st, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void config_report(struct config_parser *st, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        st->nproblems++;
        if (!st->diag)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        st->diag(st->ctx, st->line, msg);
}

/* s[0..n) for a message: printable ASCII as is, other bytes as "%XX", cut
 * with "..." (dst holds CONFIG_QUOTE_BUF bytes). */
static const char *config_quote(char *dst, const char *s, size_t n)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (o + 3 > CONFIG_QUOTE_MAX) {
                        memcpy(dst + o, "...", 3);
                        o += 3;
                        break;
                }
                if (c >= 0x20 && c < 0x7f) {
                        dst[o++] = (char)c;
                } else {
                        dst[o++] = '%';
                        dst[o++] = hex[c >> 4];
                        dst[o++] = hex[c & 0xf];
                }
        }
        dst[o] = '\0';
        return dst;
}

static bool config_blank(char c)
{
        return c == ' ' || c == '\t';
}

/* inih's ini_find_chars_or_comment: the first of chars, a ';' after white
 * space, or the end. */
static size_t config_find(const char *s, size_t n, const char *chars)
{
        bool was_space = false;
        size_t i;

        for (i = 0; i < n; i++) {
                if (strchr(chars, s[i]) || (was_space && s[i] == ';'))
                        break;
                was_space = config_blank(s[i]);
        }
        return i;
}

/* Checks a section header line s[0..n) (s[0] == '[') and enters its
 * section. Returns true if inih may read it; otherwise it was reported. */
static bool config_check_section(struct config_parser *st, const char *s, size_t n)
{
        size_t end = 1 + config_find(s + 1, n - 1, "]"), rest;
        char q[CONFIG_QUOTE_BUF];

        /* Keys after a bad header do not belong to the section before it. */
        st->section = CONFIG_SECTION_IGNORE;
        if (end == n || s[end] != ']') {
                config_report(st, "section header without closing ']'");
                return false;
        }
        rest = end + 1;
        while (rest < n && config_blank(s[rest]))
                rest++;
        if (rest < n && (s[rest] != ';' || rest == end + 1)) {
                config_report(st, "unexpected text after ']' (only ' ; comment' may follow)");
                return false;
        }
        if (end - 1 != strlen("agent") || memcmp(s + 1, "agent", end - 1) != 0) {
                config_report(st, "unknown section [%s] (expected [agent])",
                              config_quote(q, s + 1, end - 1));
                return false;
        }
        if (st->agent_line) {
                config_report(st, "repeated [agent] section (first on line %u)", st->agent_line);
                return false;
        }
        st->agent_line = st->line;
        st->section = CONFIG_SECTION_AGENT;
        return true;
}

static const char *config_check_pair(const char *s, size_t n)
{
        size_t end = config_find(s, n, "=:"), key = end;

        if (end == n || s[end] != '=')
                return "expected 'key = value' or '[section]'";
        while (key > 0 && config_blank(s[key - 1]))
                key--;
        if (key == 0)
                return "missing key before '='";
        if (key > CONFIG_MAX_KEY)
                return "key too long (limit 49 bytes)";
        return NULL;
}

/* Returns true if inih may read line s[0..n); otherwise it was reported. */
static bool config_check_line(struct config_parser *st, const char *s, size_t n, size_t limit)
{
        const char *problem = NULL;
        size_t i;

        if (n > limit) {
                config_report(st, "line too long (%zu bytes, limit %zu); it was not read",
                              n, limit);
                return false;
        }
        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == 0) {
                        config_report(st, "NUL byte in line");
                        return false;
                }
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                        config_report(st, "control character 0x%02X in line", c);
                        return false;
                }
        }
        for (i = 0; i < n && config_blank(s[i]); i++)
                ;
        if (i == n || s[i] == ';' || s[i] == '#')
                return true;
        if (i > 0)
                problem = "indented line (continuation lines are not allowed; "
                          "remove the leading white space)";
        else if (s[0] == '[')
                return config_check_section(st, s, n);
        else
                problem = config_check_pair(s, n);
        if (problem) {
                config_report(st, "%s", problem);
                return false;
        }
        return true;
}

static char *config_reader(char *str, int num, void *stream)
{
        struct config_parser *st = stream;
        const char *s, *nl;
        size_t n, next, limit;

        if (st->pos >= st->len || num < 2)
                return NULL;
        s = st->text + st->pos;
        nl = memchr(s, '\n', st->len - st->pos);
        n = nl ? (size_t)(nl - s) : st->len - st->pos;
        next = st->pos + n + (nl ? 1 : 0);
        if (nl && n > 0 && s[n - 1] == '\r')
                n--;
        st->pos = next;
        st->line++;

        limit = (size_t)num - 2 < PROFILE_MAX_LINE ? (size_t)num - 2 : PROFILE_MAX_LINE;
        if (st->fatal || !config_check_line(st, s, n, limit))
                n = 0;
        memcpy(str, s, n);
        str[n] = '\n';
        str[n + 1] = '\0';
        return str;
}

static int config_handler(void *user, const char *section, const char *name, const char *value)
{
        struct config_parser *st = user;
        char qn[CONFIG_QUOTE_BUF], qv[CONFIG_QUOTE_BUF];
        const char *error = NULL;
        int k, r;

        (void)section;  /* the reader tracks sections; inih truncates names */
        if (st->fatal)
                return 1;
        if (st->section == CONFIG_SECTION_IGNORE)
                return 1;
        if (st->section == CONFIG_SECTION_NONE) {
                config_report(st, "'%s = ...' before the [agent] section",
                              config_quote(qn, name, strlen(name)));
                return 1;
        }
        k = config_key_from_name(name);
        if (k < 0) {
                config_report(st, "unknown key '%s' in [agent] (expected %s)",
                              config_quote(qn, name, strlen(name)), CONFIG_KEY_LIST);
                return 1;
        }
        if (st->key_line[k]) {
                config_report(st, "repeated key '%s' (first on line %u)", name, st->key_line[k]);
                return 1;
        }
        st->key_line[k] = st->line;
        r = config_apply(st->c, (enum config_key)k, value, &error);
        if (r == -EINVAL)
                config_report(st, "bad value '%s' for '%s': %s",
                              config_quote(qv, value, strlen(value)), name, error);
        else if (r < 0)
                st->fatal = r;
        return 1;
}

static int config_parse(const char *text, size_t len, struct config *c, profile_diag_fn diag,
                        void *ctx)
{
        struct config_parser st = { .text = text, .len = len, .diag = diag, .ctx = ctx };
        struct config next;
        int r;

        r = config_copy(c, &next);
        if (r < 0)
                return r;
        st.c = &next;
        /* inih would skip a byte order mark too, but it would count it in
         * the first line's length. */
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
                st.pos = 3;
        r = ini_parse_stream(config_reader, &st, config_handler, &st);
        if (r == -2)
                st.fatal = -ENOMEM;
        else if (r != 0 && st.nproblems == 0) {
                st.line = r > 0 ? (unsigned)r : 0;
                config_report(&st, "line not understood");
        }
        if (st.fatal || st.nproblems) {
                config_release(&next);
                return st.fatal ? st.fatal : -EINVAL;
        }
        config_release(c);
        *c = next;
        return 0;
}

/* Reads a regular file of at most CONFIG_MAX_FILE_BYTES into *ret. */
static int config_read_file(const char *path, char **ret, size_t *ret_len)
{
        cleanup_close int fd = -1;
        cleanup_free char *buf = NULL;
        struct stat st;
        size_t len = 0;

        /* O_NONBLOCK: opening a FIFO must not hang before fstat refuses it. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        /* One byte more than allowed tells a file that grew past the limit. */
        buf = malloc(CONFIG_MAX_FILE_BYTES + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, CONFIG_MAX_FILE_BYTES + 1 - len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > CONFIG_MAX_FILE_BYTES)
                        return -EFBIG;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int config_load(const char *path, struct config *c, profile_diag_fn diag, void *ctx)
{
        cleanup_free char *text = NULL;
        size_t len = 0;
        int r;

        r = config_read_file(path, &text, &len);
        if (r < 0)
                return r;
        return config_parse(text, len, c, diag, ctx);
}
