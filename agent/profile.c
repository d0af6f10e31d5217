/* Profiles: the in-memory model, canonical text out, merge, diff and the
 * file I/O (see profile.h). Text in is profile_ini.c. */
#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encode.h"
#include "netrule.h"
#include "pathglob.h"
#include "readall.h"
#include "util.h"

_Static_assert(PROFILE_MAX_ENTRY == 190, "update the limit in the messages below");
#define PROFILE_TOO_LONG "entry too long for one profile line (limit 190 bytes)"

static const char *const profile_class_names[PROFILE_NCLASSES] = {
        [PROFILE_EXEC] = "exec",
        [PROFILE_WRITE] = "write",
        [PROFILE_READ] = "read",
        [PROFILE_CONNECT] = "connect",
};

static const char *const profile_mode_names[] = {
        [PROFILE_MODE_UNSET] = "unset",
        [PROFILE_MODE_LEARN] = "learn",
        [PROFILE_MODE_MONITOR] = "monitor",
        [PROFILE_MODE_ENFORCE] = "enforce",
};

const char *profile_class_name(enum profile_class cls)
{
        if ((unsigned)cls >= PROFILE_NCLASSES)
                return "unknown";
        return profile_class_names[cls];
}

int profile_class_from_name(const char *name)
{
        for (int i = 0; i < PROFILE_NCLASSES; i++)
                if (strcmp(name, profile_class_names[i]) == 0)
                        return i;
        return -EINVAL;
}

const char *profile_mode_name(enum profile_mode mode)
{
        if ((unsigned)mode >= ARRAY_SIZE(profile_mode_names))
                return "unknown";
        return profile_mode_names[mode];
}

int profile_mode_from_name(const char *name)
{
        for (size_t i = PROFILE_MODE_LEARN; i < ARRAY_SIZE(profile_mode_names); i++)
                if (strcmp(name, profile_mode_names[i]) == 0)
                        return (int)i;
        return -EINVAL;
}

struct profile *profile_new(void)
{
        return calloc(1, sizeof(struct profile));
}

static void profile_list_release(struct profile_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].text);
        free(l->v);
        *l = (struct profile_list){ 0 };
}

struct profile *profile_free(struct profile *p)
{
        if (!p)
                return NULL;
        for (int i = 0; i < PROFILE_NCLASSES; i++)
                profile_list_release(&p->lists[i]);
        free(p->image);
        free(p);
        return NULL;
}

/* Makes room for extra more entries; the entries stay as they were, so a
 * failure leaves the list unchanged. */
static int profile_list_reserve(struct profile_list *l, size_t extra)
{
        struct profile_entry *v;
        size_t cap;

        if (extra > SIZE_MAX / sizeof(*v) - l->n)
                return -ENOMEM;
        if (l->n + extra <= l->cap)
                return 0;
        cap = l->cap ? l->cap : 16;
        while (cap < l->n + extra)
                cap = cap > SIZE_MAX / sizeof(*v) / 2 ? l->n + extra : cap * 2;
        v = realloc(l->v, cap * sizeof(*v));
        if (!v)
                return -ENOMEM;
        l->v = v;
        l->cap = cap;
        return 0;
}

/* The canonical text of an entry, or -EINVAL with *ret_error. */
static int profile_canonical_entry(enum profile_class cls, const char *text, char **ret,
                                   const char **ret_error)
{
        struct strbuf out = STRBUF_INIT;
        struct netrule rule;
        int r;

        if (cls != PROFILE_CONNECT)
                return pathglob_canonicalize(text, ret, ret_error);
        r = netrule_parse(text, &rule, ret_error);
        if (r < 0)
                return r;
        r = netrule_format(&rule, &out);
        netrule_release(&rule);
        if (r >= 0) {
                *ret = strbuf_detach(&out);
                if (*ret)
                        return 0;
                r = -ENOMEM;
        }
        strbuf_release(&out);
        return r;
}

