/* The OCI container process state: any bytes parse, wait for more, or are
 * refused with a message; what parses obeys the struct's invariants, its
 * end is exact (one byte less is "not yet"), and every name derived from it
 * encodes to a file name that decodes back to it. The input is also tried
 * as a profile name and as an encoded name. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *name)
{
        char *enc = NULL, *dec = NULL;
        int r = oci_encode_name(name, &enc);

        if (r == -EINVAL && !*name)
                return;
        if (r == -ENAMETOOLONG || r == -ENOMEM)
                return;
        if (r != 0 || strlen(enc) > OCI_NAME_ENCODED_MAX || enc[0] == '.' ||
            strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
                    strlen(enc))
                abort();
        r = oci_decode_name(enc, &dec);
        if (r == 0 && strcmp(dec, name) != 0)
                abort();
        if (r != 0 && r != -ENOMEM)
                abort();
        free(enc);
        free(dec);
}

static void check_encoded(const char *text)
{
        char *dec = NULL, *enc = NULL;

        if (oci_decode_name(text, &dec) != 0)
                return;
        /* Only canonical text decodes: encoding gives it back. */
        if (oci_encode_name(dec, &enc) == 0 && strcmp(enc, text) != 0)
                abort();
        free(dec);
        free(enc);
}

static void check_state(const struct oci_state *s, const char *buf, size_t consumed)
{
        enum oci_name_source source;
        const char *image = NULL, *error = NULL;
        struct oci_state *again = NULL;
        char *name = NULL;
        size_t n = 0;

        if (!s->oci_version || !s->id || !s->status || s->pid <= 0 || s->state_pid < 0 ||
            s->seccomp_fd_index < -1 || s->seccomp_fd_index >= OCI_FDS_MAX)
                abort();
        if (!*s->id || strlen(s->id) > OCI_ID_MAX || strchr(s->id, '/'))
                abort();
        for (size_t i = 0; i < s->n_annotations; i++)
                if (oci_annotation(s, s->annotation_keys[i]) != s->annotation_values[i])
                        abort();        /* keys are unique */
        (void)oci_requested_mode(s);
        if (oci_image_name(s, &image) == 0 && (!image || !*image))
                abort();
        if (oci_profile_name(s, &name, &source) == 0) {
                if (!*name || !oci_name_source_name(source))
                        abort();
                check_name(name);
                free(name);
        }
        /* One byte less is a prefix still waiting for its end. */
        if (consumed == 0 || oci_state_parse(buf, consumed - 1, &again, &n, &error) != -EAGAIN ||
            again || !error)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *buf = size ? (const char *)data : "", *error = NULL;
        struct oci_state *s = NULL;
        size_t consumed = 0;
        char *text;
        int r;

        r = oci_state_parse(buf, size, &s, &consumed, &error);
        if (r == 0) {
                if (!s || consumed == 0 || consumed > size || consumed > OCI_STATE_MAX_BYTES)
                        abort();
                check_state(s, buf, consumed);
                oci_state_free(s);
        } else {
                if (s || !error)
                        abort();
                if (r != -EAGAIN && r != -EINVAL && r != -EMSGSIZE && r != -ENOMEM)
                        abort();
                if (r == -EMSGSIZE && size <= OCI_STATE_MAX_BYTES)
                        abort();
        }

        text = strndup(buf, size);
        if (!text)
                return 0;
        check_name(text);
        check_encoded(text);
        free(text);
        return 0;
}
