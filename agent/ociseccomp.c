/* The OCI seccomp JSON for the runtime listener: filter_rules() as
 * linux.seccomp rules, alone or merged into a base profile. See
 * ociseccomp.h for the merge rules and why they are what they are.
 *
 * What runc 1.1.5 does with the fields we set (libcontainer/seccomp/
 * seccomp_linux.go, patchbpf/enosys_linux.go), and why we set them so:
 *   - "architectures": every listed architecture is added to the libseccomp
 *     filter (seccomp_init() brings the native one). A call of an
 *     architecture not in the filter takes libseccomp's bad-arch action,
 *     which runc never changes: SCMP_ACT_KILL_THREAD. On x86_64 that
 *     catches i386 (int 0x80: another seccomp_data.arch) and x32 (x86_64
 *     arch, nr with __X32_SYSCALL_BIT: libseccomp sends nr >= 0x40000000 to
 *     the bad-arch action unless SCMP_ARCH_X32 is in the filter). Listing
 *     SCMP_ARCH_X86/X32, as containers-common's archMap does, would instead
 *     resolve our rules by name for them: their open/execve would reach the
 *     agent under numbers it does not decode, and all their other calls
 *     would run unchecked. So the native architecture alone, also when
 *     merging. (driftlock's own filter answers foreign ABIs with EPERM
 *     instead; OCI has no field for the bad-arch action.)
 *   - "defaultErrnoRet" only parameterises an ERRNO or TRACE default; with
 *     SCMP_ACT_ALLOW it means nothing, and runc's -ENOSYS stub for syscalls
 *     newer than the profile is generated only for a non-allow default (and
 *     only for the listed architectures). So the standalone profile has
 *     none; a base keeps its own.
 *   - runc refuses NOTIFY on "write" and as defaultAction; runc 1.2.0-rc.2
 *     hung on a notified "fcntl" (runc#4328). We never notify write, read,
 *     sendmsg, fcntl or close (filter.h), and check the result for it.
 *   - ERRNO rules carry "errnoRet": without it runc uses EPERM, crun too,
 *     but saying it costs nothing. */
#include "ociseccomp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* What a runtime does between loading the filter and handing the listener
 * over: notifying any of these can deadlock it (filter.h). */
static const char *const ociseccomp_never_notify[] = {
        "write", "read", "sendmsg", "fcntl", "close",
};

enum act_class {
        ACT_ALLOW,      /* the call runs: ALLOW, LOG */
        ACT_REFUSE,     /* the base decides otherwise: errno, kill, trap, trace */
        ACT_NOTIFY,
};

static const struct {
        const char *name;
        enum act_class cls;
} ociseccomp_actions[] = {
        { "SCMP_ACT_ALLOW", ACT_ALLOW },
        { "SCMP_ACT_LOG", ACT_ALLOW },
        { "SCMP_ACT_ERRNO", ACT_REFUSE },
        { "SCMP_ACT_KILL", ACT_REFUSE },
        { "SCMP_ACT_KILL_PROCESS", ACT_REFUSE },
        { "SCMP_ACT_KILL_THREAD", ACT_REFUSE },
        { "SCMP_ACT_TRAP", ACT_REFUSE },
        /* A tracer decides, not the agent; without one the call fails
         * with ENOSYS. */
        { "SCMP_ACT_TRACE", ACT_REFUSE },
        { "SCMP_ACT_NOTIFY", ACT_NOTIFY },
};

/* What driftlock does with one syscall of the table, and whether its rules
 * go into the output. */
struct plan {
        const char *name;
        bool notify_all;        /* a NOTIFY rule without condition */
        bool notify_cond;       /* NOTIFY rules with conditions (open flags) */
        bool refuse;            /* an ERRNO rule */
        int errno_value;
        bool add;               /* driftlock's rules for it go in */
        bool complement;        /* and ALLOW for what the conditions leave */
};

struct plans {
        const struct filter_rule *rules;
        size_t n_rules;
        struct plan *v;
        size_t n;
};

