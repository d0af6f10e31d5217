#include "control.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "strbuf.h"
#include "unixsock.h"
#include "util.h"

int control_parse_request(const char *line, size_t len, struct control_request *ret,
                          const char **ret_error)
{
        /* On failure nothing is left for the caller to release. */
        json_error_t jerr;
        json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
        const char *cmd, *container, *mode;
        int r = -EINVAL;

        memset(ret, 0, sizeof(*ret));
        if (!root || !json_is_object(root)) {
                *ret_error = "request is not a JSON object";
                goto out;
        }
        cmd = json_string_value(json_object_get(root, "cmd"));
        if (!cmd) {
                *ret_error = "request has no \"cmd\"";
                goto out;
        }
        if (!strcmp(cmd, "status")) {
                ret->cmd = CONTROL_STATUS;
        } else if (!strcmp(cmd, "flush")) {
                ret->cmd = CONTROL_FLUSH;
        } else if (!strcmp(cmd, "mode")) {
                int m;

                container = json_string_value(json_object_get(root, "container"));
                mode = json_string_value(json_object_get(root, "mode"));
                if (!container || !*container || !mode) {
                        *ret_error = "mode needs \"container\" and \"mode\"";
                        goto out;
                }
                m = profile_mode_from_name(mode);
                if (m < 0) {
                        *ret_error = "mode must be learn, monitor or enforce";
                        goto out;
                }
                ret->cmd = CONTROL_MODE;
                ret->mode = (enum profile_mode)m;
                ret->container = strdup(container);
                if (!ret->container) {
                        *ret_error = "out of memory";
                        r = -ENOMEM;
                        goto out;
                }
        } else if (!strcmp(cmd, "register")) {
                json_t *state = json_object_get(root, "state");
                const char *rootfs = json_string_value(json_object_get(root, "rootfs"));

                if (!json_is_object(state)) {
                        *ret_error = "register needs the container's \"state\" object";
                        goto out;
                }
                ret->cmd = CONTROL_REGISTER;
                ret->state = json_dumps(state, JSON_COMPACT);
                ret->rootfs = rootfs ? strdup(rootfs) : NULL;
                if (!ret->state || (rootfs && !ret->rootfs)) {
                        *ret_error = "out of memory";
                        r = -ENOMEM;
                        goto out;
                }
        } else if (!strcmp(cmd, "release")) {
                container = json_string_value(json_object_get(root, "container"));
                if (!container || !*container) {
                        *ret_error = "release needs \"container\"";
                        goto out;
                }
                ret->cmd = CONTROL_RELEASE;
                ret->container = strdup(container);
                if (!ret->container) {
                        *ret_error = "out of memory";
                        r = -ENOMEM;
                        goto out;
                }
        } else {
                *ret_error = "unknown command (status, mode, flush, register, release)";
                goto out;
        }
        r = 0;
out:
        if (r < 0)
                control_request_release(ret);
        json_decref(root);
        return r;
}

void control_request_release(struct control_request *req)
{
        free(req->container);
        free(req->state);
        free(req->rootfs);
        req->container = req->state = req->rootfs = NULL;
}

int control_call(const char *socket_path, const char *request, char **ret_response)
{
        cleanup_close int fd = unixsock_connect(socket_path);
        struct strbuf resp = STRBUF_INIT;
        size_t len = strlen(request);
        char buf[4096];

        if (fd < 0)
                return fd;
        /* An agent that refuses us answers and closes at once, maybe
         * before our request is written: its answer is still there to read
         * after EPIPE. */
        if ((send(fd, request, len, MSG_NOSIGNAL) != (ssize_t)len ||
             send(fd, "\n", 1, MSG_NOSIGNAL) != 1) && errno != EPIPE)
                return -errno;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                char *nl;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        strbuf_release(&resp);
                        return n < 0 ? -errno : -EPROTO;
                }
                if (strbuf_append(&resp, buf, (size_t)n) < 0) {
                        strbuf_release(&resp);
                        return -ENOMEM;
                }
                nl = memchr(resp.data, '\n', resp.len);
                if (nl) {
                        *nl = '\0';
                        *ret_response = strbuf_detach(&resp);
                        return 0;
                }
                if (resp.len > CONTROL_MAX_LINE * 16) {
                        strbuf_release(&resp);
                        return -EPROTO;
                }
        }
}
