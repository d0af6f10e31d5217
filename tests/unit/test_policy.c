#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"
#include "profile.h"
#include "util.h"

/* --- helpers ------------------------------------------------------------ */

static void print_diag(void *ctx, unsigned line, const char *msg)
{
        (void)ctx;
        print_error("profile:%u: %s\n", line, msg);
}

static struct profile *parse(const char *text)
{
        struct profile *p = NULL;

        assert_int_equal(profile_parse(text, strlen(text), print_diag, NULL, &p), 0);
        assert_non_null(p);
        return p;
}

static struct policy *compile_text(const char *text)
{
        struct profile *p = parse(text);
        struct policy *pol = NULL;

        assert_int_equal(policy_compile(p, &pol), 0);
        assert_non_null(pol);
        /* The policy keeps nothing of the profile: ASan sees any use. */
        profile_free(p);
        return pol;
}

/* Appends an entry straight to a profile's list, bypassing profile_add's
 * checks (to build huge or invalid profiles). */
static void list_push(struct profile *p, enum profile_class cls, const char *text,
                      unsigned line)
{
        struct profile_list *l = &p->lists[cls];

        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 16;
                struct profile_entry *v = realloc(l->v, cap * sizeof(*v));

                assert_non_null(v);
                l->v = v;
                l->cap = cap;
        }
        l->v[l->n].text = strdup(text);
        assert_non_null(l->v[l->n].text);
        l->v[l->n].line = line;
        l->n++;
}

struct expect {
        bool allowed;
        const char *rule;       /* NULL: no rule */
        unsigned line;
        const char *reason;
};

static void assert_verdict(const char *what, bool returned, const struct policy_verdict *v,
                           const struct expect *e)
{
        bool ok = returned == e->allowed && v->allowed == e->allowed &&
                  v->line == e->line && v->reason && strcmp(v->reason, e->reason) == 0 &&
                  (e->rule ? v->rule && strcmp(v->rule, e->rule) == 0 : v->rule == NULL);

        if (!ok) {
                print_error("%s: expected %s rule=%s line=%u reason=%s; "
                            "got %s (returned %s) rule=%s line=%u reason=%s\n", what,
                            e->allowed ? "allow" : "deny", e->rule ? e->rule : "(none)",
                            e->line, e->reason, v->allowed ? "allow" : "deny",
                            returned ? "true" : "false", v->rule ? v->rule : "(none)",
                            v->line, v->reason ? v->reason : "(null)");
                fail();
        }
}

#define ALLOW(rule, line) { true, rule, line, "rule" }
#define DENY { false, NULL, 0, "no matching rule" }
#define UNRESTRICTED { true, NULL, 0, "reads unrestricted" }

/* --- paths -------------------------------------------------------------- */

static const char profile_main[] =
        "[profile]\n"                           /* 1 */
        "image = example\n"                     /* 2 */
        "[exec]\n"                              /* 3 */
        "allow = /bin/*\n"                      /* 4 */
        "allow = /bin/ls\n"                     /* 5 */
        "allow = /usr/sbin/nginx\n"             /* 6 */
        "allow = /opt/app/**\n"                 /* 7 */
        "[write]\n"                             /* 8 */
        "allow = /tmp/*\n"                      /* 9 */
        "allow = /tmp/**\n"                     /* 10 */
        "allow = /var/log/app.log\n"            /* 11 */
        "allow = /data/%2A\n"                   /* 12 */
        "allow = /data/caf\xc3\xa9\n"           /* 13 */
        "[connect]\n"                           /* 14 */
        "allow = tcp 10.0.0.0/8 5432\n"         /* 15 */
        "allow = tcp 2001:db8::/32 443\n"       /* 16 */
        "allow = udp 192.168.1.53 *\n"          /* 17 */
        "allow = tcp 127.0.0.1 *\n"             /* 18 */
        "allow = unix /run/nscd/socket\n"       /* 19 */
        "allow = unix /run/app/*.sock\n"        /* 20 */
        "allow = unix @app-control\n"           /* 21 */
        "allow = unix @my%20name\n"             /* 22 */
        "allow = tcp ::1 8080\n";               /* 23 */

