/* libFuzzer harness for the interpreter finder: the input is the start of
 * an image file ("#!" script or ELF). Checks that any bytes give one of the
 * documented answers, that a name is NUL-terminated, non-empty and fits,
 * and that no read strays out of the file. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "execinterp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
        const uint8_t *data;
        size_t size;
};

static int input_read(void *ctx, void *buf, size_t len, uint64_t off)
{
        const struct input *in = ctx;

        if (len > 1u << 20)
                abort();        /* the parser bounds every read */
        if (off >= in->size)
                return 0;
        if (len > in->size - off)
                len = in->size - (size_t)off;
        memcpy(buf, in->data + off, len);
        return (int)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct input in = { data, size };
        char out[4097];
        size_t outlen = size > 0 ? 1 + data[0] % sizeof(out) : sizeof(out);
        int r;

        memset(out, 0x55, sizeof(out));
        r = execinterp_name(input_read, &in, out, outlen);
        if (r != 0 && r != -ENOENT && r != -ENOEXEC && r != -ENAMETOOLONG)
                abort();
        if (r == 0 && (memchr(out, '\0', outlen) == NULL || out[0] == '\0'))
                abort();
        return 0;
}
