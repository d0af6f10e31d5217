#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "learn.h"
#include "path.h"
#include "pathglob.h"
#include "policy.h"
#include "profile.h"
#include "strbuf.h"
#include "util.h"

#define PROC "pid in /proc"
#define TEMP "temporary name"
#define UUID "UUID"
#define HEX "hex run"
#define DIGIT "digit run"
#define LONG "too long for one profile line"

static const struct {
        const char *raw;
        const char *pattern;
        const char *why;        /* NULL: nothing widened */
} gen_table[] = {
        /* /proc pids and tids */
        { "/proc/123/stat", "/proc/*/stat", PROC },
        { "/proc/1/task/42/comm", "/proc/*/task/*/comm", PROC },
        { "/proc/123", "/proc/*", PROC },
        { "/proc/self/maps", "/proc/*/maps", PROC },
        { "/proc/self/task/77/stat", "/proc/*/task/*/stat", PROC },
        { "/proc/thread-self/attr/current", "/proc/*/attr/current", PROC },
        { "/proc/12/fd/3", "/proc/*/fd/3", PROC },
        { "/proc/meminfo", "/proc/meminfo", NULL },
        { "/proc/sys/kernel/hostname", "/proc/sys/kernel/hostname", NULL },
        { "/proc/123abc/x", "/proc/123abc/x", NULL },
        { "/proc/1/task/x/comm", "/proc/*/task/x/comm", PROC },
        { "/var/proc/123/stat", "/var/proc/123/stat", NULL },
        /* digit runs of 6 or more */
        { "/var/log/app/log.20261122", "/var/log/app/log.*", DIGIT },
        { "/var/crash/core.1234567", "/var/crash/core.*", DIGIT },
        { "/var/log/app/log.12345", "/var/log/app/log.12345", NULL },
        { "/data/20261122T101010.json", "/data/*T*.json", DIGIT },
        { "/tmp/foo123456789", "/tmp/foo*", DIGIT },
        { "/var/lib/py/__pycache__/x.cpython-312.pyc.3059098912",
          "/var/lib/py/__pycache__/x.cpython-312.pyc.*", DIGIT },
        /* image directories and the first component stay literal */
        { "/usr/lib/x86_64-linux-gnu/libfoo.so.1234567",
          "/usr/lib/x86_64-linux-gnu/libfoo.so.1234567", NULL },
        { "/etc/ssl/certs/1234567.0", "/etc/ssl/certs/1234567.0", NULL },
        { "/opt/app/build-20261122", "/opt/app/build-20261122", NULL },
        { "/lib64/ld-1234567.so", "/lib64/ld-1234567.so", NULL },
        { "/bin/x0123456789abcdef0123", "/bin/x0123456789abcdef0123", NULL },
        { "/etc/nginx/conf.d/sedAb3xYz", "/etc/nginx/conf.d/sedAb3xYz", NULL },
        { "/1234567/x", "/1234567/x", NULL },
        { "/usrx/1234567", "/usrx/*", DIGIT },
        /* temporary names */
        { "/tmp/tmp.Ab3xYz", "/tmp/tmp.*", TEMP },
        { "/tmp/tmp.k3J9aBcD0e", "/tmp/tmp.*", TEMP },
        { "/tmp/sedAb3xYz", "/tmp/sed*", TEMP },
        { "/tmp/sedab3xyz", "/tmp/sed*", TEMP },
        { "/tmp/sed4b3xYz", "/tmp/sed*", TEMP },
        { "/tmp/ccXy12ab.s", "/tmp/cc*.s", TEMP },
        { "/tmp/ccab12cd.s", "/tmp/cc*.s", TEMP },
        { "/tmp/tmpk3j9x_ab", "/tmp/tmp*", TEMP },
        { "/tmp/tmp_k3j9xab.json", "/tmp/tmp*.json", TEMP },
        { "/tmp/lockAb3xYz", "/tmp/loc*", TEMP },
        { "/tmp/Ab3xYz", "/tmp/*", TEMP },
        { "/tmp/sess_k3j9x0abcdefghij0123", "/tmp/ses*", TEMP },
        { "/var/tmp/tmp.k3J9aBcD0e/out.txt", "/var/tmp/tmp.*/out.txt", TEMP },
        { "/dev/shm/sem.Ab3xYz", "/dev/shm/sem.*", TEMP },
        { "/run/user/1000/pymp-k3j9x_ab/listener", "/run/user/1000/pymp-*/listener", TEMP },
        { "/tmp/a/b/.Ab3xYz", "/tmp/a/b/.*", TEMP },
        { "/tmp/session", "/tmp/session", NULL },
        { "/tmp/config", "/tmp/config", NULL },
        { "/tmp/config2", "/tmp/config2", NULL },
        { "/tmp/Backup12", "/tmp/Backup12", NULL },
        { "/tmp/SHA256", "/tmp/SHA256", NULL },
        { "/tmp/hsperfdata_root", "/tmp/hsperfdata_root", NULL },
        { "/tmp/my_config_file", "/tmp/my_config_file", NULL },
        { "/tmp/backup_2024", "/tmp/backup_2024", NULL },
        { "/tmp/abc12", "/tmp/abc12", NULL },
        { "/tmp/sedabcde1", "/tmp/sedabcde1", NULL },
        { "/tmp/.X11-unix/X0", "/tmp/.X11-unix/X0", NULL },
        { "/tmp/nginx.conf", "/tmp/nginx.conf", NULL },
        { "/tmp/Ab3xY", "/tmp/Ab3xY", NULL },
        { "/var/cache/app/Ab3xYz", "/var/cache/app/Ab3xYz", NULL },
        { "/tmpx/Ab3xYz", "/tmpx/Ab3xYz", NULL },
        { "/tmp", "/tmp", NULL },
        { "/run/user/1000", "/run/user/1000", NULL },
        { "/run/user/Ab3xYz9", "/run/user/Ab3xYz9", NULL },
        /* UUIDs */
        { "/run/app/3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/sock", "/run/app/*/sock", UUID },
        { "/var/lib/app/boot-3F2B1C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D.json",
          "/var/lib/app/boot-*.json", UUID },
        { "/var/lib/app/x3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
          "/var/lib/app/x3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", NULL },
        { "/etc/machine/3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
          "/etc/machine/3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", NULL },
        /* hex runs */
        { "/var/lib/containers/storage/overlay/0123456789abcdef0123456789abcdef/diff",
          "/var/lib/containers/storage/overlay/*/diff", HEX },
        { "/data/sha256-0123456789ABCDEF0123.tar", "/data/sha256-*.tar", HEX },
        { "/var/run/x/deadbeefcafebabe", "/var/run/x/deadbeefcafebabe", NULL },
        { "/var/run/x/abcdef01234abcd", "/var/run/x/abcdef01234abcd", NULL },
        { "/var/cache/x/0123456789abcde", "/var/cache/x/*abcde", DIGIT },
        { "/var/x/g0123456789abcdef0", "/var/x/g*abcdef0", DIGIT },
        /* literal bytes that are special in patterns stay escaped */
        { "/tmp/a*b", "/tmp/a%2Ab", NULL },
        { "/var/x/50%/y?", "/var/x/50%25/y%3F", NULL },
        { "/var/x/a b;c#", "/var/x/a%20b%3Bc%23", NULL },
        { "/var/x/\xff" "1234567", "/var/x/%FF*", DIGIT },
        { "/var/x/caf\xc3\xa9-1234567", "/var/x/caf\xc3\xa9-*", DIGIT },
        { "/tmp/**", "/tmp/%2A%2A", NULL },
        { "/tmp/x*1234567", "/tmp/x%2A*", DIGIT },
        { "/tmp/?Ab3xYz", "/tmp/%3F*", TEMP },
        /* lexical normalisation */
        { "/var//x/./y/", "/var/x/y", NULL },
        { "/var/x/../y", "/var/y", NULL },
        { "/", "/", NULL },
};

