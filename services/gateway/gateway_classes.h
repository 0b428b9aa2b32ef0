/*  =========================================================================
    gateway_classes.h - private header of corral-gateway

    The only header services/gateway/ sources (and the gateway's unit
    tests) include. libmicrohttpd and the socket headers are needed here
    only, so they are included here rather than in proto's prelude.
    =========================================================================
*/
#ifndef GATEWAY_CLASSES_H_INCLUDED
#define GATEWAY_CLASSES_H_INCLUDED

#include "libcorral.h"
#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

#include "cr_gwroute.h"
#include "cr_gwneg.h"
#include "cr_gwdisc.h"
#include "cr_gwconv.h"
#include "cr_gwpb.h"
#include "cr_gwmp.h"
#include "cr_gwwatch.h"
#include "cr_gwws.h"
#include "cr_gwagent.h"
#include "cr_gateway.h"

#endif
