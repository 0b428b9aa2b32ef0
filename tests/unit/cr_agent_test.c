/*  =========================================================================
    cr_agent_test - unit tests of the node agent's argument helpers
    (nodes/cr_agent.c): durations, --node-labels, --register-with-taints
    and the default node IP. The actor itself is tested for real by
    tests/system/test_node_agent.py against a running broker.
    =========================================================================
*/
#include "cr_test.h"
#include "nodes_classes.h"

CR_TEST (agent_parse_duration)
{
    ASSERT_EQ (cr_agent_parse_duration ("10s"), 10000);
    ASSERT_EQ (cr_agent_parse_duration ("500ms"), 500);
    ASSERT_EQ (cr_agent_parse_duration ("1s"), 1000);
    ASSERT_EQ (cr_agent_parse_duration ("1m30s"), 90000);
    ASSERT_EQ (cr_agent_parse_duration ("1.5h"), 5400000);
    ASSERT_EQ (cr_agent_parse_duration ("2h45m"), 9900000);
    ASSERT_EQ (cr_agent_parse_duration ("0.5s"), 500);
    ASSERT_EQ (cr_agent_parse_duration ("1500us"), 2);
    ASSERT_EQ (cr_agent_parse_duration ("1500\xc2\xb5s"), 2);
    ASSERT_EQ (cr_agent_parse_duration ("10ns"), 1);       //  Positive rounds up to 1 ms
    ASSERT_EQ (cr_agent_parse_duration ("10"), 10000);     //  A bare number is seconds
    ASSERT_EQ (cr_agent_parse_duration ("2.5"), 2500);
    const char *bad [] = { "", "s", "0", "0s", "-1s", "10x", "1m30", "ten", "1s ", " 1s", "1e3s", "1..5s",
                           "99999999999999h", NULL };
    for (int i = 0; bad [i]; i++)
        if (cr_agent_parse_duration (bad [i]) != -1)
            CRT_FAIL ("\"%s\" parsed as %lld", bad [i], (long long) cr_agent_parse_duration (bad [i]));
    ASSERT_EQ (cr_agent_parse_duration (NULL), -1);
}

CR_TEST (agent_parse_labels)
{
    char err [256] = "";
    json_t *labels = cr_agent_parse_labels ("zone=a, rack=r1,example.com/tier=web,empty=", err, sizeof (err));
    ASSERT_JSON_EQ (labels, "{\"zone\": \"a\", \"rack\": \"r1\", \"example.com/tier\": \"web\", \"empty\": \"\"}");
    json_decref (labels);
    labels = cr_agent_parse_labels (NULL, err, sizeof (err));
    ASSERT_JSON_EQ (labels, "{}");
    json_decref (labels);
    labels = cr_agent_parse_labels (",,", err, sizeof (err));
    ASSERT_JSON_EQ (labels, "{}");
    json_decref (labels);
    ASSERT_NULL (cr_agent_parse_labels ("zone", err, sizeof (err)));
    ASSERT_STR_EQ (err, "invalid label \"zone\": expected key=value");
    ASSERT_NULL (cr_agent_parse_labels ("bad key=x", err, sizeof (err)));
    ASSERT_TRUE (strstr (err, "invalid label key \"bad key\"") == err);
    ASSERT_NULL (cr_agent_parse_labels ("k=-x-", err, sizeof (err)));
    ASSERT_TRUE (strstr (err, "invalid label value \"-x-\" of k") == err);
    ASSERT_NULL (cr_agent_parse_labels ("=v", err, sizeof (err)));
}

CR_TEST (agent_parse_taints)
{
    char err [256] = "";
    json_t *taints = cr_agent_parse_taints ("dedicated=gpu:NoSchedule, example.com/spot:PreferNoSchedule,"
                                            "k=v:NoExecute", err, sizeof (err));
    ASSERT_JSON_EQ (taints, "[{\"key\": \"dedicated\", \"value\": \"gpu\", \"effect\": \"NoSchedule\"},"
                            " {\"key\": \"example.com/spot\", \"effect\": \"PreferNoSchedule\"},"
                            " {\"key\": \"k\", \"value\": \"v\", \"effect\": \"NoExecute\"}]");
    json_decref (taints);
    taints = cr_agent_parse_taints (NULL, err, sizeof (err));
    ASSERT_JSON_EQ (taints, "[]");
    json_decref (taints);
    //  Same key with another effect is fine; same key and effect is not.
    taints = cr_agent_parse_taints ("a=1:NoSchedule,a=1:NoExecute", err, sizeof (err));
    ASSERT_EQ (json_array_size (taints), 2);
    json_decref (taints);
    ASSERT_NULL (cr_agent_parse_taints ("a=1:NoSchedule,a=2:NoSchedule", err, sizeof (err)));
    ASSERT_STR_EQ (err, "duplicate taint a:NoSchedule: taints must be unique by key and effect");
    ASSERT_NULL (cr_agent_parse_taints ("a=1", err, sizeof (err)));
    ASSERT_STR_EQ (err, "invalid taint \"a=1\": expected key=value:Effect or key:Effect");
    ASSERT_NULL (cr_agent_parse_taints ("a=1:Sometimes", err, sizeof (err)));
    ASSERT_STR_EQ (err, "invalid taint effect \"Sometimes\": must be NoSchedule, PreferNoSchedule or NoExecute");
    ASSERT_NULL (cr_agent_parse_taints (":NoSchedule", err, sizeof (err)));
    ASSERT_NULL (cr_agent_parse_taints ("=v:NoSchedule", err, sizeof (err)));
    ASSERT_NULL (cr_agent_parse_taints ("a b=v:NoSchedule", err, sizeof (err)));
    ASSERT_NULL (cr_agent_parse_taints ("a=v v:NoSchedule", err, sizeof (err)));
}

CR_TEST (agent_default_ip)
{
    //  This host may have no IPv4 interface besides lo; if it has one,
    //  the answer is a dotted quad that is not loopback.
    char *ip = cr_agent_default_ip ();
    if (ip) {
        struct in_addr a;
        ASSERT_EQ (inet_pton (AF_INET, ip, &a), 1);
        ASSERT_TRUE (strncmp (ip, "127.", 4) != 0);
        free (ip);
    }
}