static void seterr(char *err, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
        va_list ap;

        if (!err || len == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
}

const char *ociseccomp_native_arch(void)
{
        /* The table is written for x86_64 (filter.c's syscall numbers); the
         * names below are libseccomp's for the architectures it knows. */
#if defined(__x86_64__) && !defined(__ILP32__)
        return "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
        return "SCMP_ARCH_AARCH64";
#else
        return NULL;
#endif
}

static int action_class(const char *name, enum act_class *ret)
{
        for (size_t i = 0; i < ARRAY_SIZE(ociseccomp_actions); i++)
                if (strcmp(ociseccomp_actions[i].name, name) == 0) {
                        *ret = ociseccomp_actions[i].cls;
                        return 0;
                }
        return -EINVAL;
}

/* --- the table, per syscall ---------------------------------------------- */

static struct plan *plan_find(const struct plans *p, const char *name)
{
        for (size_t i = 0; i < p->n; i++)
                if (strcmp(p->v[i].name, name) == 0)
                        return &p->v[i];
        return NULL;
}

/* Groups the table's rules by syscall; p->v has room for one per rule.
 * Shapes the JSON cannot express faithfully are refused rather than
 * approximated. */
static int plans_build(struct plans *p, char *err, size_t errlen)
{
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct filter_rule *r = &p->rules[i];
                struct plan *pl = plan_find(p, r->syscall);

                if (!pl) {
                        pl = &p->v[p->n++];
                        *pl = (struct plan) { .name = r->syscall };
                }
                if (r->action == FILTER_ACT_NOTIFY && r->arg_index < 0)
                        pl->notify_all = true;
                else if (r->action == FILTER_ACT_NOTIFY && r->arg_index <= 5)
                        pl->notify_cond = true;
                else if (r->action == FILTER_ACT_ERRNO && r->arg_index < 0 &&
                         r->errno_value > 0 && r->errno_value <= 4095 &&
                         (!pl->refuse || pl->errno_value == r->errno_value)) {
                        pl->refuse = true;
                        pl->errno_value = r->errno_value;
                } else {
                        seterr(err, errlen, "filter table: rule %zu for %s cannot be expressed",
                               i, r->syscall);
                        return -EINVAL;
                }
                if (pl->refuse && (pl->notify_all || pl->notify_cond)) {
                        seterr(err, errlen, "filter table: %s is both notified and refused",
                               r->syscall);
                        return -EINVAL;
                }
        }
        return 0;
}

/* The condition that holds exactly when none of the syscall's NOTIFY
 * conditions does, as (arg & mask) == value: for "bit set" tests on one
 * argument it is (arg & all bits) == 0; for a lone "arg != v" it is
 * arg == v. */
static int plan_complement(const struct plans *p, const struct plan *pl, int *ret_index,
                           uint64_t *ret_mask, uint64_t *ret_value)
{
        uint64_t mask = 0, value = 0;
        int index = -1, negated = 0, n = 0;

        for (size_t i = 0; i < p->n_rules; i++) {
                const struct filter_rule *r = &p->rules[i];

                if (strcmp(r->syscall, pl->name) != 0 || r->arg_index < 0)
                        continue;
                n++;
                if (r->negate) {
                        negated++;
                        value = r->value;
                } else if (r->mask == 0 || r->mask != r->value) {
                        return -EINVAL;
                }
                if (index >= 0 && index != r->arg_index)
                        return -EINVAL;
                index = r->arg_index;
                mask |= r->mask;
        }
        if (index < 0 || (negated && n > 1))
                return -EINVAL;
        *ret_index = index;
        *ret_mask = mask;
        *ret_value = value;
        return 0;
}

/* --- reading the base ------------------------------------------------------ */

/* An includes/excludes member that restricts something: podman evaluates
 * these (caps, arches, minKernel) when it generates config.json. */
static bool restricts(json_t *v)
{
        const char *key;
        json_t *val;

        if (!v || json_is_null(v))
                return false;
        json_object_foreach(v, key, val) {
                (void)key;
                if (json_is_null(val) || (json_is_array(val) && json_array_size(val) == 0) ||
                    (json_is_string(val) && json_string_length(val) == 0))
                        continue;
                return true;
        }
        return false;
}

/* Checks one base rule and says whether it names syscalls only under
 * conditions. */
