/* The kernel's own type information (BTF, /sys/kernel/btf/vmlinux), read
 * for BPF programs assembled without a compiler: the id of a kernel
 * function a program calls (a kfunc), the offset of a struct member it
 * reads, the value of an enumerator the headers on this machine may be too
 * old to have (a newer kernel's attach types). Parsing checks every offset
 * and length against the data; the file is the kernel's, but nothing is
 * trusted to be well formed. No logging. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct btf;

/* Parses BTF data (copied). Returns 0 and the result in *ret, -EINVAL
 * (not BTF, or malformed), -ENOMEM. */
int btf_parse(const void *data, size_t len, struct btf **ret);

/* Reads and parses /sys/kernel/btf/vmlinux. Returns as btf_parse, or the
 * error of reading it (readall_at; -ENOENT: a kernel built without BTF). */
int btf_load_vmlinux(struct btf **ret);

/* Frees; accepts NULL; returns NULL. */
struct btf *btf_free(struct btf *b);

/* The id of the first type of kind (BTF_KIND_FUNC, BTF_KIND_STRUCT, ...)
 * named name. Returns the id (> 0) or -ENOENT. */
int btf_find(const struct btf *b, unsigned kind, const char *name);

/* The byte offset of member in the struct or union with id id. Returns it
 * (>= 0), -ENOENT (no such member), -EINVAL (not a struct, or a bit
 * field). */
int btf_member_offset(const struct btf *b, int id, const char *member);

/* The value of enumerator in the enum named enum_name into *ret. Returns 0
 * or -ENOENT. */
int btf_enum_value(const struct btf *b, const char *enum_name, const char *enumerator,
                   int64_t *ret);
