/*  =========================================================================
    scheduler_classes.h - private header of corral-scheduler

    The only header services/scheduler/ sources include.
    =========================================================================
*/
#ifndef SCHEDULER_CLASSES_H_INCLUDED
#define SCHEDULER_CLASSES_H_INCLUDED

#include "libcorral.h"
#include "cr_schedcache.h"
#include "cr_scheduler.h"

#endif
