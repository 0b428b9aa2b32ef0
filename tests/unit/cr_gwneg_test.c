/*  cr_gwneg_test - content negotiation: the Accept headers kubectl and
    client libraries send, and request Content-Types.                    */
#include "cr_test.h"
#include "gateway_classes.h"

//  The exact Accept headers of kubectl 1.32 (kubectl-transcript.txt).
#define S_KUBECTL_TABLE "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;" \
                        "g=meta.k8s.io,application/json"
#define S_KUBECTL_DISCOVERY "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," \
                            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList," \
                            "application/json"

CR_TEST (gwneg_kubectl_table)
{
    cr_gwaccept_t a;
    cr_gwneg_accept (S_KUBECTL_TABLE, &a);
    ASSERT_EQ (a.as, CR_GW_AS_TABLE);
    ASSERT_STR_EQ (a.meta_version, "v1");
    ASSERT_EQ (a.discovery, 0);
    //  Only v1beta1 offered.
    cr_gwneg_accept ("application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json", &a);
    ASSERT_EQ (a.as, CR_GW_AS_TABLE);
    ASSERT_STR_EQ (a.meta_version, "v1beta1");
    //  Parameters in any order, spaces around them.
    cr_gwneg_accept ("application/json ; g=meta.k8s.io ; v=v1 ; as=Table", &a);
    ASSERT_EQ (a.as, CR_GW_AS_TABLE);
}

CR_TEST (gwneg_kubectl_discovery)
{
    cr_gwaccept_t a;
    cr_gwneg_accept (S_KUBECTL_DISCOVERY, &a);
    ASSERT_EQ (a.discovery, 2);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
    cr_gwneg_accept ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList", &a);
    ASSERT_EQ (a.discovery, 1);
    //  An unknown version of it: legacy discovery.
    cr_gwneg_accept ("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json", &a);
    ASSERT_EQ (a.discovery, 0);
    cr_gwneg_accept ("application/json, */*", &a);
    ASSERT_EQ (a.discovery, 0);
}

CR_TEST (gwneg_plain_and_fallbacks)
{
    cr_gwaccept_t a;
    cr_gwneg_accept (NULL, &a);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
    ASSERT_EQ (a.discovery, 0);
    cr_gwneg_accept ("", &a);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
    //  Typed clients ask for protobuf first: we answer JSON.
    cr_gwneg_accept ("application/vnd.kubernetes.protobuf,application/json", &a);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
    //  Protobuf alone, or something we never produce: still JSON, not 406.
    cr_gwneg_accept ("application/vnd.kubernetes.protobuf", &a);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
    cr_gwneg_accept ("text/html", &a);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
    //  Table of an unknown group or kind is skipped.
    cr_gwneg_accept ("application/json;as=Table;v=v1;g=example.com,application/json", &a);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
    cr_gwneg_accept ("application/json;as=Chart;v=v1;g=meta.k8s.io", &a);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
    cr_gwneg_accept ("application/yaml", &a);
    ASSERT_EQ (a.as, CR_GW_AS_YAML);
    cr_gwneg_accept ("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", &a);
    ASSERT_EQ (a.as, CR_GW_AS_PARTIAL);
    ASSERT_STR_EQ (a.meta_version, "v1");
    //  Malformed: garbage parameters, overlong values, many commas.
    cr_gwneg_accept (";;;,,,=,as=,application/json;as", &a);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
    char lots [4096];
    memset (lots, ',', sizeof (lots) - 1);
    lots [sizeof (lots) - 1] = 0;
    cr_gwneg_accept (lots, &a);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
    char longv [600];
    snprintf (longv, sizeof (longv), "application/json;as=%0500d;g=meta.k8s.io;v=v1", 7);
    cr_gwneg_accept (longv, &a);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
}

CR_TEST (gwneg_quality_values)
{
    cr_gwaccept_t a;
    //  Higher q wins over order; q=0 means "not this".
    cr_gwneg_accept ("application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io;q=0.9", &a);
    ASSERT_EQ (a.as, CR_GW_AS_TABLE);
    cr_gwneg_accept ("application/json;as=Table;v=v1;g=meta.k8s.io;q=0,application/json", &a);
    ASSERT_EQ (a.as, CR_GW_AS_OBJECT);
    //  Equal q keeps the client's order.
    cr_gwneg_accept ("application/yaml;q=0.8,application/json;q=0.8", &a);
    ASSERT_EQ (a.as, CR_GW_AS_YAML);
    //  A q that is not a number in [0,1] counts as 1.
    cr_gwneg_accept ("application/json;q=0.1,application/yaml;q=7", &a);
    ASSERT_EQ (a.as, CR_GW_AS_YAML);
}

CR_TEST (gwneg_content_types)
{
    ASSERT_EQ (cr_gwneg_content_type (NULL), CR_GW_CT_NONE);
    ASSERT_EQ (cr_gwneg_content_type (""), CR_GW_CT_NONE);
    ASSERT_EQ (cr_gwneg_content_type ("application/json"), CR_GW_CT_JSON);
    ASSERT_EQ (cr_gwneg_content_type ("Application/JSON; charset=utf-8"), CR_GW_CT_JSON);
    ASSERT_EQ (cr_gwneg_content_type ("application/yaml"), CR_GW_CT_YAML);
    ASSERT_EQ (cr_gwneg_content_type ("application/merge-patch+json"), CR_GW_CT_MERGE_PATCH);
    ASSERT_EQ (cr_gwneg_content_type ("application/strategic-merge-patch+json"), CR_GW_CT_STRATEGIC_PATCH);
    ASSERT_EQ (cr_gwneg_content_type ("application/json-patch+json"), CR_GW_CT_JSON_PATCH);
    ASSERT_EQ (cr_gwneg_content_type ("application/apply-patch+yaml"), CR_GW_CT_APPLY_PATCH);
    ASSERT_EQ (cr_gwneg_content_type ("application/vnd.kubernetes.protobuf"), CR_GW_CT_PROTOBUF);
    ASSERT_EQ (cr_gwneg_content_type ("text/plain"), CR_GW_CT_OTHER);
    ASSERT_EQ (cr_gwneg_content_type ("application/x-www-form-urlencoded"), CR_GW_CT_OTHER);
    ASSERT_STR_EQ (cr_gwneg_patch_type (CR_GW_CT_MERGE_PATCH), "merge");
    ASSERT_STR_EQ (cr_gwneg_patch_type (CR_GW_CT_STRATEGIC_PATCH), "strategic");
    ASSERT_STR_EQ (cr_gwneg_patch_type (CR_GW_CT_JSON_PATCH), "json");
    ASSERT_NULL (cr_gwneg_patch_type (CR_GW_CT_JSON));
    ASSERT_NULL (cr_gwneg_patch_type (CR_GW_CT_APPLY_PATCH));
    ASSERT_NULL (cr_gwneg_patch_type (CR_GW_CT_NONE));
}
