/* The operator's control socket: one JSON request line in, one JSON
 * response line out, root only (SO_PEERCRED). This module parses requests
 * and talks to the socket as a client; the agent executes requests.
 *
 *   {"cmd":"status"}
 *   {"cmd":"mode","container":"ID","mode":"learn|monitor|enforce"}
 *   {"cmd":"flush"}
 *   {"cmd":"register","state":{OCI runtime state},"rootfs":"PATH"}   (driftlock-hook)
 *   {"cmd":"release","container":"ID"}                               (driftlock-hook)
 *
 * Responses: {"ok":true,...} or {"ok":false,"error":"text"}. */
#pragma once

#include <stddef.h>

#include "profile.h"

#define CONTROL_MAX_LINE 65536

enum control_cmd {
        CONTROL_STATUS,
        CONTROL_MODE,
        CONTROL_FLUSH,
        CONTROL_REGISTER,
        CONTROL_RELEASE,
};

struct control_request {
        enum control_cmd cmd;
        char *container;                /* CONTROL_MODE, CONTROL_RELEASE */
        enum profile_mode mode;         /* CONTROL_MODE */
        char *state;                    /* CONTROL_REGISTER: the state object as JSON text */
        char *rootfs;                   /* CONTROL_REGISTER, may be NULL */
};

/* Parses one request line. Returns 0, -EINVAL with *ret_error (static), or
 * -ENOMEM. */
int control_parse_request(const char *line, size_t len, struct control_request *ret,
                          const char **ret_error);

/* Frees what a parsed request owns. */
void control_request_release(struct control_request *req);

/* Client side: connects to socket_path, sends request (one line, without
 * the newline) and reads the response line. Returns 0 and a malloc'ed
 * response in *ret_response, or -errno (-EPROTO for a response that is too
 * long or not terminated). */
int control_call(const char *socket_path, const char *request, char **ret_response);