int profile_add(struct profile *p, enum profile_class cls, const char *text,
                unsigned line, const char **ret_error)
{
        cleanup_free char *canonical = NULL;
        struct profile_list *l;
        const char *dummy;
        int r;

        if (!ret_error)
                ret_error = &dummy;
        if ((unsigned)cls >= PROFILE_NCLASSES) {
                *ret_error = "unknown profile class";
                return -EINVAL;
        }
        r = profile_canonical_entry(cls, text, &canonical, ret_error);
        if (r < 0)
                return r;
        /* Checked on the canonical text: that is what gets written. */
        if (strlen(canonical) > PROFILE_MAX_ENTRY) {
                *ret_error = PROFILE_TOO_LONG;
                return -EINVAL;
        }
        l = &p->lists[cls];
        r = profile_list_reserve(l, 1);
        if (r < 0)
                return r;
        l->v[l->n++] = (struct profile_entry){ TAKE_PTR(canonical), line };
        return 0;
}

static int profile_check_image(const char *image, const char **ret_error)
{
        const unsigned char *s = (const unsigned char *)image;
        size_t n = strlen(image);

        if (n == 0) {
                *ret_error = "empty image";
                return -EINVAL;
        }
        if (n > PROFILE_MAX_ENTRY) {
                *ret_error = "image too long for one profile line (limit 190 bytes)";
                return -EINVAL;
        }
        if (s[0] == ' ' || s[n - 1] == ' ') {
                *ret_error = "leading or trailing space in image";
                return -EINVAL;
        }
        /* libinih ends a value at ';' after white space, which is also how
         * a value that starts with ';' after "image = " reads. */
        if (s[0] == ';' || strstr(image, " ;")) {
                *ret_error = "';' at the start of the image or after a space would be read as a comment";
                return -EINVAL;
        }
        for (size_t i = 0; i < n;) {
                size_t k = encode_utf8_length(s + i, n - i);

                if (k == 0) {
                        *ret_error = "image is not valid UTF-8";
                        return -EINVAL;
                }
                if (k == 1 && (s[i] < 0x20 || s[i] == 0x7f)) {
                        *ret_error = "control character in image";
                        return -EINVAL;
                }
                i += k;
        }
        return 0;
}

int profile_set_image(struct profile *p, const char *image, unsigned line,
                      const char **ret_error)
{
        const char *dummy;
        char *copy;
        int r;

        if (!ret_error)
                ret_error = &dummy;
        r = profile_check_image(image, ret_error);
        if (r < 0)
                return r;
        copy = strdup(image);
        if (!copy)
                return -ENOMEM;
        free(p->image);
        p->image = copy;
        p->image_line = line;
        return 0;
}

/* Byte order of the text; among equal texts a known line (the smallest)
 * before line 0, so that the entry kept does not depend on the order in
 * which entries were added or merged. */
static int profile_entry_cmp(const void *a, const void *b)
{
        const struct profile_entry *x = a, *y = b;
        int c = strcmp(x->text, y->text);

        if (c)
                return c;
        if (x->line == y->line)
                return 0;
        if (x->line == 0 || y->line == 0)
                return x->line == 0 ? 1 : -1;
        return x->line < y->line ? -1 : 1;
}

void profile_canonicalize(struct profile *p)
{
        for (int c = 0; c < PROFILE_NCLASSES; c++) {
                struct profile_list *l = &p->lists[c];
                size_t out = 0;

                if (l->n > 1)
                        qsort(l->v, l->n, sizeof(*l->v), profile_entry_cmp);
                for (size_t i = 0; i < l->n; i++) {
                        if (out > 0 && strcmp(l->v[out - 1].text, l->v[i].text) == 0) {
                                free(l->v[i].text);
                                continue;
                        }
                        l->v[out++] = l->v[i];
                }
                l->n = out;
        }
}

static void profile_truncate(struct strbuf *out, size_t mark)
{
        out->len = mark;
        if (out->data)
                out->data[mark] = '\0';
}

static bool profile_has_section(const struct profile *p, int c)
{
        return p->lists[c].n > 0 || (c == PROFILE_READ && p->restricts_reads);
}

