/* Verdict events (see event.h).
 *
 * The object is built with jansson and dumped once, so that quoting and
 * escaping are jansson's and never hand-written. Field order is insertion
 * order (JSON_PRESERVE_ORDER), which makes the line stable for tests and for
 * people grepping logs. */
#include "event.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encode.h"
#include "path.h"
#include "util.h"

static void event_json_unrefp(json_t **j)
{
        json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(event_json_unrefp)))

static bool event_is_utf8(const char *s, size_t len)
{
        for (size_t i = 0; i < len;) {
                size_t n = encode_utf8_length((const unsigned char *)s + i, len - i);

                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

/* Adds key with the profile encoding of raw[0..len): the result is ASCII
 * plus well-formed UTF-8, which jansson always accepts. */
static int event_set_encoded(json_t *obj, const char *key, const char *raw, size_t len)
{
        struct strbuf sb = STRBUF_INIT;
        json_t *v;
        int r;

        r = encode_append(&sb, raw, len);
        if (r < 0) {
                strbuf_release(&sb);
                return r;
        }
        v = json_stringn(sb.data ? sb.data : "", sb.len);
        strbuf_release(&sb);
        if (!v || json_object_set_new(obj, key, v) < 0)
                return -ENOMEM;
        return 0;
}

/* Adds the agent's own text; falls back to the profile encoding for text
 * that is not UTF-8, since jansson refuses it and an event must not be lost
 * for a strange container name. */
static int event_set_text(json_t *obj, const char *key, const char *s)
{
        size_t len;
        json_t *v;

        if (!s)
                return 0;
        len = strlen(s);
        if (!event_is_utf8(s, len))
                return event_set_encoded(obj, key, s, len);
        v = json_stringn(s, len);
        if (!v || json_object_set_new(obj, key, v) < 0)
                return -ENOMEM;
        return 0;
}

static int event_set_raw(json_t *obj, const char *key, const char *raw, size_t len)
{
        if (!raw)
                return 0;
        if (len > PATH_MAX_BYTES)
                return -EINVAL;
        return event_set_encoded(obj, key, raw, len);
}

static int event_set_int(json_t *obj, const char *key, json_int_t value)
{
        json_t *v = json_integer(value);

        if (!v || json_object_set_new(obj, key, v) < 0)
                return -ENOMEM;
        return 0;
}

/* RFC 3339, always UTC ("Z"), always three fraction digits: fixed width, so
 * lines sort by time as text. */
static int event_set_time(json_t *obj, const struct timespec *ts)
{
        char buf[sizeof("YYYY-MM-DDTHH:MM:SS.mmmZ")];
        struct tm tm;
        int n;

        if (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
                return -EINVAL;
        if (!gmtime_r(&ts->tv_sec, &tm))
                return -EINVAL;
        if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
                return -EINVAL;
        n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000000L);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return -EINVAL;
        return event_set_text(obj, "time", buf);
}

static int event_build(const struct event *ev, json_t *o)
{
        int r;

        r = event_set_time(o, &ev->time);
        if (r >= 0)
                r = event_set_text(o, "container", ev->container);
        if (r >= 0)
                r = event_set_text(o, "profile", ev->profile);
        if (r >= 0)
                r = event_set_text(o, "image", ev->image);
        if (r >= 0)
                r = event_set_text(o, "mode", ev->mode);
        if (r >= 0)
                r = event_set_text(o, "class", ev->class);
        if (r >= 0)
                r = event_set_text(o, "syscall", ev->syscall);
        if (r >= 0)
                r = event_set_text(o, "verdict", ev->verdict);
        if (r >= 0 && ev->error != 0)
                r = event_set_int(o, "errno", ev->error);
        if (r >= 0)
                r = event_set_raw(o, "path", ev->path, ev->path_len);
        if (r >= 0)
                r = event_set_text(o, "addr", ev->addr);
        if (r >= 0 && ev->pid > 0)
                r = event_set_int(o, "pid", ev->pid);
        if (r >= 0)
                r = event_set_raw(o, "exe", ev->exe, ev->exe_len);
        if (r >= 0 && ev->comm)
                r = event_set_raw(o, "comm", ev->comm, strnlen(ev->comm, EVENT_COMM_MAX));
        if (r >= 0 && ev->uid >= 0)
                r = event_set_int(o, "uid", ev->uid);
        if (r >= 0)
                r = event_set_text(o, "reason", ev->reason);
        if (r >= 0)
                r = event_set_text(o, "rule", ev->rule);
        return r;
}

int event_format(const struct event *ev, struct strbuf *out)
{
        cleanup_json json_t *o = NULL;
        cleanup_free char *line = NULL;
        size_t mark = out->len;
        int r;

        o = json_object();
        if (!o)
                return -ENOMEM;
        r = event_build(ev, o);
        if (r < 0)
                return r;
        line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!line)
                return -ENOMEM;
        r = strbuf_puts(out, line);
        if (r >= 0)
                r = strbuf_putc(out, '\n');
        if (r < 0) {
                /* No half line: the caller writes whole lines or nothing. */
                out->len = mark;
                if (out->data)
                        out->data[mark] = '\0';
        }
        return r;
}
