/* The policy engine: a profile compiled for decisions. Pure: no I/O, no
 * logging; safe to share between threads once compiled (read-only).
 *
 * Exact paths are found by hash lookup; patterns are compiled once; the cost
 * of a decision does not depend on the number of exact entries. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netrule.h"
#include "profile.h"

struct policy;

struct policy_verdict {
        bool allowed;
        const char *rule;       /* canonical text of the matching rule, or NULL */
        unsigned line;          /* its line in the profile (0 if unknown) */
        const char *reason;     /* static text: "rule", "no matching rule",
                                   "reads unrestricted" */
};

/* A connection attempt. For tcp/udp: family and addr (4 or 16 bytes used);
 * IPv4-mapped IPv6 addresses are matched as IPv4. For unix: path (raw bytes,
 * path_len of them; for a path socket an absolute normalised path) and
 * abstract (path holds the name without the leading NUL). */
struct policy_endpoint {
        enum netrule_proto proto;
        int family;
        uint8_t addr[16];
        uint16_t port;
        const char *path;
        size_t path_len;
        bool abstract;
};

/* Compiles a profile. The policy keeps no pointer into p. Returns 0 and the
 * policy in *ret, -EINVAL if an entry cannot be compiled, or -ENOMEM. */
int policy_compile(const struct profile *p, struct policy **ret);

/* Frees a policy; accepts NULL; returns NULL. */
struct policy *policy_free(struct policy *pol);

/* True if the profile restricts reads (it had a [read] section). */
bool policy_restricts_reads(const struct policy *pol);

/* Decides exec, write or read of a raw, absolute, normalised path. Fills
 * *ret (rule points into the policy and lives as long as it). */
bool policy_check_path(const struct policy *pol, enum profile_class cls,
                       const char *path, struct policy_verdict *ret);

/* Decides a connection. Fills *ret as policy_check_path. */
bool policy_check_connect(const struct policy *pol, const struct policy_endpoint *ep,
                          struct policy_verdict *ret);

/* The i-th tcp/udp rule, in profile order, or NULL past the last one (for
 * programs that judge connections in the kernel, sendgate_prog.h). */
const struct netrule *policy_ip_rule(const struct policy *pol, size_t i);

/* The i-th unix rule (abstract names first, then paths), for programs that
 * judge in the kernel: 1 and the sun_path bytes it names exactly in *ret
 * (malloc) and *ret_len (an abstract name with its leading NUL, a path
 * without wildcards); 0 if it is a pattern, which names no one sun_path;
 * -ENOENT past the last rule; -ENOMEM. */
int policy_unix_exact(const struct policy *pol, size_t i, char **ret, size_t *ret_len);
