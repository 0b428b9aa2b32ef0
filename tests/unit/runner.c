/*  =========================================================================
    runner.c - runs Corral's C unit tests

    corral-unit [--list] [--verbose] [--test NAME] [--timeout SECONDS]

    Each test runs in a forked child with a deadline (default 60 s, scaled
    by CR_TEST_TIMEOUT_MULTIPLIER for slow builds). The last line printed
    is "N passed, N failed".
    =========================================================================
*/
#include "cr_test.h"
#include "test_table.inc"

static int
s_run_one (const cr_test_entry_t *t, int timeout, bool verbose)
{
    pid_t pid = fork ();
    if (pid == 0) {
        if (!verbose) {
            int fd = open ("/dev/null", O_WRONLY);
            if (fd >= 0) { dup2 (fd, STDOUT_FILENO); close (fd); }
        }
        alarm ((unsigned) timeout);
        t->fn ();
        //  exit, not _exit: LeakSanitizer checks at exit, and a leak fails
        //  the test.
        exit (0);
    }
    int status = 0;
    waitpid (pid, &status, 0);
    if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
        return 0;
    if (WIFSIGNALED (status))
        fprintf (stderr, "  %s: killed by signal %d%s\n", t->name, WTERMSIG (status),
                 WTERMSIG (status) == SIGALRM ? " (timeout)" : "");
    else
        fprintf (stderr, "  %s: exit status %d\n", t->name, WEXITSTATUS (status));
    return -1;
}

int
main (int argc, char **argv)
{
    bool verbose = false;
    const char *only = NULL;
    int timeout = 60;
    const char *mult = getenv ("CR_TEST_TIMEOUT_MULTIPLIER");
    if (mult && atoi (mult) > 0)
        timeout *= atoi (mult);
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--list")) {
            for (const cr_test_entry_t *t = s_tests; t->name; t++)
                printf ("%s\n", t->name);
            return 0;
        }
        else
        if (streq (argv [i], "--verbose") || streq (argv [i], "-v"))
            verbose = true;
        else
        if (streq (argv [i], "--test") && i + 1 < argc)
            only = argv [++i];
        else
        if (streq (argv [i], "--timeout") && i + 1 < argc)
            timeout = atoi (argv [++i]);
        else {
            fprintf (stderr, "usage: corral-unit [--list] [--verbose] [--test NAME] [--timeout S]\n");
            return 2;
        }
    }
    int passed = 0, failed = 0;
    for (const cr_test_entry_t *t = s_tests; t->name; t++) {
        if (only && !streq (only, t->name) && strncmp (t->name, only, strlen (only)) != 0)
            continue;
        if (s_run_one (t, timeout, verbose) == 0) {
            printf ("ok %s\n", t->name);
            passed++;
        }
        else {
            printf ("FAIL %s\n", t->name);
            failed++;
        }
        fflush (stdout);
    }
    printf ("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
