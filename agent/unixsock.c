#include "unixsock.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

static int unixsock_addr(const char *path, struct sockaddr_un *sun)
{
        memset(sun, 0, sizeof(*sun));
        sun->sun_family = AF_UNIX;
        if (strlen(path) >= sizeof(sun->sun_path))
                return -ENAMETOOLONG;
        strcpy(sun->sun_path, path);
        return 0;
}

static int unixsock_mkdir_parent(const char *path)
{
        cleanup_free char *copy = strdup(path);
        char *dir;

        if (!copy)
                return -ENOMEM;
        dir = dirname(copy);
        if (mkdir(dir, 0755) == 0 || errno == EEXIST)
                return 0;
        if (errno != ENOENT)
                return -errno;
        /* One level at a time: /run/driftlock/shim needs /run/driftlock. */
        {
                int r = unixsock_mkdir_parent(dir);

                if (r < 0)
                        return r;
        }
        return mkdir(dir, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

int unixsock_connect(const char *path)
{
        struct sockaddr_un sun;
        int fd, r;

        r = unixsock_addr(path, &sun);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* A socket file nobody answers is a leftover of a crashed agent. Anything
 * else at the path (a live socket, a regular file) is not ours to remove. */
static int unixsock_remove_stale(const char *path)
{
        struct stat st;
        int fd;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;
        fd = unixsock_connect(path);
        if (fd >= 0) {
                close(fd);
                return -EADDRINUSE;
        }
        if (fd != -ECONNREFUSED)
                return fd;
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int unixsock_listen(const char *path)
{
        struct sockaddr_un sun;
        mode_t old_umask;
        int fd, r;

        r = unixsock_addr(path, &sun);
        if (r < 0)
                return r;
        r = unixsock_mkdir_parent(path);
        if (r < 0)
                return r;
        r = unixsock_remove_stale(path);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* The socket file is born 0600: no window in which others connect. */
        old_umask = umask(0177);
        r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
        umask(old_umask);
        if (r < 0 || listen(fd, 128) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int unixsock_peer_uid(int fd, uid_t *ret)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        *ret = cred.uid;
        return 0;
}
