/*  =========================================================================
    cr_args - command-line flags the way kubectl (cobra + pflag) takes them
    =========================================================================
*/
#ifndef CR_ARGS_H_INCLUDED
#define CR_ARGS_H_INCLUDED

typedef enum {
    CR_FLAG_BOOL,               //  --x, --x=true|false, -x
    CR_FLAG_STRING,             //  --x=v, --x v, -xv, -x v, -x=v
    CR_FLAG_INT,                //  as string, value must be an integer
    CR_FLAG_LIST                //  repeatable string; values split at commas
} cr_flag_type_t;

//  One flag of a command. Tables end with an entry whose name is NULL.
typedef struct {
    const char *name;           //  Long name, "namespace"
    char shorthand;             //  'n', or 0
    cr_flag_type_t type;
    const char *dflt;           //  Default value text, or NULL
    const char *noopt;          //  Value when given bare (a string flag
                                //  like --cascade), NULL: value required
    const char *usage;          //  One line for --help
} cr_flag_t;

typedef struct _cr_args_t cr_args_t;

//  Parses argv[0..argc-1] (the program and command names already
//  removed) against the flag tables in tables (a NULL-terminated array;
//  the first table wins when two define a name). Flags and positional
//  arguments may be mixed; "--" ends the flags. Returns NULL with a
//  message in *err (caller frees) such as "unknown flag: --bogus".
cr_args_t *
    cr_args_parse (const cr_flag_t *const *tables, int argc, char **argv, char **err);

void
    cr_args_destroy (cr_args_t **self_p);

//  Number of positional arguments, and the i-th one (borrowed).
size_t
    cr_args_npos (const cr_args_t *self);
const char *
    cr_args_pos (const cr_args_t *self, size_t index);

//  All positional arguments as an array of *n borrowed strings, NULL
//  after the last (caller frees the array, not the strings).
const char **
    cr_args_positional (const cr_args_t *self, size_t *n);

//  True if the flag was given on the command line.
bool
    cr_args_given (const cr_args_t *self, const char *name);

//  The last value given, else the default, else NULL. Borrowed.
const char *
    cr_args_str (const cr_args_t *self, const char *name);

//  A boolean flag's value (false when unknown).
bool
    cr_args_bool (const cr_args_t *self, const char *name);

//  An integer flag's value, or dflt when neither given nor defaulted.
long long
    cr_args_int (const cr_args_t *self, const char *name, long long dflt);

//  The values of a list flag, in order (split at commas).
size_t
    cr_args_count (const cr_args_t *self, const char *name);
const char *
    cr_args_at (const cr_args_t *self, const char *name, size_t index);

//  Writes the flags of a table as --help shows them.
void
    cr_args_usage (const cr_flag_t *table, FILE *out);

#endif
