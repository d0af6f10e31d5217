#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"
#include "util.h"

/* What runc 1.1.5 sends (libcontainer/process_linux.go), with annotations. */
static const char runc_msg[] =
        "{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":2694,"
        "\"metadata\":\"image=busybox\",\"state\":{\"ociVersion\":\"1.0.2-dev\","
        "\"id\":\"c1\",\"status\":\"creating\",\"pid\":2694,\"bundle\":\"/run/b\","
        "\"annotations\":{\"io.driftlock.mode\":\"enforce\"}}}";

/* crun: hard-coded ociVersion 0.2.0, pretty-printed by yajl. */
static const char crun_msg[] =
        "{\n"
        "    \"ociVersion\": \"0.2.0\",\n"
        "    \"fds\": [\n"
        "        \"seccompFd\"\n"
        "    ],\n"
        "    \"pid\": 4711,\n"
        "    \"metadata\": \"profile=web\",\n"
        "    \"state\": {\n"
        "        \"ociVersion\": \"0.2.0\",\n"
        "        \"id\": \"0123456789abcdef\",\n"
        "        \"status\": \"running\",\n"
        "        \"pid\": 4700,\n"
        "        \"bundle\": \"/var/lib/containers/storage/overlay-containers/x/userdata\",\n"
        "        \"annotations\": {\n"
        "            \"io.kubernetes.cri-o.ImageName\": \"quay.io/app/web:2\",\n"
        "            \"io.container.manager\": \"libpod\"\n"
        "        }\n"
        "    }\n"
        "}\n";

/* youki before 0.6.0: its internal State with extra fields, a status the
 * spec does not know, literals, numbers, escapes and non-ASCII text
 * (which also exercises every cut inside a token at the split test). */
static const char youki_msg[] =
        "{\"ociVersion\":\"1.0.2\",\"fds\":[\"pidFd\",\"seccompFd\"],\"pid\":31337,"
        "\"extra\":[true,false,null,-1.5e3,{\"nested\":[]}],"
        "\"state\":{\"ociVersion\":\"1.0.2\",\"id\":\"y\\u00e9-\\\"q\\\"\",\"status\":\"paused\","
        "\"pid\":31337,\"bundle\":\"/b\",\"created\":\"2021-10-01T00:00:00Z\",\"creator\":0,"
        "\"useSystemd\":false,\"cleanUpIntelRdtSubdirectory\":null,"
        "\"annotations\":{\"k\\t\":\"caf\xc3\xa9 \xf0\x9f\x90\xb3\",\"empty\":\"\"}}}";

static struct oci_state *parse_ok(const char *buf, size_t len, size_t *ret_consumed)
{
        struct oci_state *s = NULL;
        const char *error = NULL;
        size_t consumed = 0;
        int r = oci_state_parse(buf, len, &s, &consumed, &error);

        if (r != 0)
                fail_msg("parse failed (%d, %s): %.*s", r, error ? error : "?", (int)len, buf);
        assert_non_null(s);
        if (ret_consumed)
                *ret_consumed = consumed;
        return s;
}

static void test_oci_parse_runc(void **state)
{
        size_t consumed = 0;
        struct oci_state *s = parse_ok(runc_msg, strlen(runc_msg), &consumed);

        (void)state;
        assert_int_equal(consumed, strlen(runc_msg));
        assert_string_equal(s->oci_version, "1.0.2-dev");
        assert_int_equal(s->seccomp_fd_index, 0);
        assert_int_equal(s->pid, 2694);
        assert_string_equal(s->metadata, "image=busybox");
        assert_string_equal(s->id, "c1");
        assert_string_equal(s->status, "creating");
        assert_int_equal(s->state_pid, 2694);
        assert_string_equal(s->bundle, "/run/b");
        assert_int_equal(s->n_annotations, 1);
        assert_string_equal(oci_annotation(s, "io.driftlock.mode"), "enforce");
        assert_null(oci_annotation(s, "io.driftlock.profile"));
        assert_string_equal(oci_requested_mode(s), "enforce");
        oci_state_free(s);
}

