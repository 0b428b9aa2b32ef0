/*  =========================================================================
    controllers_classes.h - private header of corral-controllers

    The only header services/controllers/ sources (and their unit tests)
    include. The shared machinery comes first (durations, work queue,
    informer, event recorder, the manager that runs every controller),
    then one class per controller.
    =========================================================================
*/
#ifndef CONTROLLERS_CLASSES_H_INCLUDED
#define CONTROLLERS_CLASSES_H_INCLUDED

#include "libcorral.h"
#include "cr_workqueue.h"
#include "cr_informer.h"
#include "cr_recorder.h"
#include "cr_manager.h"
#include "cr_nodelifecycle.h"
#include "cr_daemonset.h"
#include "cr_job.h"
#include "cr_deployment.h"
#include "cr_replicaset.h"
#include "cr_endpoints.h"
#include "cr_gc.h"
#include "cr_leader.h"

#endif
