#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "path.h"
#include "pathglob.h"
#include "strbuf.h"
#include "util.h"

/* 2026-11-22T18:20:01Z */
#define T_SEC 1795371601L

static const struct event full_event = {
        .time = { T_SEC, 123456789L },
        .container = "4f2a9c",
        .profile = "nginx.ini",
        .image = "docker.io/library/nginx@sha256:abc",
        .mode = "enforce",
        .class = "write",
        .syscall = "openat",
        .verdict = "deny",
        .error = 1,
        .path = "/usr/share/nginx/html/index.html",
        .path_len = sizeof("/usr/share/nginx/html/index.html") - 1,
        .pid = 4711,
        .exe = "/usr/bin/dash",
        .exe_len = sizeof("/usr/bin/dash") - 1,
        .comm = "sh",
        .uid = 0,
        .reason = "no matching rule",
};

static char *format(const struct event *ev)
{
        struct strbuf sb = STRBUF_INIT;

        assert_int_equal(event_format(ev, &sb), 0);
        return strbuf_detach(&sb);
}

static void test_event_full_line(void **state)
{
        cleanup_free char *line = NULL;

        (void)state;
        line = format(&full_event);
        assert_string_equal(line,
                "{\"time\":\"2026-11-22T18:20:01.123Z\",\"container\":\"4f2a9c\","
                "\"profile\":\"nginx.ini\",\"image\":\"docker.io/library/nginx@sha256:abc\","
                "\"mode\":\"enforce\",\"class\":\"write\",\"syscall\":\"openat\","
                "\"verdict\":\"deny\",\"errno\":1,"
                "\"path\":\"/usr/share/nginx/html/index.html\",\"pid\":4711,"
                "\"exe\":\"/usr/bin/dash\",\"comm\":\"sh\",\"uid\":0,"
                "\"reason\":\"no matching rule\"}\n");
}

static void test_event_connect_with_rule(void **state)
{
        struct event ev = {
                .time = { T_SEC, 0 },
                .mode = "monitor",
                .class = "connect",
                .syscall = "connect",
                .verdict = "allow",
                .addr = "tcp 127.0.0.1 8080",
                .pid = 1,
                .uid = 1000,
                .reason = "rule",
                .rule = "tcp 127.0.0.0/8 *",
        };
        cleanup_free char *line = format(&ev);

        (void)state;
        assert_string_equal(line,
                "{\"time\":\"2026-11-22T18:20:01.000Z\",\"mode\":\"monitor\","
                "\"class\":\"connect\",\"syscall\":\"connect\",\"verdict\":\"allow\","
                "\"addr\":\"tcp 127.0.0.1 8080\",\"pid\":1,\"uid\":1000,"
                "\"reason\":\"rule\",\"rule\":\"tcp 127.0.0.0/8 *\"}\n");
}

static void test_event_minimal_line(void **state)
{
        struct event ev = {
                .time = { 0, 999999999L },
                .mode = "learn",
                .class = "exec",
                .syscall = "execve",
                .verdict = "learn",
                .pid = 7,
                .uid = -1,
                .reason = "no matching rule",
        };
        cleanup_free char *line = format(&ev);

        (void)state;
        /* Milliseconds are truncated, never rounded into the next second. */
        assert_string_equal(line,
                "{\"time\":\"1970-01-01T00:00:00.999Z\",\"mode\":\"learn\","
                "\"class\":\"exec\",\"syscall\":\"execve\",\"verdict\":\"learn\","
                "\"pid\":7,\"reason\":\"no matching rule\"}\n");
}

/* Which fields appear, for one field changed at a time from the full
 * event. */
enum omit_case {
        C_CONTAINER_NULL, C_CONTAINER_SET, C_PROFILE_NULL, C_IMAGE_NULL, C_ERRNO_0,
        C_ERRNO_13, C_PATH_NULL, C_PATH_EMPTY, C_ADDR_NULL, C_ADDR_SET, C_EXE_NULL,
        C_COMM_NULL, C_UID_MINUS_1, C_UID_0, C_RULE_NULL, C_RULE_SET, C_PID_0,
};

