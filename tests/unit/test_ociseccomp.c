#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filter.h"
#include "notify.h"
#include "ociseccomp.h"
#include "unixsock.h"
#include "util.h"

/* Installed with podman (containers-common); the merge is tested on it when
 * it is there. */
#define CONTAINERS_DEFAULT "/usr/share/containers/seccomp.json"
/* Only reached when a test fails (a call expected to be notified was not). */
#define TIMEOUT_MS 10000

/* A runtime deadlocks when any of these is notified (filter.h). */
static const char *const never_notified[] = { "write", "read", "sendmsg", "fcntl", "close" };

static const uint64_t NO_ARGS[6];

/* ---- helpers -------------------------------------------------------------- */

static struct ociseccomp_options opts_for(bool reads)
{
        return (struct ociseccomp_options) {
                .spec = { .mode = FILTER_ENFORCE, .notify_reads = reads },
                .listener_path = OCISECCOMP_DEFAULT_LISTENER,
        };
}

static json_t *parse(const char *text)
{
        json_error_t jerr;
        json_t *v = json_loads(text, 0, &jerr);

        if (!v)
                fail_msg("test JSON: %s at %d:%d", jerr.text, jerr.line, jerr.column);
        return v;
}

static json_t *build_ok(const struct ociseccomp_options *o, const json_t *base)
{
        char err[OCISECCOMP_ERROR_MAX] = "";
        json_t *out = NULL;
        int r = ociseccomp_build(o, base, &out, err, sizeof(err));

        if (r != 0)
                fail_msg("ociseccomp_build: %d (%s)", r, err);
        assert_non_null(out);
        return out;
}

static json_t *load_containers_default(void)
{
        json_error_t jerr;
        json_t *v;

        if (access(CONTAINERS_DEFAULT, R_OK) != 0)
                return NULL;
        v = json_load_file(CONTAINERS_DEFAULT, 0, &jerr);
        if (!v)
                fail_msg("%s: %s", CONTAINERS_DEFAULT, jerr.text);
        return v;
}

static bool rule_names(json_t *rule, const char *name)
{
        json_t *names = json_object_get(rule, "names"), *n;
        json_t *single = json_object_get(rule, "name");
        size_t i;

        if (json_is_string(single) && strcmp(json_string_value(single), name) == 0)
                return true;
        json_array_foreach(names, i, n)
                if (strcmp(json_string_value(n), name) == 0)
                        return true;
        return false;
}

static const char *rule_action(json_t *rule)
{
        return json_string_value(json_object_get(rule, "action"));
}

static bool rule_has_args(json_t *rule)
{
        return json_array_size(json_object_get(rule, "args")) > 0;
}

/* Whether podman would put a containers-common rule into config.json for a
 * container without extra capabilities on amd64. */
static bool podman_applies(json_t *rule)
{
        json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
        json_t *arches, *v;
        size_t i;
        bool amd64 = false;

        if (json_array_size(json_object_get(inc, "caps")) > 0)
                return false;
        arches = json_object_get(inc, "arches");
        json_array_foreach(arches, i, v)
                amd64 = amd64 || strcmp(json_string_value(v), "amd64") == 0;
        if (json_array_size(arches) > 0 && !amd64)
                return false;
        json_array_foreach(json_object_get(exc, "arches"), i, v)
                if (strcmp(json_string_value(v), "amd64") == 0)
                        return false;
        return true;
}

static bool cond_holds(json_t *arg, const uint64_t args[6])
{
        json_int_t index = json_integer_value(json_object_get(arg, "index"));
        uint64_t value = (uint64_t)json_integer_value(json_object_get(arg, "value"));
        uint64_t two = (uint64_t)json_integer_value(json_object_get(arg, "valueTwo"));
        const char *op = json_string_value(json_object_get(arg, "op"));
        uint64_t a;

        assert_true(index >= 0 && index < 6);
        assert_non_null(op);
        a = args[index];
        if (strcmp(op, "SCMP_CMP_MASKED_EQ") == 0)
                return (a & value) == two;
        if (strcmp(op, "SCMP_CMP_EQ") == 0)
                return a == value;
        if (strcmp(op, "SCMP_CMP_NE") == 0)
                return a != value;
        if (strcmp(op, "SCMP_CMP_LT") == 0)
                return a < value;
        if (strcmp(op, "SCMP_CMP_LE") == 0)
                return a <= value;
        if (strcmp(op, "SCMP_CMP_GT") == 0)
                return a > value;
        if (strcmp(op, "SCMP_CMP_GE") == 0)
                return a >= value;
        fail_msg("unknown op %s", op);
        return false;
}

/* What the profile does with one call: the action of the rules naming the
 * syscall whose conditions all hold, else the default. "CONFLICT" when the
 * syscall has a rule without condition and a rule of another action
 * (libseccomp then silently keeps one of them), or when two matching rules
 * disagree. */
static const char *fate(json_t *profile, const char *syscall, const uint64_t args[6])
{
        json_t *rules = json_object_get(profile, "syscalls"), *rule;
        const char *uncond = NULL, *matched = NULL, *any = NULL;
        bool differ = false;
        size_t i;

        json_array_foreach(rules, i, rule) {
                json_t *arg;
                size_t k;
                bool holds = true;

                if (!rule_names(rule, syscall) || !podman_applies(rule))
                        continue;
                if (any && strcmp(any, rule_action(rule)) != 0)
                        differ = true;
                any = rule_action(rule);
                if (!rule_has_args(rule))
                        uncond = rule_action(rule);
                json_array_foreach(json_object_get(rule, "args"), k, arg)
                        holds = holds && cond_holds(arg, args);
                if (!holds)
                        continue;
                if (matched && strcmp(matched, rule_action(rule)) != 0)
                        return "CONFLICT";
                matched = rule_action(rule);
        }
        if (uncond && differ)
                return "CONFLICT";
        return matched ? matched : json_string_value(json_object_get(profile, "defaultAction"));
}