/* The generalised pattern is canonical, fits a profile line, and matches
 * the path it came from. */
static void check_pattern(const char *raw, const char *pattern)
{
        cleanup_free char *canonical = NULL, *norm = NULL;
        struct pathglob *glob = NULL;
        const char *error = NULL;

        if (pathglob_canonicalize(pattern, &canonical, &error) != 0)
                fail_msg("%s: %s", pattern, error);
        assert_string_equal(canonical, pattern);
        assert_true(strlen(pattern) <= PROFILE_MAX_ENTRY);
        assert_int_equal(path_normalize(raw, &norm), 0);
        assert_int_equal(pathglob_compile(pattern, &glob), 0);
        if (!pathglob_match(glob, norm))
                fail_msg("%s does not match %s", pattern, raw);
        pathglob_free(glob);
}

static void test_learn_generalize_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(gen_table); i++) {
                struct strbuf sb = STRBUF_INIT;
                const char *why = "unset", *want_why = gen_table[i].why;

                assert_int_equal(learn_generalize_path(gen_table[i].raw, &sb, &why), 0);
                if (strcmp(sb.data, gen_table[i].pattern) != 0)
                        fail_msg("%s: got %s, want %s", gen_table[i].raw, sb.data,
                                 gen_table[i].pattern);
                if (!want_why != !why || (why && strcmp(why, want_why) != 0))
                        fail_msg("%s: why %s, want %s", gen_table[i].raw, why ? why : "NULL",
                                 want_why ? want_why : "NULL");
                check_pattern(gen_table[i].raw, sb.data);
                strbuf_release(&sb);
        }
}

