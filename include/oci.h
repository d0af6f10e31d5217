/* The OCI "container process state" that a runtime sends over listenerPath
 * with the seccomp listener fd (runtime-spec config-linux.md, "The Container
 * Process State"; research/seccomp_notify.md §1), and which profile a
 * container gets from it.
 *
 *   {"ociVersion": "1.0.2-dev", "fds": ["seccompFd"], "pid": 2694,
 *    "metadata": "profile=web",
 *    "state": {"ociVersion": "1.0.2-dev", "id": "c1", "status": "creating",
 *              "pid": 2694, "bundle": "/run/b",
 *              "annotations": {"io.driftlock.mode": "enforce"}}}
 *
 * Pure: parses bytes (with jansson) and computes names; no I/O. Everything
 * in the message comes from outside and is bounded and checked here; the
 * state's id and pid are still only what the sender claims (the listener
 * authenticates the peer, never this module). */
#pragma once

#include <stddef.h>

/* A state larger than this is refused (kinvolk's agent allows 32 KiB; a
 * Kubernetes pod's annotations can be large, a megabyte is not). */
#define OCI_STATE_MAX_BYTES (1u << 20)
/* Longest state.id accepted. */
#define OCI_ID_MAX 1024
/* More fd names than SCM_RIGHTS can carry in one message (SCM_MAX_FD). */
#define OCI_FDS_MAX 253
/* Longest encoded profile name: NAME_MAX (255) minus ".ini" and room for a
 * temporary name next to the file during an atomic save. */
#define OCI_NAME_ENCODED_MAX 200

/* Annotations driftlock reads (set in config.json by the operator). */
#define OCI_ANNOTATION_PROFILE "io.driftlock.profile"
#define OCI_ANNOTATION_MODE "io.driftlock.mode"

struct oci_state {
        char *oci_version;              /* any string */
        /* Index of "seccompFd" in "fds" (the index into the SCM_RIGHTS array);
         * 0 when "fds" is absent or null (runc 1.1 always sends it; one fd is
         * then the seccomp fd); -1 when "fds" names fds but not seccompFd. */
        int seccomp_fd_index;
        int pid;                        /* > 0, in the runtime's pid namespace */
        char *metadata;                 /* listenerMetadata, NULL if absent */
        char *id;                       /* state.id: 1..OCI_ID_MAX bytes, no '/',
                                           no control bytes, not "." or ".." */
        char *status;                   /* state.status, any string */
        int state_pid;                  /* state.pid, 0 if absent */
        char *bundle;                   /* state.bundle, NULL if absent */
        char **annotation_keys, **annotation_values;
        size_t n_annotations;
};

/* Parses the one JSON object at the start of buf[0..len): leading JSON white
 * space is allowed and bytes after the object are not looked at.
 * Returns
 *   0        the object is complete and valid: *ret (free with
 *            oci_state_free) and *ret_consumed (bytes up to and including the
 *            closing '}') are set;
 *   -EAGAIN  no error was found before the end of buf: buf is a prefix of a
 *            JSON object (the caller reads more), or its last token is cut
 *            off or wrong in a way jansson reports only once it sees what
 *            follows ("tru" then "e" or "x"). More bytes, or the peer's EOF,
 *            settle it; so does the size limit;
 *   -EMSGSIZE len > OCI_STATE_MAX_BYTES and the first OCI_STATE_MAX_BYTES
 *            bytes hold no complete object (a caller never needs to buffer
 *            more than OCI_STATE_MAX_BYTES + 1 bytes);
 *   -EINVAL  malformed JSON (including duplicate keys, "\u0000" and numbers
 *            out of range) or a message of the wrong shape:
 *              not an object; ociVersion missing or not a string; fds not
 *              null or an array of at most OCI_FDS_MAX strings, or naming
 *              seccompFd twice; pid missing or not an integer > 0; metadata
 *              not null or a string; state missing or not an object;
 *              state.id as described in struct oci_state; state.status
 *              missing or not a string; state.ociVersion or state.bundle not
 *              null or a string; state.pid not an integer >= 0;
 *              state.annotations not null or an object whose values are all
 *              strings.
 *            Unknown fields, anywhere, are ignored; null counts as absent
 *            for every optional field;
 *   -ENOMEM.
 * *ret_error (may be NULL) is set to a static message on every result but 0.
 * *ret and *ret_consumed are set only on success. */