static const uint64_t *flags_arg(int index, uint64_t flags)
{
        static uint64_t args[6];

        memset(args, 0, sizeof(args));
        args[index] = flags;
        return args;
}

static void assert_nothing_forbidden_notified(json_t *out)
{
        json_t *rule;
        size_t i;

        json_array_foreach(json_object_get(out, "syscalls"), i, rule) {
                if (strcmp(rule_action(rule), "SCMP_ACT_NOTIFY") != 0)
                        continue;
                for (size_t k = 0; k < ARRAY_SIZE(never_notified); k++)
                        if (rule_names(rule, never_notified[k]))
                                fail_msg("syscalls[%zu] notifies %s", i, never_notified[k]);
        }
        assert_string_not_equal(json_string_value(json_object_get(out, "defaultAction")),
                                 "SCMP_ACT_NOTIFY");
}

/* ---- feeding the JSON to libseccomp the way runc 1.1.5 does ---------------- */

static int action_of(const char *name, json_t *errno_ret, uint32_t *ret)
{
        uint32_t e = json_is_integer(errno_ret) ? (uint32_t)json_integer_value(errno_ret) : EPERM;

        if (!name)
                return -EINVAL;
        if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
                *ret = SCMP_ACT_ALLOW;
        else if (strcmp(name, "SCMP_ACT_LOG") == 0)
                *ret = SCMP_ACT_LOG;
        else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
                *ret = SCMP_ACT_ERRNO(e);
        else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
                *ret = SCMP_ACT_TRACE(e);
        else if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
                *ret = SCMP_ACT_KILL_THREAD;
        else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
                *ret = SCMP_ACT_KILL_PROCESS;
        else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
                *ret = SCMP_ACT_TRAP;
        else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
                *ret = SCMP_ACT_NOTIFY;
        else
                return -EINVAL;
        return 0;
}