static void test_oci_parse_crun(void **state)
{
        size_t consumed = 0;
        struct oci_state *s = parse_ok(crun_msg, strlen(crun_msg), &consumed);
        const char *image = NULL;

        (void)state;
        /* The object ends at '}', before the final newline. */
        assert_int_equal(consumed, strlen(crun_msg) - 1);
        assert_string_equal(s->oci_version, "0.2.0");
        assert_int_equal(s->pid, 4711);
        assert_int_equal(s->state_pid, 4700);
        assert_string_equal(s->status, "running");
        assert_int_equal(s->n_annotations, 2);
        assert_int_equal(oci_image_name(s, &image), 0);
        assert_string_equal(image, "quay.io/app/web:2");
        assert_null(oci_requested_mode(s));
        oci_state_free(s);
}

static void test_oci_parse_youki(void **state)
{
        struct oci_state *s = parse_ok(youki_msg, strlen(youki_msg), NULL);
        const char *image = (const char *)1;

        (void)state;
        assert_int_equal(s->seccomp_fd_index, 1);
        assert_string_equal(s->id, "y\xc3\xa9-\"q\"");
        assert_string_equal(s->status, "paused");
        assert_null(s->metadata);
        assert_string_equal(oci_annotation(s, "k\t"), "caf\xc3\xa9 \xf0\x9f\x90\xb3");
        assert_string_equal(oci_annotation(s, "empty"), "");
        assert_int_equal(oci_image_name(s, &image), -ENOENT);
        assert_ptr_equal(image, (const char *)1);
        oci_state_free(s);
}

/* Optional members absent, or null as Go writes a nil slice or map. */
static void test_oci_parse_minimal(void **state)
{
        static const char *const msgs[] = {
                "{\"ociVersion\":\"\",\"pid\":1,\"state\":{\"id\":\"a\",\"status\":\"s\"}}",
                "{\"ociVersion\":\"9\",\"fds\":null,\"pid\":1,\"metadata\":null,"
                "\"state\":{\"ociVersion\":null,\"id\":\"a\",\"status\":\"s\",\"pid\":null,"
                "\"bundle\":null,\"annotations\":null}}",
                ("{\"ociVersion\":\"9\",\"pid\":1,\"state\":{\"id\":\"a\",\"status\":\"s\","
                 "\"annotations\":{}}}"),
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(msgs); i++) {
                struct oci_state *s = parse_ok(msgs[i], strlen(msgs[i]), NULL);

                assert_int_equal(s->seccomp_fd_index, 0);
                assert_null(s->metadata);
                assert_null(s->bundle);
                assert_int_equal(s->state_pid, 0);
                assert_int_equal(s->n_annotations, 0);
                assert_null(oci_annotation(s, "a"));
                oci_state_free(s);
        }
}

static void test_oci_parse_fds(void **state)
{
        static const struct {
                const char *fds;
                int index;
        } cases[] = {
                { "", 0 },
                { "\"fds\":null,", 0 },
                { "\"fds\":[],", -1 },
                { "\"fds\":[\"pidFd\"],", -1 },
                { "\"fds\":[\"seccompFd\"],", 0 },
                { "\"fds\":[\"a\",\"b\",\"seccompFd\"],", 2 },
                { "\"fds\":[\"seccompfd\"],", -1 },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char msg[256];
                struct oci_state *s;

                snprintf(msg, sizeof(msg),
                         "{\"ociVersion\":\"1\",%s\"pid\":5,\"state\":{\"id\":\"x\",\"status\":\"s\"}}",
                         cases[i].fds);
                s = parse_ok(msg, strlen(msg), NULL);
                if (s->seccomp_fd_index != cases[i].index)
                        fail_msg("%s: index %d, expected %d", msg, s->seccomp_fd_index,
                                 cases[i].index);
                oci_state_free(s);
        }
}

/* Every proper prefix is "not yet"; the whole is complete; what follows the
 * object is not looked at. This is what the listener relies on when the
 * runtime sends in pieces and never closes the connection. */
