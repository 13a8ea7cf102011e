/*
 * serve.h: `optml serve`, the inference server, and its shared state.
 */
#ifndef OPTML_SERVE_H
#define OPTML_SERVE_H

#include <microhttpd.h>
#include <stdint.h>
#include <sys/socket.h>

#include "serve/deadlines.h"
#include "serve/models.h"
#include "serve/workers.h"

struct rt_serve_config {
    unsigned port;             /* SAGEMAKER_BIND_TO_PORT or 8080 */
    struct sockaddr_storage bind_addr; /* OPTML_BIND_ADDRESS (port filled in) */
    int has_bind_addr;         /* 0: every IPv4 interface (0.0.0.0) */
    int bind_ipv6;             /* bind_addr is an IPv6 address */
    char bind_text[64];        /* the address as given, for the log */
    int workers;               /* prediction threads */
    double timeout_s;          /* per prediction */
    size_t max_body;           /* bytes */
    int max_payload_mb;        /* reported by /execution-parameters */
    int max_concurrent;        /* reported by /execution-parameters */
    const char *batch_strategy;/* "MultiRecord" or "SingleRecord" */
    int multi_model;           /* SAGEMAKER_MULTI_MODEL=true */
    char default_accept[256];  /* fallback for a missing or * / * Accept */
    unsigned idle_timeout_s;   /* idle connection timeout */
    unsigned max_connections;
    unsigned max_per_client;   /* connections from one address; 0: no cap */
    unsigned header_timeout_s; /* from a request's first byte to the end of its headers */
    unsigned min_body_rate;    /* bytes/s a body must average after that much slack; 0: none */
    int access_log;            /* one line per request; OPTML_ACCESS_LOG=0 turns it off */
};

struct rt_server {
    struct rt_serve_config cfg;
    const struct optml_algorithm *alg;
    struct rt_models models;
    struct rt_pool *pool;
    struct MHD_Daemon *daemon;
    struct rt_deadlines deadlines; /* header deadline and body rate per connection */
    char *model_dir;           /* <base>/model */
    int in_flight;             /* requests between first byte and completion */
    uint64_t next_request_id;
};

/* Read the serving configuration from the environment; OPTML_E_CLIENT
 * naming the variable when a value is invalid. */
optml_status rt_serve_config_from_env(optml_ctx *ctx, const struct optml_algorithm *alg,
                                      struct rt_serve_config *cfg);

/* The MHD access handler and completion callback (routes.c). */
enum MHD_Result rt_serve_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls);
void rt_serve_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe);

/* Run the server until SIGTERM; returns the exit code. */
int rt_serve_main(void);

#endif
