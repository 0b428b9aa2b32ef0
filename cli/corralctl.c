/*  =========================================================================
    corralctl - Corral's kubectl: the command-line client of the broker

    Usage: corralctl [global flags] COMMAND [args] [flags]

    main only finds the command, parses the flags (anywhere on the line,
    as cobra does), runs the command and returns its exit code: 0 on
    success, 1 on any error. The commands live in cli/cr_ctl_*.c.
    =========================================================================
*/
#include "cli_classes.h"

static const cr_command_t s_commands [] = {
    { "get", "Display one or many resources",
      "corralctl get [(-o|--output=)json|yaml|name|wide|jsonpath=...] (TYPE[.VERSION][.GROUP] [NAME | -l label] | "
      "TYPE[.VERSION][.GROUP]/NAME ...) [flags]", cr_ctl_get_flags, cr_ctl_run_get },
    { "describe", "Show details of a specific resource or group of resources",
      "corralctl describe (-f FILENAME | TYPE [NAME_PREFIX | -l label] | TYPE/NAME)", cr_ctl_describe_flags,
      cr_ctl_run_describe },
    { "create", "Create a resource from a file or from stdin",
      "corralctl create -f FILENAME\n  corralctl create (namespace | configmap | secret generic | deployment | "
      "service (clusterip | nodeport | loadbalancer | externalname) | job) NAME [flags]", cr_ctl_create_flags,
      cr_ctl_run_create },
    { "expose", "Take a replication controller, service, deployment or pod and expose it as a new Kubernetes "
      "service", "corralctl expose (-f FILENAME | TYPE NAME) [--port=port] [--protocol=TCP|UDP|SCTP] "
      "[--target-port=number-or-name] [--name=name] [--external-ip=external-ip-of-service] [--type=type]",
      cr_ctl_expose_flags, cr_ctl_run_expose },
    { "run", "Run a particular image on the cluster",
      "corralctl run NAME --image=image [--env=\"key=value\"] [--port=port] [--dry-run=server|client] "
      "[--overrides=inline-json] [--command] -- [COMMAND] [args...]", cr_ctl_run_flags, cr_ctl_run_run },
    { "apply", "Apply a configuration to a resource by file name or stdin",
      "corralctl apply (-f FILENAME | -k DIRECTORY)", cr_ctl_apply_flags, cr_ctl_run_apply },
    { "replace", "Replace a resource by file name or stdin",
      "corralctl replace -f FILENAME", cr_ctl_replace_flags, cr_ctl_run_replace },
    { "delete", "Delete resources by file names, stdin, resources and names, or by resources and label selector",
      "corralctl delete ([-f FILENAME] | TYPE [(NAME | -l label | --all)])", cr_ctl_delete_flags,
      cr_ctl_run_delete },
    { "label", "Update the labels on a resource",
      "corralctl label [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N", cr_ctl_label_flags,
      cr_ctl_run_label },
    { "annotate", "Update the annotations on a resource",
      "corralctl annotate [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N",
      cr_ctl_label_flags, cr_ctl_run_annotate },
    { "patch", "Update fields of a resource",
      "corralctl patch (-f FILENAME | TYPE NAME) [-p PATCH|--patch-file FILE]", cr_ctl_patch_flags,
      cr_ctl_run_patch },
    { "scale", "Set a new size for a deployment, replica set, or replication controller",
      "corralctl scale [--resource-version=version] [--current-replicas=count] --replicas=COUNT (-f FILENAME | "
      "TYPE NAME)", cr_ctl_scale_flags, cr_ctl_run_scale },
    { "rollout", "Manage the rollout of a resource",
      "corralctl rollout (status|history|undo|pause|resume|restart) (TYPE NAME | TYPE/NAME) [flags]",
      cr_ctl_rollout_flags, cr_ctl_run_rollout },
    { "api-resources", "Print the supported API resources on the server",
      "corralctl api-resources [flags]", cr_ctl_api_resources_flags, cr_ctl_run_api_resources },
    { "version", "Print the client and server version information",
      "corralctl version [flags]", cr_ctl_version_flags, cr_ctl_run_version },
    { "logs", "Print the logs for a container in a pod",
      "corralctl logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]", cr_ctl_logs_flags, cr_ctl_run_logs },
    { "exec", "Execute a command in a container",
      "corralctl exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]", cr_ctl_exec_flags,
      cr_ctl_run_exec },
    { "edit", "Edit a resource on the server (not yet supported)",
      "corralctl edit (RESOURCE/NAME | -f FILENAME)", cr_ctl_none_flags, cr_ctl_run_unsupported },
    { NULL }
};