static void test_learn_generalize_bad_input(void **state)
{
        struct strbuf sb = STRBUF_INIT;
        cleanup_free char *long_path = malloc(PATH_MAX_BYTES + 2);
        const char *why = "unset";

        (void)state;
        assert_non_null(long_path);
        assert_int_equal(strbuf_puts(&sb, "keep"), 0);
        assert_int_equal(learn_generalize_path("relative/x", &sb, &why), -EINVAL);
        assert_int_equal(learn_generalize_path("", &sb, &why), -EINVAL);
        assert_int_equal(learn_generalize_path(NULL, &sb, &why), -EINVAL);
        memset(long_path, 'a', PATH_MAX_BYTES + 1);
        long_path[0] = '/';
        long_path[PATH_MAX_BYTES + 1] = '\0';
        assert_int_equal(learn_generalize_path(long_path, &sb, &why), -ENAMETOOLONG);
        /* A first component that cannot fit even as "/name/" plus a
         * globstar: widening further would allow every path. */
        long_path[PROFILE_MAX_ENTRY + 1] = '\0';
        assert_int_equal(learn_generalize_path(long_path, &sb, &why), -ENAMETOOLONG);
        long_path[PROFILE_MAX_ENTRY] = '\0';           /* exactly fits */
        assert_int_equal(learn_generalize_path(long_path, &sb, &why), 0);
        assert_null(why);
        assert_int_equal(sb.len, strlen("keep") + PROFILE_MAX_ENTRY);
        strbuf_reset(&sb);
        assert_int_equal(strbuf_puts(&sb, "keep"), 0);
        why = "unset";
        assert_string_equal(sb.data, "keep");
        assert_string_equal(why, "unset");
        strbuf_release(&sb);
}

static void test_learn_generalize_too_long(void **state)
{
        char path[1024];
        struct strbuf sb = STRBUF_INIT;
        const char *why = NULL;
        size_t n = 0;

        (void)state;
        /* /var/data/dir00/dir01/... */
        n += (size_t)snprintf(path + n, sizeof(path) - n, "/var/data");
        for (int i = 0; i < 40; i++)
                n += (size_t)snprintf(path + n, sizeof(path) - n, "/dir%02d", i);
        assert_int_equal(learn_generalize_path(path, &sb, &why), 0);
        assert_string_equal(why, LONG);
        assert_true(sb.len <= PROFILE_MAX_ENTRY);
        assert_true(sb.len > PROFILE_MAX_ENTRY - 6);    /* the longest that fits */
        assert_memory_equal(sb.data + sb.len - 3, "/**", 3);
        assert_memory_equal(sb.data, path, sb.len - 3);
        check_pattern(path, sb.data);
        strbuf_reset(&sb);

        /* Bytes that need escapes count three times. */
        memset(path, 0, sizeof(path));
        strcpy(path, "/data/x/");
        memset(path + 8, 0xff, 70);
        assert_int_equal(learn_generalize_path(path, &sb, &why), 0);
        assert_string_equal(sb.data, "/data/x/**");
        assert_string_equal(why, LONG);
        check_pattern(path, sb.data);
        strbuf_reset(&sb);

        /* Exactly PROFILE_MAX_ENTRY bytes fit; one more does not. */
        memset(path, 0, sizeof(path));
        strcpy(path, "/var/");
        memset(path + 5, 'a', PROFILE_MAX_ENTRY - 5);
        assert_int_equal(learn_generalize_path(path, &sb, &why), 0);
        assert_null(why);
        assert_string_equal(sb.data, path);
        strbuf_reset(&sb);
        path[PROFILE_MAX_ENTRY] = 'a';
        assert_int_equal(learn_generalize_path(path, &sb, &why), 0);
        assert_string_equal(sb.data, "/var/**");
        assert_string_equal(why, LONG);
        strbuf_release(&sb);
}

/* A fixed-seed generator of odd paths: whatever the bytes, the pattern is
 * canonical, fits, matches its path, and is the same every time. */
static uint32_t rng_state = 0x2545F491u;

static uint32_t rng(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 17;
        rng_state ^= rng_state << 5;
        return rng_state;
}

