#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "netrule.h"
#include "util.h"

/* Parses text and returns its canonical form in a static buffer, or NULL
 * (with *error set) if it was refused. */
static const char *canon(const char *text, const char **error)
{
        static char buf[512];
        struct strbuf out = STRBUF_INIT;
        struct netrule rule;
        int r;

        *error = NULL;
        r = netrule_parse(text, &rule, error);
        if (r < 0) {
                assert_int_equal(r, -EINVAL);
                assert_non_null(*error);
                return NULL;
        }
        assert_int_equal(netrule_format(&rule, &out), 0);
        netrule_release(&rule);
        assert_true(out.len < sizeof(buf));
        memcpy(buf, out.data, out.len + 1);
        strbuf_release(&out);
        return buf;
}

static void test_netrule_canonical(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "tcp 10.0.0.0/8 5432", "tcp 10.0.0.0/8 5432" },
                { "tcp 10.1.2.3/8 5432", "tcp 10.0.0.0/8 5432" },
                { "udp 192.168.1.77/24 53", "udp 192.168.1.0/24 53" },
                { "tcp 1.2.3.4/32 80", "tcp 1.2.3.4 80" },
                { "tcp 1.2.3.4 80", "tcp 1.2.3.4 80" },
                { "tcp 255.255.255.255/0 *", "tcp 0.0.0.0/0 *" },
                { "tcp 1.2.3.4/31 1", "tcp 1.2.3.4/31 1" },
                { "tcp 1.2.3.5/31 1", "tcp 1.2.3.4/31 1" },
                { "tcp 129.0.0.1/1 1", "tcp 128.0.0.0/1 1" },
                { "tcp 10.0.0.1/23 1", "tcp 10.0.0.0/23 1" },
                { "tcp 10.0.1.1/23 1", "tcp 10.0.0.0/23 1" },
                { "tcp 1.2.3.4 0", "tcp 1.2.3.4 0" },
                { "tcp 1.2.3.4 65535", "tcp 1.2.3.4 65535" },
                { "tcp 1.2.3.4 0080", "tcp 1.2.3.4 80" },
                { "tcp 1.2.3.4/08 80", "tcp 1.0.0.0/8 80" },
                { "  tcp\t\t1.2.3.4   80  ", "tcp 1.2.3.4 80" },
                { "tcp ::1 443", "tcp ::1 443" },
                { "tcp ::1/128 443", "tcp ::1 443" },
                { "tcp 2001:DB8:0:0:0:0:0:1/32 *", "tcp 2001:db8::/32 *" },
                { "udp 2001:db8::ffff/127 5", "udp 2001:db8::fffe/127 5" },
                { "tcp fe80::1/10 *", "tcp fe80::/10 *" },
                { "tcp ::/0 *", "tcp ::/0 *" },
                { "tcp ffff::1/0 22", "tcp ::/0 22" },
                { "tcp ::ffff:1.2.3.4/95 1", "tcp ::fffe:0:0/95 1" },
                /* Never the dotted IPv4-compatible form glibc would print. */
                { "tcp ::10.0.0.1 5432", "tcp ::a00:1 5432" },
                { "tcp ::a00:1 5432", "tcp ::a00:1 5432" },
                { "tcp 1:0:0:2:0:0:0:3 1", "tcp 1:0:0:2::3 1" },
                { "tcp 1:0:0:2:0:0:3:4 1", "tcp 1::2:0:0:3:4 1" },
                { "tcp 1:0:2:3:4:5:6:7 1", "tcp 1:0:2:3:4:5:6:7 1" },
                { "tcp 1:: 1", "tcp 1:: 1" },
                { "unix /run/nscd/socket", "unix /run/nscd/socket" },
                { "unix /run//x/./y", "unix /run/x/y" },
                { "unix /run/*.sock", "unix /run/*.sock" },
                { "unix /run/**", "unix /run/**" },
                { "unix /run/a%20b", "unix /run/a%20b" },
                { "unix /run/%61", "unix /run/a" },
                { "unix @/tmp/.X11-unix/X0", "unix @/tmp/.X11-unix/X0" },
                { "unix @name%00x", "unix @name%00x" },
                { "unix @a*b", "unix @a%2Ab" },
                { "unix @%61%2a", "unix @a%2A" },
                { "unix\t@dbus", "unix @dbus" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                const char *error, *got = canon(cases[i].in, &error);

                if (!got)
                        fail_msg("'%s' refused: %s", cases[i].in, error);
                assert_string_equal(got, cases[i].out);
                /* Canonical text is a fixed point. */
                got = canon(cases[i].out, &error);
                assert_non_null(got);
                assert_string_equal(got, cases[i].out);
        }
}