int oci_state_parse(const char *buf, size_t len, struct oci_state **ret,
                    size_t *ret_consumed, const char **ret_error);

/* Frees a state; accepts NULL; returns NULL. */
struct oci_state *oci_state_free(struct oci_state *s);

/* Parses the runtime state an OCI hook reads on its stdin (runtime-spec
 * runtime.md "State": ociVersion, id, status, pid, bundle, annotations), a
 * complete document. Fills the same struct: pid and state_pid are the
 * container's init (0 if absent), seccomp_fd_index and metadata are unset.
 * Returns 0, -EINVAL or -EMSGSIZE with *ret_error, or -ENOMEM. */
int oci_hook_state_parse(const char *buf, size_t len, struct oci_state **ret,
                         const char **ret_error);

/* The value of annotation key, or NULL if absent. */
const char *oci_annotation(const struct oci_state *s, const char *key);

/* Where a container's profile name came from. */
enum oci_name_source {
        OCI_NAME_ANNOTATION,            /* io.driftlock.profile */
        OCI_NAME_IMAGE,                 /* an image-name annotation */
        OCI_NAME_METADATA,              /* listenerMetadata "profile=NAME" */
        OCI_NAME_CONTAINER_ID,          /* no usable name: "container-" + id */
};

/* "annotation", "image", "metadata", "container-id" (for events). */
const char *oci_name_source_name(enum oci_name_source source);

/* The profile name (not encoded; see oci_encode_name), the first of
 *   1. annotation io.driftlock.profile, if not empty;
 *   2. the image (oci_image_name);
 *   3. listenerMetadata "profile=NAME": the metadata is split at ',' and
 *      white space around each item is ignored ("profile=web",
 *      "image=busybox, profile=web"); exactly one item that starts with
 *      "profile=", with a non-empty NAME, gives NAME (which therefore holds
 *      no ','). No such item, an empty NAME or two profile= items: no name
 *      from metadata;
 *   4. "container-" + state.id.
 * Returns 0 with *ret_name (free it) and *ret_source (may be NULL), or
 * -ENOMEM. */
int oci_profile_name(const struct oci_state *s, char **ret_name,
                     enum oci_name_source *ret_source);

/* The io.driftlock.mode annotation as it is (the caller checks it with
 * profile_mode_from_name, so an empty or misspelt value is reported rather
 * than ignored), or NULL if absent. */
const char *oci_requested_mode(const struct oci_state *s);

/* The first non-empty of the annotations io.kubernetes.cri.image-name
 * (containerd), io.kubernetes.cri-o.ImageName (CRI-O),
 * org.opencontainers.image.ref.name. Returns 0 with *ret pointing into s, or
 * -ENOENT. */
int oci_image_name(const struct oci_state *s, const char **ret);

/* Maps a profile name to a file name stem of [A-Za-z0-9._-]: bytes A-Z a-z
 * 0-9 '.' '-' stand for themselves, except a leading '.' (no hidden files,
 * never "." or ".."); every other byte, '_' included, becomes "_xx" (two
 * lower-case hex digits). So the mapping is injective and decodable:
 *   "docker.io/library/nginx:1.25" -> "docker.io_2flibrary_2fnginx_3a1.25"
 *   "a_b" -> "a_5fb", "a/b" -> "a_2fb", ".." -> "_2e."
 * Returns 0 with *ret (free it); -EINVAL for NULL or ""; -ENAMETOOLONG if the
 * result would be longer than OCI_NAME_ENCODED_MAX bytes (the caller falls
 * back to another name and says why; nothing is shortened or hashed, so two
 * names never share a file); -ENOMEM. */
int oci_encode_name(const char *name, char **ret);

/* The inverse, for display. Accepts exactly what oci_encode_name produces
 * (any length): -EINVAL for "", a byte outside [A-Za-z0-9._-], a leading
 * '.', an escape that is not "_" + two lower-case hex digits, an escape of
 * NUL, or an escape of a byte that stands for itself ("_61" for "a"; but
 * "_2e" is required for a leading '.'). Returns 0 with *ret (free it),
 * -EINVAL, or -ENOMEM. */
int oci_decode_name(const char *encoded, char **ret);