static void test_learn_generalize_properties(void **state)
{
        static const char *const pieces[] = {
                "tmp", "var", "proc", "self", "thread-self", "task", "123", "1234567",
                "run", "user", "dev", "shm", "usr", "etc", "sedAb3xYz", "tmp.k3J9aBcD0e",
                "0123456789abcdef0", "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "*", "**",
                "?", "%", "%2A", "a b", "\xff", "\xc3\xa9", "\xe2\x82", ".", "..", "_",
                "x.s", "-", "Ab", "9",
        };
        char path[600];

        (void)state;
        for (int iter = 0; iter < 5000; iter++) {
                struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
                size_t n = 0, ncomp = 1 + rng() % 12;
                const char *why;
                int r;

                for (size_t c = 0; c < ncomp; c++) {
                        size_t nparts = 1 + rng() % 3;

                        path[n++] = '/';
                        for (size_t k = 0; k < nparts; k++) {
                                const char *piece = pieces[rng() % ARRAY_SIZE(pieces)];
                                size_t len = strlen(piece);

                                if (n + len + 2 >= sizeof(path))
                                        break;
                                memcpy(path + n, piece, len);
                                n += len;
                        }
                        if (rng() % 16 == 0) {  /* a long component now and then */
                                for (int k = 0; k < 60 && n + 2 < sizeof(path); k++)
                                        path[n++] = (char)("aZ9\xff%"[rng() % 5]);
                        }
                }
                path[n] = '\0';
                r = learn_generalize_path(path, &a, &why);
                if (r == -ENAMETOOLONG)
                        continue;
                if (r != 0)
                        fail_msg("%s: %d", path, r);
                check_pattern(path, a.data);
                assert_int_equal(learn_generalize_path(path, &b, &why), 0);
                assert_string_equal(a.data, b.data);
                strbuf_release(&a);
                strbuf_release(&b);
        }
}

static void test_learn_observe_counts(void **state)
{
        struct learn *l = learn_new();

        (void)state;
        assert_non_null(l);
        assert_int_equal(learn_count(l), 0);
        assert_int_equal(learn_observe_path(l, PROFILE_READ, "/proc/123/stat"), 1);
        assert_int_equal(learn_observe_path(l, PROFILE_READ, "/proc/456/stat"), 0);
        assert_int_equal(learn_observe_path(l, PROFILE_READ, "/proc/self/stat"), 0);
        assert_int_equal(learn_observe_path(l, PROFILE_WRITE, "/proc/123/stat"), 1);
        assert_int_equal(learn_observe_path(l, PROFILE_EXEC, "/bin/sh"), 1);
        assert_int_equal(learn_observe_path(l, PROFILE_EXEC, "/bin//sh"), 0);
        assert_int_equal(learn_count(l), 3);
        assert_int_equal(learn_observe_path(l, PROFILE_CONNECT, "/bin/sh"), -EINVAL);
        assert_int_equal(learn_observe_path(l, (enum profile_class)42, "/bin/sh"), -EINVAL);
        assert_int_equal(learn_observe_path(l, PROFILE_EXEC, "bin/sh"), -EINVAL);
        assert_int_equal(learn_observe_path(l, PROFILE_EXEC, NULL), -EINVAL);
        assert_int_equal(learn_observe_path(NULL, PROFILE_EXEC, "/bin/sh"), -EINVAL);
        assert_int_equal(learn_count(l), 3);
        assert_int_equal(learn_count(NULL), 0);
        assert_null(learn_free(l));
        assert_null(learn_free(NULL));
}

static char *merged_text(const struct learn *l, struct profile *p)
{
        struct strbuf sb = STRBUF_INIT;

        assert_int_equal(learn_merge_into(l, p), 0);
        assert_int_equal(profile_format(p, &sb), 0);
        return strbuf_detach(&sb);
}

static const struct {
        enum profile_class cls;
        const char *path;
} workload[] = {
        { PROFILE_EXEC, "/usr/sbin/nginx" },
        { PROFILE_EXEC, "/docker-entrypoint.sh" },
        { PROFILE_EXEC, "/usr/bin/sed" },
        { PROFILE_WRITE, "/tmp/sedAb3xYz" },
        { PROFILE_WRITE, "/tmp/sedQ9k2Lm" },
        { PROFILE_WRITE, "/tmp/sedabcdef" },    /* looks like a word: covered by sed* */
        { PROFILE_WRITE, "/run/nginx.pid" },
        { PROFILE_WRITE, "/var/log/nginx/access.log.20261122" },
        { PROFILE_WRITE, "/var/log/nginx/access.log.20261123" },
        { PROFILE_WRITE, "/dev/null" },
        { PROFILE_READ, "/proc/17/stat" },
        { PROFILE_READ, "/proc/18/stat" },
        { PROFILE_READ, "/proc/18/task/19/stat" },
        { PROFILE_READ, "/etc/nginx/nginx.conf" },
        { PROFILE_READ, "/etc/nginx/nginx.conf" },
};

static const char workload_profile[] =
        "[exec]\n"
        "allow = /docker-entrypoint.sh\n"
        "allow = /usr/bin/sed\n"
        "allow = /usr/sbin/nginx\n"
        "\n"
        "[write]\n"
        "allow = /dev/null\n"
        "allow = /run/nginx.pid\n"
        "allow = /tmp/sed*\n"
        "allow = /var/log/nginx/access.log.*\n"
        "\n"
        "[read]\n"
        "allow = /etc/nginx/nginx.conf\n"
        "allow = /proc/*/stat\n"
        "allow = /proc/*/task/*/stat\n";