static void test_oci_parse_every_split(void **state)
{
        static const char *const msgs[] = { runc_msg, crun_msg, youki_msg };

        (void)state;
        for (size_t m = 0; m < ARRAY_SIZE(msgs); m++) {
                size_t len = strlen(msgs[m]), end = m == 1 ? len - 1 : len;
                char *buf = malloc(len + 64);

                assert_non_null(buf);
                memcpy(buf, msgs[m], len);
                for (size_t k = 0; k < end; k++) {
                        struct oci_state *s = NULL;
                        const char *error = NULL;
                        size_t consumed = 12345;
                        int r = oci_state_parse(buf, k, &s, &consumed, &error);

                        if (r != -EAGAIN)
                                fail_msg("message %zu cut at %zu: %d (%s)", m, k, r,
                                         error ? error : "?");
                        assert_null(s);
                        assert_int_equal(consumed, 12345);
                        assert_non_null(error);
                }
                /* Complete, then followed by garbage or a second object. */
                memcpy(buf + len, "}}]x\0{\"a\":", 11);
                for (size_t extra = 0; extra <= 11; extra++) {
                        size_t consumed = 0;
                        struct oci_state *s = parse_ok(buf, len + extra, &consumed);

                        assert_int_equal(consumed, end);
                        oci_state_free(s);
                }
                free(buf);
        }
}

static void test_oci_parse_leading_space(void **state)
{
        static const char msg[] = " \r\n\t{\"ociVersion\":\"1\",\"pid\":5,"
                                  "\"state\":{\"id\":\"x\",\"status\":\"s\"}} trailing";
        size_t consumed = 0;
        struct oci_state *s = parse_ok(msg, strlen(msg), &consumed);

        (void)state;
        assert_int_equal(consumed, strlen(msg) - strlen(" trailing"));
        oci_state_free(s);
        for (size_t k = 0; k <= 4; k++)
                assert_int_equal(oci_state_parse(msg, k, &s, &consumed, NULL), -EAGAIN);
}

#define ST(x) "{\"ociVersion\":\"1\",\"pid\":5,\"state\":{" x "}}"
#define IDS(x) ST("\"id\":" x ",\"status\":\"s\"")

