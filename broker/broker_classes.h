/*  =========================================================================
    broker_classes.h - private header of corral-broker

    The only header broker/ sources include. Internal functions shared
    across the folder are named cr__<what> and declared here.
    =========================================================================
*/
#ifndef BROKER_CLASSES_H_INCLUDED
#define BROKER_CLASSES_H_INCLUDED

#include "libcorral.h"
#include <curl/curl.h>
#include <sodium.h>
#include "cr_etcd.h"
#include "cr_store.h"
#include "cr_committer.h"
#include "cr_watcher.h"
#include "cr_reader.h"
#include "cr_broker.h"

#endif