static int op_of(const char *name, enum scmp_compare *ret)
{
        static const struct {
                const char *name;
                enum scmp_compare op;
        } ops[] = {
                { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
                { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
                { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
                { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
        };

        for (size_t i = 0; name && i < ARRAY_SIZE(ops); i++)
                if (strcmp(ops[i].name, name) == 0) {
                        *ret = ops[i].op;
                        return 0;
                }
        return -EINVAL;
}

/* One rule for one syscall, as runc's matchCall() adds it: conditions on
 * the same argument become separate rules. */
static int add_like_runc(scmp_filter_ctx ctx, uint32_t act, int nr, json_t *args)
{
        struct scmp_arg_cmp cmp[6];
        unsigned counts[6] = { 0 };
        bool repeated = false;
        size_t n = json_array_size(args);
        json_t *arg;
        size_t i;

        if (n == 0)
                return seccomp_rule_add(ctx, act, nr, 0);
        if (n > 6)
                return -E2BIG;
        json_array_foreach(args, i, arg) {
                json_int_t index = json_integer_value(json_object_get(arg, "index"));
                enum scmp_compare op;

                if (index < 0 || index > 5 ||
                    op_of(json_string_value(json_object_get(arg, "op")), &op) < 0)
                        return -EINVAL;
                repeated = repeated || ++counts[index] > 1;
                cmp[i] = (struct scmp_arg_cmp) {
                        .arg = (unsigned)index, .op = op,
                        .datum_a = (uint64_t)json_integer_value(json_object_get(arg, "value")),
                        .datum_b = (uint64_t)json_integer_value(json_object_get(arg, "valueTwo")),
                };
        }
        if (!repeated)
                return seccomp_rule_add_array(ctx, act, nr, (unsigned)n, cmp);
        for (i = 0; i < n; i++) {
                int r = seccomp_rule_add_array(ctx, act, nr, 1, &cmp[i]);

                if (r < 0)
                        return r;
        }
        return 0;
}

/* Whether driftlock's table has rules for syscall nr. */
static bool is_driftlocks(int nr)
{
        struct filter_spec spec = { .mode = FILTER_LEARN, .notify_reads = true };
        cleanup_free struct filter_rule *rules = NULL;
        size_t n;

        assert_int_equal(filter_rules(&spec, &rules, &n), 0);
        for (size_t i = 0; i < n; i++)
                if (seccomp_syscall_resolve_name(rules[i].syscall) == nr)
                        return true;
        return false;
}

static void ctx_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

/* Builds the libseccomp filter runc would build from profile (after podman's
 * includes/excludes selection): default action, architectures, rules
 * equal to the default skipped, unknown syscalls ignored. Fails the test
 * on any error libseccomp reports, and on the conflicts it would resolve
 * silently (a rule without condition next to a rule of another action),
 * then exports the BPF to check that it assembles. */
static scmp_filter_ctx load_like_runc(json_t *profile)
{
        __attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = NULL;
        struct added {
                int nr;
                uint32_t act;
                bool cond;
        } *added = NULL, *grown;
        size_t n_added = 0, i, k;
        uint32_t deflt;
        json_t *rule, *v;
        int devnull;

        assert_int_equal(action_of(json_string_value(json_object_get(profile, "defaultAction")),
                                   json_object_get(profile, "defaultErrnoRet"), &deflt), 0);
        ctx = seccomp_init(deflt);
        assert_non_null(ctx);
        json_array_foreach(json_object_get(profile, "architectures"), i, v) {
                char name[32];
                uint32_t arch;
                size_t j;
                int r;

                /* "SCMP_ARCH_X86_64" -> "x86_64" */
                snprintf(name, sizeof(name), "%s", json_string_value(v) + strlen("SCMP_ARCH_"));
                for (j = 0; name[j]; j++)
                        name[j] = (char)(name[j] >= 'A' && name[j] <= 'Z' ? name[j] + 32 : name[j]);
                arch = seccomp_arch_resolve_name(name);
                assert_int_not_equal(arch, 0);
                r = seccomp_arch_add(ctx, arch);
                assert_true(r == 0 || r == -EEXIST);
        }
        json_array_foreach(json_object_get(profile, "syscalls"), i, rule) {
                json_t *n;
                uint32_t act;

                if (!podman_applies(rule))
                        continue;
                assert_int_equal(action_of(rule_action(rule), json_object_get(rule, "errnoRet"), &act), 0);
                if (act == deflt)
                        continue;
                json_array_foreach(json_object_get(rule, "names"), k, n) {
                        int nr = seccomp_syscall_resolve_name(json_string_value(n));
                        int r;

                        if (nr == __NR_SCMP_ERROR)
                                continue;
                        r = add_like_runc(ctx, act, nr, json_object_get(rule, "args"));
                        if (r < 0)
                                fail_msg("syscalls[%zu] %s: libseccomp says %d", i,
                                         json_string_value(n), r);
                        grown = realloc(added, (n_added + 1) * sizeof(*added));
                        assert_non_null(grown);
                        added = grown;
                        added[n_added++] = (struct added) { nr, act, rule_has_args(rule) };
                }
        }
        /* Only driftlock's syscalls: containers-common itself allows setns
         * in its list and refuses it without CAP_SYS_ADMIN. */
        for (i = 0; i < n_added; i++)
                for (k = 0; k < n_added; k++)
                        if (added[i].nr == added[k].nr && !added[i].cond &&
                            added[i].act != added[k].act && is_driftlocks(added[i].nr))
                                fail_msg("syscall %d: a rule without condition and a rule of another action",
                                         added[i].nr);
        free(added);
        devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        assert_true(devnull >= 0);
        assert_int_equal(seccomp_export_bpf(ctx, devnull), 0);
        close(devnull);
        return TAKE_PTR(ctx);
}

/* ---- standalone --------------------------------------------------------------- */

static void test_ociseccomp_standalone_structure(void **state)
{
        struct ociseccomp_options o = opts_for(false);
        json_t *out = build_ok(&o, NULL);
        cleanup_free struct filter_rule *rules = NULL;
        size_t n, in_out = 0;
        json_t *rule;
        size_t i, k;

        (void)state;
        assert_string_equal(json_string_value(json_object_get(out, "defaultAction")), "SCMP_ACT_ALLOW");
        assert_string_equal(json_string_value(json_object_get(out, "listenerPath")),
                            "/run/driftlock/listener.sock");
        assert_null(json_object_get(out, "listenerMetadata"));
        assert_null(json_object_get(out, "defaultErrnoRet"));
#if defined(__x86_64__)
        assert_int_equal(json_array_size(json_object_get(out, "architectures")), 1);
        assert_string_equal(json_string_value(json_array_get(json_object_get(out, "architectures"), 0)),
                            "SCMP_ARCH_X86_64");
#endif
        assert_nothing_forbidden_notified(out);

        /* Every rule of the table is in the output, and nothing else. */
        assert_int_equal(filter_rules(&o.spec, &rules, &n), 0);
        for (i = 0; i < n; i++) {
                const struct filter_rule *fr = &rules[i];
                bool found = false;

                json_array_foreach(json_object_get(out, "syscalls"), k, rule) {
                        json_t *arg = json_array_get(json_object_get(rule, "args"), 0);

                        if (!rule_names(rule, fr->syscall))
                                continue;
                        if (fr->action == FILTER_ACT_ERRNO) {
                                found = strcmp(rule_action(rule), "SCMP_ACT_ERRNO") == 0 &&
                                        json_integer_value(json_object_get(rule, "errnoRet")) ==
                                                fr->errno_value && !rule_has_args(rule);
                        } else if (fr->arg_index < 0) {
                                found = strcmp(rule_action(rule), "SCMP_ACT_NOTIFY") == 0 &&
                                        !rule_has_args(rule);
                        } else if (strcmp(rule_action(rule), "SCMP_ACT_NOTIFY") == 0 && arg &&
                                   fr->negate) {
                                found = json_array_size(json_object_get(rule, "names")) == 1 &&
                                        json_array_size(json_object_get(rule, "args")) == 1 &&
                                        json_integer_value(json_object_get(arg, "index")) == fr->arg_index &&
                                        (uint64_t)json_integer_value(json_object_get(arg, "value")) == fr->value &&
                                        strcmp(json_string_value(json_object_get(arg, "op")),
                                               "SCMP_CMP_NE") == 0;
                        } else if (strcmp(rule_action(rule), "SCMP_ACT_NOTIFY") == 0 && arg) {
                                found = json_array_size(json_object_get(rule, "names")) == 1 &&
                                        json_array_size(json_object_get(rule, "args")) == 1 &&
                                        json_integer_value(json_object_get(arg, "index")) == fr->arg_index &&
                                        (uint64_t)json_integer_value(json_object_get(arg, "value")) == fr->mask &&
                                        (uint64_t)json_integer_value(json_object_get(arg, "valueTwo")) == fr->value &&
                                        strcmp(json_string_value(json_object_get(arg, "op")),
                                               "SCMP_CMP_MASKED_EQ") == 0;
                        }
                        if (found)
                                break;
                }
                if (!found)
                        fail_msg("table rule %zu (%s) is not in the output", i, fr->syscall);
        }
        json_array_foreach(json_object_get(out, "syscalls"), i, rule)
                in_out += rule_has_args(rule) ? 1 : json_array_size(json_object_get(rule, "names"));
        assert_int_equal(in_out, n);
        json_decref(out);
}

/* What the standalone profile does with single calls. */
static const struct {
        const char *syscall;
        int index;
        uint64_t flags;
        const char *writes_only;        /* without --reads */
        const char *with_reads;
} standalone_table[] = {
        { "openat", 2, O_RDONLY, "SCMP_ACT_ALLOW", "SCMP_ACT_NOTIFY" },
        { "openat", 2, O_RDONLY | O_CLOEXEC | O_DIRECTORY, "SCMP_ACT_ALLOW", "SCMP_ACT_NOTIFY" },
        { "openat", 2, O_WRONLY, "SCMP_ACT_NOTIFY", "SCMP_ACT_NOTIFY" },
        { "openat", 2, O_RDWR | O_CLOEXEC, "SCMP_ACT_NOTIFY", "SCMP_ACT_NOTIFY" },
        { "openat", 2, O_RDONLY | O_CREAT, "SCMP_ACT_NOTIFY", "SCMP_ACT_NOTIFY" },
        { "openat", 2, O_RDONLY | O_TRUNC, "SCMP_ACT_NOTIFY", "SCMP_ACT_NOTIFY" },
        { "openat", 2, O_TMPFILE | O_RDWR, "SCMP_ACT_NOTIFY", "SCMP_ACT_NOTIFY" },
        { "open", 1, O_RDONLY, "SCMP_ACT_ALLOW", "SCMP_ACT_NOTIFY" },
        { "open", 1, O_WRONLY | O_APPEND, "SCMP_ACT_NOTIFY", "SCMP_ACT_NOTIFY" },
        { "execve", 0, 0, "SCMP_ACT_NOTIFY", "SCMP_ACT_NOTIFY" },
        { "connect", 0, 0, "SCMP_ACT_NOTIFY", "SCMP_ACT_NOTIFY" },
        { "fchmodat2", 0, 0, "SCMP_ACT_NOTIFY", "SCMP_ACT_NOTIFY" },
        { "io_uring_setup", 0, 0, "SCMP_ACT_ERRNO", "SCMP_ACT_ERRNO" },
        { "write", 0, 0, "SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW" },
        { "sendmsg", 0, 0, "SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW" },
        { "fcntl", 0, 0, "SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW" },
        { "read", 0, 0, "SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW" },
};

static void test_ociseccomp_standalone_fates(void **state)
{
        (void)state;
        for (int reads = 0; reads <= 1; reads++) {
                struct ociseccomp_options o = opts_for(reads);
                json_t *out = build_ok(&o, NULL);

                assert_nothing_forbidden_notified(out);
                for (size_t i = 0; i < ARRAY_SIZE(standalone_table); i++) {
                        const char *got = fate(out, standalone_table[i].syscall,
                                               flags_arg(standalone_table[i].index,
                                                         standalone_table[i].flags));
                        const char *want = reads ? standalone_table[i].with_reads
                                                 : standalone_table[i].writes_only;

                        if (strcmp(got, want) != 0)
                                fail_msg("reads=%d %s flags %#llx: %s, expected %s", reads,
                                         standalone_table[i].syscall,
                                         (unsigned long long)standalone_table[i].flags, got, want);
                }
                scmp_filter_ctx ctx = load_like_runc(out);

                seccomp_release(ctx);
                json_decref(out);
        }
}

static void test_ociseccomp_reads_unconditional(void **state)
{
        struct ociseccomp_options o = opts_for(true);
        json_t *out = build_ok(&o, NULL), *rule;
        size_t i;

        (void)state;
        json_array_foreach(json_object_get(out, "syscalls"), i, rule) {
                if (rule_names(rule, "open") || rule_names(rule, "openat")) {
                        assert_string_equal(rule_action(rule), "SCMP_ACT_NOTIFY");
                        assert_false(rule_has_args(rule));
                }
        }
        json_decref(out);
}

static void test_ociseccomp_listener_and_metadata(void **state)
{
        struct ociseccomp_options o = opts_for(false);
        json_t *out;

        (void)state;
        o.listener_path = "@driftlock-test";
        o.listener_metadata = "image=busybox mode=learn";
        out = build_ok(&o, NULL);
        assert_string_equal(json_string_value(json_object_get(out, "listenerPath")), "@driftlock-test");
        assert_string_equal(json_string_value(json_object_get(out, "listenerMetadata")),
                            "image=busybox mode=learn");
        json_decref(out);
}

static void test_ociseccomp_bad_options(void **state)
{
        char long_path[OCISECCOMP_LISTENER_MAX + 2];
        char long_meta[OCISECCOMP_METADATA_MAX + 2];
        const struct {
                const char *path, *meta, *msg;
        } cases[] = {
                { NULL, NULL, "absolute" },
                { "", NULL, "absolute" },
                { "run/driftlock.sock", NULL, "absolute" },
                { "/", NULL, "absolute" },
                { "@", NULL, "absolute" },
                { long_path, NULL, "longer" },
                { "/run/x.sock", long_meta, "metadata" },
        };

        (void)state;
        memset(long_path, 'a', sizeof(long_path) - 1);
        long_path[0] = '/';
        long_path[sizeof(long_path) - 1] = '\0';
        memset(long_meta, 'm', sizeof(long_meta) - 1);
        long_meta[sizeof(long_meta) - 1] = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct ociseccomp_options o = opts_for(false);
                char err[OCISECCOMP_ERROR_MAX] = "";
                json_t *out = NULL;

                o.listener_path = cases[i].path;
                o.listener_metadata = cases[i].meta;
                assert_int_equal(ociseccomp_build(&o, NULL, &out, err, sizeof(err)), -EINVAL);
                assert_null(out);
                if (!strstr(err, cases[i].msg))
                        fail_msg("case %zu: message '%s' lacks '%s'", i, err, cases[i].msg);
                assert_int_equal(ociseccomp_check_options(&o, NULL, 0), -EINVAL);
        }
        /* The longest path that fits is fine. */
        long_path[OCISECCOMP_LISTENER_MAX] = '\0';
        {
                struct ociseccomp_options o = opts_for(false);
                json_t *out;

                o.listener_path = long_path;
                out = build_ok(&o, NULL);
                json_decref(out);
        }
        assert_int_equal(ociseccomp_build(NULL, NULL, NULL, NULL, 0), -EINVAL);
}

/* ---- merged into a base --------------------------------------------------------- */

/* A runtime default in miniature: errno default, an allow list with some of
 * driftlock's syscalls, other rules driftlock must keep. */
static const char base_errno_default[] =
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
        " \"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]}],"
        " \"listenerMetadata\":\"for someone else\",\"x-vendor\":{\"keep\":true},"
        " \"syscalls\":["
        "  {\"names\":[\"read\",\"write\",\"openat\",\"open\",\"execve\",\"mkdir\",\"getpid\",\"fcntl\",\"sendmsg\",\"exit_group\"],"
        "   \"action\":\"SCMP_ACT_ALLOW\",\"args\":[],\"comment\":\"\",\"includes\":{},\"excludes\":{}},"
        "  {\"names\":[\"unlink\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":null},"
        "  {\"name\":\"rename\",\"action\":\"SCMP_ACT_LOG\"},"
        "  {\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
        "  {\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
        "   \"args\":[{\"index\":0,\"value\":8,\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
        "  {\"names\":[\"chroot\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_SYS_CHROOT\"]}}"
        " ]}";

/* An allow default with refusals of its own. */
static const char base_allow_default[] =
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
        " \"syscalls\":["
        "  {\"names\":[\"mkdir\",\"ptrace\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
        "  {\"names\":[\"unlink\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"},"
        "  {\"names\":[\"openat\",\"execve\"],\"action\":\"SCMP_ACT_ALLOW\"}"
        " ]}";

static const struct {
        const char *base;
        const char *syscall;
        int index;
        uint64_t flags;
        const char *want;
} merge_table[] = {
        /* base allows, driftlock notifies */
        { base_errno_default, "execve", 0, 0, "SCMP_ACT_NOTIFY" },
        { base_errno_default, "mkdir", 0, 0, "SCMP_ACT_NOTIFY" },
        { base_errno_default, "unlink", 0, 0, "SCMP_ACT_NOTIFY" },
        { base_errno_default, "rename", 0, 0, "SCMP_ACT_NOTIFY" },          /* LOG, "name" */
        { base_errno_default, "openat", 2, O_WRONLY | O_CREAT, "SCMP_ACT_NOTIFY" },
        { base_errno_default, "open", 1, O_RDWR, "SCMP_ACT_NOTIFY" },
        /* read-only opens stay allowed although the default refuses */
        { base_errno_default, "openat", 2, O_RDONLY | O_CLOEXEC, "SCMP_ACT_ALLOW" },
        { base_errno_default, "open", 1, O_RDONLY, "SCMP_ACT_ALLOW" },
        /* the base refuses: it stays refused, not notified */
        { base_errno_default, "chmod", 0, 0, "SCMP_ACT_ERRNO" },
        { base_errno_default, "connect", 0, 0, "SCMP_ACT_ERRNO" },          /* by default */
        { base_errno_default, "fchmodat2", 0, 0, "SCMP_ACT_ERRNO" },
        { base_errno_default, "io_uring_setup", 0, 0, "SCMP_ACT_ERRNO" },
        /* the base's other rules are untouched */
        { base_errno_default, "write", 0, 0, "SCMP_ACT_ALLOW" },
        { base_errno_default, "fcntl", 0, 0, "SCMP_ACT_ALLOW" },
        { base_errno_default, "sendmsg", 0, 0, "SCMP_ACT_ALLOW" },
        { base_errno_default, "getpid", 0, 0, "SCMP_ACT_ALLOW" },
        { base_errno_default, "personality", 0, 8, "SCMP_ACT_ALLOW" },
        { base_errno_default, "personality", 0, 1, "SCMP_ACT_ERRNO" },

        { base_allow_default, "mkdir", 0, 0, "SCMP_ACT_ERRNO" },
        { base_allow_default, "unlink", 0, 0, "SCMP_ACT_KILL_PROCESS" },
        { base_allow_default, "ptrace", 0, 0, "SCMP_ACT_ERRNO" },
        { base_allow_default, "execve", 0, 0, "SCMP_ACT_NOTIFY" },
        { base_allow_default, "connect", 0, 0, "SCMP_ACT_NOTIFY" },         /* by default */
        { base_allow_default, "openat", 2, O_WRONLY, "SCMP_ACT_NOTIFY" },
        { base_allow_default, "openat", 2, O_RDONLY, "SCMP_ACT_ALLOW" },
        { base_allow_default, "io_uring_setup", 0, 0, "SCMP_ACT_ERRNO" },   /* driftlock's */
        { base_allow_default, "fchmodat2", 0, 0, "SCMP_ACT_NOTIFY" },
};

static void test_ociseccomp_merge_fates(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(merge_table); i++) {
                struct ociseccomp_options o = opts_for(false);
                json_t *base = parse(merge_table[i].base);
                json_t *out = build_ok(&o, base);
                const char *got = fate(out, merge_table[i].syscall,
                                       flags_arg(merge_table[i].index, merge_table[i].flags));

                if (strcmp(got, merge_table[i].want) != 0)
                        fail_msg("case %zu: %s flags %#llx: %s, expected %s", i, merge_table[i].syscall,
                                 (unsigned long long)merge_table[i].flags, got, merge_table[i].want);
                assert_nothing_forbidden_notified(out);
                json_decref(out);
                json_decref(base);
        }
}

