/* Profile text in and out: any bytes either parse or are refused with
 * diagnostics; what parses formats to text that parses again to the same
 * text (the canonical form is a fixed point). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_diag(void *ctx, unsigned line, const char *msg)
{
        /* Messages are bounded and NUL-terminated. */
        (void)ctx;
        (void)line;
        if (strlen(msg) >= 512)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct strbuf once = STRBUF_INIT, twice = STRBUF_INIT;
        struct profile *p = NULL, *q = NULL;
        int r;

        r = profile_parse((const char *)data, size, fuzz_diag, NULL, &p);
        if (r < 0) {
                if (p)
                        abort();        /* nothing in *ret on failure */
                return 0;
        }
        if (profile_format(p, &once) < 0)
                goto out;
        r = profile_parse(once.data ? once.data : "", once.len, fuzz_diag, NULL, &q);
        if (r == -ENOMEM)
                goto out;
        if (r < 0)
                abort();        /* canonical text must parse */
        if (profile_format(q, &twice) < 0)
                goto out;
        if (once.len != twice.len || (once.len && memcmp(once.data, twice.data, once.len) != 0))
                abort();        /* and format to itself */
out:
        profile_free(p);
        profile_free(q);
        strbuf_release(&once);
        strbuf_release(&twice);
        return 0;
}
