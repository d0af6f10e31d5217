/* BTF lookups (btf.h). The type section is walked once to index where
 * each type starts; lookups then go by index. */
#include "btf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <stdlib.h>
#include <string.h>

#include "readall.h"

/* vmlinux BTF is a few MiB; anything much larger is not what we want */
#define BTF_MAX_BYTES (64u << 20)

struct btf {
        uint8_t *data;
        const uint8_t *types;   /* the type section */
        size_t types_len;
        const char *strings;    /* the string section, NUL-terminated */
        size_t strings_len;
        uint32_t *offset;       /* offset[id] into types; id 0 is void */
        uint32_t n;             /* ids 1..n-1 */
};

/* Bytes that follow a struct btf_type of this kind (-1: unknown kind). */
static long btf_extra(uint32_t info)
{
        long vlen = BTF_INFO_VLEN(info);

        switch (BTF_INFO_KIND(info)) {
        case BTF_KIND_INT:
        case BTF_KIND_VAR:
        case BTF_KIND_DECL_TAG:
                return 4;
        case BTF_KIND_ARRAY:
                return (long)sizeof(struct btf_array);
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
                return vlen * (long)sizeof(struct btf_member);
        case BTF_KIND_ENUM:
                return vlen * (long)sizeof(struct btf_enum);
        case BTF_KIND_FUNC_PROTO:
                return vlen * (long)sizeof(struct btf_param);
        case BTF_KIND_DATASEC:
                return vlen * (long)sizeof(struct btf_var_secinfo);
        case BTF_KIND_ENUM64:
                return vlen * (long)sizeof(struct btf_enum64);
        case BTF_KIND_PTR:
        case BTF_KIND_FWD:
        case BTF_KIND_TYPEDEF:
        case BTF_KIND_VOLATILE:
        case BTF_KIND_CONST:
        case BTF_KIND_RESTRICT:
        case BTF_KIND_FUNC:
        case BTF_KIND_FLOAT:
        case BTF_KIND_TYPE_TAG:
                return 0;
        default:
                return -1;
        }
}

/* The type with id id, which must be 1..n-1. */
static const struct btf_type *btf_type_at(const struct btf *b, uint32_t id)
{
        return (const struct btf_type *)(const void *)(b->types + b->offset[id]);
}

/* The type with id id, or NULL if there is none (an id from a caller). */
static const struct btf_type *btf_type_of(const struct btf *b, int id)
{
        if (id <= 0 || (uint32_t)id >= b->n)
                return NULL;
        return btf_type_at(b, (uint32_t)id);
}

static const char *btf_name(const struct btf *b, uint32_t off)
{
        return off < b->strings_len ? b->strings + off : "";
}

static int btf_index(struct btf *b)
{
        size_t pos = 0, cap = 1024;

        b->offset = malloc(cap * sizeof(*b->offset));
        if (!b->offset)
                return -ENOMEM;
        b->n = 1;
        while (pos < b->types_len) {
                struct btf_type t;
                long extra;

                if (b->types_len - pos < sizeof(t))
                        return -EINVAL;
                memcpy(&t, b->types + pos, sizeof(t));
                extra = btf_extra(t.info);
                if (extra < 0 || b->types_len - pos - sizeof(t) < (size_t)extra)
                        return -EINVAL;
                if (b->n == cap) {
                        uint32_t *bigger = realloc(b->offset, 2 * cap * sizeof(*b->offset));

                        if (!bigger)
                                return -ENOMEM;
                        b->offset = bigger;
                        cap *= 2;
                }
                b->offset[b->n++] = (uint32_t)pos;
                pos += sizeof(t) + (size_t)extra;
        }
        return 0;
}

