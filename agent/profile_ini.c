/* Profile text in (see profile.h): the lines are read by inifile.h, which
 * makes sure libinih reads each one whole and as written and tells us its
 * line number; this file gives the sections, keys and values their meaning.
 * Empty or repeated sections matter here ([read] alone restricts reads; a
 * second [profile] is an error), so headers are acted on as they come. */
#include "profile.h"

#include <errno.h>
#include <string.h>

#include "inifile.h"

/* Offending values are quoted in messages up to this many bytes. */
#define PINI_QUOTE_MAX 120
#define PINI_QUOTE_BUF (PINI_QUOTE_MAX * 3 + 4)

enum pini_section {
        PINI_NONE,      /* before the first section header */
        PINI_PROFILE,
        PINI_CLASS,
};

struct pini {
        struct inifile *ini;            /* the parse, to report problems */
        unsigned line;                  /* of the line being handled */
        struct profile *p;
        enum pini_section section;      /* the last section not refused */
        enum profile_class cls;
        unsigned profile_line;          /* the [profile] header, 0 if none yet */
        unsigned image_line, mode_line; /* first image/mode key, valid or not */
};

/* s for a message: at most PINI_QUOTE_MAX bytes, those other than
 * printable ASCII as "%XX". */
static const char *pini_quote(char *dst, const char *s)
{
        return inifile_quote(dst, PINI_QUOTE_BUF, s, PINI_QUOTE_MAX);
}

static int pini_begin_section(struct pini *st, const char *name)
{
        char q[PINI_QUOTE_BUF];
        int cls;

        /* inih would truncate the name; it is refused as it always was,
         * before whether it is known. */
        if (strlen(name) > INIFILE_MAX_KEY)
                return inifile_report(st->ini, "section name too long (limit 49 bytes)");
        if (strcmp(name, "profile") == 0) {
                if (st->profile_line)
                        return inifile_report(st->ini,
                                              "duplicate [profile] section (first on line %u)",
                                              st->profile_line);
                st->profile_line = st->line;
                st->section = PINI_PROFILE;
                return 0;
        }
        cls = profile_class_from_name(name);
        if (cls < 0)
                return inifile_report(st->ini, "unknown section [%s] "
                                      "(expected profile, exec, write, read or connect)",
                                      pini_quote(q, name));
        st->section = PINI_CLASS;
        st->cls = (enum profile_class)cls;
        if (cls == PROFILE_READ)
                st->p->restricts_reads = true;
        return 0;
}

/* A [profile] key may be given once: records its first line, or reports
 * a repeat. */
static int pini_first(struct pini *st, const char *name, unsigned *first_line)
{
        if (*first_line)
                return inifile_report(st->ini, "repeated key '%s' in [profile] (first on line %u)",
                                      name, *first_line);
        *first_line = st->line;
        return 0;
}

static int pini_profile_key(struct pini *st, const char *name, const char *value)
{
        char q[PINI_QUOTE_BUF];
        const char *error = NULL;
        int r;

        if (strcmp(name, "image") == 0) {
                r = pini_first(st, name, &st->image_line);
                if (r < 0)
                        return r;
                r = profile_set_image(st->p, value, st->line, &error);
                if (r == -EINVAL)
                        return inifile_report(st->ini, "bad image '%s': %s", pini_quote(q, value),
                                              error);
                return r;
        }
        if (strcmp(name, "mode") == 0) {
                r = pini_first(st, name, &st->mode_line);
                if (r < 0)
                        return r;
                r = profile_mode_from_name(value);
                if (r < 0)
                        return inifile_report(st->ini,
                                              "bad mode '%s' (expected learn, monitor or enforce)",
                                              pini_quote(q, value));
                st->p->mode = (enum profile_mode)r;
                st->p->mode_line = st->line;
                return 0;
        }
        return inifile_report(st->ini, "unknown key '%s' in [profile] (expected image or mode)",
                              pini_quote(q, name));
}

static int pini_class_key(struct pini *st, const char *name, const char *value)
{
        const char *cls = profile_class_name(st->cls);
        char q[PINI_QUOTE_BUF];
        const char *error = NULL;
        int r;

        if (strcmp(name, "allow") != 0)
                return inifile_report(st->ini, "unknown key '%s' in [%s] (expected allow)",
                                      pini_quote(q, name), cls);
        if (!*value)
                return inifile_report(st->ini, "empty value for 'allow' in [%s]", cls);
        r = profile_add(st->p, st->cls, value, st->line, &error);
        if (r == -EINVAL)
                return inifile_report(st->ini, "bad [%s] entry '%s': %s", cls,
                                      pini_quote(q, value), error ? error : "invalid");
        return r;
}

/* inifile's handler: a header (name NULL), or a key outside any section
 * or in the last one that was not refused. */
static int pini_handler(void *ctx, struct inifile *ini, unsigned line, const char *section,
                        const char *name, const char *value)
{
        struct pini *st = ctx;
        char q[PINI_QUOTE_BUF];

        st->ini = ini;
        st->line = line;
        if (!name)
                return pini_begin_section(st, section);
        switch (st->section) {
        case PINI_NONE:
                return inifile_report(ini, "'%s = ...' before any [section]", pini_quote(q, name));
        case PINI_PROFILE:
                return pini_profile_key(st, name, value);
        case PINI_CLASS:
                return pini_class_key(st, name, value);
        }
        return inifile_report(ini, "internal error: bad section state");
}

int profile_parse(const char *text, size_t len, profile_diag_fn diag, void *ctx,
                  struct profile **ret)
{
        struct pini st = { 0 };
        int r;

        if (len > PROFILE_MAX_FILE_BYTES)
                return -EFBIG;
        st.p = profile_new();
        if (!st.p)
                return -ENOMEM;
        /* Control characters in a path are written "%XX" (encode.h). */
        r = inifile_parse(text, len, PROFILE_MAX_LINE, INIFILE_HINT_PERCENT, pini_handler, &st,
                          diag, ctx);
        if (r < 0) {
                profile_free(st.p);
                return r;
        }
        profile_canonicalize(st.p);
        *ret = st.p;
        return 0;
}
