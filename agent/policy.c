#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "encode.h"
#include "path.h"
#include "pathglob.h"
#include "strset.h"
#include "util.h"

/* A rule as reported in a verdict: its canonical text (owned by the policy)
 * and where it came from. */
struct policy_rule {
        char *text;
        unsigned line;
};

struct policy_pattern {
        struct policy_rule rule;
        struct pathglob *glob;
};

/* One of [exec], [write], [read]: literal entries in a hash set keyed by the
 * raw path (value: the struct policy_rule in exact[]), the others compiled
 * and tried in profile order. */
struct policy_paths {
        struct strset *set;
        struct policy_rule *exact;
        size_t n_exact;
        struct policy_pattern *patterns;
        size_t n_patterns;
};

struct policy_ip_rule {
        struct policy_rule rule;
        struct netrule net;     /* unix_text unused (NULL) */
};

struct policy_abstract {
        struct policy_rule rule;
        char *name;             /* decoded raw bytes, may hold NUL */
        size_t len;
};

struct policy {
        bool restricts_reads;
        struct policy_paths paths[PROFILE_CONNECT];     /* exec, write, read */
        struct policy_ip_rule *ip;                      /* tcp and udp, in profile order */
        size_t n_ip;
        struct policy_pattern *unix_paths;
        size_t n_unix_paths;
        struct policy_abstract *abstract;
        size_t n_abstract;
};

static const char REASON_RULE[] = "rule";
static const char REASON_NONE[] = "no matching rule";
static const char REASON_READS[] = "reads unrestricted";


static void policy_paths_release(struct policy_paths *pp)
{
        strset_free(pp->set);
        for (size_t i = 0; i < pp->n_exact; i++)
                free(pp->exact[i].text);
        free(pp->exact);
        for (size_t i = 0; i < pp->n_patterns; i++) {
                free(pp->patterns[i].rule.text);
                pathglob_free(pp->patterns[i].glob);
        }
        free(pp->patterns);
}

struct policy *policy_free(struct policy *pol)
{
        if (!pol)
                return NULL;
        for (size_t c = 0; c < ARRAY_SIZE(pol->paths); c++)
                policy_paths_release(&pol->paths[c]);
        for (size_t i = 0; i < pol->n_ip; i++)
                free(pol->ip[i].rule.text);
        free(pol->ip);
        for (size_t i = 0; i < pol->n_unix_paths; i++) {
                free(pol->unix_paths[i].rule.text);
                pathglob_free(pol->unix_paths[i].glob);
        }
        free(pol->unix_paths);
        for (size_t i = 0; i < pol->n_abstract; i++) {
                free(pol->abstract[i].rule.text);
                free(pol->abstract[i].name);
        }
        free(pol->abstract);
        free(pol);
        return NULL;
}

/* Appends a compiled pattern to an array sized for the whole list up front,
 * so that nothing moves while rules are being added. The rule's text is
 * taken from *text (for unix rules it is the whole rule, not the pattern). */
static int policy_add_pattern(struct policy_pattern *v, size_t *n, const char *pattern,
                              char **text, unsigned line)
{
        struct policy_pattern *pat = &v[*n];
        int r;

        r = pathglob_compile(pattern, &pat->glob);
        if (r < 0)
                return r;
        pat->rule.text = TAKE_PTR(*text);
        pat->rule.line = line;
        (*n)++;
        return 0;
}

ANALYZER_ARRAY_STORE_BEGIN
static int policy_compile_paths(struct policy_paths *pp, const struct profile_list *list)
{
        if (list->n == 0)
                return 0;
        pp->set = strset_new();
        pp->exact = calloc(list->n, sizeof(*pp->exact));
        pp->patterns = calloc(list->n, sizeof(*pp->patterns));
        if (!pp->set || !pp->exact || !pp->patterns)
                return -ENOMEM;

        for (size_t i = 0; i < list->n; i++) {
                const struct profile_entry *e = &list->v[i];
                cleanup_free char *canonical = NULL;
                cleanup_free char *raw = NULL;
                struct policy_rule *rule;
                const char *error;
                int r;

                /* A profile from profile_parse is canonical already; doing it
                 * again costs only compile time and makes a hand-built
                 * profile (or a stale one) decide exactly like its text. */
                r = pathglob_canonicalize(e->text, &canonical, &error);
                if (r < 0)
                        return r;
                if (!pathglob_is_literal(canonical)) {
                        r = policy_add_pattern(pp->patterns, &pp->n_patterns, canonical,
                                               &canonical, e->line);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = pathglob_literal_path(canonical, &raw);
                if (r < 0)
                        return r;
                rule = &pp->exact[pp->n_exact++];
                rule->text = TAKE_PTR(canonical);
                rule->line = e->line;
                /* A duplicate keeps the first entry, as profile_canonicalize
                 * keeps the first line number. */
                r = strset_add(pp->set, raw, rule);
                if (r < 0)
                        return r;
        }
        return 0;
}
ANALYZER_ARRAY_STORE_END

/* Decodes an abstract socket name from the profile encoding. Every byte
 * stands for itself except "%XX"; a name is matched exactly, so a bare '*'
 * or '?' is the byte itself. */
static int policy_decode_name(const char *text, char **ret, size_t *ret_len)
{
        size_t n = strlen(text), len = 0;
        char *out = malloc(n + 1);

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (text[i] == '%') {
                        int v = encode_escape_value(text + i);

                        if (v < 0) {
                                free(out);
                                return -EINVAL;
                        }
                        out[len++] = (char)v;
                        i += 2;
                } else {
                        out[len++] = text[i];
                }
        }
        out[len] = '\0';
        *ret = out;
        *ret_len = len;
        return 0;
}

