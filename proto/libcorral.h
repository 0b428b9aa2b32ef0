/*  =========================================================================
    libcorral.h - the one header every Corral source includes

    libcorral (proto/) holds everything that more than one program needs:
    the object document and codecs, selectors, validation, patches,
    tables and the ZeroMQ client. Nothing outside proto/ includes a
    header from a sibling folder.
    =========================================================================
*/
#ifndef LIBCORRAL_H_INCLUDED
#define LIBCORRAL_H_INCLUDED

#include "cr_prelude.h"
#include "cr_buf.h"
#include "cr_status.h"
#include "cr_resource.h"
#include "cr_obj.h"
#include "cr_mpack.h"
#include "cr_yaml.h"
#include "cr_jsonpath.h"
#include "cr_selector.h"
#include "cr_patch.h"
#include "cr_validate.h"
#include "cr_table.h"
#include "cr_duration.h"
#include "cr_client.h"
#include "cr_auth.h"
#include "cr_watch.h"
#include "cr_agentclient.h"

#endif
