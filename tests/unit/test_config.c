#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "strbuf.h"
#include "util.h"

/* Collects diagnostics as "LINE: message\n". */
static void collect(void *ctx, unsigned line, const char *msg)
{
        struct strbuf *sb = ctx;

        assert_int_equal(strbuf_printf(sb, "%u: %s\n", line, msg), 0);
}

static char tmpdir[] = "/tmp/test_config.XXXXXX";

static int setup(void **state)
{
        (void)state;
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[64];

        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

/* Writes text[0..len) to a file in tmpdir; returns its path (static). */
static const char *write_file(const char *text, size_t len)
{
        static char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/driftlock.conf", tmpdir);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        return path;
}

/* Loads text over c; returns the result and the diagnostics in *diags. */
static int load_text(const char *text, struct config *c, struct strbuf *diags)
{
        return config_load(write_file(text, strlen(text)), c, collect, diags);
}

static void assert_defaults(const struct config *c)
{
        assert_string_equal(c->listener, "/run/driftlock/listener.sock");
        assert_string_equal(c->control, "/run/driftlock/control.sock");
        assert_string_equal(c->profiles, "/var/lib/driftlock/profiles");
        assert_string_equal(c->events, "-");
        assert_int_equal(c->default_mode, PROFILE_MODE_MONITOR);
        assert_string_equal(c->shim_dir, "/run/driftlock/shim");
        assert_int_equal(c->flush_interval_s, 60);
        assert_int_equal(c->unattached_timeout_ms, 5000);
        assert_false(c->unattached_kill_set);
        assert_false(c->unattached_kill);
        assert_true(c->emulate);
}

static void test_config_defaults(void **state)
{
        struct config c;

        (void)state;
        config_defaults(&c);
        assert_defaults(&c);
        config_release(&c);
        assert_null(c.listener);
        config_release(&c);     /* twice is harmless */
}

static void test_config_set_values(void **state)
{
        static const struct {
                const char *key, *value;
                int r;
                const char *error;      /* substring; NULL on success */
        } cases[] = {
                { "listener", "/run/x.sock", 0, NULL },
                { "listener", "run/x.sock", -EINVAL, "not an absolute path" },
                { "listener", "", -EINVAL, "empty" },
                { "listener", "/a\nb", -EINVAL, "control character" },
                { "control", "/run/c.sock", 0, NULL },
                { "control", "./c.sock", -EINVAL, "not an absolute path" },
                { "profiles", "/srv/profiles", 0, NULL },
                { "profiles", "profiles", -EINVAL, "not an absolute path" },
                { "events", "-", 0, NULL },
                { "events", "/var/log/driftlock.jsonl", 0, NULL },
                { "events", "events.jsonl", -EINVAL, "'-' (standard output) or an absolute path" },
                { "events", "", -EINVAL, "'-' (standard output) or an absolute path" },
                { "events", "--", -EINVAL, "'-' (standard output) or an absolute path" },
                { "events", "/a\x7f", -EINVAL, "control character" },
                { "default_mode", "learn", 0, NULL },
                { "default_mode", "monitor", 0, NULL },
                { "default_mode", "enforce", 0, NULL },
                { "default_mode", "Enforce", -EINVAL, "learn, monitor or enforce" },
                { "default_mode", "unset", -EINVAL, "learn, monitor or enforce" },
                { "default_mode", "", -EINVAL, "learn, monitor or enforce" },
                { "shim_dir", "/run/s", 0, NULL },
                { "shim_dir", "s", -EINVAL, "not an absolute path" },
                { "flush_interval", "0", 0, NULL },
                { "flush_interval", "86400", 0, NULL },
                { "flush_interval", "86401", -EINVAL, "out of range" },
                { "flush_interval", "99999999999999999999999", -EINVAL, "out of range" },
                { "flush_interval", "-1", -EINVAL, "number of seconds" },
                { "flush_interval", "+1", -EINVAL, "number of seconds" },
                { "flush_interval", "60s", -EINVAL, "number of seconds" },
                { "flush_interval", "1 0", -EINVAL, "number of seconds" },
                { "flush_interval", "0x10", -EINVAL, "number of seconds" },
                { "flush_interval", "", -EINVAL, "number of seconds" },
                { "unattached_timeout", "1", 0, NULL },
                { "unattached_timeout", "86400000", 0, NULL },
                { "unattached_timeout", "0", -EINVAL, "out of range" },
                { "unattached_timeout", "86400001", -EINVAL, "out of range" },
                { "unattached_timeout", "5s", -EINVAL, "number of milliseconds" },
                { "shim_dir", "none", 0, NULL },
                { "emulate", "yes", 0, NULL },
                { "emulate", "no", 0, NULL },
                { "emulate", "true", -EINVAL, "expected yes or no" },
                { "unattached", "kill", 0, NULL },
                { "unattached", "report", 0, NULL },
                { "unattached", "ignore", -EINVAL, "kill or report" },
                { "unattached", "", -EINVAL, "kill or report" },
                { "listen", "/x", -ENOENT, "unknown key" },
                { "Listener", "/x", -ENOENT, "unknown key" },
                { "", "/x", -ENOENT, "unknown key" },
                { "default-mode", "learn", -ENOENT, "unknown key" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct config c;
                const char *error = NULL;
                int r;

                config_defaults(&c);
                r = config_set(&c, cases[i].key, cases[i].value, &error);
                if (r != cases[i].r || (cases[i].error && (!error || !strstr(error, cases[i].error))))
                        fail_msg("%s = '%s': %d '%s', expected %d '%s'", cases[i].key,
                                 cases[i].value, r, error ? error : "(null)", cases[i].r,
                                 cases[i].error ? cases[i].error : "");
                if (r < 0)
                        assert_defaults(&c);    /* unchanged */
                /* ret_error may be NULL. */
                assert_int_equal(config_set(&c, cases[i].key, cases[i].value, NULL), cases[i].r);
                config_release(&c);
        }
}

static void test_config_set_fields(void **state)
{
        struct config c;
        char sock[120];

        (void)state;
        config_defaults(&c);
        assert_int_equal(config_set(&c, "listener", "/l", NULL), 0);
        assert_int_equal(config_set(&c, "listener", "/l2", NULL), 0);   /* replaced, not leaked */
        assert_int_equal(config_set(&c, "control", "/c", NULL), 0);
        assert_int_equal(config_set(&c, "profiles", "/p", NULL), 0);
        assert_int_equal(config_set(&c, "events", "/e", NULL), 0);
        assert_int_equal(config_set(&c, "events", "-", NULL), 0);
        assert_int_equal(config_set(&c, "default_mode", "enforce", NULL), 0);
        assert_int_equal(config_set(&c, "shim_dir", "/s", NULL), 0);
        assert_int_equal(config_set(&c, "flush_interval", "0", NULL), 0);
        assert_int_equal(config_set(&c, "unattached_timeout", "250", NULL), 0);
        assert_int_equal(config_set(&c, "unattached", "report", NULL), 0);
        assert_string_equal(c.listener, "/l2");
        assert_string_equal(c.control, "/c");
        assert_string_equal(c.profiles, "/p");
        assert_string_equal(c.events, "-");
        assert_int_equal(c.default_mode, PROFILE_MODE_ENFORCE);
        assert_string_equal(c.shim_dir, "/s");
        assert_int_equal(c.flush_interval_s, 0);
        assert_int_equal(c.unattached_timeout_ms, 250);
        assert_true(c.unattached_kill_set);
        assert_false(c.unattached_kill);
        assert_int_equal(config_set(&c, "unattached", "kill", NULL), 0);
        assert_true(c.unattached_kill);

        /* A unix socket path has 107 usable bytes. */
        memset(sock, 'x', sizeof(sock));
        sock[0] = '/';
        sock[107] = '\0';
        assert_int_equal(config_set(&c, "control", sock, NULL), 0);
        sock[107] = 'x';
        sock[108] = '\0';
        assert_int_equal(config_set(&c, "control", sock, NULL), -EINVAL);
        assert_int_equal(config_set(&c, "profiles", sock, NULL), 0);
        config_release(&c);
}

static void test_config_load_overlay(void **state)
{
        struct strbuf diags = STRBUF_INIT;
        struct config c;

        (void)state;
        config_defaults(&c);
        assert_int_equal(config_set(&c, "shim_dir", "/from/command/line", NULL), 0);
        assert_int_equal(load_text("\xEF\xBB\xBF; driftlock agent\r\n"
                                   "# another comment\n"
                                   "\n"
                                   "[agent]   ; the only section\n"
                                   "listener = /run/l.sock\n"
                                   "events=/var/log/ev.jsonl ; inline comment\n"
                                   "default_mode\t=\tenforce\n"
                                   "flush_interval = 0\r\n"
                                   "unattached = kill",
                                   &c, &diags),
                         0);
        assert_null(diags.data);
        assert_string_equal(c.listener, "/run/l.sock");
        assert_string_equal(c.events, "/var/log/ev.jsonl");
        assert_int_equal(c.default_mode, PROFILE_MODE_ENFORCE);
        assert_int_equal(c.flush_interval_s, 0);
        assert_true(c.unattached_kill_set);
        assert_true(c.unattached_kill);
        /* Not in the file: kept. */
        assert_string_equal(c.shim_dir, "/from/command/line");
        assert_string_equal(c.control, "/run/driftlock/control.sock");
        assert_int_equal(c.unattached_timeout_ms, 5000);

        /* A second file overlays the first; an empty file changes nothing. */
        assert_int_equal(load_text("[agent]\nlistener = /run/m.sock\n", &c, &diags), 0);
        assert_string_equal(c.listener, "/run/m.sock");
        assert_string_equal(c.events, "/var/log/ev.jsonl");
        assert_int_equal(load_text("", &c, &diags), 0);
        assert_int_equal(load_text("[agent]\n", &c, &diags), 0);
        assert_string_equal(c.listener, "/run/m.sock");
        assert_null(diags.data);
        /* diag may be NULL. */
        assert_int_equal(config_load(write_file("[agent]\ncontrol = /c\n", 21), &c, NULL, NULL), 0);
        assert_string_equal(c.control, "/c");
        config_release(&c);
}

static void test_config_load_errors(void **state)
{
        static const struct {
                const char *text;
                const char *diag;       /* substring of the diagnostics */
        } cases[] = {
                { "listener = /x\n", "1: 'listener = ...' before the [agent] section" },
                { "[agent]\nlistener = x\n", "2: bad value 'x' for 'listener': not an absolute path" },
                { "[agent]\ncontrol = /c\ncontrol = /d\n", "3: repeated key 'control' (first on line 2)" },
                { "[agent]\nlisten = /x\n", "2: unknown key 'listen' in [agent] (expected listener," },
                { "[agent]\n[agent]\n", "2: repeated [agent] section (first on line 1)" },
                { "[daemon]\nlistener = /x\n", "1: unknown section [daemon] (expected [agent])" },
                { "[Agent]\n", "1: unknown section [Agent]" },
                { "[agent\n", "1: section header without closing ']'" },
                { "[agent] x\n", "1: unexpected text after ']'" },
                { "[agent];x\n", "1: unexpected text after ']'" },
                { "[agent]\n  listener = /x\n", "2: indented line" },
                { "[agent]\nlistener = /a\n /b\n", "3: indented line" },
                { "[agent]\nlistener: /x\n", "2: expected 'key = value' or '[section]'" },
                { "[agent]\njust words\n", "2: expected 'key = value' or '[section]'" },
                { "[agent]\n= /x\n", "2: missing key before '='" },
                { "[agent]\nkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk = 1\n",
                  "2: key too long" },
                { "[agent]\nlistener = /x\x01\n", "2: control character 0x01 in line" },
                { "[agent]\nlistener = /\x7f\n", "2: control character 0x7F in line" },
                { "[agent]\ndefault_mode = strict\n", "2: bad value 'strict' for 'default_mode': expected learn" },
                { "[agent]\nflush_interval = 1m\n", "2: bad value '1m' for 'flush_interval'" },
                { "[agent]\nflush_interval = 999999\n", "out of range (0 to 86400 seconds)" },
                { "[agent]\nunattached_timeout = 0\n", "2: bad value '0' for 'unattached_timeout'" },
                { "[agent]\nunattached = yes\n", "2: bad value 'yes' for 'unattached': expected kill or report" },
                { "[agent]\nprofiles =\n", "2: bad value '' for 'profiles': empty" },
                { "[agent]\nevents = out.jsonl\n", "2: bad value 'out.jsonl' for 'events'" },
                { "[agent]\nshim_dir = \xff\n", "2: bad value '%FF' for 'shim_dir': not an absolute path" },
                /* Several problems, all reported, in line order. */
                { "[agent]\nlistener = a\n[x]\nfoo = 1\ncontrol = b\n",
                  "2: bad value 'a' for 'listener': not an absolute path\n"
                  "3: unknown section [x] (expected [agent])\n" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct strbuf diags = STRBUF_INIT;
                struct config c;
                int r;

                config_defaults(&c);
                r = load_text(cases[i].text, &c, &diags);
                if (r != -EINVAL || !diags.data || !strstr(diags.data, cases[i].diag))
                        fail_msg("case %zu: %d, diagnostics:\n%s--- expected:\n%s", i, r,
                                 diags.data ? diags.data : "(none)\n", cases[i].diag);
                assert_defaults(&c);    /* nothing of a bad file applied */
                config_release(&c);
                strbuf_release(&diags);
        }
}

static void test_config_load_long_line(void **state)
{
        struct strbuf diags = STRBUF_INIT;
        char text[400];
        struct config c;
        int n;

        (void)state;
        /* 198 bytes are read whole... */
        n = snprintf(text, sizeof(text), "[agent]\nprofiles = /%0186d\n", 0);
        assert_int_equal(n, 8 + 198 + 1);
        config_defaults(&c);
        assert_int_equal(load_text(text, &c, &diags), 0);
        assert_int_equal(strlen(c.profiles), 187);
        config_release(&c);
        /* ...199 are refused, not cut. */
        snprintf(text, sizeof(text), "[agent]\nprofiles = /%0187d\n", 0);
        config_defaults(&c);
        assert_int_equal(load_text(text, &c, &diags), -EINVAL);
        assert_string_equal(diags.data, "2: line too long (199 bytes, limit 198); it was not read\n");
        assert_defaults(&c);
        config_release(&c);
        strbuf_release(&diags);
}

static void test_config_load_nul_byte(void **state)
{
        static const char text[] = "[agent]\nlistener = /a\0b\n";
        struct strbuf diags = STRBUF_INIT;
        struct config c;

        (void)state;
        config_defaults(&c);
        assert_int_equal(config_load(write_file(text, sizeof(text) - 1), &c, collect, &diags),
                         -EINVAL);
        assert_string_equal(diags.data, "2: NUL byte in line\n");
        assert_defaults(&c);
        config_release(&c);
        strbuf_release(&diags);
}

static void test_config_load_file_errors(void **state)
{
        struct strbuf diags = STRBUF_INIT;
        char path[128], *big;
        struct config c;

        (void)state;
        config_defaults(&c);
        snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
        assert_int_equal(config_load(path, &c, collect, &diags), -ENOENT);
        assert_int_equal(config_load(tmpdir, &c, collect, &diags), -EISDIR);
        assert_int_equal(config_load("/dev/null", &c, collect, &diags), -EINVAL);

        big = malloc(CONFIG_MAX_FILE_BYTES + 1);
        assert_non_null(big);
        memset(big, '\n', CONFIG_MAX_FILE_BYTES + 1);
        assert_int_equal(config_load(write_file(big, CONFIG_MAX_FILE_BYTES), &c, collect, &diags),
                         0);
        assert_int_equal(config_load(write_file(big, CONFIG_MAX_FILE_BYTES + 1), &c, collect,
                                     &diags),
                         -EFBIG);
        free(big);
        assert_null(diags.data);        /* I/O errors are not diagnostics */
        assert_defaults(&c);
        config_release(&c);
}

/* The example configuration in scripts/ shows every key, commented out,
 * with its default: as shipped it sets nothing, and with every "#key"
 * line uncommented it still sets the defaults (and "unattached", which has
 * none). */
static void test_config_load_example(void **state)
{
        const char *top = getenv("TOP");
        struct strbuf diags = STRBUF_INIT, uncommented = STRBUF_INIT;
        char path[4096];
        cleanup_fclose FILE *f = NULL;
        char line[512];
        unsigned keys = 0;
        struct config c;
        int r;

        (void)state;
        snprintf(path, sizeof(path), "%s/scripts/driftlock.conf", top ? top : ".");
        config_defaults(&c);
        r = config_load(path, &c, collect, &diags);
        if (r == -ENOENT && !top)
                skip();         /* run by hand from elsewhere */
        if (r != 0)
                fail_msg("%s: %d:\n%s", path, r, diags.data ? diags.data : "");
        assert_defaults(&c);

        f = fopen(path, "re");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f)) {
                bool is_key = line[0] == '#' && line[1] >= 'a' && line[1] <= 'z';

                keys += is_key;
                assert_int_equal(strbuf_puts(&uncommented, is_key ? line + 1 : line), 0);
        }
        assert_int_equal(keys, 10);
        r = load_text(uncommented.data, &c, &diags);
        if (r != 0)
                fail_msg("uncommented: %d:\n%s", r, diags.data ? diags.data : "");
        assert_true(c.unattached_kill_set);
        c.unattached_kill_set = c.unattached_kill = false;
        assert_defaults(&c);
        config_release(&c);
        strbuf_release(&diags);
        strbuf_release(&uncommented);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_config_defaults),
                cmocka_unit_test(test_config_set_values),
                cmocka_unit_test(test_config_set_fields),
                cmocka_unit_test(test_config_load_overlay),
                cmocka_unit_test(test_config_load_errors),
                cmocka_unit_test(test_config_load_long_line),
                cmocka_unit_test(test_config_load_nul_byte),
                cmocka_unit_test(test_config_load_file_errors),
                cmocka_unit_test(test_config_load_example),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