/* The same observations in any order give byte-identical profiles. */
static void test_learn_deterministic(void **state)
{
        size_t order[ARRAY_SIZE(workload)];

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(order); i++)
                order[i] = i;
        for (int run = 0; run < 20; run++) {
                struct learn *l = learn_new();
                struct profile *p = profile_new();
                cleanup_free char *text = NULL;

                assert_non_null(l);
                assert_non_null(p);
                if (run == 1) {         /* reversed */
                        for (size_t i = 0; i < ARRAY_SIZE(order); i++)
                                order[i] = ARRAY_SIZE(order) - 1 - i;
                } else if (run > 1) {   /* shuffled */
                        for (size_t i = ARRAY_SIZE(order) - 1; i > 0; i--) {
                                size_t j = rng() % (i + 1), t = order[i];

                                order[i] = order[j];
                                order[j] = t;
                        }
                }
                for (size_t i = 0; i < ARRAY_SIZE(order); i++)
                        assert_true(learn_observe_path(l, workload[order[i]].cls,
                                                       workload[order[i]].path) >= 0);
                text = merged_text(l, p);
                assert_string_equal(text, workload_profile);
                profile_free(p);
                learn_free(l);
        }
}

static struct profile *parse(const char *text)
{
        struct profile *p = NULL;

        assert_int_equal(profile_parse(text, strlen(text), NULL, NULL, &p), 0);
        return p;
}

/* Literals covered by a pattern go, whether learned or already there;
 * patterns stay even when another pattern covers them; everything else the
 * profile had is kept. */
static void test_learn_merge_minimal(void **state)
{
        struct learn *l = learn_new();
        struct profile *p = parse("[profile]\n"
                                  "image = docker.io/library/app\n"
                                  "mode = enforce\n"
                                  "[exec]\n"
                                  "allow = /app/bin/*\n"
                                  "allow = /app/bin/server\n"
                                  "allow = /bin/sh\n"
                                  "[write]\n"
                                  "allow = /tmp/**\n"
                                  "allow = /var/log/app.log\n"
                                  "[connect]\n"
                                  "allow = tcp 10.0.0.0/8 5432\n"
                                  "allow = unix /run/app/*.sock\n"
                                  "allow = unix /run/other.sock\n");
        cleanup_free char *text = NULL;

        (void)state;
        assert_non_null(l);
        assert_int_equal(learn_observe_path(l, PROFILE_EXEC, "/app/bin/worker"), 1);
        assert_int_equal(learn_observe_path(l, PROFILE_EXEC, "/usr/bin/env"), 1);
        assert_int_equal(learn_observe_path(l, PROFILE_WRITE, "/tmp/sedAb3xYz"), 1);
        assert_int_equal(learn_observe_path(l, PROFILE_WRITE, "/tmp/plain"), 1);
        assert_int_equal(learn_observe_path(l, PROFILE_WRITE, "/var/log/app.log"), 1);
        assert_int_equal(learn_observe_path(l, PROFILE_WRITE, "/var/log/other.log"), 1);
        /* The same path in another class is not covered by [write]. */
        assert_int_equal(learn_observe_path(l, PROFILE_EXEC, "/tmp/plain"), 1);
        text = merged_text(l, p);
        assert_string_equal(text,
                            "[profile]\n"
                            "image = docker.io/library/app\n"
                            "mode = enforce\n"
                            "\n"
                            "[exec]\n"
                            "allow = /app/bin/*\n"
                            "allow = /bin/sh\n"
                            "allow = /tmp/plain\n"
                            "allow = /usr/bin/env\n"
                            "\n"
                            "[write]\n"
                            "allow = /tmp/**\n"
                            "allow = /tmp/sed*\n"
                            "allow = /var/log/app.log\n"
                            "allow = /var/log/other.log\n"
                            "\n"
                            "[connect]\n"
                            "allow = tcp 10.0.0.0/8 5432\n"
                            "allow = unix /run/app/*.sock\n"
                            "allow = unix /run/other.sock\n");
        assert_false(p->restricts_reads);
        profile_free(p);
        learn_free(l);
}

/* "/proc/123/stat" and "/proc/456/stat" are one entry; an empty learn
 * changes nothing; merging twice is the same as merging once. */
static void test_learn_merge_idempotent(void **state)
{
        struct learn *l = learn_new(), *empty = learn_new();
        struct profile *p = profile_new();
        cleanup_free char *once = NULL, *twice = NULL, *none = NULL;

        (void)state;
        assert_non_null(l);
        assert_non_null(empty);
        assert_non_null(p);
        assert_int_equal(learn_observe_path(l, PROFILE_READ, "/proc/123/stat"), 1);
        assert_int_equal(learn_observe_path(l, PROFILE_READ, "/proc/456/stat"), 0);
        once = merged_text(l, p);
        assert_string_equal(once, "[read]\nallow = /proc/*/stat\n");
        assert_true(p->restricts_reads);
        assert_int_equal(p->lists[PROFILE_READ].n, 1);
        twice = merged_text(l, p);
        assert_string_equal(twice, once);
        none = merged_text(empty, p);
        assert_string_equal(none, once);
        assert_int_equal(learn_merge_into(NULL, p), -EINVAL);
        assert_int_equal(learn_merge_into(l, NULL), -EINVAL);
        profile_free(p);
        learn_free(l);
        learn_free(empty);
}