static void test_ociseccomp_merge_keeps_the_rest(void **state)
{
        struct ociseccomp_options o = opts_for(false);
        json_t *base = parse(base_errno_default);
        cleanup_free char *before = json_dumps(base, JSON_SORT_KEYS);
        json_t *out, *rule, *arches, *want;
        cleanup_free char *after = NULL;
        size_t i;

        (void)state;
        out = build_ok(&o, base);
        after = json_dumps(base, JSON_SORT_KEYS);
        assert_string_equal(before, after);     /* the base itself is not changed */

        assert_string_equal(json_string_value(json_object_get(out, "defaultAction")), "SCMP_ACT_ERRNO");
        assert_int_equal(json_integer_value(json_object_get(out, "defaultErrnoRet")), 38);
        assert_true(json_is_true(json_object_get(json_object_get(out, "x-vendor"), "keep")));
        assert_string_equal(json_string_value(json_object_get(out, "listenerPath")),
                            OCISECCOMP_DEFAULT_LISTENER);
        assert_null(json_object_get(out, "listenerMetadata"));
        assert_null(json_object_get(out, "archMap"));
        arches = json_object_get(out, "architectures");
        assert_int_equal(json_array_size(arches), 1);

        /* The allow list lost exactly driftlock's syscalls; the rules that
         * named only driftlock's syscalls are gone; the rest is as it was. */
        rule = json_array_get(json_object_get(out, "syscalls"), 0);
        want = parse("[\"read\",\"write\",\"getpid\",\"fcntl\",\"sendmsg\",\"exit_group\"]");
        assert_true(json_equal(json_object_get(rule, "names"), want));
        json_decref(want);
        assert_string_equal(json_string_value(json_object_get(rule, "comment")), "");
        assert_true(json_is_object(json_object_get(rule, "includes")));
        json_array_foreach(json_object_get(out, "syscalls"), i, rule) {
                assert_false(rule_names(rule, "unlink") && strcmp(rule_action(rule), "SCMP_ACT_ALLOW") == 0);
                assert_false(rule_names(rule, "rename") && strcmp(rule_action(rule), "SCMP_ACT_LOG") == 0);
        }
        assert_true(json_equal(json_array_get(json_object_get(out, "syscalls"), 1),
                               json_array_get(json_object_get(base, "syscalls"), 3)));  /* chmod */
        assert_true(json_equal(json_array_get(json_object_get(out, "syscalls"), 2),
                               json_array_get(json_object_get(base, "syscalls"), 4)));  /* personality */
        assert_true(json_equal(json_array_get(json_object_get(out, "syscalls"), 3),
                               json_array_get(json_object_get(base, "syscalls"), 5)));  /* chroot */
        json_decref(out);
        json_decref(base);
}

