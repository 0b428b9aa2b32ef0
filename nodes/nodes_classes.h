/*  =========================================================================
    nodes_classes.h - private header of corral-node

    The only header nodes/ sources include: libcorral, the few system
    headers only the node agent needs, and the nodes/ class headers.
    Internal functions shared across the folder are named cr__<what> and
    declared here.
    =========================================================================
*/
#ifndef NODES_CLASSES_H_INCLUDED
#define NODES_CLASSES_H_INCLUDED

#include "libcorral.h"
#include <ftw.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <archive.h>
#include <archive_entry.h>
#include "cr_runtime.h"
#include "cr_nodeinfo.h"
#include "cr_podnet.h"
#include "cr_image.h"
#include "cr_agent.h"
#include "cr_agentapi.h"
#include "cr_proxy.h"

//  In a child between fork and exec: default signal dispositions and an
//  empty mask (a container or exec'd command must not inherit what the
//  agent ignores or blocks). Async-signal-safe. (cr_runtime.c)
void
    cr__child_signals (void);

//  Moves fd to a number >= 10 (close-on-exec), so that dup2 onto 0..3 in
//  a child never overwrites another source fd. Returns the new fd.
//  (cr_runtime.c)
int
    cr__high_fd (int fd);

//  Runs argv (argv [0] a path, or a name looked up on PATH) with stdin
//  /dev/null and captures stdout and stderr (NUL-terminated, caller frees;
//  NULL out/err discard; at most 16 MiB of each are kept). After
//  timeout_ms (-1: none) the program is killed, and first the process
//  whose pid is in kill_pidfile (when given). Returns the wait status, or
//  -1 when the program could not be started. (cr_runtime.c)
int
    cr__run (char *const *argv, int timeout_ms, const char *kill_pidfile,
             char **out, size_t *out_size, char **err, size_t *err_size);

#endif