static const struct {
        enum profile_class cls;
        const char *path;
        struct expect e;
} path_cases[] = {
        /* An exact entry wins over a pattern listed before it. */
        { PROFILE_EXEC, "/bin/ls", ALLOW("/bin/ls", 5) },
        { PROFILE_EXEC, "/bin/cat", ALLOW("/bin/*", 4) },
        { PROFILE_EXEC, "/bin", DENY },
        { PROFILE_EXEC, "/bin/sub/ls", DENY },
        { PROFILE_EXEC, "/usr/sbin/nginx", ALLOW("/usr/sbin/nginx", 6) },
        { PROFILE_EXEC, "/usr/sbin/nginx2", DENY },
        { PROFILE_EXEC, "/usr/sbin", DENY },
        { PROFILE_EXEC, "/opt/app", ALLOW("/opt/app/**", 7) },
        { PROFILE_EXEC, "/opt/app/bin/run", ALLOW("/opt/app/**", 7) },
        { PROFILE_EXEC, "/opt/application", DENY },
        /* Patterns are tried in profile order: the first match is reported. */
        { PROFILE_WRITE, "/tmp/a", ALLOW("/tmp/*", 9) },
        { PROFILE_WRITE, "/tmp/a/b", ALLOW("/tmp/**", 10) },
        { PROFILE_WRITE, "/tmp", ALLOW("/tmp/**", 10) },
        { PROFILE_WRITE, "/var/log/app.log", ALLOW("/var/log/app.log", 11) },
        { PROFILE_WRITE, "/var/log/app.log.1", DENY },
        /* "%2A" is a literal '*': an exact entry, not a wildcard. */
        { PROFILE_WRITE, "/data/*", ALLOW("/data/%2A", 12) },
        { PROFILE_WRITE, "/data/x", DENY },
        { PROFILE_WRITE, "/data/caf\xc3\xa9", ALLOW("/data/caf\xc3\xa9", 13) },
        { PROFILE_WRITE, "/data/caf\xe9", DENY },
        /* Classes are separate. */
        { PROFILE_WRITE, "/bin/ls", DENY },
        { PROFILE_EXEC, "/tmp/a", DENY },
        /* No [read] section: every read is allowed, whatever the path. */
        { PROFILE_READ, "/etc/shadow", UNRESTRICTED },
        { PROFILE_READ, "relative", UNRESTRICTED },
        /* Paths the policy cannot decide on are denied. */
        { PROFILE_EXEC, "bin/ls", DENY },
        { PROFILE_EXEC, "", DENY },
        { PROFILE_CONNECT, "/bin/ls", DENY },
};

static void test_policy_path_cases(void **state)
{
        struct policy *pol = compile_text(profile_main);

        (void)state;
        assert_false(policy_restricts_reads(pol));
        for (size_t i = 0; i < ARRAY_SIZE(path_cases); i++) {
                struct policy_verdict v;
                char what[128];
                bool r;

                memset(&v, 0xa5, sizeof(v));
                r = policy_check_path(pol, path_cases[i].cls, path_cases[i].path, &v);
                snprintf(what, sizeof(what), "case %zu (%s %s)", i,
                         profile_class_name(path_cases[i].cls), path_cases[i].path);
                assert_verdict(what, r, &v, &path_cases[i].e);
        }
        policy_free(pol);
}

static void test_policy_path_too_long_denied(void **state)
{
        struct policy *pol = compile_text("[write]\nallow = /tmp/**\n");
        const struct expect deny = DENY;
        struct policy_verdict v;
        char *path = malloc(8192);

        (void)state;
        assert_non_null(path);
        memset(path, 'a', 8191);
        memcpy(path, "/tmp/", 5);
        path[8191] = '\0';
        assert_verdict("8191-byte path", policy_check_path(pol, PROFILE_WRITE, path, &v),
                       &v, &deny);
        path[4095] = '\0';      /* 4095 bytes: the longest a kernel hands us */
        assert_true(policy_check_path(pol, PROFILE_WRITE, path, &v));
        free(path);
        policy_free(pol);
}

