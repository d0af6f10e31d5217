/* Learning: observations, generalisation, merge (see learn.h).
 *
 * Generalisation ("generalizer v1", research/learning.md §2.2). A path is
 * split into components and each rule marks byte ranges of a component that
 * become one '*'; everything else is copied through the profile encoding, so
 * a literal '*', '?' or '%' in a real path stays an escaped literal. The
 * rules, in the order in which they name the reason:
 *
 *  1. pid in /proc: /proc/<digits> and /proc/<pid>/task/<digits> become
 *     /proc/STAR and /proc/STAR/task/STAR (STAR being '*'). Pids differ on
 *     every run, and the processes of one container read each other's
 *     files. /proc/self and /proc/thread-self, which the supervisor normally
 *     resolves to pids already, become STAR as well: the pattern must still
 *     match the path as it was observed, and enforcement sees the same
 *     form.
 *  2. temporary name: below /tmp, /var/tmp, /dev/shm and /run/user/<uid>,
 *     the random part of mkstemp-style names. The candidate is the trailing
 *     run of [A-Za-z0-9_] of a component, before a short extension (a '.'
 *     and 1-4 letters or digits: gcc's ccXXXXXX.s). If that run begins the
 *     component, up to 3 leading lower-case letters stay literal ("sed",
 *     "cc", "tmp": the prefixes of sed -i, gcc and Python's tempfile), but
 *     never so many that fewer than 6 remain: with glibc's 6 random
 *     characters that keeps exactly the real prefix even when the random
 *     part starts with lower-case letters, which is what makes two runs give
 *     the same pattern. A run after a separator ("tmp.XXXXXXXXXX" of
 *     mktemp(1), "pymp-XXXXXXXX") is replaced whole. '_' belongs to the run
 *     because Python draws random names from [a-z0-9_]. The part replaced
 *     must be at least 6 bytes and look random: it mixes digits and letters
 *     or upper and lower case, and it is not made only of word-like pieces
 *     between '_' ("session", "config2", "Backup1", "SHA256" stay). About 3%
 *     of 6-character random names look like words and stay literal; once
 *     the pattern has been seen too, learn_merge_into drops such literals.
 *  3. UUID: 8-4-4-4-12 hex digits (instance and boot ids).
 *  4. hex run: 16 or more hex digits with at least one digit, standing
 *     alone (not glued to other letters or digits): container ids, hashes.
 *  5. digit run: 6 or more digits anywhere in a component: timestamps,
 *     rotated logs ("log.20261122"), Go's os.CreateTemp and Java's
 *     createTempFile numbers, CPython's "x.pyc.<id>" atomic writes.
 *
 * Rules 2-5 never touch the image directories (/usr, /bin, /sbin, /lib,
 * /lib32, /lib64, /libx32, /etc, /opt): their files come from the image and
 * are static for a given digest, so widening there only grants more (a
 * versioned library is the same file on every run). No rule widens the
 * first component: "/STAR" would cover /etc and /usr.
 *
 * Last, an entry whose text would not fit on one profile line
 * (PROFILE_MAX_ENTRY) is widened to the longest generalised ancestor that
 * fits, plus "/STAR-STAR" ("too long for one profile line"); an ancestor
 * shallower than one component would allow everything, so such a path is
 * refused with -ENAMETOOLONG instead. */
#include "learn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "encode.h"
#include "netrule.h"
#include "path.h"
#include "pathglob.h"
#include "strset.h"
#include "util.h"

struct learn {
        struct strset *seen[PROFILE_NCLASSES];  /* canonical entry text */
        size_t count;
};

static const char WHY_TOO_LONG[] = "too long for one profile line";
static const char WHY_PROC[] = "pid in /proc";
static const char WHY_TEMP[] = "temporary name";
static const char WHY_UUID[] = "UUID";
static const char WHY_HEX[] = "hex run";
static const char WHY_DIGIT[] = "digit run";