static int check_rule(json_t *rule, size_t i, enum act_class *ret_cls, bool *ret_cond,
                      char *err, size_t errlen)
{
        json_t *action = json_object_get(rule, "action");
        json_t *names = json_object_get(rule, "names");
        json_t *name = json_object_get(rule, "name");
        json_t *args = json_object_get(rule, "args");
        static const char *const filters[] = { "includes", "excludes" };
        bool cond = false;

        if (!json_is_object(rule)) {
                seterr(err, errlen, "syscalls[%zu]: not an object", i);
                return -EINVAL;
        }
        if (!json_is_string(action) ||
            action_class(json_string_value(action), ret_cls) < 0) {
                seterr(err, errlen, "syscalls[%zu].action: %s", i,
                       json_is_string(action) ? "unknown action" : "missing or not a string");
                return -EINVAL;
        }
        if (*ret_cls == ACT_NOTIFY) {
                seterr(err, errlen,
                       "syscalls[%zu]: the base already uses SCMP_ACT_NOTIFY (another agent's profile?)",
                       i);
                return -ENOTSUP;
        }
        if (names && !json_is_null(names)) {
                size_t k;
                json_t *n;

                if (!json_is_array(names)) {
                        seterr(err, errlen, "syscalls[%zu].names: not an array", i);
                        return -EINVAL;
                }
                json_array_foreach(names, k, n)
                        if (!json_is_string(n)) {
                                seterr(err, errlen, "syscalls[%zu].names[%zu]: not a string", i, k);
                                return -EINVAL;
                        }
        }
        /* The older Docker format has a single "name". */
        if (name && !json_is_string(name)) {
                seterr(err, errlen, "syscalls[%zu].name: not a string", i);
                return -EINVAL;
        }
        if (!json_is_string(name) && json_array_size(names) == 0) {
                seterr(err, errlen, "syscalls[%zu]: no names", i);
                return -EINVAL;
        }
        if (args && !json_is_null(args)) {
                if (!json_is_array(args)) {
                        seterr(err, errlen, "syscalls[%zu].args: not an array", i);
                        return -EINVAL;
                }
                cond = json_array_size(args) > 0;
        }
        for (size_t f = 0; f < ARRAY_SIZE(filters); f++) {
                json_t *v = json_object_get(rule, filters[f]);

                if (v && !json_is_null(v) && !json_is_object(v)) {
                        seterr(err, errlen, "syscalls[%zu].%s: not an object", i, filters[f]);
                        return -EINVAL;
                }
                cond = cond || restricts(v);
        }
        *ret_cond = cond;
        return 0;
}

static bool rule_names(json_t *rule, const char *syscall)
{
        json_t *name = json_object_get(rule, "name");
        json_t *names = json_object_get(rule, "names");
        size_t k;
        json_t *n;

        if (json_is_string(name) && strcmp(json_string_value(name), syscall) == 0)
                return true;
        json_array_foreach(names, k, n)
                if (strcmp(json_string_value(n), syscall) == 0)
                        return true;
        return false;
}

struct base_rule {
        enum act_class cls;
        bool cond;
};

/* Decides, for every syscall of the table, what the base does with it and
 * so whether driftlock's rules go in (see ociseccomp.h). */
static int plans_against_base(struct plans *p, json_t *syscalls, enum act_class deflt,
                              char *err, size_t errlen)
{
        size_t n_rules = json_array_size(syscalls);
        cleanup_free struct base_rule *br = calloc(n_rules ? n_rules : 1, sizeof(*br));

        if (!br)
                return -ENOMEM;
        for (size_t i = 0; i < n_rules; i++) {
                int r = check_rule(json_array_get(syscalls, i), i, &br[i].cls, &br[i].cond,
                                   err, errlen);

                if (r < 0)
                        return r;
        }
        for (size_t s = 0; s < p->n; s++) {
                struct plan *pl = &p->v[s];
                size_t allow_at = SIZE_MAX, refuse_at = SIZE_MAX;

                for (size_t i = 0; i < n_rules; i++) {
                        if (!rule_names(json_array_get(syscalls, i), pl->name))
                                continue;
                        if (br[i].cond) {
                                seterr(err, errlen,
                                       "syscalls[%zu]: %s is named under conditions (args, includes or excludes); "
                                       "driftlock decides %s itself and cannot merge that",
                                       i, pl->name, pl->name);
                                return -ENOTSUP;
                        }
                        if (br[i].cls == ACT_ALLOW && allow_at == SIZE_MAX)
                                allow_at = i;
                        if (br[i].cls == ACT_REFUSE && refuse_at == SIZE_MAX)
                                refuse_at = i;
                }
                if (allow_at != SIZE_MAX && refuse_at != SIZE_MAX) {
                        seterr(err, errlen, "syscalls[%zu] allows %s and syscalls[%zu] refuses it",
                               allow_at, pl->name, refuse_at);
                        return -ENOTSUP;
                }
                if (allow_at != SIZE_MAX) {
                        pl->add = true;
                        /* Read-only opens would fall to a refusing default. */
                        pl->complement = pl->notify_cond && !pl->notify_all && deflt != ACT_ALLOW;
                } else {
                        pl->add = refuse_at == SIZE_MAX && deflt == ACT_ALLOW;
                }
        }
        return 0;
}