static void test_policy_empty_read_section_restricts(void **state)
{
        struct policy *pol = compile_text("[exec]\nallow = /bin/sh\n[read]\n");
        const struct expect deny = DENY, sh = ALLOW("/bin/sh", 2);
        struct policy_verdict v;

        (void)state;
        assert_true(policy_restricts_reads(pol));
        assert_verdict("read /etc/passwd", policy_check_path(pol, PROFILE_READ, "/etc/passwd", &v),
                       &v, &deny);
        assert_verdict("read /bin/sh", policy_check_path(pol, PROFILE_READ, "/bin/sh", &v),
                       &v, &deny);
        assert_verdict("exec /bin/sh", policy_check_path(pol, PROFILE_EXEC, "/bin/sh", &v),
                       &v, &sh);
        assert_verdict("write /tmp/x", policy_check_path(pol, PROFILE_WRITE, "/tmp/x", &v),
                       &v, &deny);
        policy_free(pol);
}

static void test_policy_read_rules(void **state)
{
        struct policy *pol = compile_text("[read]\nallow = /etc/**\nallow = /srv/index.html\n");
        const struct expect deny = DENY, etc = ALLOW("/etc/**", 2),
                            idx = ALLOW("/srv/index.html", 3);
        struct policy_verdict v;

        (void)state;
        assert_true(policy_restricts_reads(pol));
        assert_verdict("read /etc/passwd", policy_check_path(pol, PROFILE_READ, "/etc/passwd", &v),
                       &v, &etc);
        assert_verdict("read /srv/index.html",
                       policy_check_path(pol, PROFILE_READ, "/srv/index.html", &v), &v, &idx);
        assert_verdict("read /root/.ssh/id_rsa",
                       policy_check_path(pol, PROFILE_READ, "/root/.ssh/id_rsa", &v), &v, &deny);
        policy_free(pol);
}

static void test_policy_empty_profile_denies(void **state)
{
        struct profile *p = profile_new();
        struct policy *pol = NULL;
        const struct expect deny = DENY, unrestricted = UNRESTRICTED;
        struct policy_endpoint ep = { .proto = NETRULE_TCP, .family = AF_INET, .port = 80 };
        struct policy_verdict v;

        (void)state;
        assert_non_null(p);
        assert_int_equal(policy_compile(p, &pol), 0);
        profile_free(p);
        assert_verdict("exec", policy_check_path(pol, PROFILE_EXEC, "/bin/sh", &v), &v, &deny);
        assert_verdict("write", policy_check_path(pol, PROFILE_WRITE, "/tmp/x", &v), &v, &deny);
        assert_verdict("read", policy_check_path(pol, PROFILE_READ, "/etc/x", &v), &v,
                       &unrestricted);
        assert_verdict("connect", policy_check_connect(pol, &ep, &v), &v, &deny);
        assert_null(policy_free(pol));
        assert_null(policy_free(NULL));
}

/* --- connect ------------------------------------------------------------ */