static struct policy_endpoint ip_endpoint(enum netrule_proto proto, int family,
                                          const char *addr, uint16_t port)
{
        struct policy_endpoint ep = { .proto = proto, .family = family, .port = port };

        assert_int_equal(inet_pton(family, addr, ep.addr), 1);
        return ep;
}

static struct policy_endpoint unix_endpoint(const char *path, size_t len, bool abstract)
{
        return (struct policy_endpoint){ .proto = NETRULE_UNIX, .family = AF_UNIX,
                                         .path = path, .path_len = len,
                                         .abstract = abstract };
}

static void test_learn_connect(void **state)
{
        struct policy_endpoint eps[] = {
                ip_endpoint(NETRULE_TCP, AF_INET, "10.1.2.3", 5432),
                ip_endpoint(NETRULE_UDP, AF_INET6, "2001:db8::1", 53),
                ip_endpoint(NETRULE_TCP, AF_INET6, "::ffff:127.0.0.1", 8080),
                ip_endpoint(NETRULE_TCP, AF_INET6, "::1", 0),
                unix_endpoint("/run/user/1000/pymp-k3j9x_ab/listener",
                              sizeof("/run/user/1000/pymp-k3j9x_ab/listener") - 1, false),
                unix_endpoint("/run/nscd/socket", sizeof("/run/nscd/socket") - 1, false),
                unix_endpoint("x\0y z*", 6, true),
        };
        struct learn *l = learn_new();
        struct profile *p = profile_new();
        struct policy *pol = NULL;
        cleanup_free char *text = NULL;

        (void)state;
        assert_non_null(l);
        assert_non_null(p);
        for (size_t i = 0; i < ARRAY_SIZE(eps); i++)
                assert_int_equal(learn_observe_connect(l, &eps[i]), 1);
        for (size_t i = 0; i < ARRAY_SIZE(eps); i++)
                assert_int_equal(learn_observe_connect(l, &eps[i]), 0);
        /* The same host as plain IPv4 is the same entry. */
        {
                struct policy_endpoint v4 = ip_endpoint(NETRULE_TCP, AF_INET, "127.0.0.1", 8080);

                assert_int_equal(learn_observe_connect(l, &v4), 0);
        }
        assert_int_equal(learn_count(l), ARRAY_SIZE(eps));
        text = merged_text(l, p);
        assert_string_equal(text,
                            "[connect]\n"
                            "allow = tcp 10.1.2.3 5432\n"
                            "allow = tcp 127.0.0.1 8080\n"
                            "allow = tcp ::1 0\n"
                            "allow = udp 2001:db8::1 53\n"
                            "allow = unix /run/nscd/socket\n"
                            "allow = unix /run/user/1000/pymp-*/listener\n"
                            "allow = unix @x%00y%20z%2A\n");
        /* The policy built from it allows what was observed. */
        assert_int_equal(policy_compile(p, &pol), 0);
        for (size_t i = 0; i < ARRAY_SIZE(eps); i++) {
                struct policy_verdict v;

                if (!policy_check_connect(pol, &eps[i], &v))
                        fail_msg("endpoint %zu not allowed", i);
        }
        policy_free(pol);
        profile_free(p);
        learn_free(l);
}

static void test_learn_connect_bad(void **state)
{
        char abstract[200];
        struct learn *l = learn_new();
        struct policy_endpoint ep;

        (void)state;
        assert_non_null(l);
        memset(abstract, 0xff, sizeof(abstract));
        ep = ip_endpoint(NETRULE_TCP, AF_INET, "10.0.0.1", 80);
        ep.family = AF_UNIX;
        assert_int_equal(learn_observe_connect(l, &ep), -EINVAL);
        ep.proto = (enum netrule_proto)99;
        ep.family = AF_INET;
        assert_int_equal(learn_observe_connect(l, &ep), -EINVAL);
        ep = unix_endpoint("run/x", 5, false);
        assert_int_equal(learn_observe_connect(l, &ep), -EINVAL);
        ep = unix_endpoint("/run/x\0y", 8, false);
        assert_int_equal(learn_observe_connect(l, &ep), -EINVAL);
        ep = unix_endpoint("/run/x", 0, false);
        assert_int_equal(learn_observe_connect(l, &ep), -EINVAL);
        ep = unix_endpoint(NULL, 0, true);
        assert_int_equal(learn_observe_connect(l, &ep), -EINVAL);
        ep = unix_endpoint(abstract, 108, true);
        assert_int_equal(learn_observe_connect(l, &ep), -EINVAL);
        ep = unix_endpoint(abstract, 107, true);        /* fits sun_path, not a line */
        assert_int_equal(learn_observe_connect(l, &ep), -ENAMETOOLONG);
        assert_int_equal(learn_observe_connect(l, NULL), -EINVAL);
        assert_int_equal(learn_observe_connect(NULL, &ep), -EINVAL);
        /* exactly as written, or not at all */
        ep = unix_endpoint("/run//x", 7, false);
        assert_int_equal(learn_observe_exact_connect(l, &ep), -EINVAL);
        ep = unix_endpoint("/run/x/", 7, false);
        assert_int_equal(learn_observe_exact_connect(l, &ep), -EINVAL);
        assert_int_equal(learn_count(l), 0);
        learn_free(l);
}

