/* The OCI seccomp JSON that attaches a container to driftlockd (DESIGN.md
 * §2, way 1): the `linux.seccomp` object of a runtime's config.json, also
 * accepted by `podman --security-opt seccomp=FILE` and by Kubernetes
 * Localhost profiles. Built from filter_rules(), the table driftlock's own
 * filter is made of, so both ways intercept exactly the same calls.
 *
 * Pure: takes data, returns a jansson value; no I/O.
 *
 * Standalone: defaultAction SCMP_ACT_ALLOW, the native architecture only,
 * listenerPath (and listenerMetadata), and the table's rules: NOTIFY
 * without condition, NOTIFY per open flag bit (SCMP_CMP_MASKED_EQ; in OCI
 * terms (arg & value) == valueTwo), ERRNO with errnoRet.
 *
 * Merged into a base profile (a runtime's default, a Kubernetes profile):
 * the result lets a call run only if the base allows it and the agent
 * allows it. Per syscall S of the table:
 *   - the base allows S without condition (a rule with an allow action,
 *     SCMP_ACT_ALLOW or SCMP_ACT_LOG, or no rule and an allow default):
 *     S leaves the base's rules and driftlock's rules for S are added; for
 *     open/openat notified by flag, an ALLOW rule for the remaining
 *     (read-only) opens is added when the base's default refuses;
 *   - the base refuses S without condition (a refusing rule, or no rule and
 *     a refusing default): the base's treatment stays, driftlock adds
 *     nothing for S (a refused call cannot drift, and notifying it would
 *     let the agent allow what the base refuses);
 *   - otherwise (S under argument conditions, includes/excludes, or both
 *     allowed and refused): -ENOTSUP. libseccomp silently lets a rule
 *     without condition override conditional rules of another action, so
 *     such a mix cannot be merged without changing what the base means.
 * Everything else of the base is kept as it is (its own format included:
 * containers-common's includes/excludes/comment stay for podman), except:
 * architectures becomes the native one alone (archMap is dropped), and
 * listenerPath/listenerMetadata are driftlock's. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "filter.h"

/* Size of the error buffer the build functions fill. */
#define OCISECCOMP_ERROR_MAX 256
/* Longest listenerPath: sun_path holds 108 bytes with the NUL. */
#define OCISECCOMP_LISTENER_MAX 107
/* Longest listenerMetadata: it travels in every listener message. */
#define OCISECCOMP_METADATA_MAX 1024
/* Most rules a base profile may have (containers-common has 35). */
#define OCISECCOMP_BASE_MAX_RULES 4096

#define OCISECCOMP_DEFAULT_LISTENER "/run/driftlock/listener.sock"

struct ociseccomp_options {
        struct filter_spec spec;        /* mode and notify_reads, for filter_rules() */
        const char *listener_path;      /* absolute, or "@name" (abstract) */
        const char *listener_metadata;  /* NULL: none */
};

/* Checks opts alone: 0, or -EINVAL with err saying what is wrong (the
 * listener path is not absolute or @name, or too long; the metadata is too
 * long). ociseccomp_build() checks the same first. */
int ociseccomp_check_options(const struct ociseccomp_options *opts, char *err, size_t errlen);

/* Builds the seccomp object for opts, standalone when base is NULL, else
 * merged into a copy of base (base itself is not changed). Returns 0 and a
 * new reference in *ret (the caller json_decref()s it), or:
 *   -EINVAL   bad options (listener path not absolute or too long, metadata
 *             too long), or a malformed base (not an object, unknown or
 *             missing defaultAction, syscalls not an array, a rule without
 *             names, ...);
 *   -ENOTSUP  a base that cannot be merged: defaultAction SCMP_ACT_NOTIFY or
 *             a NOTIFY rule (another agent's), conditional or contradictory
 *             rules for a syscall driftlock intercepts;
 *   -E2BIG    a base with more than OCISECCOMP_BASE_MAX_RULES rules;
 *   -ENOMEM.
 * For every error but -ENOMEM, err (OCISECCOMP_ERROR_MAX bytes, may be
 * NULL) says what and where ("syscalls[3].names: not an array"); *ret is
 * set only on success. */
int ociseccomp_build(const struct ociseccomp_options *opts, const json_t *base,
                     json_t **ret, char *err, size_t errlen);

/* The architecture this build's filter table is for, as an OCI name
 * ("SCMP_ARCH_X86_64"), or NULL when unknown (then the field is left out
 * and the runtime uses its native one). */
const char *ociseccomp_native_arch(void);
