/*  =========================================================================
    cr_broker - the master broker actor: owns every API object
    =========================================================================
*/
#ifndef CR_BROKER_H_INCLUDED
#define CR_BROKER_H_INCLUDED

typedef struct {
    const char *endpoint;       //  ROUTER bind, e.g. "tcp://0.0.0.0:7400"
    const char *pub_endpoint;   //  PUB bind, e.g. "tcp://0.0.0.0:7401"
    const char *etcd_servers;   //  Comma-separated etcd member URLs
    zcert_t *server_cert;       //  CurveZMQ server certificate, or NULL
    const char *service_cidr;   //  Cluster IP range, "10.254.0.0/16"
    const char *cluster_cidr;   //  Pod range, "10.244.0.0/16" (/24 per node)
    int max_txn_ops;            //  Operations per etcd txn
    int compact_interval;       //  Seconds between etcd compactions
    bool verbose;               //  Log every request
} cr_broker_config_t;

//  The broker actor. args is a cr_broker_config_t (borrowed for the
//  actor's life). It binds both sockets, loads the cache from etcd and
//  signals the pipe (status 0, or -1 if a socket could not bind).
//  Commands: $TERM, VERBOSE.
void
    cr_broker_actor (zsock_t *pipe, void *args);

#endif