/* Reasons in order of precedence (the first that applied is reported). */
enum {
        LG_PROC = 1 << 0,
        LG_TEMP = 1 << 1,
        LG_UUID = 1 << 2,
        LG_HEX = 1 << 3,
        LG_DIGIT = 1 << 4,
};

#define LG_TEMP_MIN 6           /* mkstemp's XXXXXX */
#define LG_TEMP_PREFIX_MAX 3
#define LG_EXT_MAX 4
#define LG_HEX_MIN 16
#define LG_DIGIT_MIN 6
#define LG_UUID_LEN 36
/* "unix " in front of a socket path pattern. */
#define LG_UNIX_PREFIX "unix "

/* A path being generalised: its components and, per byte, whether the byte
 * becomes part of a '*'. Sized for the longest path, so nothing is
 * allocated per observation beyond the normalised copy. */
struct lg_path {
        const char *s;                          /* normalised path */
        size_t ncomp;
        uint16_t off[PATH_MAX_BYTES / 2 + 1];   /* component start in s */
        uint16_t len[PATH_MAX_BYTES / 2 + 1];
        bool star[PATH_MAX_BYTES + 1];
        unsigned reasons;
};

static bool lg_is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool lg_is_lower(char c)
{
        return c >= 'a' && c <= 'z';
}

static bool lg_is_upper(char c)
{
        return c >= 'A' && c <= 'Z';
}

static bool lg_is_alnum(char c)
{
        return lg_is_digit(c) || lg_is_lower(c) || lg_is_upper(c);
}

