/* The OCI container process state and profile names (see oci.h).
 *
 * Completeness is decided by jansson itself, not by scanning for braces: the
 * bytes are served to json_load_callback, and the callback notes when jansson
 * asks for a byte past the end of what has arrived. A failure after such a
 * request happened at the end of the input and may be cured by more bytes
 * (-EAGAIN); a failure without one is a real error (-EINVAL). jansson's
 * error position cannot tell the two apart: "{\"a\":}" and "{\"a\":tru"
 * both fail at position len, and a truncated UTF-8 sequence fails before it.
 * Without JSON_DECODE_ANY the top level is an array or object, whose closing
 * bracket ends it, so jansson never reads past a complete object. */
#include "oci.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct oci_reader {
        const char *buf;
        size_t len, pos;
        bool wanted_more;       /* jansson asked for a byte at buf[len] */
};

static size_t oci_read(void *buffer, size_t buflen, void *data)
{
        struct oci_reader *rd = data;
        size_t n = rd->len - rd->pos;

        if (n == 0) {
                rd->wanted_more = true;
                return 0;
        }
        if (n > buflen)
                n = buflen;
        memcpy(buffer, rd->buf + rd->pos, n);
        rd->pos += n;
        return n;
}

static void oci_state_freep(struct oci_state **s)
{
        oci_state_free(*s);
}

#define cleanup_oci_state __attribute__((cleanup(oci_state_freep)))

struct oci_state *oci_state_free(struct oci_state *s)
{
        if (!s)
                return NULL;
        free(s->oci_version);
        free(s->metadata);
        free(s->id);
        free(s->status);
        free(s->bundle);
        for (size_t i = 0; i < s->n_annotations; i++) {
                free(s->annotation_keys[i]);
                free(s->annotation_values[i]);
        }
        free(s->annotation_keys);
        free(s->annotation_values);
        free(s);
        return NULL;
}

static bool oci_json_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *oci_json_error(const json_error_t *jerr)
{
        switch (json_error_code(jerr)) {
        case json_error_invalid_utf8:
                return "malformed JSON: invalid UTF-8";
        case json_error_stack_overflow:
                return "malformed JSON: nested too deeply";
        case json_error_null_character:
        case json_error_null_byte_in_key:
                return "malformed JSON: \\u0000 in a string";
        case json_error_duplicate_key:
                return "malformed JSON: duplicate key";
        case json_error_numeric_overflow:
                return "malformed JSON: number out of range";
        default:
                return "malformed JSON";
        }
}

/* Copies the string member key of obj into *ret. Returns 0, -ENOENT when
 * absent or null (*ret = NULL), -EINVAL when not a string, or -ENOMEM. */
static int oci_get_string(const json_t *obj, const char *key, char **ret)
{
        const json_t *v = json_object_get(obj, key);
        char *copy;

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return -ENOENT;
        }
        if (!json_is_string(v))
                return -EINVAL;
        copy = strdup(json_string_value(v));
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

/* Reads the integer member key of obj, in [min, INT_MAX]. Returns 0, -ENOENT
 * when absent or null (*ret = 0), or -EINVAL. */
static int oci_get_int(const json_t *obj, const char *key, int min, int *ret)
{
        const json_t *v = json_object_get(obj, key);
        json_int_t i;

        if (!v || json_is_null(v)) {
                *ret = 0;
                return -ENOENT;
        }
        if (!json_is_integer(v))
                return -EINVAL;
        i = json_integer_value(v);
        if (i < min || i > INT_MAX)
                return -EINVAL;
        *ret = (int)i;
        return 0;
}

/* The index of "seccompFd" in fds (see struct oci_state). */
static int oci_parse_fds(const json_t *fds, int *ret, const char **ret_error)
{
        size_t i;
        const json_t *v;
        int found = -1;

        if (!fds || json_is_null(fds)) {
                *ret = 0;
                return 0;
        }
        if (!json_is_array(fds) || json_array_size(fds) > OCI_FDS_MAX) {
                *ret_error = "fds is not an array of at most 253 names";
                return -EINVAL;
        }
        json_array_foreach(fds, i, v) {
                if (!json_is_string(v)) {
                        *ret_error = "fds holds something other than a name";
                        return -EINVAL;
                }
                if (strcmp(json_string_value(v), "seccompFd") != 0)
                        continue;
                if (found >= 0) {
                        *ret_error = "fds names seccompFd twice";
                        return -EINVAL;
                }
                found = (int)i;
        }
        *ret = found;
        return 0;
}