/* Parses data, which the result then owns (freed on error too). */
static int btf_adopt(uint8_t *data, size_t len, struct btf **ret)
{
        struct btf_header h;
        struct btf *b;
        int r;

        if (len < sizeof(h) || len > BTF_MAX_BYTES) {
                free(data);
                return -EINVAL;
        }
        memcpy(&h, data, sizeof(h));
        if (h.magic != BTF_MAGIC || h.hdr_len < sizeof(h) || h.hdr_len > len ||
            h.type_off > len - h.hdr_len || h.type_len > len - h.hdr_len - h.type_off ||
            h.str_off > len - h.hdr_len || h.str_len > len - h.hdr_len - h.str_off ||
            h.str_len == 0 || h.type_off % 4) {
                free(data);
                return -EINVAL;
        }
        b = calloc(1, sizeof(*b));
        if (!b) {
                free(data);
                return -ENOMEM;
        }
        b->data = data;
        b->types = b->data + h.hdr_len + h.type_off;
        b->types_len = h.type_len;
        b->strings = (const char *)b->data + h.hdr_len + h.str_off;
        b->strings_len = h.str_len;
        r = b->strings[b->strings_len - 1] == '\0' ? btf_index(b) : -EINVAL;
        if (r < 0) {
                btf_free(b);
                return r;
        }
        *ret = b;
        return 0;
}

int btf_parse(const void *data, size_t len, struct btf **ret)
{
        uint8_t *copy = malloc(len ? len : 1);

        if (!copy)
                return -ENOMEM;
        memcpy(copy, data, len);
        return btf_adopt(copy, len, ret);
}

int btf_load_vmlinux(struct btf **ret)
{
        char *buf = NULL;
        size_t len = 0;
        /* sysfs gives the size: one buffer of the right size */
        int r = readall_at(AT_FDCWD, "/sys/kernel/btf/vmlinux", BTF_MAX_BYTES, &buf, &len);

        if (r < 0)
                return r;
        return btf_adopt((uint8_t *)buf, len, ret);
}

struct btf *btf_free(struct btf *b)
{
        if (!b)
                return NULL;
        free(b->offset);
        free(b->data);
        free(b);
        return NULL;
}

int btf_find(const struct btf *b, unsigned kind, const char *name)
{
        for (uint32_t id = 1; id < b->n; id++) {
                const struct btf_type *t = btf_type_at(b, id);

                if (BTF_INFO_KIND(t->info) == kind && !strcmp(btf_name(b, t->name_off), name))
                        return (int)id;
        }
        return -ENOENT;
}

int btf_member_offset(const struct btf *b, int id, const char *member)
{
        const struct btf_type *t = btf_type_of(b, id);
        const struct btf_member *m;
        unsigned kind;

        if (!t)
                return -EINVAL;
        kind = BTF_INFO_KIND(t->info);
        if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION)
                return -EINVAL;
        m = (const struct btf_member *)(t + 1);
        for (unsigned i = 0; i < BTF_INFO_VLEN(t->info); i++) {
                uint32_t bits = BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(m[i].offset)
                                                        : m[i].offset;

                if (strcmp(btf_name(b, m[i].name_off), member))
                        continue;
                if (bits % 8 || (BTF_INFO_KFLAG(t->info) && BTF_MEMBER_BITFIELD_SIZE(m[i].offset)))
                        return -EINVAL;
                return (int)(bits / 8);
        }
        return -ENOENT;
}

int btf_enum_value(const struct btf *b, const char *enum_name, const char *enumerator,
                   int64_t *ret)
{
        for (uint32_t id = 1; id < b->n; id++) {
                const struct btf_type *t = btf_type_at(b, id);
                const struct btf_enum *e = (const struct btf_enum *)(t + 1);

                if (BTF_INFO_KIND(t->info) != BTF_KIND_ENUM ||
                    strcmp(btf_name(b, t->name_off), enum_name))
                        continue;
                for (unsigned i = 0; i < BTF_INFO_VLEN(t->info); i++)
                        if (!strcmp(btf_name(b, e[i].name_off), enumerator)) {
                                *ret = e[i].val;
                                return 0;
                        }
        }
        return -ENOENT;
}