int profile_format(struct profile *p, struct strbuf *out)
{
        size_t mark = out->len;
        bool first = true;
        int r = 0;

        profile_canonicalize(p);
        if (p->image || p->mode != PROFILE_MODE_UNSET) {
                r = strbuf_puts(out, "[profile]\n");
                if (r >= 0 && p->image)
                        r = strbuf_printf(out, "image = %s\n", p->image);
                if (r >= 0 && p->mode != PROFILE_MODE_UNSET)
                        r = strbuf_printf(out, "mode = %s\n", profile_mode_name(p->mode));
                first = false;
        }
        for (int c = 0; c < PROFILE_NCLASSES && r >= 0; c++) {
                const struct profile_list *l = &p->lists[c];

                if (!profile_has_section(p, c))
                        continue;
                r = strbuf_printf(out, "%s[%s]\n", first ? "" : "\n", profile_class_names[c]);
                first = false;
                for (size_t i = 0; i < l->n && r >= 0; i++)
                        r = strbuf_printf(out, "allow = %s\n", l->v[i].text);
        }
        if (r < 0)
                profile_truncate(out, mark);
        return r;
}

int profile_merge(struct profile *into, const struct profile *from,
                  const char **ret_conflict)
{
        cleanup_free char *image = NULL;
        struct profile_entry *add[PROFILE_NCLASSES] = { 0 };
        const char *dummy;
        int r = 0;

        if (!ret_conflict)
                ret_conflict = &dummy;
        if (into->image && from->image && strcmp(into->image, from->image) != 0) {
                *ret_conflict = "image";
                return -EEXIST;
        }
        if (into->mode != PROFILE_MODE_UNSET && from->mode != PROFILE_MODE_UNSET &&
            into->mode != from->mode) {
                *ret_conflict = "mode";
                return -EEXIST;
        }

        /* Copy everything first and grow every list, then commit: an
         * allocation failure leaves into unchanged. */
        if (!into->image && from->image) {
                image = strdup(from->image);
                if (!image)
                        return -ENOMEM;
        }
        for (int c = 0; c < PROFILE_NCLASSES && r >= 0; c++) {
                const struct profile_list *l = &from->lists[c];

                if (l->n == 0)
                        continue;
                r = profile_list_reserve(&into->lists[c], l->n);
                if (r >= 0) {
                        add[c] = calloc(l->n, sizeof(*add[c]));
                        r = add[c] ? 0 : -ENOMEM;
                }
                for (size_t i = 0; i < l->n && r >= 0; i++) {
                        add[c][i] = (struct profile_entry){ strdup(l->v[i].text), l->v[i].line };
                        if (!add[c][i].text)
                                r = -ENOMEM;
                }
        }
        if (r < 0) {
                for (int c = 0; c < PROFILE_NCLASSES; c++) {
                        for (size_t i = 0; add[c] && i < from->lists[c].n; i++)
                                free(add[c][i].text);
                        free(add[c]);
                }
                return r;
        }

        for (int c = 0; c < PROFILE_NCLASSES; c++) {
                struct profile_list *l = &into->lists[c];

                if (!add[c])
                        continue;
                memcpy(l->v + l->n, add[c], from->lists[c].n * sizeof(*add[c]));
                l->n += from->lists[c].n;
                free(add[c]);
        }
        if (image) {
                into->image = TAKE_PTR(image);
                into->image_line = from->image_line;
        }
        if (into->mode == PROFILE_MODE_UNSET && from->mode != PROFILE_MODE_UNSET) {
                into->mode = from->mode;
                into->mode_line = from->mode_line;
        }
        if (from->restricts_reads)
                into->restricts_reads = true;
        return 0;
}

/* Appends "[section]" before the first change of a section. */
static int profile_diff_header(struct strbuf *out, const char *section, bool *header,
                               bool *any)
{
        int r;

        if (*header)
                return 0;
        r = strbuf_printf(out, "%s[%s]\n", *any ? "\n" : "", section);
        *header = *any = true;
        return r;
}

static int profile_diff_value(struct strbuf *out, const char *key, const char *old,
                              const char *new, bool *header, bool *any)
{
        int r = 0;

        if ((!old && !new) || (old && new && strcmp(old, new) == 0))
                return 0;
        r = profile_diff_header(out, "profile", header, any);
        if (r >= 0 && old)
                r = strbuf_printf(out, "- %s = %s\n", key, old);
        if (r >= 0 && new)
                r = strbuf_printf(out, "+ %s = %s\n", key, new);
        return r;
}