static int policy_add_connect(struct policy *pol, struct netrule *net, char **canonical,
                              unsigned line)
{
        if (net->proto != NETRULE_UNIX) {
                struct policy_ip_rule *ip = &pol->ip[pol->n_ip++];

                ip->rule.text = TAKE_PTR(*canonical);
                ip->rule.line = line;
                ip->net = *net;
                ip->net.unix_text = NULL;       /* stays with *net */
                return 0;
        }
        if (net->abstract) {
                struct policy_abstract *ab = &pol->abstract[pol->n_abstract];
                int r = policy_decode_name(net->unix_text, &ab->name, &ab->len);

                if (r < 0)
                        return r;
                ab->rule.text = TAKE_PTR(*canonical);
                ab->rule.line = line;
                pol->n_abstract++;
                return 0;
        }
        return policy_add_pattern(pol->unix_paths, &pol->n_unix_paths, net->unix_text,
                                  canonical, line);
}

static int policy_compile_connect(struct policy *pol, const struct profile_list *list)
{
        if (list->n == 0)
                return 0;
        pol->ip = calloc(list->n, sizeof(*pol->ip));
        pol->unix_paths = calloc(list->n, sizeof(*pol->unix_paths));
        pol->abstract = calloc(list->n, sizeof(*pol->abstract));
        if (!pol->ip || !pol->unix_paths || !pol->abstract)
                return -ENOMEM;

        for (size_t i = 0; i < list->n; i++) {
                const struct profile_entry *e = &list->v[i];
                struct strbuf text = STRBUF_INIT;
                cleanup_free char *canonical = NULL;
                struct netrule net;
                const char *error;
                int r;

                r = netrule_parse(e->text, &net, &error);
                if (r < 0)
                        return r;
                r = netrule_format(&net, &text);
                if (r >= 0) {
                        canonical = strbuf_detach(&text);
                        r = canonical ? policy_add_connect(pol, &net, &canonical, e->line)
                                      : -ENOMEM;
                }
                strbuf_release(&text);
                netrule_release(&net);
                if (r < 0)
                        return r;
        }
        return 0;
}

int policy_compile(const struct profile *p, struct policy **ret)
{
        struct policy *pol = malloc(sizeof(*pol));
        int r = 0;

        if (!pol)
                return -ENOMEM;
        *pol = (struct policy){ .restricts_reads = p->restricts_reads };
        for (size_t c = 0; c < ARRAY_SIZE(pol->paths) && r >= 0; c++)
                r = policy_compile_paths(&pol->paths[c], &p->lists[c]);
        if (r >= 0)
                r = policy_compile_connect(pol, &p->lists[PROFILE_CONNECT]);
        if (r < 0) {
                policy_free(pol);
                return r;
        }
        *ret = pol;
        return 0;
}

bool policy_restricts_reads(const struct policy *pol)
{
        return pol->restricts_reads;
}

static bool policy_verdict_set(struct policy_verdict *ret, bool allowed,
                               const struct policy_rule *rule, const char *reason)
{
        ret->allowed = allowed;
        ret->rule = rule ? rule->text : NULL;
        ret->line = rule ? rule->line : 0;
        ret->reason = reason;
        return allowed;
}

static bool policy_deny(struct policy_verdict *ret)
{
        return policy_verdict_set(ret, false, NULL, REASON_NONE);
}

static bool policy_allow(struct policy_verdict *ret, const struct policy_rule *rule)
{
        return policy_verdict_set(ret, true, rule, REASON_RULE);
}

static const struct policy_rule *policy_match_patterns(const struct policy_pattern *v,
                                                       size_t n, const char *path)
{
        for (size_t i = 0; i < n; i++)
                if (pathglob_match(v[i].glob, path))
                        return &v[i].rule;
        return NULL;
}