static void test_ociseccomp_merge_loads_in_libseccomp(void **state)
{
        const char *const bases[] = { base_errno_default, base_allow_default };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bases); i++) {
                for (int reads = 0; reads <= 1; reads++) {
                        struct ociseccomp_options o = opts_for(reads);
                        json_t *base = parse(bases[i]);
                        json_t *out = build_ok(&o, base);
                        scmp_filter_ctx ctx = load_like_runc(out);

                        /* 32-bit and x32 calls take the bad-arch action. */
                        assert_int_equal(json_array_size(json_object_get(out, "architectures")), 1);
                        seccomp_release(ctx);
                        json_decref(out);
                        json_decref(base);
                }
        }
}

static const struct {
        const char *base;
        int err;
        const char *msg;
} bad_base_table[] = {
        { "[]", -EINVAL, "not a JSON object" },
        { "{}", -EINVAL, "defaultAction" },
        { "{\"defaultAction\":1}", -EINVAL, "defaultAction" },
        { "{\"defaultAction\":\"SCMP_ACT_MAYBE\"}", -EINVAL, "unknown action" },
        { "{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", -ENOTSUP, "SCMP_ACT_NOTIFY" },
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}", -EINVAL, "syscalls: not an array" },
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[1]}", -EINVAL, "syscalls[0]: not an object" },
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"]}]}",
          -EINVAL, "syscalls[0].action" },
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"X\"}]}",
          -EINVAL, "syscalls[0].action: unknown action" },
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"getpid\",\"action\":\"SCMP_ACT_ALLOW\"}]}",
          -EINVAL, "syscalls[0].names: not an array" },
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\",2],\"action\":\"SCMP_ACT_ALLOW\"}]}",
          -EINVAL, "syscalls[0].names[1]: not a string" },
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ALLOW\"}]}",
          -EINVAL, "syscalls[0]: no names" },
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":5,\"action\":\"SCMP_ACT_ALLOW\"}]}",
          -EINVAL, "syscalls[0].name: not a string" },
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":{}}]}",
          -EINVAL, "syscalls[0].args: not an array" },
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":[]}]}",
          -EINVAL, "syscalls[0].includes: not an object" },
        /* another agent's profile */
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}", -ENOTSUP, "syscalls[1]: the base already uses SCMP_ACT_NOTIFY" },
        /* driftlock's syscalls under conditions */
        { "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"openat\"],\"action\":\"SCMP_ACT_ALLOW\","
          "\"args\":[{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}", -ENOTSUP, "openat is named under conditions" },
        { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"execve\"],\"action\":\"SCMP_ACT_ERRNO\","
          "\"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}}]}", -ENOTSUP, "syscalls[0]: execve is named under conditions" },
        { "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"5.4\"}}]}",
          -ENOTSUP, "syscalls[1]: mkdir" },
        /* both allowed and refused */
        { "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}", -ENOTSUP, "syscalls[0] allows mkdir and syscalls[1] refuses it" },
};