/* Destinations the send gate matches byte for byte are learned exactly:
 * a pattern would allow nothing there. */
static void test_learn_connect_exact(void **state)
{
        static const char temp[] = "/run/user/1000/pymp-k3j9x_ab/listener";
        static const char star[] = "/run/a*b?.sock";
        struct policy_endpoint ep = unix_endpoint(temp, sizeof(temp) - 1, false);
        struct learn *l = learn_new();
        struct profile *p = profile_new();
        cleanup_free char *text = NULL;

        (void)state;
        assert_int_equal(learn_observe_exact_connect(l, &ep), 1);
        assert_int_equal(learn_observe_exact_connect(l, &ep), 0);
        ep = unix_endpoint(star, sizeof(star) - 1, false);
        assert_int_equal(learn_observe_exact_connect(l, &ep), 1);
        ep = unix_endpoint("name", 4, true);
        assert_int_equal(learn_observe_exact_connect(l, &ep), 1);
        text = merged_text(l, p);
        assert_string_equal(text,
                            "[connect]\n"
                            "allow = unix /run/a%2Ab%3F.sock\n"
                            "allow = unix /run/user/1000/pymp-k3j9x_ab/listener\n"
                            "allow = unix @name\n");
        profile_free(p);
        learn_free(l);
}

/* A long socket path is widened so that "unix " and the pattern fit. */
static void test_learn_connect_long_path(void **state)
{
        char path[400];
        struct learn *l = learn_new();
        struct profile *p = profile_new();
        struct policy_endpoint ep;
        struct policy *pol = NULL;
        struct policy_verdict v;

        (void)state;
        assert_non_null(l);
        assert_non_null(p);
        memset(path, 0, sizeof(path));
        strcpy(path, "/run/app");
        for (size_t n = strlen(path); n + 10 < sizeof(path); n += 9)
                memcpy(path + n, "/sockdir0", 9);
        ep = unix_endpoint(path, strlen(path), false);
        assert_int_equal(learn_observe_connect(l, &ep), 1);
        assert_int_equal(learn_merge_into(l, p), 0);
        assert_int_equal(p->lists[PROFILE_CONNECT].n, 1);
        assert_true(strlen(p->lists[PROFILE_CONNECT].v[0].text) <= PROFILE_MAX_ENTRY);
        assert_non_null(strstr(p->lists[PROFILE_CONNECT].v[0].text, "/**"));
        assert_int_equal(policy_compile(p, &pol), 0);
        assert_true(policy_check_connect(pol, &ep, &v));
        policy_free(pol);
        profile_free(p);
        learn_free(l);
}

/* Literal IP rules inside a network or "any port" rule go; unix literals a
 * pattern matches go; the rest stays. */
static void test_learn_connect_minimal(void **state)
{
        struct learn *l = learn_new();
        struct profile *p = parse("[connect]\n"
                                  "allow = tcp 10.0.0.0/8 5432\n"
                                  "allow = udp 192.0.2.7 *\n"
                                  "allow = unix /tmp/*\n");
        struct policy_endpoint eps[] = {
                ip_endpoint(NETRULE_TCP, AF_INET, "10.1.2.3", 5432),   /* covered */
                ip_endpoint(NETRULE_TCP, AF_INET, "10.1.2.3", 80),     /* other port */
                ip_endpoint(NETRULE_UDP, AF_INET, "10.1.2.3", 5432),   /* other proto */
                ip_endpoint(NETRULE_UDP, AF_INET, "192.0.2.7", 53),    /* covered */
                ip_endpoint(NETRULE_TCP, AF_INET6, "2001:db8::a00:1", 5432),   /* v6, not v4 */
                unix_endpoint("/tmp/x.sock", 11, false),               /* covered */
                unix_endpoint("/tmp/x.sock", 11, true),                /* abstract */
        };
        cleanup_free char *text = NULL;

        (void)state;
        assert_non_null(l);
        for (size_t i = 0; i < ARRAY_SIZE(eps); i++)
                assert_int_equal(learn_observe_connect(l, &eps[i]), 1);
        text = merged_text(l, p);
        assert_string_equal(text,
                            "[connect]\n"
                            "allow = tcp 10.0.0.0/8 5432\n"
                            "allow = tcp 10.1.2.3 80\n"
                            "allow = tcp 2001:db8::a00:1 5432\n"
                            "allow = udp 10.1.2.3 5432\n"
                            "allow = udp 192.0.2.7 *\n"
                            "allow = unix /tmp/*\n"
                            "allow = unix @/tmp/x.sock\n");
        profile_free(p);
        learn_free(l);
}