static void omit_apply(enum omit_case c, struct event *e)
{
        switch (c) {
        case C_CONTAINER_NULL: e->container = NULL; break;
        case C_CONTAINER_SET: e->container = "c"; break;
        case C_PROFILE_NULL: e->profile = NULL; break;
        case C_IMAGE_NULL: e->image = NULL; break;
        case C_ERRNO_0: e->error = 0; break;
        case C_ERRNO_13: e->error = 13; break;
        case C_PATH_NULL: e->path = NULL; break;
        case C_PATH_EMPTY: e->path = ""; e->path_len = 0; break;
        case C_ADDR_NULL: e->addr = NULL; break;
        case C_ADDR_SET: e->addr = "unix /run/x"; break;
        case C_EXE_NULL: e->exe = NULL; break;
        case C_COMM_NULL: e->comm = NULL; break;
        case C_UID_MINUS_1: e->uid = -1; break;
        case C_UID_0: e->uid = 0; break;
        case C_RULE_NULL: e->rule = NULL; break;
        case C_RULE_SET: e->rule = "/tmp/*"; break;
        case C_PID_0: e->pid = 0; break;
        }
}

static void test_event_omission_rules(void **state)
{
        static const struct {
                enum omit_case c;
                const char *key;
                bool present;
        } table[] = {
                { C_CONTAINER_NULL, "container", false },
                { C_CONTAINER_SET, "container", true },
                { C_PROFILE_NULL, "profile", false },
                { C_IMAGE_NULL, "image", false },
                { C_ERRNO_0, "errno", false },
                { C_ERRNO_13, "errno", true },
                { C_PATH_NULL, "path", false },
                { C_PATH_EMPTY, "path", true },
                { C_ADDR_NULL, "addr", false },
                { C_ADDR_SET, "addr", true },
                { C_EXE_NULL, "exe", false },
                { C_COMM_NULL, "comm", false },
                { C_UID_MINUS_1, "uid", false },
                { C_UID_0, "uid", true },
                { C_RULE_NULL, "rule", false },
                { C_RULE_SET, "rule", true },
                { C_PID_0, "pid", false },     /* lifecycle events: no process */
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
                struct event ev = full_event;
                cleanup_free char *line = NULL;
                json_error_t err;
                json_t *j;

                omit_apply(table[i].c, &ev);
                line = format(&ev);
                j = json_loads(line, 0, &err);
                assert_non_null(j);
                if ((json_object_get(j, table[i].key) != NULL) != table[i].present)
                        fail_msg("case %zu: field %s %s", i, table[i].key,
                                 table[i].present ? "missing" : "present");
                json_decref(j);
        }
}

static const struct {
        const char *raw;
        size_t len;
        const char *text;       /* expected path field */
} odd_paths[] = {
#define P(s, t) { s, sizeof(s) - 1, t }
        P("/tmp/a\"b", "/tmp/a\"b"),
        P("/tmp/a\\b", "/tmp/a\\b"),
        P("/tmp/a\nb", "/tmp/a%0Ab"),
        P("/tmp/\xff\xfe", "/tmp/%FF%FE"),
        P("/tmp/50%", "/tmp/50%25"),
        P("/tmp/caf\xc3\xa9", "/tmp/caf\xc3\xa9"),
        P("/tmp/a b;c#*?", "/tmp/a%20b%3Bc%23%2A%3F"),
        P("/tmp/\xc0\xaf", "/tmp/%C0%AF"),               /* overlong '/' */
        P("/tmp/\x01\x7f\t", "/tmp/%01%7F%09"),
        P("/tmp/\"\\\n\xff%", "/tmp/\"\\%0A%FF%25"),
#undef P
};

/* Odd bytes give valid JSON, and the path field, read as a profile pattern,
 * names exactly the raw path. */
static void test_event_odd_path_roundtrip(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(odd_paths); i++) {
                struct event ev = full_event;
                cleanup_free char *line = NULL, *raw = NULL, *canonical = NULL;
                const char *text, *error = NULL;
                json_error_t err;
                json_t *j;

                ev.path = odd_paths[i].raw;
                ev.path_len = odd_paths[i].len;
                ev.exe = odd_paths[i].raw;
                ev.exe_len = odd_paths[i].len;
                line = format(&ev);
                /* One line: the only newline is the last byte. */
                assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
                j = json_loads(line, 0, &err);
                if (!j)
                        fail_msg("%zu: invalid JSON: %s: %s", i, err.text, line);
                text = json_string_value(json_object_get(j, "path"));
                assert_non_null(text);
                assert_string_equal(text, odd_paths[i].text);
                assert_string_equal(json_string_value(json_object_get(j, "exe")),
                                    odd_paths[i].text);
                /* Pasted into a profile it is a literal for the raw bytes. */
                assert_int_equal(pathglob_canonicalize(text, &canonical, &error), 0);
                assert_string_equal(canonical, text);
                assert_true(pathglob_is_literal(canonical));
                assert_int_equal(pathglob_literal_path(canonical, &raw), 0);
                assert_int_equal(strlen(raw), odd_paths[i].len);
                assert_memory_equal(raw, odd_paths[i].raw, odd_paths[i].len);
                json_decref(j);
        }
}