static const struct {
        enum netrule_proto proto;
        const char *addr;
        uint16_t port;
        struct expect e;
} ip_cases[] = {
        { NETRULE_TCP, "10.1.2.3", 5432, ALLOW("tcp 10.0.0.0/8 5432", 15) },
        { NETRULE_TCP, "10.255.255.255", 5432, ALLOW("tcp 10.0.0.0/8 5432", 15) },
        { NETRULE_TCP, "11.0.0.1", 5432, DENY },
        { NETRULE_TCP, "9.255.255.255", 5432, DENY },
        { NETRULE_TCP, "10.1.2.3", 5433, DENY },
        { NETRULE_UDP, "10.1.2.3", 5432, DENY },
        /* IPv4-mapped IPv6 is matched as IPv4. */
        { NETRULE_TCP, "::ffff:10.1.2.3", 5432, ALLOW("tcp 10.0.0.0/8 5432", 15) },
        { NETRULE_TCP, "::ffff:11.1.2.3", 5432, DENY },
        { NETRULE_TCP, "::10.1.2.3", 5432, DENY },     /* IPv4-compatible: not mapped */
        { NETRULE_TCP, "2001:db8::5", 443, ALLOW("tcp 2001:db8::/32 443", 16) },
        { NETRULE_TCP, "2001:db8:ffff:ffff::1", 443, ALLOW("tcp 2001:db8::/32 443", 16) },
        { NETRULE_TCP, "2001:db9::1", 443, DENY },
        { NETRULE_TCP, "2001:db8::1", 80, DENY },
        /* Port "*" matches every port, of its own protocol only. */
        { NETRULE_UDP, "192.168.1.53", 53, ALLOW("udp 192.168.1.53 *", 17) },
        { NETRULE_UDP, "192.168.1.53", 0, ALLOW("udp 192.168.1.53 *", 17) },
        { NETRULE_UDP, "192.168.1.53", 65535, ALLOW("udp 192.168.1.53 *", 17) },
        { NETRULE_UDP, "::ffff:192.168.1.53", 53, ALLOW("udp 192.168.1.53 *", 17) },
        { NETRULE_TCP, "192.168.1.53", 53, DENY },
        { NETRULE_UDP, "192.168.1.54", 53, DENY },
        { NETRULE_TCP, "127.0.0.1", 8080, ALLOW("tcp 127.0.0.1 *", 18) },
        { NETRULE_TCP, "::ffff:127.0.0.1", 8080, ALLOW("tcp 127.0.0.1 *", 18) },
        { NETRULE_TCP, "::1", 8080, ALLOW("tcp ::1 8080", 23) },
        { NETRULE_TCP, "::1", 8081, DENY },
        { NETRULE_TCP, "::2", 8080, DENY },
};

static void test_policy_connect_ip_cases(void **state)
{
        struct policy *pol = compile_text(profile_main);

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(ip_cases); i++) {
                struct policy_endpoint ep = { .proto = ip_cases[i].proto };
                struct policy_verdict v;
                char what[128];
                bool r;

                ep.family = strchr(ip_cases[i].addr, ':') ? AF_INET6 : AF_INET;
                assert_int_equal(inet_pton(ep.family, ip_cases[i].addr, ep.addr), 1);
                ep.port = ip_cases[i].port;
                memset(&v, 0xa5, sizeof(v));
                r = policy_check_connect(pol, &ep, &v);
                snprintf(what, sizeof(what), "case %zu (%s %s %u)", i,
                         ip_cases[i].proto == NETRULE_TCP ? "tcp" : "udp",
                         ip_cases[i].addr, ip_cases[i].port);
                assert_verdict(what, r, &v, &ip_cases[i].e);
        }
        policy_free(pol);
}

static void test_policy_connect_bad_family_denied(void **state)
{
        struct policy *pol = compile_text("[connect]\nallow = tcp 0.0.0.0/0 *\n");
        struct policy_endpoint ep = { .proto = NETRULE_TCP, .family = AF_UNIX, .port = 1 };
        const struct expect deny = DENY, any = ALLOW("tcp 0.0.0.0/0 *", 2);
        struct policy_verdict v;

        (void)state;
        assert_verdict("AF_UNIX as tcp", policy_check_connect(pol, &ep, &v), &v, &deny);
        ep.family = AF_INET;
        assert_verdict("AF_INET", policy_check_connect(pol, &ep, &v), &v, &any);
        ep.proto = (enum netrule_proto)77;
        assert_verdict("bad proto", policy_check_connect(pol, &ep, &v), &v, &deny);
        policy_free(pol);
}