//  --------------------------------------------------------------------------
//  Prints the list of commands.

static void
s_help (FILE *out)
{
    fprintf (out, "corralctl controls a Corral cluster; it speaks kubectl.\n\n"
                  "Usage:\n  corralctl [flags] [command]\n\nCommands:\n");
    for (const cr_command_t *c = s_commands; c->name; c++)
        fprintf (out, "  %-15s %s\n", c->name, c->summary);
    fprintf (out, "\nGlobal flags:\n");
    cr_args_usage (cr_ctl_global_flags, out);
    fprintf (out, "Use \"corralctl <command> --help\" for more information about a given command.\n");
}

//  --------------------------------------------------------------------------
//  Prints one command's usage.

static void
s_command_help (const cr_command_t *command, FILE *out)
{
    fprintf (out, "%s.\n\nUsage:\n  %s\n\nOptions:\n", command->summary, command->usage);
    cr_args_usage (command->flags, out);
    fprintf (out, "Global flags:\n");
    cr_args_usage (cr_ctl_global_flags, out);
}

int
main (int argc, char **argv)
{
    //  The command is the first argument that is not a flag or the value
    //  of a global flag
    int index = 0;
    bool help = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        if (streq (a, "--"))
            break;
        if (a [0] == '-' && a [1]) {
            if (streq (a, "-h") || streq (a, "--help"))
                help = true;
            if (streq (a, "-n") || streq (a, "--namespace") || streq (a, "--corralconfig")
            ||  streq (a, "--request-timeout"))
                i++;
            continue;
        }
        index = i;
        break;
    }
    if (index == 0) {
        s_help (stdout);
        return help || argc == 1 ? 0 : 1;
    }
    const cr_command_t *command = NULL;
    for (const cr_command_t *c = s_commands; c->name; c++)
        if (streq (c->name, argv [index]))
            command = c;
    if (!command) {
        fprintf (stderr, "error: unknown command \"%s\" for \"corralctl\"\nRun 'corralctl --help' for usage.\n",
                 argv [index]);
        return 1;
    }
    //  "create configmap ...", "create secret generic ...": a generator
    command = cr_ctl_generate_command (command, argc, argv, index);
    if (command->run == cr_ctl_run_unsupported && !help)
        return cr_ctl_run_unsupported (NULL);

    //  Everything but the program and command names is flags and args
    char **rest = (char **) calloc ((size_t) argc, sizeof (char *));
    assert (rest);
    int nrest = 0;
    for (int i = 1; i < argc; i++)
        if (i != index)
            rest [nrest++] = argv [i];
    const cr_flag_t *tables [] = { command->flags, cr_ctl_global_flags, NULL };
    char *err = NULL;
    cr_args_t *args = cr_args_parse (tables, nrest, rest, &err);
    free (rest);
    if (!args) {
        fprintf (stderr, "error: %s\nSee 'corralctl %s --help' for usage.\n", err, command->name);
        free (err);
        return 1;
    }
    if (cr_args_bool (args, "help")) {
        s_command_help (command, stdout);
        cr_args_destroy (&args);
        return 0;
    }
    cr_ctl_t *ctl = cr_ctl_new (command, args, &err);
    if (!ctl) {
        fprintf (stderr, "error: %s\n", err);
        free (err);
        cr_args_destroy (&args);
        return 1;
    }
    int rc = command->run (ctl);
    cr_ctl_destroy (&ctl);
    cr_args_destroy (&args);
    return rc;
}