static void test_ociseccomp_bad_base(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad_base_table); i++) {
                struct ociseccomp_options o = opts_for(false);
                char err[OCISECCOMP_ERROR_MAX] = "";
                json_t *base = parse(bad_base_table[i].base);
                json_t *out = NULL;
                int r = ociseccomp_build(&o, base, &out, err, sizeof(err));

                if (r != bad_base_table[i].err || !strstr(err, bad_base_table[i].msg))
                        fail_msg("case %zu: %d '%s', expected %d '%s'", i, r, err,
                                 bad_base_table[i].err, bad_base_table[i].msg);
                assert_null(out);
                json_decref(base);
        }
}

static void test_ociseccomp_too_many_base_rules(void **state)
{
        struct ociseccomp_options o = opts_for(false);
        char err[OCISECCOMP_ERROR_MAX] = "";
        json_t *base = json_pack("{s:s, s:[]}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls");
        json_t *rules = json_object_get(base, "syscalls");
        json_t *out = NULL;

        (void)state;
        for (int i = 0; i <= OCISECCOMP_BASE_MAX_RULES; i++)
                assert_int_equal(json_array_append_new(rules, json_pack("{s:[s], s:s}", "names", "getpid",
                                                                        "action", "SCMP_ACT_LOG")), 0);
        assert_int_equal(ociseccomp_build(&o, base, &out, err, sizeof(err)), -E2BIG);
        assert_null(out);
        json_array_remove(rules, 0);
        out = build_ok(&o, base);
        json_decref(out);
        json_decref(base);
}