static const struct {
        const char *path;
        size_t len;             /* 0: strlen(path) */
        bool abstract;
        struct expect e;
} unix_cases[] = {
        { "/run/nscd/socket", 0, false, ALLOW("unix /run/nscd/socket", 19) },
        { "/run/nscd/socket2", 0, false, DENY },
        { "/run/app/ctl.sock", 0, false, ALLOW("unix /run/app/*.sock", 20) },
        { "/run/app/.sock", 0, false, ALLOW("unix /run/app/*.sock", 20) },
        { "/run/app/sub/ctl.sock", 0, false, DENY },
        /* The bytes are counted, not NUL-terminated. */
        { "/run/nscd/socketXYZ", 16, false, ALLOW("unix /run/nscd/socket", 19) },
        { "/run/nscd/socket\0x", 18, false, DENY },
        { "run/nscd/socket", 0, false, DENY },
        { "", 0, false, DENY },
        /* Abstract names match exactly, decoded from the profile encoding. */
        { "app-control", 0, true, ALLOW("unix @app-control", 21) },
        { "app-control2", 0, true, DENY },
        { "app-contro", 0, true, DENY },
        { "app-controlXX", 11, true, ALLOW("unix @app-control", 21) },
        { "my name", 0, true, ALLOW("unix @my%20name", 22) },
        { "my%20name", 0, true, DENY },
        { "", 0, true, DENY },
        /* A path rule does not allow an abstract name, nor the reverse. */
        { "/run/nscd/socket", 0, true, DENY },
        { "app-control", 0, false, DENY },
};

static void test_policy_connect_unix_cases(void **state)
{
        struct policy *pol = compile_text(profile_main);

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(unix_cases); i++) {
                struct policy_endpoint ep = { .proto = NETRULE_UNIX, .family = AF_UNIX };
                struct policy_verdict v;
                char what[128];
                bool r;

                ep.path = unix_cases[i].path;
                ep.path_len = unix_cases[i].len ? unix_cases[i].len : strlen(unix_cases[i].path);
                ep.abstract = unix_cases[i].abstract;
                memset(&v, 0xa5, sizeof(v));
                r = policy_check_connect(pol, &ep, &v);
                snprintf(what, sizeof(what), "case %zu (%s%s)", i,
                         unix_cases[i].abstract ? "@" : "", unix_cases[i].path);
                assert_verdict(what, r, &v, &unix_cases[i].e);
        }
        policy_free(pol);
}

static void test_policy_connect_abstract_with_nul(void **state)
{
        struct policy *pol = compile_text("[connect]\nallow = unix @a%00b\n");
        struct policy_endpoint ep = { .proto = NETRULE_UNIX, .family = AF_UNIX,
                                      .path = "a\0b", .path_len = 3, .abstract = true };
        const struct expect ok = ALLOW("unix @a%00b", 2), deny = DENY;
        struct policy_verdict v;

        (void)state;
        assert_verdict("@a\\0b", policy_check_connect(pol, &ep, &v), &v, &ok);
        ep.path_len = 1;
        assert_verdict("@a", policy_check_connect(pol, &ep, &v), &v, &deny);
        policy_free(pol);
}

/* --- compile errors ----------------------------------------------------- */

