/*  =========================================================================
    cli_classes.h - private header of corralctl (cli/)

    Every cli/ source includes this header only: libcorral (and through
    it every system header) and the cli classes.
    =========================================================================
*/
#ifndef CLI_CLASSES_H_INCLUDED
#define CLI_CLASSES_H_INCLUDED

#include "libcorral.h"
#include <curl/curl.h>
#include <archive.h>
#include <archive_entry.h>
#include <sys/utsname.h>
#include <net/if.h>
#include <arpa/inet.h>
#include "cr_text.h"
#include "cr_args.h"
#include "cr_target.h"
#include "cr_manifest.h"
#include "cr_print.h"
#include "cr_describe.h"
#include "cr_ctl.h"
#include "cr_ctl_cmds.h"
#include "cr_seed.h"
#include "cr_nodenet.h"

#endif