/* A path the policy can decide on: absolute and within the kernel's limit.
 * Anything else is denied without looking at the rules (patterns are only
 * defined on absolute paths, and the bound keeps matching cheap). */
static bool policy_path_ok(const char *path)
{
        return path && path[0] == '/' && strnlen(path, PATH_MAX_BYTES + 1) <= PATH_MAX_BYTES;
}

bool policy_check_path(const struct policy *pol, enum profile_class cls,
                       const char *path, struct policy_verdict *ret)
{
        const struct policy_paths *pp;
        const struct policy_rule *rule;
        void *value;

        if ((unsigned)cls >= ARRAY_SIZE(pol->paths))
                return policy_deny(ret);
        if (cls == PROFILE_READ && !pol->restricts_reads)
                return policy_verdict_set(ret, true, NULL, REASON_READS);
        if (!policy_path_ok(path))
                return policy_deny(ret);

        pp = &pol->paths[cls];
        if (pp->set && strset_find(pp->set, path, &value))
                return policy_allow(ret, value);
        rule = policy_match_patterns(pp->patterns, pp->n_patterns, path);
        if (rule)
                return policy_allow(ret, rule);
        return policy_deny(ret);
}

static bool policy_check_unix(const struct policy *pol, const struct policy_endpoint *ep,
                              struct policy_verdict *ret)
{
        char buf[PATH_MAX_BYTES + 1];
        const struct policy_rule *rule;

        if (!ep->path && ep->path_len > 0)
                return policy_deny(ret);
        if (ep->abstract) {
                for (size_t i = 0; i < pol->n_abstract; i++) {
                        const struct policy_abstract *ab = &pol->abstract[i];

                        if (ab->len == ep->path_len &&
                            (ab->len == 0 || memcmp(ab->name, ep->path, ab->len) == 0))
                                return policy_allow(ret, &ab->rule);
                }
                return policy_deny(ret);
        }

        /* A path socket: the bytes are not NUL-terminated, and a path with a
         * NUL in it or beyond the kernel's limit names nothing. */
        if (ep->path_len == 0 || ep->path_len > PATH_MAX_BYTES ||
            memchr(ep->path, '\0', ep->path_len) || ep->path[0] != '/')
                return policy_deny(ret);
        memcpy(buf, ep->path, ep->path_len);
        buf[ep->path_len] = '\0';
        rule = policy_match_patterns(pol->unix_paths, pol->n_unix_paths, buf);
        if (rule)
                return policy_allow(ret, rule);
        return policy_deny(ret);
}

bool policy_check_connect(const struct policy *pol, const struct policy_endpoint *ep,
                          struct policy_verdict *ret)
{
        const uint8_t *addr = ep->addr;
        int family = ep->family;

        if (ep->proto == NETRULE_UNIX)
                return policy_check_unix(pol, ep, ret);
        if (ep->proto != NETRULE_TCP && ep->proto != NETRULE_UDP)
                return policy_deny(ret);
        if (family == AF_INET6 && netrule_is_v4mapped(addr)) {
                family = AF_INET;
                addr += NETRULE_V4MAPPED_PREFIX;
        } else if (family != AF_INET && family != AF_INET6) {
                return policy_deny(ret);
        }
        for (size_t i = 0; i < pol->n_ip; i++)
                if (netrule_match_ip(&pol->ip[i].net, ep->proto, family, addr, ep->port))
                        return policy_allow(ret, &pol->ip[i].rule);
        return policy_deny(ret);
}

const struct netrule *policy_ip_rule(const struct policy *pol, size_t i)
{
        return i < pol->n_ip ? &pol->ip[i].net : NULL;
}

int policy_unix_exact(const struct policy *pol, size_t i, char **ret, size_t *ret_len)
{
        static const char prefix[] = "unix ";
        const char *pattern;
        char *bytes;
        int r;

        if (i < pol->n_abstract) {
                const struct policy_abstract *ab = &pol->abstract[i];

                bytes = malloc(ab->len + 1);
                if (!bytes)
                        return -ENOMEM;
                bytes[0] = '\0';
                memcpy(bytes + 1, ab->name, ab->len);
                *ret = bytes;
                *ret_len = ab->len + 1;
                return 1;
        }
        i -= pol->n_abstract;
        if (i >= pol->n_unix_paths)
                return -ENOENT;
        /* the rule's text is the canonical rule: "unix PATTERN" */
        pattern = pol->unix_paths[i].rule.text + sizeof(prefix) - 1;
        if (!pathglob_is_literal(pattern))
                return 0;
        r = pathglob_literal_path(pattern, &bytes);
        if (r < 0)
                return r;
        *ret = bytes;
        *ret_len = strlen(bytes);
        return 1;
}