static void test_policy_compile_rejects_bad_entries(void **state)
{
        static const struct {
                enum profile_class cls;
                const char *text;
        } bad[] = {
                { PROFILE_EXEC, "bin/ls" },
                { PROFILE_WRITE, "/tmp/a**" },
                { PROFILE_READ, "/etc/%zz" },
                { PROFILE_CONNECT, "sctp 10.0.0.1 1" },
                { PROFILE_CONNECT, "tcp 10.0.0.1/33 1" },
                { PROFILE_CONNECT, "tcp 10.0.0.1 65536" },
                { PROFILE_CONNECT, "unix relative" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct profile *p = profile_new();
                struct policy *pol = NULL;
                int r;

                assert_non_null(p);
                list_push(p, PROFILE_EXEC, "/bin/sh", 1);
                list_push(p, bad[i].cls, bad[i].text, 2);
                r = policy_compile(p, &pol);
                if (r != -EINVAL)
                        print_error("%s entry \"%s\": policy_compile returned %d\n",
                                    profile_class_name(bad[i].cls), bad[i].text, r);
                assert_int_equal(r, -EINVAL);
                assert_null(pol);
                profile_free(p);
        }
}

static void test_policy_noncanonical_entry_decides_like_its_text(void **state)
{
        struct profile *p = profile_new();
        struct policy *pol = NULL;
        const struct expect ls = ALLOW("/bin/ls", 3), tmp = ALLOW("/tmp/*", 4);
        struct policy_verdict v;

        (void)state;
        assert_non_null(p);
        list_push(p, PROFILE_EXEC, "/bin//./ls", 3);
        list_push(p, PROFILE_WRITE, "/tmp/x/../*", 4);
        assert_int_equal(policy_compile(p, &pol), 0);
        profile_free(p);
        assert_verdict("exec /bin/ls", policy_check_path(pol, PROFILE_EXEC, "/bin/ls", &v),
                       &v, &ls);
        assert_verdict("write /tmp/y", policy_check_path(pol, PROFILE_WRITE, "/tmp/y", &v),
                       &v, &tmp);
        policy_free(pol);
}

/* --- scale -------------------------------------------------------------- */

#define MANY 100000

static void test_policy_100k_exact_entries(void **state)
{
        struct profile *p = profile_new();
        struct policy *pol = NULL;
        struct policy_verdict v;
        char path[64], rule[64];

        (void)state;
        assert_non_null(p);
        list_push(p, PROFILE_EXEC, "/srv/data/special.tmp", 1);
        for (unsigned i = 0; i < MANY; i++) {
                snprintf(path, sizeof(path), "/srv/data/f%06u", i);
                list_push(p, PROFILE_EXEC, path, i + 10);
        }
        list_push(p, PROFILE_EXEC, "/srv/data/*.tmp", MANY + 10);
        list_push(p, PROFILE_EXEC, "/srv/bin/**", MANY + 11);
        list_push(p, PROFILE_EXEC, "/usr/lib/*/lib?.so", MANY + 12);
        assert_int_equal(policy_compile(p, &pol), 0);
        profile_free(p);

        for (unsigned i = 0; i < MANY; i++) {
                struct expect e = { true, rule, i + 10, "rule" };

                snprintf(path, sizeof(path), "/srv/data/f%06u", i);
                snprintf(rule, sizeof(rule), "/srv/data/f%06u", i);
                assert_verdict(path, policy_check_path(pol, PROFILE_EXEC, path, &v), &v, &e);
        }
        static const struct {
                const char *path;
                struct expect e;
        } cases[] = {
                { "/srv/data/special.tmp", ALLOW("/srv/data/special.tmp", 1) },
                { "/srv/data/f000001.tmp", ALLOW("/srv/data/*.tmp", MANY + 10) },
                { "/srv/data/f100000", DENY },
                { "/srv/data/f00000", DENY },
                { "/srv/data/f0000000", DENY },
                { "/srv/bin", ALLOW("/srv/bin/**", MANY + 11) },
                { "/srv/bin/a/b/c", ALLOW("/srv/bin/**", MANY + 11) },
                { "/usr/lib/x86/libc.so", ALLOW("/usr/lib/*/lib?.so", MANY + 12) },
                { "/usr/lib/x86/libcc.so", DENY },
                { "/srv/data", DENY },
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                assert_verdict(cases[i].path,
                               policy_check_path(pol, PROFILE_EXEC, cases[i].path, &v), &v,
                               &cases[i].e);
        /* Other classes are unaffected by the size of [exec]. */
        {
                const struct expect deny = DENY;

                assert_verdict("write", policy_check_path(pol, PROFILE_WRITE,
                                                          "/srv/data/f000001", &v), &v, &deny);
        }
        policy_free(pol);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_policy_path_cases),
                cmocka_unit_test(test_policy_path_too_long_denied),
                cmocka_unit_test(test_policy_empty_read_section_restricts),
                cmocka_unit_test(test_policy_read_rules),
                cmocka_unit_test(test_policy_empty_profile_denies),
                cmocka_unit_test(test_policy_connect_ip_cases),
                cmocka_unit_test(test_policy_connect_bad_family_denied),
                cmocka_unit_test(test_policy_connect_unix_cases),
                cmocka_unit_test(test_policy_connect_abstract_with_nul),
                cmocka_unit_test(test_policy_compile_rejects_bad_entries),
                cmocka_unit_test(test_policy_noncanonical_entry_decides_like_its_text),
                cmocka_unit_test(test_policy_100k_exact_entries),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