/* The id names the container in events and, through oci_profile_name, a
 * file: refuse what would be ambiguous or unprintable there. */
static const char *oci_check_id(const char *id)
{
        size_t n = strlen(id);

        if (n == 0)
                return "state.id is empty";
        if (n > OCI_ID_MAX)
                return "state.id is longer than 1024 bytes";
        if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
                return "state.id is \".\" or \"..\"";
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)id[i];

                if (c == '/')
                        return "state.id contains '/'";
                if (c < 0x20 || c == 0x7f)
                        return "state.id contains a control character";
        }
        return NULL;
}

ANALYZER_ARRAY_STORE_BEGIN
static int oci_parse_annotations(json_t *obj, struct oci_state *s,
                                 const char **ret_error)
{
        const char *key;
        const json_t *v;
        size_t n;

        if (!obj || json_is_null(obj))
                return 0;
        if (!json_is_object(obj)) {
                *ret_error = "state.annotations is not an object";
                return -EINVAL;
        }
        json_object_foreach(obj, key, v) {
                if (!json_is_string(v)) {
                        *ret_error = "state.annotations has a value that is not a string";
                        return -EINVAL;
                }
        }
        n = json_object_size(obj);
        if (n == 0)
                return 0;
        s->annotation_keys = calloc(n, sizeof(char *));
        s->annotation_values = calloc(n, sizeof(char *));
        if (!s->annotation_keys || !s->annotation_values)
                return -ENOMEM;
        json_object_foreach(obj, key, v) {
                char *k = strdup(key), *val = strdup(json_string_value(v));

                if (!k || !val) {
                        free(k);
                        free(val);
                        return -ENOMEM;
                }
                s->annotation_keys[s->n_annotations] = k;
                s->annotation_values[s->n_annotations] = val;
                s->n_annotations++;
        }
        return 0;
}
ANALYZER_ARRAY_STORE_END

static int oci_parse_state(const json_t *st, struct oci_state *s, const char **ret_error)
{
        const json_t *version;
        const char *problem;
        int r;

        if (!json_is_object(st)) {
                *ret_error = st ? "state is not an object" : "state is missing";
                return -EINVAL;
        }
        r = oci_get_string(st, "id", &s->id);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                *ret_error = r == -ENOENT ? "state.id is missing" : "state.id is not a string";
                return -EINVAL;
        }
        problem = oci_check_id(s->id);
        if (problem) {
                *ret_error = problem;
                return -EINVAL;
        }
        r = oci_get_string(st, "status", &s->status);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                *ret_error = r == -ENOENT ? "state.status is missing"
                                          : "state.status is not a string";
                return -EINVAL;
        }
        /* Checked for its type only: runtimes disagree on its value. */
        version = json_object_get(st, "ociVersion");
        if (version && !json_is_null(version) && !json_is_string(version)) {
                *ret_error = "state.ociVersion is not a string";
                return -EINVAL;
        }
        r = oci_get_string(st, "bundle", &s->bundle);
        if (r == -ENOMEM)
                return r;
        if (r == -EINVAL) {
                *ret_error = "state.bundle is not a string";
                return r;
        }
        /* omitempty in the runtime-spec's Go type: absent means 0. */
        if (oci_get_int(st, "pid", 0, &s->state_pid) == -EINVAL) {
                *ret_error = "state.pid is not an integer in [0, INT_MAX]";
                return -EINVAL;
        }
        return oci_parse_annotations(json_object_get(st, "annotations"), s, ret_error);
}

static int oci_parse_root(const json_t *root, struct oci_state *s, const char **ret_error)
{
        int r;

        if (!json_is_object(root)) {
                *ret_error = "the state is not a JSON object";
                return -EINVAL;
        }
        r = oci_get_string(root, "ociVersion", &s->oci_version);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                *ret_error = r == -ENOENT ? "ociVersion is missing" : "ociVersion is not a string";
                return -EINVAL;
        }
        r = oci_parse_fds(json_object_get(root, "fds"), &s->seccomp_fd_index, ret_error);
        if (r < 0)
                return r;
        r = oci_get_int(root, "pid", 1, &s->pid);
        if (r < 0) {
                *ret_error = r == -ENOENT ? "pid is missing"
                                          : "pid is not an integer in [1, INT_MAX]";
                return -EINVAL;
        }
        r = oci_get_string(root, "metadata", &s->metadata);
        if (r == -ENOMEM)
                return r;
        if (r == -EINVAL) {
                *ret_error = "metadata is not a string";
                return r;
        }
        return oci_parse_state(json_object_get(root, "state"), s, ret_error);
}