/* Odd bytes survive to the profile text, read back, and the entry allows
 * exactly the raw path. */
static void test_learn_odd_bytes_roundtrip(void **state)
{
        static const char *const paths[] = {
                "/var/data/odd \xff*?%;#\n name",
                "/var/data/caf\xc3\xa9/\xc0\xaf/1234567-x",
                "/var/data/%41%2A",
                "/var/data/ tab\tend ",
        };
        struct learn *l = learn_new();
        struct profile *p = profile_new(), *back = NULL;
        struct policy *pol = NULL;
        struct strbuf sb = STRBUF_INIT;

        (void)state;
        assert_non_null(l);
        assert_non_null(p);
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
                assert_int_equal(learn_observe_path(l, PROFILE_WRITE, paths[i]), 1);
        assert_int_equal(learn_merge_into(l, p), 0);
        assert_int_equal(profile_format(p, &sb), 0);
        back = parse(sb.data);
        assert_int_equal(back->lists[PROFILE_WRITE].n, ARRAY_SIZE(paths));
        assert_int_equal(policy_compile(back, &pol), 0);
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                struct policy_verdict v;
                bool found = false;

                if (!policy_check_path(pol, PROFILE_WRITE, paths[i], &v))
                        fail_msg("%s not allowed after the round trip", paths[i]);
                for (size_t k = 0; k < back->lists[PROFILE_WRITE].n; k++) {
                        struct pathglob *g = NULL;

                        assert_int_equal(pathglob_compile(back->lists[PROFILE_WRITE].v[k].text,
                                                          &g), 0);
                        found |= pathglob_match(g, paths[i]);
                        pathglob_free(g);
                }
                assert_true(found);
        }
        /* ...and nothing nearby: the literal '*' did not become a wildcard. */
        {
                struct policy_verdict v;

                assert_false(policy_check_path(pol, PROFILE_WRITE,
                                               "/var/data/odd \xff" "XY%;#\n name", &v));
                assert_false(policy_check_path(pol, PROFILE_WRITE, "/var/data/AX", &v));
        }
        policy_free(pol);
        profile_free(back);
        profile_free(p);
        strbuf_release(&sb);
        learn_free(l);
}

/* The set is bounded; known entries still answer 0 when it is full. */
static void test_learn_bounded(void **state)
{
        struct learn *l = learn_new();
        char path[64];

        (void)state;
        assert_non_null(l);
        for (unsigned i = 0; i < LEARN_MAX_ENTRIES; i++) {
                snprintf(path, sizeof(path), "/var/x/%u", i);
                assert_int_equal(learn_observe_path(l, PROFILE_WRITE, path), 1);
        }
        assert_int_equal(learn_count(l), LEARN_MAX_ENTRIES);
        assert_int_equal(learn_observe_path(l, PROFILE_WRITE, "/var/x/new"), -ENOSPC);
        assert_int_equal(learn_observe_path(l, PROFILE_WRITE, "/var/x/7"), 0);
        {
                struct policy_endpoint ep = ip_endpoint(NETRULE_TCP, AF_INET, "10.0.0.1", 1);

                assert_int_equal(learn_observe_connect(l, &ep), -ENOSPC);
        }
        assert_int_equal(learn_count(l), LEARN_MAX_ENTRIES);
        learn_free(l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_learn_generalize_table),
                cmocka_unit_test(test_learn_generalize_bad_input),
                cmocka_unit_test(test_learn_generalize_too_long),
                cmocka_unit_test(test_learn_generalize_properties),
                cmocka_unit_test(test_learn_observe_counts),
                cmocka_unit_test(test_learn_deterministic),
                cmocka_unit_test(test_learn_merge_minimal),
                cmocka_unit_test(test_learn_merge_idempotent),
                cmocka_unit_test(test_learn_connect),
                cmocka_unit_test(test_learn_connect_exact),
                cmocka_unit_test(test_learn_connect_bad),
                cmocka_unit_test(test_learn_connect_long_path),
                cmocka_unit_test(test_learn_connect_minimal),
                cmocka_unit_test(test_learn_odd_bytes_roundtrip),
                cmocka_unit_test(test_learn_bounded),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