static void test_netrule_errors(void **state)
{
        static const struct {
                const char *in, *error;
        } cases[] = {
                { "", "empty rule" },
                { "   ", "empty rule" },
                { "sctp 1.2.3.4 80", "unknown protocol" },
                { "TCP 1.2.3.4 80", "unknown protocol" },
                { "tcp", "missing field" },
                { "tcp 1.2.3.4", "missing field" },
                { "tcp 1.2.3.4 80 90", "extra field" },
                { "tcp 1.2.3 80", "bad IPv4 or IPv6 address" },
                { "tcp 1.2.3.256 80", "bad IPv4 or IPv6 address" },
                { "tcp 01.2.3.4 80", "bad IPv4 or IPv6 address" },
                { "tcp 0x1.2.3.4 80", "bad IPv4 or IPv6 address" },
                { "tcp example.com 80", "bad IPv4 or IPv6 address" },
                { "tcp fe80::1%eth0 80", "bad IPv4 or IPv6 address" },
                { "tcp /8 80", "bad IPv4 or IPv6 address" },
                { "tcp 1111111111111111111111111111111111111111111111111111111111111111111 1",
                  "bad IPv4 or IPv6 address" },
                { "tcp 1.2.3.4/33 80", "prefix out of range" },
                { "tcp ::/129 80", "prefix out of range" },
                { "tcp 1.2.3.4/99999999999999999999 80", "prefix out of range" },
                { "tcp 1.2.3.4/ 80", "bad prefix" },
                { "tcp 1.2.3.4/-1 80", "bad prefix" },
                { "tcp 1.2.3.4/+8 80", "bad prefix" },
                { "tcp 1.2.3.4/8/8 80", "bad prefix" },
                { "tcp 1.2.3.4 65536", "bad port" },
                { "tcp 1.2.3.4 99999999999999999999", "bad port" },
                { "tcp 1.2.3.4 -1", "bad port" },
                { "tcp 1.2.3.4 +80", "bad port" },
                { "tcp 1.2.3.4 0x50", "bad port" },
                { "tcp 1.2.3.4 80x", "bad port" },
                { "tcp 1.2.3.4 **", "bad port" },
                { "tcp 1.2.3.4 http", "bad port" },
                { "tcp ::ffff:1.2.3.4 80", "IPv4-mapped" },
                { "tcp ::ffff:0:0/96 80", "IPv4-mapped" },
                { "unix", "missing field" },
                { "unix /a /b", "extra field" },
                { "unix relative/path", "absolute" },
                { "unix /a/%zz", "escape" },
                { "unix /a/%00", "%00" },
                { "unix @", "empty abstract socket name" },
                { "unix @%4", "malformed escape" },
                { "unix @%", "malformed escape" },
                { "unix @%g0", "malformed escape" },
                { "unix @aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                  "too long" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                const char *error, *got = canon(cases[i].in, &error);

                if (got)
                        fail_msg("'%s' accepted as '%s'", cases[i].in, got);
                if (!strstr(error, cases[i].error))
                        fail_msg("'%s': error '%s', expected '%s'", cases[i].in, error,
                                 cases[i].error);
        }
}

static void test_netrule_fields(void **state)
{
        struct netrule rule;
        const char *error;
        const uint8_t want4[4] = { 10, 0, 0, 0 };

        (void)state;
        assert_int_equal(netrule_parse("udp 10.9.8.7/8 *", &rule, &error), 0);
        assert_int_equal(rule.proto, NETRULE_UDP);
        assert_int_equal(rule.family, AF_INET);
        assert_memory_equal(rule.addr, want4, 4);
        assert_int_equal(rule.prefix, 8);
        assert_int_equal(rule.port, NETRULE_ANY_PORT);
        assert_null(rule.unix_text);
        netrule_release(&rule);

        assert_int_equal(netrule_parse("unix @x", &rule, &error), 0);
        assert_int_equal(rule.proto, NETRULE_UNIX);
        assert_true(rule.abstract);
        assert_string_equal(rule.unix_text, "x");
        netrule_release(&rule);
        assert_null(rule.unix_text);
        netrule_release(&rule);         /* twice is harmless */

        assert_int_equal(netrule_parse("unix /x", &rule, NULL), 0);
        assert_false(rule.abstract);
        assert_string_equal(rule.unix_text, "/x");
        netrule_release(&rule);
        assert_int_equal(netrule_parse("bogus", &rule, NULL), -EINVAL);
}

static bool match(const char *rule_text, enum netrule_proto proto, const char *addr, uint16_t port)
{
        struct netrule rule;
        uint8_t a[16] = { 0 };
        int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
        bool m;

        assert_int_equal(netrule_parse(rule_text, &rule, NULL), 0);
        assert_int_equal(inet_pton(family, addr, a), 1);
        m = netrule_match_ip(&rule, proto, family, a, port);
        netrule_release(&rule);
        return m;
}

static void test_netrule_match(void **state)
{
        static const struct {
                const char *rule;
                enum netrule_proto proto;
                const char *addr;
                uint16_t port;
                bool match;
        } cases[] = {
                /* /0 */
                { "tcp 0.0.0.0/0 *", NETRULE_TCP, "255.255.255.255", 1, true },
                { "tcp 0.0.0.0/0 *", NETRULE_TCP, "0.0.0.0", 0, true },
                { "tcp ::/0 *", NETRULE_TCP, "ffff::1", 9, true },
                /* /1 */
                { "tcp 128.0.0.0/1 *", NETRULE_TCP, "128.0.0.0", 1, true },
                { "tcp 128.0.0.0/1 *", NETRULE_TCP, "255.255.255.255", 1, true },
                { "tcp 128.0.0.0/1 *", NETRULE_TCP, "127.255.255.255", 1, false },
                { "tcp 8000::/1 *", NETRULE_TCP, "8000::", 1, true },
                { "tcp 8000::/1 *", NETRULE_TCP, "7fff:ffff::", 1, false },
                /* /8 and a non-byte prefix */
                { "tcp 10.0.0.0/8 5432", NETRULE_TCP, "10.255.0.1", 5432, true },
                { "tcp 10.0.0.0/8 5432", NETRULE_TCP, "11.0.0.1", 5432, false },
                { "tcp 10.0.0.0/23 *", NETRULE_TCP, "10.0.1.255", 1, true },
                { "tcp 10.0.0.0/23 *", NETRULE_TCP, "10.0.2.0", 1, false },
                /* /31 and /32 */
                { "tcp 1.2.3.4/31 *", NETRULE_TCP, "1.2.3.4", 1, true },
                { "tcp 1.2.3.4/31 *", NETRULE_TCP, "1.2.3.5", 1, true },
                { "tcp 1.2.3.4/31 *", NETRULE_TCP, "1.2.3.6", 1, false },
                { "tcp 1.2.3.4/31 *", NETRULE_TCP, "1.2.3.3", 1, false },
                { "tcp 1.2.3.4 *", NETRULE_TCP, "1.2.3.4", 1, true },
                { "tcp 1.2.3.4 *", NETRULE_TCP, "1.2.3.5", 1, false },
                { "tcp 1.2.3.4 *", NETRULE_TCP, "129.2.3.4", 1, false },
                /* /127 and /128 */
                { "tcp 2001:db8::/127 *", NETRULE_TCP, "2001:db8::1", 1, true },
                { "tcp 2001:db8::/127 *", NETRULE_TCP, "2001:db8::2", 1, false },
                { "tcp 2001:db8::1 *", NETRULE_TCP, "2001:db8::1", 1, true },
                { "tcp 2001:db8::1 *", NETRULE_TCP, "2001:db8::", 1, false },
                { "tcp 2001:db8::1 *", NETRULE_TCP, "a001:db8::1", 1, false },
                /* ports */
                { "tcp 1.2.3.4 80", NETRULE_TCP, "1.2.3.4", 80, true },
                { "tcp 1.2.3.4 80", NETRULE_TCP, "1.2.3.4", 81, false },
                { "tcp 1.2.3.4 0", NETRULE_TCP, "1.2.3.4", 0, true },
                { "tcp 1.2.3.4 65535", NETRULE_TCP, "1.2.3.4", 65535, true },
                { "tcp 1.2.3.4 *", NETRULE_TCP, "1.2.3.4", 65535, true },
                /* protocol and family */
                { "tcp 1.2.3.4 80", NETRULE_UDP, "1.2.3.4", 80, false },
                { "udp 1.2.3.4 53", NETRULE_UDP, "1.2.3.4", 53, true },
                { "udp 1.2.3.4 53", NETRULE_TCP, "1.2.3.4", 53, false },
                { "tcp 0.0.0.0/0 *", NETRULE_TCP, "::", 1, false },
                { "tcp ::/0 *", NETRULE_TCP, "1.2.3.4", 1, false },
                { "unix /x", NETRULE_UNIX, "1.2.3.4", 1, false },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                if (match(cases[i].rule, cases[i].proto, cases[i].addr, cases[i].port) !=
                    cases[i].match)
                        fail_msg("rule '%s' vs %s port %u: expected %s", cases[i].rule,
                                 cases[i].addr, cases[i].port,
                                 cases[i].match ? "match" : "no match");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_netrule_canonical),
                cmocka_unit_test(test_netrule_errors),
                cmocka_unit_test(test_netrule_fields),
                cmocka_unit_test(test_netrule_match),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