/* Removes every syscall driftlock adds from the base's rules, and rules
 * left without names. Only allow rules can name them (plans_against_base). */
static int strip_base(const struct plans *p, json_t *syscalls)
{
        for (size_t i = 0; i < json_array_size(syscalls);) {
                json_t *rule = json_array_get(syscalls, i);
                json_t *names = json_object_get(rule, "names");
                json_t *name = json_object_get(rule, "name");

                for (size_t k = 0; k < json_array_size(names);) {
                        const char *n = json_string_value(json_array_get(names, k));
                        const struct plan *pl = plan_find(p, n);

                        if (pl && pl->add) {
                                if (json_array_remove(names, k) < 0)
                                        return -ENOMEM;
                        } else {
                                k++;
                        }
                }
                if (json_is_string(name)) {
                        const struct plan *pl = plan_find(p, json_string_value(name));

                        if (pl && pl->add && json_object_del(rule, "name") < 0)
                                return -ENOMEM;
                }
                if (json_array_size(names) == 0 && !json_is_string(json_object_get(rule, "name"))) {
                        if (json_array_remove(syscalls, i) < 0)
                                return -ENOMEM;
                } else {
                        i++;
                }
        }
        return 0;
}

/* --- driftlock's rules ------------------------------------------------------ */

static int append_rule(json_t *syscalls, json_t *names, const char *action, json_t *args,
                       int errno_value)
{
        json_t *rule = json_object();
        int r = -ENOMEM;

        if (!rule || !names)
                goto out;
        if (json_object_set(rule, "names", names) < 0 ||
            json_object_set_new(rule, "action", json_string(action)) < 0)
                goto out;
        if (args && json_object_set(rule, "args", args) < 0)
                goto out;
        if (errno_value > 0 &&
            json_object_set_new(rule, "errnoRet", json_integer(errno_value)) < 0)
                goto out;
        r = json_array_append(syscalls, rule) < 0 ? -ENOMEM : 0;
out:
        json_decref(rule);
        json_decref(names);
        json_decref(args);
        return r;
}

/* [{"index":i,"value":mask,"valueTwo":value,"op":"SCMP_CMP_MASKED_EQ"}]:
 * OCI's MASKED_EQ holds when (arg & value) == valueTwo. */
static json_t *masked_eq(int index, uint64_t mask, uint64_t value)
{
        return json_pack("[{s:i, s:I, s:I, s:s}]", "index", index,
                         "value", (json_int_t)mask, "valueTwo", (json_int_t)value,
                         "op", "SCMP_CMP_MASKED_EQ");
}

/* [{"index":i,"value":value,"op":op}] for SCMP_CMP_EQ and _NE. */
static json_t *compare(int index, uint64_t value, const char *op)
{
        return json_pack("[{s:i, s:I, s:s}]", "index", index, "value", (json_int_t)value,
                         "op", op);
}

static json_t *one_name(const char *name)
{
        return json_pack("[s]", name);
}

