/*  =========================================================================
    cr_gateway - the Kubernetes REST API over HTTP, served from the
    broker (libmicrohttpd front, ZeroMQ back)
    =========================================================================
*/
#ifndef CR_GATEWAY_H_INCLUDED
#define CR_GATEWAY_H_INCLUDED

typedef struct {
    const cr_config_t *config;  //  Broker endpoints and keys (borrowed, must outlive the gateway)
    const char *address;        //  IPv4 address to listen on ("127.0.0.1")
    int port;                   //  TCP port; 0 picks a free one
    int threads;                //  HTTP worker threads (each with its own broker client)
    int broker_timeout_ms;      //  Longest wait for a broker reply
    int bookmark_interval_ms;   //  Watch bookmarks every this long
    int connection_timeout_s;   //  Idle HTTP connections close after this
    bool verbose;               //  Log every request
} cr_gateway_opts_t;

typedef struct _cr_gateway_t cr_gateway_t;

//  Renders the static documents, starts the watch hub and listens.
//  Returns NULL with err when the address is bad or the port is taken.
cr_gateway_t *
    cr_gateway_new (const cr_gateway_opts_t *opts, char *err, size_t errlen);

//  Ends the watches, stops listening and frees the gateway.
void
    cr_gateway_destroy (cr_gateway_t **self_p);

//  The TCP port it listens on.
int
    cr_gateway_port (cr_gateway_t *self);

//  Writes a kubeconfig (mode 0600) for this gateway: cluster, user and
//  context "corral", server http://<address>:<port> (127.0.0.1 when
//  listening on 0.0.0.0). Returns 0 or -1 with errno.
int
    cr_gateway_write_kubeconfig (const char *path, const char *address, int port);

#endif