int oci_state_parse(const char *buf, size_t len, struct oci_state **ret,
                    size_t *ret_consumed, const char **ret_error)
{
        size_t limit = len > OCI_STATE_MAX_BYTES ? OCI_STATE_MAX_BYTES : len;
        struct oci_reader rd = { .buf = buf, .len = limit };
        cleanup_oci_state struct oci_state *s = NULL;
        const char *unused_error;
        json_auto_t *root = NULL;
        json_error_t jerr;
        size_t i;
        int r;

        if (!ret_error)
                ret_error = &unused_error;
        /* An array would be refused only once complete; refuse it now. */
        for (i = 0; i < limit && oci_json_space(buf[i]); i++)
                ;
        if (i < limit && buf[i] != '{') {
                *ret_error = "the state is not a JSON object";
                return -EINVAL;
        }
        if (i < limit)
                root = json_load_callback(oci_read, &rd,
                                          JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
        else
                rd.wanted_more = true;
        if (!root) {
                if (i < limit && json_error_code(&jerr) == json_error_out_of_memory) {
                        *ret_error = "out of memory";
                        return -ENOMEM;
                }
                if (!rd.wanted_more) {
                        *ret_error = oci_json_error(&jerr);
                        return -EINVAL;
                }
                if (len > OCI_STATE_MAX_BYTES) {
                        *ret_error = "the state is larger than 1 MiB";
                        return -EMSGSIZE;
                }
                *ret_error = "the state is not complete yet";
                return -EAGAIN;
        }

        s = calloc(1, sizeof(*s));
        if (!s) {
                *ret_error = "out of memory";
                return -ENOMEM;
        }
        r = oci_parse_root(root, s, ret_error);
        if (r == -ENOMEM)
                *ret_error = "out of memory";
        if (r < 0)
                return r;
        /* With JSON_DISABLE_EOF_CHECK, position is the number of bytes read. */
        if (jerr.position < 0 || (size_t)jerr.position > limit) {
                *ret_error = "internal error: bad JSON end position";
                return -EINVAL;
        }
        *ret_consumed = (size_t)jerr.position;
        *ret = TAKE_PTR(s);
        return 0;
}

int oci_hook_state_parse(const char *buf, size_t len, struct oci_state **ret,
                         const char **ret_error)
{
        cleanup_oci_state struct oci_state *s = NULL;
        json_auto_t *root = NULL;
        json_error_t jerr;
        int r;

        if (len > OCI_STATE_MAX_BYTES) {
                *ret_error = "the state is larger than 1 MiB";
                return -EMSGSIZE;
        }
        root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                *ret_error = oci_json_error(&jerr);
                return -EINVAL;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                *ret_error = "out of memory";
                return -ENOMEM;
        }
        /* The runtime state is what the listener's message carries as
         * "state"; only its ociVersion moves up. */
        r = oci_parse_state(root, s, ret_error);
        if (r == -ENOMEM)
                *ret_error = "out of memory";
        if (r < 0)
                return r;
        if (oci_get_string(root, "ociVersion", &s->oci_version) == -ENOMEM) {
                *ret_error = "out of memory";
                return -ENOMEM;
        }
        s->pid = s->state_pid;
        *ret = TAKE_PTR(s);
        return 0;
}

const char *oci_annotation(const struct oci_state *s, const char *key)
{
        for (size_t i = 0; i < s->n_annotations; i++)
                if (strcmp(s->annotation_keys[i], key) == 0)
                        return s->annotation_values[i];
        return NULL;
}

const char *oci_name_source_name(enum oci_name_source source)
{
        switch (source) {
        case OCI_NAME_ANNOTATION:
                return "annotation";
        case OCI_NAME_IMAGE:
                return "image";
        case OCI_NAME_METADATA:
                return "metadata";
        case OCI_NAME_CONTAINER_ID:
                return "container-id";
        }
        return "unknown";
}

const char *oci_requested_mode(const struct oci_state *s)
{
        return oci_annotation(s, OCI_ANNOTATION_MODE);
}

int oci_image_name(const struct oci_state *s, const char **ret)
{
        static const char *const keys[] = {
                "io.kubernetes.cri.image-name",         /* containerd CRI */
                "io.kubernetes.cri-o.ImageName",        /* CRI-O */
                "org.opencontainers.image.ref.name",
        };

        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                const char *v = oci_annotation(s, keys[i]);

                if (v && *v) {
                        *ret = v;
                        return 0;
                }
        }
        return -ENOENT;
}