static void test_ociseccomp_merge_containers_default(void **state)
{
        json_t *base = load_containers_default();

        (void)state;
        if (!base) {
                skip();
                return;
        }
        for (int reads = 0; reads <= 1; reads++) {
                struct ociseccomp_options o = opts_for(reads);
                json_t *out = build_ok(&o, base), *rule;
                json_t *base_rules = json_object_get(base, "syscalls");
                json_t *out_rules = json_object_get(out, "syscalls");
                size_t i, k = 0;
                scmp_filter_ctx ctx;

                assert_nothing_forbidden_notified(out);
                assert_true(json_equal(json_object_get(out, "defaultAction"),
                                       json_object_get(base, "defaultAction")));
                assert_true(json_equal(json_object_get(out, "defaultErrnoRet"),
                                       json_object_get(base, "defaultErrnoRet")));
                /* Rules that name none of driftlock's syscalls are kept
                 * unchanged and in order. */
                json_array_foreach(base_rules, i, rule) {
                        if (rule_names(rule, "execve"))
                                continue;
                        while (k < json_array_size(out_rules) &&
                               !json_equal(json_array_get(out_rules, k), rule))
                                k++;
                        if (k == json_array_size(out_rules))
                                fail_msg("base rule %zu is missing or moved", i);
                }
                assert_string_equal(fate(out, "execve", NO_ARGS), "SCMP_ACT_NOTIFY");
                assert_string_equal(fate(out, "connect", NO_ARGS), "SCMP_ACT_NOTIFY");
                assert_string_equal(fate(out, "openat", flags_arg(2, O_WRONLY | O_CREAT)), "SCMP_ACT_NOTIFY");
                assert_string_equal(fate(out, "openat", flags_arg(2, O_RDONLY)),
                                    reads ? "SCMP_ACT_NOTIFY" : "SCMP_ACT_ALLOW");
                assert_string_equal(fate(out, "open", flags_arg(1, O_RDONLY)),
                                    reads ? "SCMP_ACT_NOTIFY" : "SCMP_ACT_ALLOW");
                for (size_t n = 0; n < ARRAY_SIZE(never_notified); n++)
                        assert_string_equal(fate(out, never_notified[n], NO_ARGS), "SCMP_ACT_ALLOW");
                /* Not in this (2022) allow list: refused by its default. */
                assert_string_equal(fate(out, "fchmodat2", NO_ARGS), "SCMP_ACT_ERRNO");
                ctx = load_like_runc(out);
                seccomp_release(ctx);
                json_decref(out);
        }
        json_decref(base);
}

/* ---- the filter at work: a child under the profile, this process as agent -- */

#define NOTIFIED EXDEV          /* the errno the test agent answers with */
#define NOWHERE "/nonexistent-driftlock-test/x"

/* Calls whose result shows what the filter did: ENOENT means the kernel ran
 * the call, NOTIFIED that the agent was asked, ENOSYS/EPERM a refusal in
 * BPF. */
static const struct {
        const char *what;
        long nr;
        long a[3];
        int standalone;         /* errno expected (0: success) */
        int containers;         /* merged into containers-common */
} calls_table[] = {
        { "openat read-only", __NR_openat, { AT_FDCWD, (long)NOWHERE, O_RDONLY }, ENOENT, ENOENT },
        { "openat write", __NR_openat, { AT_FDCWD, (long)NOWHERE, O_WRONLY | O_CREAT }, NOTIFIED, NOTIFIED },
        { "open read-only", __NR_open, { (long)NOWHERE, O_RDONLY | O_CLOEXEC, 0 }, ENOENT, ENOENT },
        { "open rdwr", __NR_open, { (long)NOWHERE, O_RDWR, 0 }, NOTIFIED, NOTIFIED },
        { "mkdir", __NR_mkdir, { (long)NOWHERE, 0700, 0 }, NOTIFIED, NOTIFIED },
        { "execve", __NR_execve, { (long)NOWHERE, 0, 0 }, NOTIFIED, NOTIFIED },
        { "fchmodat2", 452, { AT_FDCWD, (long)NOWHERE, 0600 }, NOTIFIED, ENOSYS },
        { "io_uring_setup", __NR_io_uring_setup, { 1, 0, 0 }, EPERM, ENOSYS },
        { "getppid", __NR_getppid, { 0, 0, 0 }, 0, 0 },
};