static void test_event_comm_bounded(void **state)
{
        /* A comm copied from the kernel fills all 16 bytes without a NUL. */
        static const char comm[EVENT_COMM_MAX + 4] = "0123456789abcdefXYZ";
        struct event ev = full_event;
        cleanup_free char *line = NULL;
        json_error_t err;
        json_t *j;

        (void)state;
        ev.comm = comm;
        line = format(&ev);
        j = json_loads(line, 0, &err);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "comm")), "0123456789abcdef");
        json_decref(j);

        ev.comm = "a b\xff";
        free(line);
        line = format(&ev);
        assert_non_null(strstr(line, "\"comm\":\"a%20b%FF\""));
}

/* Agent text that is not UTF-8 falls back to the profile encoding instead
 * of losing the event; text that is UTF-8 is kept as it is. */
static void test_event_text_fields(void **state)
{
        struct event ev = full_event;
        cleanup_free char *line = NULL, *line2 = NULL;

        (void)state;
        ev.container = "bad\xff name";
        ev.image = "caf\xc3\xa9 \"q\"";
        line = format(&ev);
        assert_non_null(strstr(line, "\"container\":\"bad%FF%20name\""));
        assert_non_null(strstr(line, "\"image\":\"caf\xc3\xa9 \\\"q\\\"\""));
        ev.reason = "not resolvable: tab\there";
        line2 = format(&ev);
        assert_non_null(strstr(line2, "\"reason\":\"not resolvable: tab\\there\""));
}

static void test_event_appends(void **state)
{
        struct strbuf sb = STRBUF_INIT;
        cleanup_free char *one = format(&full_event);

        (void)state;
        assert_int_equal(strbuf_puts(&sb, "x"), 0);
        assert_int_equal(event_format(&full_event, &sb), 0);
        assert_int_equal(event_format(&full_event, &sb), 0);
        assert_int_equal(sb.len, 1 + 2 * strlen(one));
        assert_memory_equal(sb.data + 1, one, strlen(one));
        assert_memory_equal(sb.data + 1 + strlen(one), one, strlen(one));
        strbuf_release(&sb);
}

static void test_event_bad_input(void **state)
{
        static const struct timespec bad_times[] = {
                { T_SEC, -1 },
                { T_SEC, 1000000000L },
                { 253402300800L, 0 },           /* year 10000 */
                { -62167219201L, 0 },           /* year -1 */
        };
        struct strbuf sb = STRBUF_INIT;
        struct event ev = full_event;
        cleanup_free char *long_path = NULL;

        (void)state;
        assert_int_equal(strbuf_puts(&sb, "keep"), 0);
        for (size_t i = 0; i < ARRAY_SIZE(bad_times); i++) {
                ev.time = bad_times[i];
                assert_int_equal(event_format(&ev, &sb), -EINVAL);
                assert_string_equal(sb.data, "keep");
        }
        ev = full_event;
        ev.time.tv_sec = 253402300799L;         /* 9999-12-31T23:59:59 */
        assert_int_equal(event_format(&ev, &sb), 0);
        assert_non_null(strstr(sb.data, "\"time\":\"9999-12-31T23:59:59.123Z\""));
        strbuf_reset(&sb);

        ev = full_event;
        ev.path_len = PATH_MAX_BYTES + 1;
        long_path = malloc(ev.path_len);
        assert_non_null(long_path);
        memset(long_path, 'a', ev.path_len);
        long_path[0] = '/';
        ev.path = long_path;
        assert_int_equal(event_format(&ev, &sb), -EINVAL);
        assert_int_equal(sb.len, 0);
        ev.path_len = PATH_MAX_BYTES;           /* the longest path is fine */
        assert_int_equal(event_format(&ev, &sb), 0);
        strbuf_release(&sb);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_event_full_line),
                cmocka_unit_test(test_event_connect_with_rule),
                cmocka_unit_test(test_event_minimal_line),
                cmocka_unit_test(test_event_omission_rules),
                cmocka_unit_test(test_event_odd_path_roundtrip),
                cmocka_unit_test(test_event_comm_bounded),
                cmocka_unit_test(test_event_text_fields),
                cmocka_unit_test(test_event_appends),
                cmocka_unit_test(test_event_bad_input),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
