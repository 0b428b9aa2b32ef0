/*  =========================================================================
    cr_prelude.h - every system and library include Corral uses, in one place

    Class files include only their folder's classes header, which includes
    this prelude (house style: no system includes in class files).
    Assertions stay on in every build: they guard programmer errors only,
    never data from the network, etcd, files or argv.
    =========================================================================
*/
#ifndef CR_PRELUDE_H_INCLUDED
#define CR_PRELUDE_H_INCLUDED

#undef NDEBUG
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <pthread.h>
#include <malloc.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <termios.h>

#include <czmq.h>
#include <jansson.h>
#include <msgpack.h>
#include <sodium.h>
#include <yaml.h>

#define CR_VERSION          "0.1.0"
#define CR_K8S_MAJOR        "1"
#define CR_K8S_MINOR        "32"
#define CR_K8S_GIT_VERSION  "v1.32.4-corral." CR_VERSION
#define CR_PROTOCOL_VERSION 1

/* Largest request or object accepted anywhere (etcd's own request limit). */
#define CR_MAX_FRAME        (1536 * 1024)

#ifndef streq
#   define streq(s1,s2)     (!strcmp ((s1), (s2)))
#endif
#define cr_str_or(s,d)      ((s) ? (s) : (d))

#endif