static pid_t g_pid = -1;

static void child_teardown_pid(void)
{
        if (g_pid > 0) {
                kill(g_pid, SIGKILL);
                waitpid(g_pid, NULL, 0);
                g_pid = -1;
        }
}

static int child_teardown(void **state)
{
        (void)state;
        child_teardown_pid();
        return 0;
}

/* In the child: load the filter, hand the listener over, make the calls
 * and report each errno. Only calls the profiles allow are used here. */
static void child_body(scmp_filter_ctx ctx, int sock)
{
        int fd;

        if (seccomp_load(ctx) < 0)
                _exit(2);
        fd = seccomp_notify_fd(ctx);
        if (fd < 0)
                _exit(3);
        if (unixsock_send_fd(sock, fd) < 0)
                _exit(4);
        close(fd);
        for (size_t i = 0; i < ARRAY_SIZE(calls_table); i++) {
                long r = syscall(calls_table[i].nr, calls_table[i].a[0], calls_table[i].a[1],
                                 calls_table[i].a[2]);
                int e = r < 0 ? errno : 0;

                if (write(sock, &e, sizeof(e)) != (ssize_t)sizeof(e))
                        _exit(5);
        }
        _exit(0);
}

static int recv_listener(int sock)
{
        struct pollfd pfd = { .fd = sock, .events = POLLIN };
        int fd;

        assert_int_equal(poll(&pfd, 1, TIMEOUT_MS), 1);
        fd = unixsock_recv_fd(sock);
        if (fd < 0)
                fail_msg("the child did not send its listener (did seccomp_load fail?)");
        return fd;
}

static void run_calls(json_t *profile, bool containers)
{
        scmp_filter_ctx ctx = load_like_runc(profile);
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        cleanup_close int listener = -1;
        int sv[2];

        assert_non_null(req);
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        g_pid = fork();
        assert_true(g_pid >= 0);
        if (g_pid == 0) {
                close(sv[0]);
                child_body(ctx, sv[1]);
        }
        seccomp_release(ctx);
        close(sv[1]);
        listener = recv_listener(sv[0]);
        for (size_t i = 0; i < ARRAY_SIZE(calls_table); i++) {
                int want = containers ? calls_table[i].containers : calls_table[i].standalone;
                struct pollfd pfd[2] = { { .fd = listener, .events = POLLIN },
                                         { .fd = sv[0], .events = POLLIN } };
                int got;

                /* The child makes one call at a time: while its result is
                 * not there, a notification is this call's. */
                assert_true(poll(pfd, 2, TIMEOUT_MS) > 0);
                if (!(pfd[1].revents & POLLIN) && (pfd[0].revents & POLLIN)) {
                        assert_int_equal(notify_recv(listener, req), 0);
                        if (want != NOTIFIED)
                                fail_msg("%s was notified", calls_table[i].what);
                        assert_int_equal(req->data.nr, calls_table[i].nr);
                        assert_int_equal(notify_respond_errno(listener, req->id, NOTIFIED), 0);
                }
                pfd[1].revents = 0;
                assert_int_equal(poll(&pfd[1], 1, TIMEOUT_MS), 1);
                assert_int_equal(read(sv[0], &got, sizeof(got)), sizeof(got));
                if (got != want)
                        fail_msg("%s: %s, expected %s", calls_table[i].what, strerror(got),
                                 strerror(want));
        }
        close(sv[0]);
        {
                int status;

                assert_int_equal(waitpid(g_pid, &status, 0), g_pid);
                g_pid = -1;
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
}

static void test_ociseccomp_filter_standalone(void **state)
{
        struct ociseccomp_options o = opts_for(false);
        json_t *out = build_ok(&o, NULL);

        (void)state;
        run_calls(out, false);
        json_decref(out);
}

static void test_ociseccomp_filter_containers_default(void **state)
{
        struct ociseccomp_options o = opts_for(false);
        json_t *base = load_containers_default(), *out;

        (void)state;
        if (!base) {
                skip();
                return;
        }
        out = build_ok(&o, base);
        run_calls(out, true);
        json_decref(out);
        json_decref(base);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ociseccomp_standalone_structure),
                cmocka_unit_test(test_ociseccomp_standalone_fates),
                cmocka_unit_test(test_ociseccomp_reads_unconditional),
                cmocka_unit_test(test_ociseccomp_listener_and_metadata),
                cmocka_unit_test(test_ociseccomp_bad_options),
                cmocka_unit_test(test_ociseccomp_merge_fates),
                cmocka_unit_test(test_ociseccomp_merge_keeps_the_rest),
                cmocka_unit_test(test_ociseccomp_merge_loads_in_libseccomp),
                cmocka_unit_test(test_ociseccomp_bad_base),
                cmocka_unit_test(test_ociseccomp_too_many_base_rules),
                cmocka_unit_test(test_ociseccomp_merge_containers_default),
                cmocka_unit_test_teardown(test_ociseccomp_filter_standalone, child_teardown),
                cmocka_unit_test_teardown(test_ociseccomp_filter_containers_default, child_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