static bool oci_metadata_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Finds NAME in metadata (see oci_profile_name). Returns true with
 * [*ret_start, *ret_start + *ret_len) when there is exactly one profile=
 * item and its NAME is not empty. */
static bool oci_metadata_profile(const char *md, const char **ret_start, size_t *ret_len)
{
        static const char prefix[] = "profile=";
        const char *found = NULL;
        size_t found_len = 0;
        unsigned count = 0;

        for (const char *item = md;;) {
                const char *end = strchr(item, ',');
                size_t n = end ? (size_t)(end - item) : strlen(item);

                while (n > 0 && oci_metadata_blank(*item)) {
                        item++;
                        n--;
                }
                while (n > 0 && oci_metadata_blank(item[n - 1]))
                        n--;
                if (n >= sizeof(prefix) - 1 && memcmp(item, prefix, sizeof(prefix) - 1) == 0) {
                        count++;
                        found = item + sizeof(prefix) - 1;
                        found_len = n - (sizeof(prefix) - 1);
                }
                if (!end)
                        break;
                item = end + 1;
        }
        if (count != 1 || found_len == 0)
                return false;
        *ret_start = found;
        *ret_len = found_len;
        return true;
}

int oci_profile_name(const struct oci_state *s, char **ret_name,
                     enum oci_name_source *ret_source)
{
        enum oci_name_source source;
        const char *v = oci_annotation(s, OCI_ANNOTATION_PROFILE);
        size_t n = 0;
        char *name;

        if (v && *v) {
                source = OCI_NAME_ANNOTATION;
                name = strdup(v);
        } else if (oci_image_name(s, &v) == 0) {
                source = OCI_NAME_IMAGE;
                name = strdup(v);
        } else if (s->metadata && oci_metadata_profile(s->metadata, &v, &n)) {
                source = OCI_NAME_METADATA;
                name = strndup(v, n);
        } else {
                source = OCI_NAME_CONTAINER_ID;
                if (asprintf(&name, "container-%s", s->id) < 0)
                        name = NULL;
        }
        if (!name)
                return -ENOMEM;
        *ret_name = name;
        if (ret_source)
                *ret_source = source;
        return 0;
}

/* A byte that stands for itself in an encoded name (anywhere but first for
 * '.'). */
static bool oci_name_plain(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-';
}

int oci_encode_name(const char *name, char **ret)
{
        static const char hex[] = "0123456789abcdef";
        size_t need = 0, o = 0;
        char *out;

        if (!name || !*name)
                return -EINVAL;
        for (size_t i = 0; name[i]; i++) {
                unsigned char c = (unsigned char)name[i];

                need += oci_name_plain(c) && !(i == 0 && c == '.') ? 1 : 3;
                if (need > OCI_NAME_ENCODED_MAX)
                        return -ENAMETOOLONG;
        }
        out = malloc(need + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; name[i]; i++) {
                unsigned char c = (unsigned char)name[i];

                if (oci_name_plain(c) && !(i == 0 && c == '.')) {
                        out[o++] = (char)c;
                } else {
                        out[o++] = '_';
                        out[o++] = hex[c >> 4];
                        out[o++] = hex[c & 0xf];
                }
        }
        out[o] = '\0';
        *ret = out;
        return 0;
}

static int oci_lower_hex(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int oci_decode_name(const char *encoded, char **ret)
{
        cleanup_free char *out = NULL;
        size_t o = 0;

        if (!encoded || !*encoded)
                return -EINVAL;
        /* Decoding never lengthens. */
        out = malloc(strlen(encoded) + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; encoded[i];) {
                unsigned char c = (unsigned char)encoded[i];
                int hi, lo;

                if (c != '_') {
                        if (!oci_name_plain(c) || (i == 0 && c == '.'))
                                return -EINVAL;
                        out[o++] = (char)c;
                        i++;
                        continue;
                }
                hi = oci_lower_hex(encoded[i + 1]);
                lo = hi < 0 ? -1 : oci_lower_hex(encoded[i + 2]);
                if (lo < 0)
                        return -EINVAL;
                c = (unsigned char)(hi << 4 | lo);
                /* Only the canonical form, so that decode(x) == decode(y)
                 * means x == y. */
                if (c == 0 || (oci_name_plain(c) && !(i == 0 && c == '.')))
                        return -EINVAL;
                out[o++] = (char)c;
                i += 3;
        }
        out[o] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}
