/* Learning: observations of one supervised process tree or container in,
 * a reviewable profile out.
 *
 * Every observation is generalised as it arrives (learn_generalize_path), so
 * the set holds pattern text and stays small however many temporary files a
 * workload creates. learn_merge_into writes the set into a profile that is
 * canonical (sorted, deduplicated), minimal (no literal entry that one of
 * its patterns already allows) and deterministic: the same observations, in
 * any order, give the same file.
 *
 * Pure: no I/O, no logging. Not thread-safe: the caller serialises. */
#pragma once

#include <stddef.h>

#include "policy.h"
#include "profile.h"
#include "strbuf.h"

/* Most distinct observations one struct learn holds (after generalisation).
 * A workload that exceeds it is not learnable as a list of paths; the caller
 * should report the profile as incomplete rather than grow without bound. */
#define LEARN_MAX_ENTRIES 65536

struct learn;

/* An empty set of observations. NULL on allocation failure. */
struct learn *learn_new(void);

/* Frees l; accepts NULL; returns NULL. */
struct learn *learn_free(struct learn *l);

/* Records an exec, write or read of a raw, absolute, normalised path (it is
 * normalised again lexically; it must not be relative). Returns 1 if the
 * generalised entry is new, 0 if it was already known; -EINVAL (bad class,
 * relative path), -ENAMETOOLONG (longer than PATH_MAX_BYTES, or not even
 * the first component plus a globstar fits on one profile line), -ENOSPC (already
 * LEARN_MAX_ENTRIES observations; known entries still return 0), -ENOMEM. */
int learn_observe_path(struct learn *l, enum profile_class cls, const char *path);

/* Records a connection (policy.h):
 *   tcp/udp  "tcp ADDR PORT" / "udp ADDR PORT", a single host; an
 *            IPv4-mapped IPv6 address is recorded as IPv4, as policy
 *            matches it;
 *   unix     "unix PATH", the path generalised as learn_generalize_path;
 *            "unix @NAME" for an abstract name, encoded, never widened
 *            (abstract names are matched exactly).
 * Returns 1 new / 0 known, or -EINVAL (unknown protocol or family, empty,
 * relative or NUL-holding socket path, abstract name over 107 bytes),
 * -ENAMETOOLONG, -ENOSPC, -ENOMEM as learn_observe_path. */
int learn_observe_connect(struct learn *l, const struct policy_endpoint *ep);

/* As learn_observe_connect, but a unix path is recorded exactly as it is
 * (it must be absolute and normalised, else -EINVAL), never generalised:
 * for destinations the kernel's send gate matches byte for byte
 * (sendgate.h), where a pattern would allow nothing. */
int learn_observe_exact_connect(struct learn *l, const struct policy_endpoint *ep);

/* The generalisation rule: appends to out the pattern text (profile
 * encoding, canonical as pathglob_canonicalize) that the raw path is
 * recorded as. The pattern always matches the path. *ret_why (if ret_why is
 * not NULL) is NULL when nothing was widened, else a static reason: "too
 * long for one profile line", or the first that applied of "pid in /proc",
 * "temporary name", "UUID", "hex run", "digit run". The rules and why each
 * exists are documented in learn.c. Returns 0, -EINVAL (relative path),
 * -ENAMETOOLONG, -ENOMEM; out is unchanged on failure. */
int learn_generalize_path(const char *path, struct strbuf *out, const char **ret_why);

/* Adds every observation to p (profile_add), then makes p minimal: a literal
 * entry that a pattern of the same class in p allows is dropped, whether it
 * was learned or already there; patterns are never dropped, even when
 * another pattern covers them (a reviewer may have written both). Read
 * observations turn on p->restricts_reads, since a [read] section is only
 * written when reads are restricted. Finally profile_canonicalize.
 * Returns 0, or -errno (-ENOMEM; p may then hold part of the observations). */
int learn_merge_into(const struct learn *l, struct profile *p);

/* Number of distinct observations held, all classes together. */
size_t learn_count(const struct learn *l);
