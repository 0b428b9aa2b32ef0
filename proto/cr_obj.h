/*  =========================================================================
    cr_obj - the generic object document: path accessors and time helpers

    Every API object is a jansson json_t tree (the "generic document" of
    ARCHITECTURE.md): no hand-written struct per kind. Paths are dotted
    field names ("metadata.name", "spec.template.metadata.labels").
    =========================================================================
*/
#ifndef CR_OBJ_H_INCLUDED
#define CR_OBJ_H_INCLUDED

//  The value at a dotted path, or NULL. Borrowed.
json_t *
    cr_obj_get (const json_t *obj, const char *path);

//  The string at a path, or NULL if absent or not a string. Borrowed.
const char *
    cr_obj_str (const json_t *obj, const char *path);

//  The integer at a path, or dflt if absent or not an integer.
long long
    cr_obj_int (const json_t *obj, const char *path, long long dflt);

//  Sets the value at a path, creating intermediate objects. Takes
//  ownership of value (even on failure). Returns 0, or -1 if a segment on
//  the way is not an object.
int
    cr_obj_set (json_t *obj, const char *path, json_t *value);

//  Sets a string at a path (copied). Returns 0 or -1.
int
    cr_obj_set_str (json_t *obj, const char *path, const char *value);

//  Removes the value at a path if present.
void
    cr_obj_del (json_t *obj, const char *path);

//  The object at a path, created empty if absent. Borrowed; NULL if a
//  segment is not an object.
json_t *
    cr_obj_ensure (json_t *obj, const char *path);

//  The keys of an object sorted by strcmp, as Go prints a map, in an
//  array of *count borrowed keys with NULL after the last (caller frees
//  the array, not the keys). Not an object: no keys. count may be NULL.
const char **
    cr_obj_sorted_keys (const json_t *obj, size_t *count);

//  Formats t as RFC 3339 UTC with whole seconds into buf (>= 21 bytes).
const char *
    cr_time_format (time_t t, char *buf, size_t size);

//  Formats the current time with microseconds (MicroTime) into buf
//  (>= 28 bytes).
const char *
    cr_time_format_micro (char *buf, size_t size);

//  Parses an RFC 3339 timestamp; returns -1 on error.
time_t
    cr_time_parse (const char *text);

//  kubectl's AGE rendering (Go HumanDuration) of a number of seconds.
const char *
    cr_time_human (long long seconds, char *buf, size_t size);

//  Current time in milliseconds since the epoch.
int64_t
    cr_time_now_ms (void);

//  True if two pod templates are the same once the label ignore_label
//  (NULL: none) is dropped from both and null members, empty lists and
//  empty label/annotation maps are dropped: Go's semantic equality, as the
//  deployment controller's equalIgnoreHash (ignore_label is then
//  "pod-template-hash"). Used by the controller and `rollout undo`.
bool
    cr_obj_template_equal (const json_t *a, const json_t *b, const char *ignore_label);

//  A new random RFC 4122 v4 uid. Caller frees.
char *
    cr_uid_new (void);

//  Reads a whole file; returns a NUL-terminated buffer (caller frees) and
//  its length in *size, or NULL with errno set.
char *
    cr_file_read (const char *path, size_t *size);

#endif