static int profile_diff_class(struct strbuf *out, int c, const struct profile *old,
                              const struct profile *new, bool *any)
{
        const struct profile_list *a = &old->lists[c], *b = &new->lists[c];
        const char *name = profile_class_names[c];
        bool header = false;
        size_t i = 0, j = 0;
        int r = 0;

        if (c == PROFILE_READ && old->restricts_reads != new->restricts_reads) {
                r = profile_diff_header(out, name, &header, any);
                if (r >= 0)
                        r = strbuf_puts(out, new->restricts_reads ? "+ (reads restricted)\n"
                                                                  : "- (reads restricted)\n");
        }
        /* Both lists are sorted and free of duplicates: one merge walk. */
        while (r >= 0 && (i < a->n || j < b->n)) {
                int cmp = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i].text, b->v[j].text);

                if (cmp == 0) {
                        i++;
                        j++;
                        continue;
                }
                r = profile_diff_header(out, name, &header, any);
                if (r >= 0)
                        r = strbuf_printf(out, "%c allow = %s\n", cmp < 0 ? '-' : '+',
                                          cmp < 0 ? a->v[i++].text : b->v[j++].text);
        }
        return r;
}

int profile_diff(struct profile *old, struct profile *new, struct strbuf *out)
{
        size_t mark = out->len;
        bool any = false, header = false;
        int r;

        profile_canonicalize(old);
        profile_canonicalize(new);
        r = profile_diff_value(out, "image", old->image, new->image, &header, &any);
        if (r >= 0)
                r = profile_diff_value(out, "mode",
                                       old->mode ? profile_mode_name(old->mode) : NULL,
                                       new->mode ? profile_mode_name(new->mode) : NULL,
                                       &header, &any);
        for (int c = 0; c < PROFILE_NCLASSES && r >= 0; c++)
                r = profile_diff_class(out, c, old, new, &any);
        if (r < 0) {
                profile_truncate(out, mark);
                return r;
        }
        return any ? 1 : 0;
}

static int profile_write_all(int fd, const char *data, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, data, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                data += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Writes, syncs and closes the temporary file. Closes fd in every case. */
static int profile_write_temp(int fd, const struct strbuf *text)
{
        int r = profile_write_all(fd, text->data ? text->data : "", text->len);

        if (r >= 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        /* close reports delayed write errors (NFS); the file is useless then. */
        if (close(fd) < 0 && r >= 0 && errno != EINTR)
                r = -errno;
        return r;
}

static int profile_sync_dir(const char *dir)
{
        cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                return -errno;
        return 0;
}

int profile_save_atomic(struct profile *p, const char *path)
{
        struct strbuf text = STRBUF_INIT;
        cleanup_free char *dir = NULL;
        cleanup_free char *tmp = NULL;
        const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
        int fd, r;

        if (!*base)
                return -EISDIR;
        dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
        if (!dir)
                return -ENOMEM;
        if (!*dir) {            /* "/name" */
                free(dir);
                dir = strdup("/");
                if (!dir)
                        return -ENOMEM;
        }
        /* A hidden name in the same directory: rename is atomic only
         * within one file system. */
        if (asprintf(&tmp, "%s/.%s.XXXXXX", strcmp(dir, "/") ? dir : "", base) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        r = profile_format(p, &text);
        if (r < 0)
                return r;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                strbuf_release(&text);
                return r;
        }
        r = profile_write_temp(fd, &text);
        strbuf_release(&text);
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        /* The rename is durable only once the directory is. */
        return profile_sync_dir(dir);
}

int profile_load(const char *path, profile_diag_fn diag, void *ctx,
                 struct profile **ret)
{
        cleanup_free char *text = NULL;
        size_t len = 0;
        int r;

        r = readall_at(AT_FDCWD, path, PROFILE_MAX_FILE_BYTES, &text, &len);
        if (r < 0)
                return r;
        return profile_parse(text, len, diag, ctx, ret);
}