static int append_ours(const struct plans *p, json_t *syscalls, char *err, size_t errlen)
{
        json_t *all = json_array();
        int r;

        if (!all)
                return -ENOMEM;
        for (size_t s = 0; s < p->n; s++)
                if (p->v[s].add && p->v[s].notify_all &&
                    json_array_append_new(all, json_string(p->v[s].name)) < 0) {
                        json_decref(all);
                        return -ENOMEM;
                }
        if (json_array_size(all) > 0) {
                r = append_rule(syscalls, all, "SCMP_ACT_NOTIFY", NULL, 0);
                if (r < 0)
                        return r;
        } else {
                json_decref(all);
        }

        /* One rule per flag bit, in table order: OR'ed by the runtime. */
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct filter_rule *fr = &p->rules[i];
                const struct plan *pl = plan_find(p, fr->syscall);

                if (fr->action != FILTER_ACT_NOTIFY || fr->arg_index < 0 || !pl->add ||
                    pl->notify_all)
                        continue;
                r = append_rule(syscalls, one_name(fr->syscall), "SCMP_ACT_NOTIFY",
                                fr->negate ? compare(fr->arg_index, fr->value, "SCMP_CMP_NE")
                                           : masked_eq(fr->arg_index, fr->mask, fr->value),
                                0);
                if (r < 0)
                        return r;
        }

        for (size_t s = 0; s < p->n; s++) {
                int index;
                uint64_t mask, value;

                if (!p->v[s].add || !p->v[s].complement)
                        continue;
                if (plan_complement(p, &p->v[s], &index, &mask, &value) < 0) {
                        seterr(err, errlen, "filter table: the conditions for %s have no complement",
                               p->v[s].name);
                        return -EINVAL;
                }
                /* JSON numbers are signed here (runc refuses -1 for a
                 * uint64): an all-ones mask is said with EQ */
                r = append_rule(syscalls, one_name(p->v[s].name), "SCMP_ACT_ALLOW",
                                mask == ~(uint64_t)0 ? compare(index, value, "SCMP_CMP_EQ")
                                                     : masked_eq(index, mask, value),
                                0);
                if (r < 0)
                        return r;
        }

        /* ERRNO rules, one per errno value, in table order. */
        for (size_t s = 0; s < p->n; s++) {
                json_t *names;
                bool seen = false;

                if (!p->v[s].add || !p->v[s].refuse)
                        continue;
                for (size_t t = 0; t < s; t++)
                        seen = seen || (p->v[t].add && p->v[t].refuse &&
                                        p->v[t].errno_value == p->v[s].errno_value);
                if (seen)
                        continue;
                names = json_array();
                if (!names)
                        return -ENOMEM;
                for (size_t t = s; t < p->n; t++)
                        if (p->v[t].add && p->v[t].refuse &&
                            p->v[t].errno_value == p->v[s].errno_value &&
                            json_array_append_new(names, json_string(p->v[t].name)) < 0) {
                                json_decref(names);
                                return -ENOMEM;
                        }
                r = append_rule(syscalls, names, "SCMP_ACT_ERRNO", NULL, p->v[s].errno_value);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The last line of defence against a runtime deadlock: whatever the table
 * and the base say, none of these may be notified. */
static int check_never_notified(json_t *out, char *err, size_t errlen)
{
        json_t *syscalls = json_object_get(out, "syscalls");
        size_t i;
        json_t *rule;

        json_array_foreach(syscalls, i, rule) {
                const char *action = json_string_value(json_object_get(rule, "action"));

                if (!action || strcmp(action, "SCMP_ACT_NOTIFY") != 0)
                        continue;
                for (size_t k = 0; k < ARRAY_SIZE(ociseccomp_never_notify); k++)
                        if (rule_names(rule, ociseccomp_never_notify[k])) {
                                seterr(err, errlen, "refusing to notify %s: runtimes deadlock",
                                       ociseccomp_never_notify[k]);
                                return -EINVAL;
                        }
        }
        return 0;
}

/* --- putting it together ---------------------------------------------------- */

int ociseccomp_check_options(const struct ociseccomp_options *o, char *err, size_t errlen)
{
        const char *path;

        if (!o) {
                seterr(err, errlen, "invalid arguments");
                return -EINVAL;
        }
        path = o->listener_path;
        if (!path || (path[0] != '/' && path[0] != '@') || path[1] == '\0') {
                seterr(err, errlen,
                       "listener path must be absolute (or @name for an abstract socket)");
                return -EINVAL;
        }
        if (strlen(path) > OCISECCOMP_LISTENER_MAX) {
                seterr(err, errlen, "listener path longer than %d bytes",
                       OCISECCOMP_LISTENER_MAX);
                return -EINVAL;
        }
        if (o->listener_metadata && strlen(o->listener_metadata) > OCISECCOMP_METADATA_MAX) {
                seterr(err, errlen, "listener metadata longer than %d bytes",
                       OCISECCOMP_METADATA_MAX);
                return -EINVAL;
        }
        return 0;
}

/* A copy of the base, checked at the top level, or the standalone
 * skeleton. Returns the object and its default's class. */
static int start_output(const json_t *base, json_t **ret, enum act_class *ret_deflt,
                        char *err, size_t errlen)
{
        json_t *out, *syscalls, *deflt;
        const char *arch = ociseccomp_native_arch();

        if (!base) {
                out = json_pack("{s:s}", "defaultAction", "SCMP_ACT_ALLOW");
                if (!out || (arch && json_object_set_new(out, "architectures",
                                                         json_pack("[s]", arch)) < 0)) {
                        json_decref(out);
                        return -ENOMEM;
                }
                *ret = out;
                *ret_deflt = ACT_ALLOW;
                return 0;
        }
        if (!json_is_object(base)) {
                seterr(err, errlen, "the base profile is not a JSON object");
                return -EINVAL;
        }
        deflt = json_object_get(base, "defaultAction");
        if (!json_is_string(deflt) || action_class(json_string_value(deflt), ret_deflt) < 0) {
                seterr(err, errlen, "defaultAction: %s",
                       json_is_string(deflt) ? "unknown action" : "missing or not a string");
                return -EINVAL;
        }
        if (*ret_deflt == ACT_NOTIFY) {
                seterr(err, errlen, "defaultAction SCMP_ACT_NOTIFY: runtimes refuse it "
                       "(the runtime itself would wait for the agent)");
                return -ENOTSUP;
        }
        syscalls = json_object_get(base, "syscalls");
        if (syscalls && !json_is_null(syscalls) && !json_is_array(syscalls)) {
                seterr(err, errlen, "syscalls: not an array");
                return -EINVAL;
        }
        if (json_array_size(syscalls) > OCISECCOMP_BASE_MAX_RULES) {
                seterr(err, errlen, "syscalls: more than %d rules", OCISECCOMP_BASE_MAX_RULES);
                return -E2BIG;
        }
        out = json_deep_copy(base);
        if (!out)
                return -ENOMEM;
        if (arch) {
                /* podman takes either architectures or archMap, not both. */
                json_object_del(out, "archMap");
                if (json_object_set_new(out, "architectures", json_pack("[s]", arch)) < 0) {
                        json_decref(out);
                        return -ENOMEM;
                }
        }
        *ret = out;
        return 0;
}

static int finish_output(const struct ociseccomp_options *o, const struct plans *p, json_t *out,
                         char *err, size_t errlen)
{
        json_t *syscalls = json_object_get(out, "syscalls");
        int r;

        if (json_object_set_new(out, "listenerPath", json_string(o->listener_path)) < 0)
                return -ENOMEM;
        /* A base's metadata was meant for its own listener. */
        json_object_del(out, "listenerMetadata");
        if (o->listener_metadata &&
            json_object_set_new(out, "listenerMetadata", json_string(o->listener_metadata)) < 0)
                return -ENOMEM;
        if (!json_is_array(syscalls)) {
                syscalls = json_array();
                if (!syscalls || json_object_set_new(out, "syscalls", syscalls) < 0)
                        return -ENOMEM;
        }
        r = strip_base(p, syscalls);
        if (r < 0)
                return r;
        return append_ours(p, syscalls, err, errlen);
}

int ociseccomp_build(const struct ociseccomp_options *opts, const json_t *base,
                     json_t **ret, char *err, size_t errlen)
{
        cleanup_free struct filter_rule *rules = NULL;
        cleanup_free struct plan *plans = NULL;
        struct plans p;
        enum act_class deflt;
        json_t *out = NULL;
        size_t n;
        int r;

        if (!opts || !ret) {
                seterr(err, errlen, "invalid arguments");
                return -EINVAL;
        }
        r = ociseccomp_check_options(opts, err, errlen);
        if (r < 0)
                return r;
        r = filter_rules(&opts->spec, &rules, &n);
        if (r < 0) {
                seterr(err, errlen, "filter table: %s", strerror(-r));
                return r;
        }
        plans = calloc(n ? n : 1, sizeof(*plans));
        if (!plans)
                return -ENOMEM;
        p = (struct plans) { .rules = rules, .n_rules = n, .v = plans };
        r = plans_build(&p, err, errlen);
        if (r < 0)
                return r;

        r = start_output(base, &out, &deflt, err, errlen);
        if (r < 0)
                return r;
        r = plans_against_base(&p, json_object_get(out, "syscalls"), deflt, err, errlen);
        if (r >= 0)
                r = finish_output(opts, &p, out, err, errlen);
        if (r >= 0)
                r = check_never_notified(out, err, errlen);
        if (r < 0) {
                json_decref(out);
                return r;
        }
        *ret = out;
        return 0;
}
