/* A session: one supervised process tree (`driftlock run`) or container
 * (driftlockd), with its profile, compiled policy, mode, learned
 * observations, counters and event sink. The supervisor decides every held
 * call of the session against it. Not thread-safe: one loop owns it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "learn.h"
#include "policy.h"
#include "profile.h"
#include "sendgate.h"

struct session_counts {
        uint64_t held;          /* notifications received */
        uint64_t allowed;       /* calls let through by a rule (or unrestricted) */
        uint64_t denied;        /* refused in enforce mode */
        uint64_t alerted;       /* monitor mode: enforce would have refused */
        uint64_t learned;       /* new observations in learn mode */
        uint64_t gone;          /* calls whose process vanished while held */
        uint64_t events_lost;   /* events that could not be written */
        uint64_t emulated;      /* calls the agent performed for the target */
};

struct session_options {
        const char *container;  /* container id, NULL for a local process tree */
        const char *profile_name; /* shown in events; NULL: the profile path */
        const char *profile_path; /* where the profile lives (may not exist yet) */
        enum profile_mode mode;   /* UNSET: the profile's "mode =", else default_mode */
        enum profile_mode default_mode;
        const char *image;        /* the image as the runtime named it; NULL: the
                                     profile's "image =" */
        bool broken_profile_ok;   /* a profile with errors is reported through
                                     diag and replaced by an empty one (the
                                     agent must supervise whatever arrives) */
        int refuse_errno;         /* EPERM or EACCES */
        int events_fd;            /* where event lines go (not owned) */
        bool learn_reads;         /* learn mode: also record reads ([read] section) */
        bool no_emulate;          /* enforce mode: answer allowed opens and connects
                                     with CONTINUE (faster, not race-proof) */
};

struct session {
        char *container;
        char *profile_name;
        char *profile_path;
        char *image;
        enum profile_mode mode;
        int refuse_errno;
        int events_fd;
        struct profile *profile;        /* as loaded (empty if the file did not exist) */
        struct policy *policy;          /* compiled from profile */
        struct learn *learn;            /* observations of this session */
        bool notify_reads;              /* reads are held (restricted or learned) */
        bool profile_broken;            /* the file had errors: an empty profile
                                           is used and learning is not saved */
        bool emulate;                   /* enforce: the agent performs allowed opens
                                           and connects itself (DESIGN.md §4) */
        struct sendgate *send_gate;     /* judges connect and UDP send destinations in
                                           the kernel (sendgate.h); NULL: none */
        struct session_counts counts;
};

/* Creates a session with the profile read from opts->profile_path (a
 * missing file gives an empty profile). Problems in the file are reported
 * through diag (as profile_load) and make this fail with -EINVAL, unless
 * opts->broken_profile_ok.
 * Returns 0 and the session in *ret, or -errno. */
int session_new(const struct session_options *opts, profile_diag_fn diag, void *ctx,
                struct session **ret);

/* Attaches a send gate for the session's mode (enforce refuses, the other
 * modes report) to the cgroup v2 directory cgroup_fd, replacing the gate
 * attached before (call it again after the mode changed; read the old
 * gate's reports first). Returns 0, or -errno of sendgate_new (the previous
 * gate then stays). */
int session_gate_sends(struct session *s, int cgroup_fd);

/* Frees a session (and detaches its send gate); accepts NULL; returns NULL. */
struct session *session_free(struct session *s);

/* Fills the session's identity (container, profile, image, mode) into ev,
 * formats it and writes the line with one write(2). A failed write is
 * counted in counts.events_lost, never fatal. */
void session_emit(struct session *s, struct event *ev);

/* Merges what was learned into the profile file: reads the file as it is
 * now (another session may have written it), adds the observations, writes
 * it back atomically, all under an exclusive lock on the directory.
 * Returns 0 or -errno (problems in the file: -EINVAL through diag). */
int session_save_learned(struct session *s, profile_diag_fn diag, void *ctx);