static bool lg_is_hex(char c)
{
        return lg_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool lg_comp_is(const struct lg_path *p, size_t i, const char *word)
{
        size_t n = strlen(word);

        return i < p->ncomp && p->len[i] == n && memcmp(p->s + p->off[i], word, n) == 0;
}

static bool lg_comp_all_digits(const struct lg_path *p, size_t i)
{
        if (i >= p->ncomp || p->len[i] == 0)
                return false;
        for (size_t k = 0; k < p->len[i]; k++)
                if (!lg_is_digit(p->s[p->off[i] + k]))
                        return false;
        return true;
}

static void lg_star(struct lg_path *p, size_t i, size_t from, size_t to, unsigned reason)
{
        for (size_t k = from; k < to; k++)
                p->star[p->off[i] + k] = true;
        if (to > from)
                p->reasons |= reason;
}

static void lg_split(struct lg_path *p, const char *s)
{
        size_t i = 0;

        p->s = s;
        p->ncomp = 0;
        p->reasons = 0;
        while (s[i]) {
                size_t start;

                if (s[i] == '/') {
                        i++;
                        continue;
                }
                start = i;
                while (s[i] && s[i] != '/')
                        i++;
                p->off[p->ncomp] = (uint16_t)start;
                p->len[p->ncomp] = (uint16_t)(i - start);
                p->ncomp++;
        }
        memset(p->star, 0, i + 1);
}

/* Image directories hold the image's own files: static per digest. */
static bool lg_is_image_path(const struct lg_path *p)
{
        static const char *const image_dirs[] = {
                "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt",
        };

        for (size_t k = 0; k < ARRAY_SIZE(image_dirs); k++)
                if (lg_comp_is(p, 0, image_dirs[k]))
                        return true;
        return false;
}

/* Number of leading components that make up a temporary directory (the
 * rule applies below it), or 0. */
static size_t lg_temp_root(const struct lg_path *p)
{
        if (lg_comp_is(p, 0, "tmp"))
                return 1;
        if (lg_comp_is(p, 0, "var") && lg_comp_is(p, 1, "tmp"))
                return 2;
        if (lg_comp_is(p, 0, "dev") && lg_comp_is(p, 1, "shm"))
                return 2;
        if (lg_comp_is(p, 0, "run") && lg_comp_is(p, 1, "user") && p->ncomp > 2)
                return 3;
        return 0;
}

static void lg_rule_proc(struct lg_path *p)
{
        if (!lg_comp_is(p, 0, "proc") || p->ncomp < 2)
                return;
        if (lg_comp_is(p, 1, "self") || lg_comp_is(p, 1, "thread-self") ||
            lg_comp_all_digits(p, 1))
                lg_star(p, 1, 0, p->len[1], LG_PROC);
        else
                return;
        if (lg_comp_is(p, 2, "task") && lg_comp_all_digits(p, 3))
                lg_star(p, 3, 0, p->len[3], LG_PROC);
}

/* A piece between '_' that reads like a word or a word with a number. */
static bool lg_is_wordish(const char *s, size_t n)
{
        size_t k = 0;

        if (n > 0 && lg_is_upper(s[0]) && n > 1 && lg_is_lower(s[1])) {
                /* Capitalised word, then digits: "Backup1". */
                k = 1;
                while (k < n && lg_is_lower(s[k]))
                        k++;
        } else if (n > 0 && lg_is_upper(s[0])) {
                while (k < n && lg_is_upper(s[k]))
                        k++;
        } else {
                while (k < n && lg_is_lower(s[k]))
                        k++;
        }
        while (k < n && lg_is_digit(s[k]))
                k++;
        return k == n;
}

static bool lg_looks_random(const char *s, size_t n)
{
        bool digit = false, lower = false, upper = false, wordish = true;
        size_t piece = 0;

        for (size_t k = 0; k < n; k++) {
                digit |= lg_is_digit(s[k]);
                lower |= lg_is_lower(s[k]);
                upper |= lg_is_upper(s[k]);
        }
        if (!((digit && (lower || upper)) || (lower && upper)))
                return false;
        for (size_t k = 0; k <= n; k++) {
                if (k < n && s[k] != '_')
                        continue;
                wordish &= lg_is_wordish(s + piece, k - piece);
                piece = k + 1;
        }
        return !wordish;
}

static void lg_rule_temp(struct lg_path *p, size_t i)
{
        const char *c = p->s + p->off[i];
        size_t n = p->len[i], stem = n, run, lower = 0, keep = 0;

        /* A short extension stays literal: "ccXXXXXX.s" -> "cc*.s". */
        for (size_t k = n; k > 1 && n - k < LG_EXT_MAX + 1; k--) {
                if (c[k - 1] == '.') {
                        if (k < n)
                                stem = k - 1;
                        break;
                }
                if (!lg_is_alnum(c[k - 1]))
                        break;
        }
        run = stem;
        while (run > 0 && (lg_is_alnum(c[run - 1]) || c[run - 1] == '_'))
                run--;
        if (stem - run < LG_TEMP_MIN)
                return;
        if (run == 0) {
                while (lower < stem && lg_is_lower(c[lower]))
                        lower++;
                keep = lower;
                if (keep > LG_TEMP_PREFIX_MAX)
                        keep = LG_TEMP_PREFIX_MAX;
                if (keep > stem - LG_TEMP_MIN)
                        keep = stem - LG_TEMP_MIN;
        }
        if (!lg_looks_random(c + run + keep, stem - run - keep))
                return;
        lg_star(p, i, run + keep, stem, LG_TEMP);
}

static bool lg_alone(const char *c, size_t n, size_t from, size_t to)
{
        return (from == 0 || !lg_is_alnum(c[from - 1])) && (to == n || !lg_is_alnum(c[to]));
}

static bool lg_is_uuid_at(const char *c, size_t n, size_t at)
{
        if (n - at < LG_UUID_LEN || !lg_alone(c, n, at, at + LG_UUID_LEN))
                return false;
        for (size_t k = 0; k < LG_UUID_LEN; k++) {
                bool dash = k == 8 || k == 13 || k == 18 || k == 23;

                if (dash ? c[at + k] != '-' : !lg_is_hex(c[at + k]))
                        return false;
        }
        return true;
}

static void lg_rule_tokens(struct lg_path *p, size_t i)
{
        const char *c = p->s + p->off[i];
        size_t n = p->len[i];

        for (size_t k = 0; k < n; k++)
                if (lg_is_uuid_at(c, n, k)) {
                        lg_star(p, i, k, k + LG_UUID_LEN, LG_UUID);
                        k += LG_UUID_LEN - 1;
                }
        for (size_t k = 0; k < n;) {
                size_t end = k;
                bool digit = false;

                while (end < n && lg_is_hex(c[end]))
                        digit |= lg_is_digit(c[end++]);
                if (end - k >= LG_HEX_MIN && digit && lg_alone(c, n, k, end))
                        lg_star(p, i, k, end, LG_HEX);
                k = end > k ? end : k + 1;
        }
        for (size_t k = 0; k < n;) {
                size_t end = k;

                while (end < n && lg_is_digit(c[end]))
                        end++;
                if (end - k >= LG_DIGIT_MIN)
                        lg_star(p, i, k, end, LG_DIGIT);
                k = end > k ? end : k + 1;
        }
}

/* Appends component i: literal runs encoded, each starred range one '*'. */
static int lg_emit_comp(const struct lg_path *p, size_t i, struct strbuf *out)
{
        const char *c = p->s + p->off[i];
        const bool *star = p->star + p->off[i];
        size_t n = p->len[i], k = 0;
        int r = strbuf_putc(out, '/');

        while (r >= 0 && k < n) {
                size_t end = k;

                while (end < n && star[end] == star[k])
                        end++;
                /* Starred bytes are ASCII, so a literal run never splits a
                 * UTF-8 sequence: the encoding is pathglob's canonical one. */
                r = star[k] ? strbuf_putc(out, '*') : encode_append(out, c + k, end - k);
                k = end;
        }
        return r;
}

static const char *lg_reason(unsigned reasons)
{
        if (reasons & LG_PROC)
                return WHY_PROC;
        if (reasons & LG_TEMP)
                return WHY_TEMP;
        if (reasons & LG_UUID)
                return WHY_UUID;
        if (reasons & LG_HEX)
                return WHY_HEX;
        if (reasons & LG_DIGIT)
                return WHY_DIGIT;
        return NULL;
}

static void lg_truncate(struct strbuf *out, size_t mark)
{
        out->len = mark;
        if (out->data)
                out->data[mark] = '\0';
}

/* learn_generalize_path with the room the entry has on its line. */
static int lg_generalize(const char *path, size_t limit, struct strbuf *out,
                         const char **ret_why)
{
        cleanup_free struct lg_path *p = NULL;
        cleanup_free char *norm = NULL;
        size_t mark = out->len, fits = 0;
        bool fits_some = false;
        int r;

        if (!path)
                return -EINVAL;
        r = path_normalize(path, &norm);
        if (r < 0)
                return r;
        p = malloc(sizeof(*p));
        if (!p)
                return -ENOMEM;
        lg_split(p, norm);
        lg_rule_proc(p);
        if (!lg_is_image_path(p)) {
                size_t temp = lg_temp_root(p);

                for (size_t i = 1; i < p->ncomp; i++) {
                        if (temp && i >= temp)
                                lg_rule_temp(p, i);
                        lg_rule_tokens(p, i);
                }
        }

        if (p->ncomp == 0)
                r = strbuf_putc(out, '/');
        for (size_t i = 0; i < p->ncomp && r >= 0; i++) {
                r = lg_emit_comp(p, i, out);
                /* Remember the longest prefix of whole components that
                 * still leaves room for a trailing globstar. */
                if (r >= 0 && out->len - mark + 3 <= limit) {
                        fits = out->len;
                        fits_some = true;
                }
        }
        if (r < 0) {
                lg_truncate(out, mark);
                return r;
        }
        if (out->len - mark <= limit) {
                if (ret_why)
                        *ret_why = lg_reason(p->reasons);
                return 0;
        }
        if (!fits_some) {
                lg_truncate(out, mark);
                return -ENAMETOOLONG;
        }
        lg_truncate(out, fits);
        r = strbuf_puts(out, "/**");
        if (r < 0) {
                lg_truncate(out, mark);
                return r;
        }
        if (ret_why)
                *ret_why = WHY_TOO_LONG;
        return 0;
}

int learn_generalize_path(const char *path, struct strbuf *out, const char **ret_why)
{
        return lg_generalize(path, PROFILE_MAX_ENTRY, out, ret_why);
}

struct learn *learn_new(void)
{
        struct learn *l = calloc(1, sizeof(*l));

        if (!l)
                return NULL;
        for (int c = 0; c < PROFILE_NCLASSES; c++) {
                l->seen[c] = strset_new();
                if (!l->seen[c])
                        return learn_free(l);
        }
        return l;
}

struct learn *learn_free(struct learn *l)
{
        if (!l)
                return NULL;
        for (int c = 0; c < PROFILE_NCLASSES; c++)
                strset_free(l->seen[c]);
        free(l);
        return NULL;
}

size_t learn_count(const struct learn *l)
{
        return l ? l->count : 0;
}

static int learn_add(struct learn *l, enum profile_class cls, const char *text)
{
        int r;

        if (strset_find(l->seen[cls], text, NULL))
                return 0;
        if (l->count >= LEARN_MAX_ENTRIES)
                return -ENOSPC;
        r = strset_add(l->seen[cls], text, NULL);
        if (r > 0)
                l->count++;
        return r;
}

int learn_observe_path(struct learn *l, enum profile_class cls, const char *path)
{
        struct strbuf sb = STRBUF_INIT;
        int r;

        if (!l || !path || (cls != PROFILE_EXEC && cls != PROFILE_WRITE && cls != PROFILE_READ))
                return -EINVAL;
        r = learn_generalize_path(path, &sb, NULL);
        if (r >= 0)
                r = learn_add(l, cls, sb.data);
        strbuf_release(&sb);
        return r;
}

/* "tcp ADDR PORT": the canonical text of a single-host netrule. */
static int learn_format_ip(const struct policy_endpoint *ep, struct strbuf *out)
{
        char addr[INET6_ADDRSTRLEN];
        const uint8_t *a = ep->addr;
        int family = ep->family;

        if (family == AF_INET6 && netrule_is_v4mapped(a)) {
                family = AF_INET;
                a += NETRULE_V4MAPPED_PREFIX;
        } else if (family != AF_INET && family != AF_INET6) {
                return -EINVAL;
        }
        if (!inet_ntop(family, a, addr, sizeof(addr)))
                return -EINVAL;
        return strbuf_printf(out, "%s %s %u", ep->proto == NETRULE_TCP ? "tcp" : "udp",
                             addr, (unsigned)ep->port);
}

/* An abstract name is at most sizeof(sun_path) - 1 bytes after its NUL. */
#define LEARN_MAX_ABSTRACT 107

static int learn_format_unix(const struct policy_endpoint *ep, bool exact, struct strbuf *out)
{
        cleanup_free char *path = NULL;
        int r;

        if (!ep->path || ep->path_len == 0)
                return -EINVAL;
        if (ep->abstract) {
                if (ep->path_len > LEARN_MAX_ABSTRACT)
                        return -EINVAL;
                r = strbuf_puts(out, LG_UNIX_PREFIX "@");
                if (r >= 0)
                        r = encode_append(out, ep->path, ep->path_len);
                if (r >= 0 && out->len > PROFILE_MAX_ENTRY)
                        r = -ENAMETOOLONG;      /* names are exact: no widening */
                return r;
        }
        if (ep->path_len > PATH_MAX_BYTES || memchr(ep->path, '\0', ep->path_len) ||
            ep->path[0] != '/')
                return -EINVAL;
        path = strndup(ep->path, ep->path_len);
        if (!path)
                return -ENOMEM;
        r = strbuf_puts(out, LG_UNIX_PREFIX);
        if (r >= 0 && exact) {
                if (!path_is_normal(path))
                        r = -EINVAL;    /* not the path as the kernel gate sees it */
                if (r >= 0)
                        r = encode_append(out, path, ep->path_len);
                if (r >= 0 && out->len > PROFILE_MAX_ENTRY)
                        r = -ENAMETOOLONG;
                return r;
        }
        if (r >= 0)
                r = lg_generalize(path, PROFILE_MAX_ENTRY - strlen(LG_UNIX_PREFIX), out, NULL);
        return r;
}

static int learn_connect(struct learn *l, const struct policy_endpoint *ep, bool exact)
{
        struct strbuf sb = STRBUF_INIT;
        int r;

        if (!l || !ep)
                return -EINVAL;
        switch (ep->proto) {
        case NETRULE_TCP:
        case NETRULE_UDP:
                r = learn_format_ip(ep, &sb);
                break;
        case NETRULE_UNIX:
                r = learn_format_unix(ep, exact, &sb);
                break;
        default:
                r = -EINVAL;
                break;
        }
        if (r >= 0)
                r = learn_add(l, PROFILE_CONNECT, sb.data);
        strbuf_release(&sb);
        return r;
}

int learn_observe_connect(struct learn *l, const struct policy_endpoint *ep)
{
        return learn_connect(l, ep, false);
}

int learn_observe_exact_connect(struct learn *l, const struct policy_endpoint *ep)
{
        return learn_connect(l, ep, true);
}

/* ---- merge ---- */

struct learn_keys {
        const char **v;
        size_t n;
};

static int learn_collect(void *ctx, const char *key, void *value)
{
        struct learn_keys *k = ctx;

        (void)value;
        k->v[k->n++] = key;
        return 0;
}

static int learn_strcmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int learn_add_class(const struct strset *set, enum profile_class cls, struct profile *p)
{
        cleanup_free const char **v = NULL;
        struct learn_keys keys;
        size_t n = strset_size(set);

        if (n == 0)
                return 0;
        v = calloc(n, sizeof(*v));
        if (!v)
                return -ENOMEM;
        keys = (struct learn_keys){ v, 0 };
        strset_foreach(set, learn_collect, &keys);
        /* Sorted, so that a failure part-way leaves the same part behind
         * whatever the hash order. */
        qsort(v, keys.n, sizeof(*v), learn_strcmp);
        for (size_t i = 0; i < keys.n; i++) {
                int r = profile_add(p, cls, v[i], 0, NULL);

                if (r < 0)
                        return r;
        }
        return 0;
}

/* Drops the entries of list whose drop[] is set; keeps the order. */
static void learn_compact(struct profile_list *list, const bool *drop)
{
        size_t out = 0;

        for (size_t i = 0; i < list->n; i++) {
                if (drop[i]) {
                        free(list->v[i].text);
                        continue;
                }
                list->v[out++] = list->v[i];
        }
        list->n = out;
}

/* A path class: literals that one of the patterns matches go. */
static int learn_minimize_paths(struct profile_list *list)
{
        cleanup_free struct pathglob **globs = NULL;
        cleanup_free bool *drop = NULL;
        size_t nglobs = 0;
        int r = 0;

        if (list->n < 2)
                return 0;
        globs = calloc(list->n, sizeof(*globs));
        drop = calloc(list->n, sizeof(*drop));
        if (!globs || !drop)
                return -ENOMEM;
        for (size_t i = 0; i < list->n && r >= 0; i++)
                if (!pathglob_is_literal(list->v[i].text))
                        r = pathglob_compile(list->v[i].text, &globs[nglobs++]);
        for (size_t i = 0; i < list->n && r >= 0 && nglobs > 0; i++) {
                cleanup_free char *raw = NULL;

                if (!pathglob_is_literal(list->v[i].text))
                        continue;
                r = pathglob_literal_path(list->v[i].text, &raw);
                for (size_t g = 0; r >= 0 && g < nglobs; g++)
                        if (globs[g] && pathglob_match(globs[g], raw)) {
                                drop[i] = true;
                                break;
                        }
        }
        for (size_t g = 0; g < nglobs; g++)
                pathglob_free(globs[g]);
        if (r < 0)
                return r;
        learn_compact(list, drop);
        return 0;
}

static bool learn_ip_is_host(const struct netrule *n)
{
        return n->port != NETRULE_ANY_PORT && n->prefix == (n->family == AF_INET ? 32u : 128u);
}

static bool learn_rule_covers(const struct netrule *pat, const struct pathglob *glob,
                              const struct netrule *lit, const char *lit_raw)
{
        if (lit->proto == NETRULE_UNIX)
                return glob && lit_raw && pathglob_match(glob, lit_raw);
        if (pat->proto == NETRULE_UNIX || learn_ip_is_host(pat))
                return false;
        return netrule_match_ip(pat, lit->proto, lit->family, lit->addr, (uint16_t)lit->port);
}

/* [connect]: a single host and port inside a network or port-"*" rule, or a
 * literal socket path that a unix pattern matches, goes. Abstract names are
 * exact and equal ones were merged by profile_canonicalize already. */
static int learn_minimize_connect(struct profile_list *list)
{
        cleanup_free struct netrule *rules = NULL;
        cleanup_free struct pathglob **globs = NULL;
        cleanup_free char **raw = NULL;
        cleanup_free bool *drop = NULL, *is_pattern = NULL;
        size_t parsed = 0;
        int r = 0;

        if (list->n < 2)
                return 0;
        rules = calloc(list->n, sizeof(*rules));
        globs = calloc(list->n, sizeof(*globs));
        raw = calloc(list->n, sizeof(*raw));
        drop = calloc(list->n, sizeof(*drop));
        is_pattern = calloc(list->n, sizeof(*is_pattern));
        if (!rules || !globs || !raw || !drop || !is_pattern)
                return -ENOMEM;
        for (; parsed < list->n && r >= 0; parsed++) {
                struct netrule *n = &rules[parsed];

                r = netrule_parse(list->v[parsed].text, n, NULL);
                if (r < 0)
                        break;
                if (n->proto != NETRULE_UNIX) {
                        is_pattern[parsed] = !learn_ip_is_host(n);
                        continue;
                }
                if (n->abstract)
                        continue;
                if (pathglob_is_literal(n->unix_text)) {
                        r = pathglob_literal_path(n->unix_text, &raw[parsed]);
                } else {
                        is_pattern[parsed] = true;
                        r = pathglob_compile(n->unix_text, &globs[parsed]);
                }
        }
        for (size_t i = 0; i < parsed && r >= 0; i++) {
                if (is_pattern[i] || (rules[i].proto == NETRULE_UNIX && !raw[i]))
                        continue;
                for (size_t k = 0; k < parsed; k++)
                        if (is_pattern[k] &&
                            learn_rule_covers(&rules[k], globs[k], &rules[i], raw[i])) {
                                drop[i] = true;
                                break;
                        }
        }
        for (size_t i = 0; i < parsed; i++) {
                netrule_release(&rules[i]);
                pathglob_free(globs[i]);
                free(raw[i]);
        }
        if (r < 0)
                return r;
        learn_compact(list, drop);
        return 0;
}

int learn_merge_into(const struct learn *l, struct profile *p)
{
        int r = 0;

        if (!l || !p)
                return -EINVAL;
        for (int c = 0; c < PROFILE_NCLASSES && r >= 0; c++)
                r = learn_add_class(l->seen[c], (enum profile_class)c, p);
        if (r < 0)
                return r;
        if (strset_size(l->seen[PROFILE_READ]) > 0)
                p->restricts_reads = true;
        profile_canonicalize(p);
        for (int c = 0; c < PROFILE_CONNECT && r >= 0; c++)
                r = learn_minimize_paths(&p->lists[c]);
        if (r >= 0)
                r = learn_minimize_connect(&p->lists[PROFILE_CONNECT]);
        return r;
}