static void test_oci_parse_malformed(void **state)
{
        static const struct {
                const char *json;
                const char *error;      /* a substring of the message */
        } cases[] = {
                /* Not JSON, or not an object. */
                { "x", "not a JSON object" },
                { "[]", "not a JSON object" },
                { "  [{\"ociVersion\":\"1\"}]", "not a JSON object" },
                { "\"str\"", "not a JSON object" },
                { "1", "not a JSON object" },
                { "null", "not a JSON object" },
                { "\xef\xbb\xbf{}", "not a JSON object" },
                { "\0{}", "not a JSON object" },
                { "{]", "malformed JSON" },
                { "{\"a\":}", "malformed JSON" },
                { "{\"a\" 1}", "malformed JSON" },
                { "{\"a\":1,}", "malformed JSON" },
                { "{'a':1}", "malformed JSON" },
                { "{\"a\":truex}", "malformed JSON" },
                { "{\"a\":\"\x01\"}", "malformed JSON" },
                { "{\"a\":\"\xff\"}", "invalid UTF-8" },
                { "{\"a\":\"\xc3\x28\"}", "invalid UTF-8" },
                { "{\"a\":\"\\u0000\"}", "\\u0000" },
                { "{\"a\\u0000\":1}", "\\u0000" },
                { "{\"a\":\"\\x\"}", "malformed JSON" },
                { "{\"a\":1,\"a\":1}", "duplicate key" },
                { ST("\"id\":\"x\",\"status\":\"s\",\"id\":\"y\""), "duplicate key" },
                { "{\"a\":99999999999999999999999}", "out of range" },
                /* The wrong shape. */
                { "{}", "ociVersion is missing" },
                { "{\"ociVersion\":1,\"pid\":5,\"state\":{}}", "ociVersion is not a string" },
                { "{\"ociVersion\":null,\"pid\":5,\"state\":{}}", "ociVersion is missing" },
                { "{\"ociVersion\":\"1\",\"state\":{\"id\":\"x\",\"status\":\"s\"}}", "pid is missing" },
                { "{\"ociVersion\":\"1\",\"pid\":\"5\",\"state\":{}}", "pid is not an integer" },
                { "{\"ociVersion\":\"1\",\"pid\":5.0,\"state\":{}}", "pid is not an integer" },
                { "{\"ociVersion\":\"1\",\"pid\":0,\"state\":{}}", "pid is not an integer" },
                { "{\"ociVersion\":\"1\",\"pid\":-1,\"state\":{}}", "pid is not an integer" },
                { "{\"ociVersion\":\"1\",\"pid\":2147483648,\"state\":{}}", "pid is not an integer" },
                { "{\"ociVersion\":\"1\",\"pid\":true,\"state\":{}}", "pid is not an integer" },
                { "{\"ociVersion\":\"1\",\"fds\":\"seccompFd\",\"pid\":5}", "fds is not an array" },
                { "{\"ociVersion\":\"1\",\"fds\":{},\"pid\":5}", "fds is not an array" },
                { "{\"ociVersion\":\"1\",\"fds\":[1],\"pid\":5}", "fds holds" },
                { "{\"ociVersion\":\"1\",\"fds\":[null],\"pid\":5}", "fds holds" },
                { "{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\",\"seccompFd\"],\"pid\":5}",
                  "seccompFd twice" },
                { "{\"ociVersion\":\"1\",\"pid\":5,\"metadata\":{},\"state\":{}}",
                  "metadata is not a string" },
                { "{\"ociVersion\":\"1\",\"pid\":5}", "state is missing" },
                { "{\"ociVersion\":\"1\",\"pid\":5,\"state\":null}", "state is not an object" },
                { "{\"ociVersion\":\"1\",\"pid\":5,\"state\":[]}", "state is not an object" },
                { "{\"ociVersion\":\"1\",\"pid\":5,\"state\":\"x\"}", "state is not an object" },
                { ST("\"status\":\"s\""), "state.id is missing" },
                { IDS("null"), "state.id is missing" },
                { IDS("7"), "state.id is not a string" },
                { IDS("\"\""), "state.id is empty" },
                { IDS("\".\""), "state.id is \".\"" },
                { IDS("\"..\""), "state.id is \".\"" },
                { IDS("\"a/b\""), "'/'" },
                { IDS("\"/\""), "'/'" },
                { IDS("\"a\\nb\""), "control character" },
                { IDS("\"a\\u007f\""), "control character" },
                { ST("\"id\":\"x\""), "state.status is missing" },
                { ST("\"id\":\"x\",\"status\":1"), "state.status is not a string" },
                { ST("\"id\":\"x\",\"status\":\"s\",\"ociVersion\":1"), "state.ociVersion" },
                { ST("\"id\":\"x\",\"status\":\"s\",\"bundle\":[]"), "state.bundle" },
                { ST("\"id\":\"x\",\"status\":\"s\",\"pid\":-1"), "state.pid" },
                { ST("\"id\":\"x\",\"status\":\"s\",\"pid\":\"1\""), "state.pid" },
                { ST("\"id\":\"x\",\"status\":\"s\",\"pid\":1.5"), "state.pid" },
                { ST("\"id\":\"x\",\"status\":\"s\",\"annotations\":[]"), "not an object" },
                { ST("\"id\":\"x\",\"status\":\"s\",\"annotations\":\"a=b\""), "not an object" },
                { ST("\"id\":\"x\",\"status\":\"s\",\"annotations\":{\"a\":1}"), "not a string" },
                { ST("\"id\":\"x\",\"status\":\"s\",\"annotations\":{\"a\":\"b\",\"c\":null}"),
                  "not a string" },
                { ST("\"id\":\"x\",\"status\":\"s\",\"annotations\":{\"a\":{}}"), "not a string" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                const char *json = cases[i].json;
                /* Two cases start with a NUL byte. */
                size_t len = json[0] ? strlen(json) : 3;
                struct oci_state *s = NULL;
                const char *error = NULL;
                size_t consumed = 777;
                int r = oci_state_parse(json, len, &s, &consumed, &error);

                if (r != -EINVAL || !error || !strstr(error, cases[i].error))
                        fail_msg("case %zu %s: %d '%s', expected -EINVAL '%s'", i, json, r,
                                 error ? error : "(null)", cases[i].error);
                assert_null(s);
                assert_int_equal(consumed, 777);
        }
}

static void test_oci_parse_id_limit(void **state)
{
        char id[OCI_ID_MAX + 2], msg[OCI_ID_MAX + 128];
        struct oci_state *s = NULL;
        const char *error = NULL;
        size_t consumed;

        (void)state;
        memset(id, 'i', sizeof(id) - 2);
        id[sizeof(id) - 2] = '\0';
        snprintf(msg, sizeof(msg), IDS("\"%s\""), id);
        s = parse_ok(msg, strlen(msg), NULL);
        assert_int_equal(strlen(s->id), OCI_ID_MAX);
        oci_state_free(s);

        id[sizeof(id) - 2] = 'i';
        id[sizeof(id) - 1] = '\0';
        snprintf(msg, sizeof(msg), IDS("\"%s\""), id);
        s = NULL;
        assert_int_equal(oci_state_parse(msg, strlen(msg), &s, &consumed, &error), -EINVAL);
        assert_non_null(strstr(error, "longer than 1024"));
        assert_null(s);
}

static void test_oci_parse_size_limit(void **state)
{
        static const char head[] = "{\"ociVersion\":\"1\",\"pid\":5,\"metadata\":\"";
        static const char tail[] = "\",\"state\":{\"id\":\"x\",\"status\":\"s\"}}";
        size_t big = OCI_STATE_MAX_BYTES + 100;
        char *buf = malloc(big + 1);
        struct oci_state *s = NULL;
        const char *error = NULL;
        size_t consumed, len;

        (void)state;
        assert_non_null(buf);
        /* An unfinished string running past the limit. */
        memcpy(buf, head, strlen(head));
        memset(buf + strlen(head), 'm', big - strlen(head));
        assert_int_equal(oci_state_parse(buf, OCI_STATE_MAX_BYTES, &s, &consumed, &error), -EAGAIN);
        assert_int_equal(oci_state_parse(buf, OCI_STATE_MAX_BYTES + 1, &s, &consumed, &error),
                         -EMSGSIZE);
        assert_non_null(error);
        assert_int_equal(oci_state_parse(buf, big, &s, &consumed, &error), -EMSGSIZE);
        assert_null(s);

        /* Exactly OCI_STATE_MAX_BYTES is accepted, one more is not. */
        len = OCI_STATE_MAX_BYTES;
        memcpy(buf + len - strlen(tail), tail, strlen(tail));
        s = parse_ok(buf, len, &consumed);
        assert_int_equal(consumed, len);
        assert_int_equal(strlen(s->metadata), len - strlen(head) - strlen(tail));
        oci_state_free(s);
        s = parse_ok(buf, big, &consumed);     /* garbage after it is not read */
        assert_int_equal(consumed, len);
        oci_state_free(s);
        s = NULL;
        memset(buf + strlen(head), 'm', big - strlen(head));
        memcpy(buf + len + 1 - strlen(tail), tail, strlen(tail));
        assert_int_equal(oci_state_parse(buf, len + 1, &s, &consumed, &error), -EMSGSIZE);
        assert_null(s);

        /* Only white space, past the limit. */
        memset(buf, ' ', big);
        assert_int_equal(oci_state_parse(buf, big, &s, &consumed, &error), -EMSGSIZE);
        /* Malformed early stays malformed, whatever the length. */
        buf[10] = 'x';
        assert_int_equal(oci_state_parse(buf, big, &s, &consumed, &error), -EINVAL);
        memcpy(buf, "{\"a\":}", 6);
        assert_int_equal(oci_state_parse(buf, big, &s, &consumed, &error), -EINVAL);
        free(buf);
}

/* A message with the given annotations (a JSON object body) and metadata
 * (a JSON value). */
static struct oci_state *with(const char *annotations, const char *metadata)
{
        char msg[2048];

        snprintf(msg, sizeof(msg),
                 "{\"ociVersion\":\"1\",\"pid\":5,\"metadata\":%s,"
                 "\"state\":{\"id\":\"abc123\",\"status\":\"s\",\"annotations\":{%s}}}",
                 metadata, annotations);
        return parse_ok(msg, strlen(msg), NULL);
}

static void test_oci_profile_name_order(void **state)
{
        static const struct {
                const char *annotations, *metadata, *name;
                enum oci_name_source source;
        } cases[] = {
                { "", "null", "container-abc123", OCI_NAME_CONTAINER_ID },
                { "", "\"image=busybox\"", "container-abc123", OCI_NAME_CONTAINER_ID },
                { "", "\"profile=web\"", "web", OCI_NAME_METADATA },
                { "\"org.opencontainers.image.ref.name\":\"r\"", "\"profile=web\"", "r",
                  OCI_NAME_IMAGE },
                { "\"org.opencontainers.image.ref.name\":\"r\","
                  "\"io.kubernetes.cri-o.ImageName\":\"crio\"", "null", "crio", OCI_NAME_IMAGE },
                { "\"org.opencontainers.image.ref.name\":\"r\","
                  "\"io.kubernetes.cri-o.ImageName\":\"crio\","
                  "\"io.kubernetes.cri.image-name\":\"docker.io/library/nginx:1.25\"",
                  "null", "docker.io/library/nginx:1.25", OCI_NAME_IMAGE },
                { "\"io.kubernetes.cri.image-name\":\"\",\"io.kubernetes.cri-o.ImageName\":\"crio\"",
                  "null", "crio", OCI_NAME_IMAGE },
                { "\"io.kubernetes.cri.image-name\":\"img\",\"io.driftlock.profile\":\"mine\"",
                  "\"profile=web\"", "mine", OCI_NAME_ANNOTATION },
                { "\"io.driftlock.profile\":\"\",\"io.kubernetes.cri.image-name\":\"img\"",
                  "null", "img", OCI_NAME_IMAGE },
                { "\"io.driftlock.profile\":\"\"", "\"profile=web\"", "web", OCI_NAME_METADATA },
                { "\"io.driftlock.profile\":\"../../etc/x\"", "null", "../../etc/x",
                  OCI_NAME_ANNOTATION },
                { "\"io.driftlock.Profile\":\"case\"", "null", "container-abc123",
                  OCI_NAME_CONTAINER_ID },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct oci_state *s = with(cases[i].annotations, cases[i].metadata);
                enum oci_name_source source = (enum oci_name_source)99;
                char *name = NULL;

                assert_int_equal(oci_profile_name(s, &name, &source), 0);
                if (strcmp(name, cases[i].name) != 0 || source != cases[i].source)
                        fail_msg("case %zu: '%s' (%s), expected '%s' (%s)", i, name,
                                 oci_name_source_name(source), cases[i].name,
                                 oci_name_source_name(cases[i].source));
                free(name);
                /* The source may be left out. */
                assert_int_equal(oci_profile_name(s, &name, NULL), 0);
                assert_string_equal(name, cases[i].name);
                free(name);
                oci_state_free(s);
        }
}

static void test_oci_profile_name_metadata(void **state)
{
        static const struct {
                const char *metadata, *name; /* NULL: falls back to the id */
        } cases[] = {
                { "\"profile=web\"", "web" },
                { "\"  profile=web\\t\"", "web" },
                { "\"image=busybox,profile=web\"", "web" },
                { "\"image=busybox, profile=web ,x=y\"", "web" },
                { "\"profile=a b\"", "a b" },
                { "\"profile=a=b\"", "a=b" },
                { "\"profile=web,\"", "web" },
                { "\",,profile=web,,\"", "web" },
                { "\"profile=\"", NULL },
                { "\"profile= \"", NULL },
                { "\"profile=a,profile=b\"", NULL },
                { "\"profile=a,profile=a\"", NULL },
                { "\"profile=a,profile=\"", NULL },
                { "\"profile web\"", NULL },
                { "\"Profile=web\"", NULL },
                { "\"xprofile=web\"", NULL },
                { "\"profile =web\"", NULL },
                { "\"image=busybox\"", NULL },
                { "\"\"", NULL },
                { "\",\"", NULL },
                { "null", NULL },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct oci_state *s = with("", cases[i].metadata);
                enum oci_name_source source;
                const char *want = cases[i].name ? cases[i].name : "container-abc123";
                char *name = NULL;

                assert_int_equal(oci_profile_name(s, &name, &source), 0);
                if (strcmp(name, want) != 0)
                        fail_msg("metadata %s: '%s', expected '%s'", cases[i].metadata, name, want);
                assert_int_equal(source, cases[i].name ? OCI_NAME_METADATA : OCI_NAME_CONTAINER_ID);
                free(name);
                oci_state_free(s);
        }
}

static void test_oci_requested_mode(void **state)
{
        struct oci_state *s = with("\"io.driftlock.mode\":\"\"", "null");

        (void)state;
        /* An empty value is passed on, for the caller to refuse loudly. */
        assert_string_equal(oci_requested_mode(s), "");
        oci_state_free(s);
        s = with("\"io.driftlock.mode\":\"learn\"", "null");
        assert_string_equal(oci_requested_mode(s), "learn");
        oci_state_free(s);
        s = with("\"io.driftlock.mod\":\"learn\"", "null");
        assert_null(oci_requested_mode(s));
        oci_state_free(s);
}

static void test_oci_name_source_name(void **state)
{
        (void)state;
        assert_string_equal(oci_name_source_name(OCI_NAME_ANNOTATION), "annotation");
        assert_string_equal(oci_name_source_name(OCI_NAME_IMAGE), "image");
        assert_string_equal(oci_name_source_name(OCI_NAME_METADATA), "metadata");
        assert_string_equal(oci_name_source_name(OCI_NAME_CONTAINER_ID), "container-id");
}

static void test_oci_encode_name_table(void **state)
{
        static const struct {
                const char *name, *encoded;
        } cases[] = {
                { "docker.io/library/nginx:1.25", "docker.io_2flibrary_2fnginx_3a1.25" },
                { "web", "web" },
                { "A-Z.a-z.0-9", "A-Z.a-z.0-9" },
                { "a_b", "a_5fb" },
                { "a/b", "a_2fb" },
                { "a_2fb", "a_5f2fb" },
                { ".", "_2e" },
                { "..", "_2e." },
                { ".hidden", "_2ehidden" },
                { "a.", "a." },
                { "-x", "-x" },
                { "_", "_5f" },
                { " ", "_20" },
                { "x@sha256:ab", "x_40sha256_3aab" },
                { "\xff\x01", "_ff_01" },
                { "caf\xc3\xa9", "caf_c3_a9" },
                { "A", "A" },
                { "a", "a" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *enc = NULL, *dec = NULL;

                assert_int_equal(oci_encode_name(cases[i].name, &enc), 0);
                assert_string_equal(enc, cases[i].encoded);
                assert_int_equal(oci_decode_name(enc, &dec), 0);
                assert_string_equal(dec, cases[i].name);
                /* Distinct names, distinct files. */
                for (size_t j = 0; j < i; j++) {
                        if (strcmp(cases[j].encoded, enc) == 0)
                                fail_msg("'%s' and '%s' both encode to '%s'", cases[i].name,
                                         cases[j].name, enc);
                }
                free(enc);
                free(dec);
        }
}

static void test_oci_encode_name_refused(void **state)
{
        char name[OCI_NAME_ENCODED_MAX + 2];
        char *enc = (char *)1;

        (void)state;
        assert_int_equal(oci_encode_name("", &enc), -EINVAL);
        assert_int_equal(oci_encode_name(NULL, &enc), -EINVAL);
        assert_ptr_equal(enc, (char *)1);

        /* The limit is on the encoded length. */
        memset(name, 'n', OCI_NAME_ENCODED_MAX);
        name[OCI_NAME_ENCODED_MAX] = '\0';
        assert_int_equal(oci_encode_name(name, &enc), 0);
        assert_int_equal(strlen(enc), OCI_NAME_ENCODED_MAX);
        free(enc);
        enc = (char *)1;
        name[OCI_NAME_ENCODED_MAX] = 'n';
        name[OCI_NAME_ENCODED_MAX + 1] = '\0';
        assert_int_equal(oci_encode_name(name, &enc), -ENAMETOOLONG);
        assert_ptr_equal(enc, (char *)1);
        /* 66 '/' encode to 198 bytes, 67 to 201. */
        memset(name, '/', 67);
        name[66] = '\0';
        assert_int_equal(oci_encode_name(name, &enc), 0);
        assert_int_equal(strlen(enc), 198);
        free(enc);
        name[66] = '/';
        name[67] = '\0';
        assert_int_equal(oci_encode_name(name, &enc), -ENAMETOOLONG);
}

static void test_oci_decode_name_malformed(void **state)
{
        static const char *const bad[] = {
                "", ".", "..", ".x", "a/b", "a b", "a_", "a_2", "a_2F", "a_G0", "a_2g", "_00",
                "_61", "_2d", "a_2e", "_5", "a\xff", "a:b", "_",
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                char *dec = NULL;

                if (oci_decode_name(bad[i], &dec) != -EINVAL)
                        fail_msg("'%s' decoded to '%s'", bad[i], dec ? dec : "?");
                assert_null(dec);
        }
        {
                char *dec = NULL;

                assert_int_equal(oci_decode_name(NULL, &dec), -EINVAL);
        }
}

/* Random byte strings: decode(encode(x)) == x, and encode(decode(y)) == y. */
static void test_oci_encode_name_round_trip(void **state)
{
        uint32_t seed = 12345;

        (void)state;
        for (int n = 0; n < 5000; n++) {
                char name[80], *enc = NULL, *dec = NULL, *again = NULL;
                size_t len;
                int r;

                seed = seed * 1103515245u + 12345u;
                len = 1 + (seed >> 16) % (sizeof(name) - 1);
                for (size_t i = 0; i < len; i++) {
                        seed = seed * 1103515245u + 12345u;
                        /* Favour the bytes that matter: '_', '.', hex digits. */
                        switch ((seed >> 8) % 4) {
                        case 0:
                                name[i] = "_.-af09AF/"[(seed >> 16) % 10];
                                break;
                        default:
                                name[i] = (char)(1 + (seed >> 16) % 255);
                                break;
                        }
                }
                name[len] = '\0';
                r = oci_encode_name(name, &enc);
                if (r == -ENAMETOOLONG)
                        continue;
                assert_int_equal(r, 0);
                assert_true(strlen(enc) <= OCI_NAME_ENCODED_MAX);
                assert_int_equal(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789._-"), strlen(enc));
                assert_true(enc[0] != '.');
                assert_int_equal(oci_decode_name(enc, &dec), 0);
                assert_string_equal(dec, name);
                assert_int_equal(oci_encode_name(dec, &again), 0);
                assert_string_equal(again, enc);
                free(enc);
                free(dec);
                free(again);
        }
}

/* The runtime state a hook reads on stdin: the listener message's "state"
 * at the top level. */
static void test_oci_hook_state(void **state)
{
        static const char hook[] =
                "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"web-1\",\"status\":\"created\","
                "\"pid\":4242,\"bundle\":\"/run/b\","
                "\"annotations\":{\"io.driftlock.mode\":\"enforce\"}}";
        static const char *const bad[] = {
                "[]", "{\"id\":\"x\"}", "{\"id\":\"a/b\",\"status\":\"created\"}",
                "{\"id\":\"x\",\"status\":\"created\",\"pid\":-1}", "{\"id\":",
        };
        struct oci_state *s = NULL;
        const char *error = NULL;

        (void)state;
        assert_int_equal(oci_hook_state_parse(hook, strlen(hook), &s, &error), 0);
        assert_string_equal(s->id, "web-1");
        assert_string_equal(s->status, "created");
        assert_int_equal(s->state_pid, 4242);
        assert_int_equal(s->pid, 4242);
        assert_string_equal(s->bundle, "/run/b");
        assert_string_equal(oci_requested_mode(s), "enforce");
        assert_string_equal(s->oci_version, "1.0.2-dev");
        oci_state_free(s);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                s = NULL;
                error = NULL;
                assert_int_equal(oci_hook_state_parse(bad[i], strlen(bad[i]), &s, &error), -EINVAL);
                assert_null(s);
                assert_non_null(error);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_oci_parse_runc),
                cmocka_unit_test(test_oci_parse_crun),
                cmocka_unit_test(test_oci_parse_youki),
                cmocka_unit_test(test_oci_parse_minimal),
                cmocka_unit_test(test_oci_parse_fds),
                cmocka_unit_test(test_oci_parse_every_split),
                cmocka_unit_test(test_oci_parse_leading_space),
                cmocka_unit_test(test_oci_parse_malformed),
                cmocka_unit_test(test_oci_parse_id_limit),
                cmocka_unit_test(test_oci_parse_size_limit),
                cmocka_unit_test(test_oci_profile_name_order),
                cmocka_unit_test(test_oci_profile_name_metadata),
                cmocka_unit_test(test_oci_requested_mode),
                cmocka_unit_test(test_oci_name_source_name),
                cmocka_unit_test(test_oci_encode_name_table),
                cmocka_unit_test(test_oci_encode_name_refused),
                cmocka_unit_test(test_oci_decode_name_malformed),
                cmocka_unit_test(test_oci_encode_name_round_trip),
                cmocka_unit_test(test_oci_hook_state),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
