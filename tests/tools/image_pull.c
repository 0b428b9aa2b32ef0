/*  =========================================================================
    image_pull - corral-test-image-pull: drives the node agent's image
    store (nodes/cr_image) from the system tests

    corral-test-image-pull --root DIR [--policy Always|IfNotPresent|Never]
                           [--default-registry HOST[:PORT]]
                           [--insecure HOST[:PORT],...] IMAGE
        pulls IMAGE into the store at DIR and prints the result as JSON
        (image, imageID, digest, configDigest, rootfs, config, size,
        pulled). On failure prints the error message on stderr, and on
        stdout {"error": CODE, "reason": Kubernetes reason}; exit status 1.

    corral-test-image-pull --root DIR --list
        prints the store's images as Node.status.images.

    corral-test-image-pull --root DIR --gc [IMAGE|DIGEST ...]
        removes every image not named; prints {"removed": N, "images": [...]}.

    Exit status 2 on bad usage.
    =========================================================================
*/
#include "libcorral.h"
#include "cr_image.h"

static int
s_usage (void)
{
    fprintf (stderr, "usage: corral-test-image-pull --root DIR [--policy Always|IfNotPresent|Never]\n"
                     "           [--default-registry HOST] [--insecure HOSTS] IMAGE\n"
                     "       corral-test-image-pull --root DIR --list\n"
                     "       corral-test-image-pull --root DIR --gc [IMAGE...]\n");
    return 2;
}

static void
s_print (json_t *doc)
{
    char *text = json_dumps (doc, JSON_INDENT (2) | JSON_SORT_KEYS);
    printf ("%s\n", text);
    free (text);
}

int
main (int argc, char **argv)
{
    const char *root = NULL;
    const char *policy_text = NULL;
    const char *default_registry = NULL;
    const char *insecure = NULL;
    bool list = false;
    bool gc = false;
    const char **images = (const char **) zmalloc (sizeof (char *) * (size_t) argc);
    size_t nimages = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        if (streq (arg, "--root") && i + 1 < argc)
            root = argv [++i];
        else
        if (streq (arg, "--policy") && i + 1 < argc)
            policy_text = argv [++i];
        else
        if (streq (arg, "--default-registry") && i + 1 < argc)
            default_registry = argv [++i];
        else
        if (streq (arg, "--insecure") && i + 1 < argc)
            insecure = argv [++i];
        else
        if (streq (arg, "--list"))
            list = true;
        else
        if (streq (arg, "--gc"))
            gc = true;
        else
        if (strncmp (arg, "--", 2) == 0) {
            free (images);
            return s_usage ();
        }
        else
            images [nimages++] = arg;
    }
    if (!root || (!list && !gc && nimages != 1)) {
        free (images);
        return s_usage ();
    }
    int policy = CR_IMAGE_PULL_IF_NOT_PRESENT;
    if (!list && !gc) {
        policy = cr_image_policy_parse (policy_text, images [0]);
        if (policy < 0) {
            fprintf (stderr, "unknown pull policy \"%s\" (Always, IfNotPresent or Never)\n", policy_text);
            free (images);
            return 2;
        }
    }
    cr_image_t *store = cr_image_new (root, default_registry);
    if (!store) {
        fprintf (stderr, "cannot open the image store at %s: %s\n", root, strerror (errno));
        free (images);
        return 1;
    }
    cr_image_set_insecure (store, insecure);
    int status = 0;
    if (list) {
        json_t *doc = cr_image_list (store);
        s_print (doc);
        json_decref (doc);
    }
    else
    if (gc) {
        images [nimages] = NULL;
        int removed = cr_image_gc (store, images);
        json_t *doc = json_pack ("{s:i, s:o}", "removed", removed, "images", cr_image_list (store));
        s_print (doc);
        json_decref (doc);
        status = removed < 0;
    }
    else {
        json_t *result = NULL;
        char *error = NULL;
        int rc = cr_image_pull (store, images [0], (cr_image_policy_t) policy, &result, &error);
        if (rc == 0)
            s_print (result);
        else {
            fprintf (stderr, "%s\n", error ? error : "unknown error");
            json_t *doc = json_pack ("{s:s, s:s}", "error", cr_image_errname (rc),
                                     "reason", cr_image_reason (rc));
            s_print (doc);
            json_decref (doc);
            status = 1;
        }
        json_decref (result);
        free (error);
    }
    cr_image_destroy (&store);
    free (images);
    return status;
}
