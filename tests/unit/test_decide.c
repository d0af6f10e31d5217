/* The decision from mode and policy: what each mode answers and reports. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "decide.h"
#include "util.h"

static struct policy *policy_of(const char *text)
{
        struct profile *p = NULL;
        struct policy *pol = NULL;

        assert_int_equal(profile_parse(text, strlen(text), NULL, NULL, &p), 0);
        assert_int_equal(policy_compile(p, &pol), 0);
        profile_free(p);
        return pol;
}

static void test_decide_modes(void **state)
{
        static const struct {
                enum profile_mode mode;
                const char *path;
                enum decide_action action;
                int error;
                const char *verdict;
                bool record;
        } cases[] = {
                { PROFILE_MODE_ENFORCE, "/usr/bin/ls", DECIDE_CONTINUE, 0, NULL, false },
                { PROFILE_MODE_ENFORCE, "/tmp/ls", DECIDE_REFUSE, EACCES, "deny", false },
                { PROFILE_MODE_MONITOR, "/usr/bin/ls", DECIDE_CONTINUE, 0, NULL, false },
                { PROFILE_MODE_MONITOR, "/tmp/ls", DECIDE_CONTINUE, 0, "alert", false },
                { PROFILE_MODE_LEARN, "/usr/bin/ls", DECIDE_CONTINUE, 0, NULL, true },
                { PROFILE_MODE_LEARN, "/tmp/ls", DECIDE_CONTINUE, 0, "learn", true },
        };
        struct policy *pol = policy_of("[exec]\nallow = /usr/bin/*\n");

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct decide_result d;

                decide_path(cases[i].mode, pol, PROFILE_EXEC, cases[i].path, EACCES, &d);
                assert_int_equal(d.action, cases[i].action);
                assert_int_equal(d.error, cases[i].error);
                if (cases[i].verdict)
                        assert_string_equal(d.verdict, cases[i].verdict);
                else
                        assert_null(d.verdict);
                assert_int_equal(d.record, cases[i].record);
                if (d.pv.allowed) {
                        assert_string_equal(d.pv.rule, "/usr/bin/*");
                        assert_int_equal(d.pv.line, 2);
                }
        }
        policy_free(pol);
}

static void test_decide_connect(void **state)
{
        struct policy *pol = policy_of("[connect]\nallow = tcp 127.0.0.1 8080\n");
        struct policy_endpoint ep = { .proto = NETRULE_TCP, .family = AF_INET, .port = 8080 };
        struct decide_result d;

        (void)state;
        inet_pton(AF_INET, "127.0.0.1", ep.addr);
        decide_connect(PROFILE_MODE_ENFORCE, pol, &ep, EPERM, &d);
        assert_int_equal(d.action, DECIDE_CONTINUE);
        ep.port = 8081;
        decide_connect(PROFILE_MODE_ENFORCE, pol, &ep, EPERM, &d);
        assert_int_equal(d.action, DECIDE_REFUSE);
        assert_int_equal(d.error, EPERM);
        assert_string_equal(d.verdict, "deny");
        policy_free(pol);
}

static void test_decide_unnamed_is_never_allowed(void **state)
{
        struct decide_result d;

        (void)state;
        decide_unnamed(PROFILE_MODE_ENFORCE, "no path", EPERM, &d);
        assert_int_equal(d.action, DECIDE_REFUSE);
        assert_string_equal(d.pv.reason, "no path");
        decide_unnamed(PROFILE_MODE_LEARN, "no path", EPERM, &d);
        assert_int_equal(d.action, DECIDE_CONTINUE);
        assert_false(d.record);         /* nothing a profile could hold */
        assert_string_equal(d.verdict, "learn");
        decide_unnamed(PROFILE_MODE_MONITOR, "no path", EPERM, &d);
        assert_string_equal(d.verdict, "alert");
}

static void test_decide_combine_refusal_wins(void **state)
{
        struct decide_result acc = { .action = DECIDE_CONTINUE };
        struct decide_result allow = { .action = DECIDE_CONTINUE };
        struct decide_result deny = { .action = DECIDE_REFUSE, .error = EPERM, .verdict = "deny" };

        (void)state;
        decide_combine(&acc, &allow);
        assert_int_equal(acc.action, DECIDE_CONTINUE);
        decide_combine(&acc, &deny);
        assert_int_equal(acc.action, DECIDE_REFUSE);
        decide_combine(&acc, &allow);
        assert_int_equal(acc.action, DECIDE_REFUSE);
        assert_int_equal(acc.error, EPERM);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decide_modes),
                cmocka_unit_test(test_decide_connect),
                cmocka_unit_test(test_decide_unnamed_is_never_allowed),
                cmocka_unit_test(test_decide_combine_refusal_wins),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
