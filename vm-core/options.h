/*
 * QEMU's option syntax for the command line of vmd-vm: -chardev, -device, -drive,
 * -netdev, -object, -blockdev, -machine, -accel, -smp and -m.
 *
 * Both spellings end up in one representation, a json-c object:
 *   "socket,id=c0,path=/s,server=on"  ->  {"backend":"socket","id":"c0","path":"/s",...}
 *   '{"driver":"virtio-blk-device","id":"d0"}'  ->  the same object, typed as written.
 * In the key=value form the first element may omit its key (the kind's implied key:
 * backend, driver, type, qom-type, cpus, size...), ",," is a literal comma, and a bare
 * "key" means "key=on". Values stay strings until a consumer asks for a type; the typed
 * getters below accept a string (key=value form) or the matching JSON type, and word
 * their errors as QEMU does. -blockdev and -object dotted keys ("file.filename=x")
 * become nested objects, as QEMU's keyval parser makes them; the other kinds keep keys
 * flat ("file.driver" stays one key under -drive, as with QemuOpts). A key repeated in
 * the key=value form (-netdev hostfwd=...,hostfwd=...) becomes an array of strings.
 * Messages that QEMU follows with a hint carry it as further lines.
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum OptsType {
    OPTS_TYPE_STRING,
    OPTS_TYPE_BOOL,
    OPTS_TYPE_NUMBER,
    OPTS_TYPE_SIZE,
} OptsType;

typedef struct OptsDesc {
    const char *name; /* key as typed on the command line */
    OptsType type;    /* checked at parse time for the key=value form */
} OptsDesc;

typedef struct OptsKind {
    const char *name;        /* "chardev": the option without its dash */
    const char *implied_key; /* key of a first element given without "key=", or NULL */
    const char *id_key;      /* key holding the identifier ("id", "node-name"), or NULL */
    bool nested;             /* dotted keys build nested objects (keyval) */
    bool strict;             /* a bare "key" is an error, not key=on (-blockdev) */
    bool json;               /* accepts the JSON form */
    const OptsDesc *desc;    /* known keys, NULL-terminated; NULL: any key */
} OptsKind;

typedef struct Opts {
    const OptsKind *kind; /* what was parsed */
    json_object *dict;    /* the keys and values; owned */
    bool from_json;       /* written in the JSON form: values carry their own types */
} Opts;

/* The kind named name ("chardev", "device", "m", ...), or NULL. */
const OptsKind *opts_kind_find(const char *name);

/* Parses one option argument; NULL with an error naming the bad key or value. */
Opts *opts_parse(const OptsKind *kind, const char *arg, GError **error);
Opts *opts_parse_kind(const char *kind_name, const char *arg, GError **error);
void opts_free(Opts *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Opts, opts_free)

/* The identifier (id= or node-name=) or NULL. */
const char *opts_id(const Opts *opts);
/* The value of key, or NULL when absent; borrowed. Dotted keys reach into nested
 * objects ("file.filename"). */
json_object *opts_get(const Opts *opts, const char *key);
bool opts_has(const Opts *opts, const char *key);

/* Typed getters: absent keys give def and succeed; a present key of the wrong type
 * fails with QEMU's wording ("Parameter 'x' expects a size"). For a repeated key the
 * last value counts. */
bool opts_get_str(const Opts *opts, const char *key, const char *def, const char **ret,
                  GError **error);
bool opts_get_bool(const Opts *opts, const char *key, bool def, bool *ret, GError **error);
bool opts_get_number(const Opts *opts, const char *key, uint64_t def, uint64_t *ret,
                     GError **error);
bool opts_get_size(const Opts *opts, const char *key, uint64_t def, uint64_t *ret, GError **error);
/* Every value of key as strings (one for a single key); NULL-terminated, caller frees. */
char **opts_get_strv(const Opts *opts, const char *key);

/* Fails with "Invalid parameter 'x'" for the first key not in allowed (NULL-terminated). */
bool opts_check_keys(const Opts *opts, const char *const *allowed, GError **error);

/* -m: the RAM size in bytes ("256" means MiB, as in QEMU), and maxmem/slots. */
bool opts_parse_memory(const Opts *opts, uint64_t *ret_size, uint64_t *ret_maxmem,
                       uint64_t *ret_slots, GError **error);

/* The value parsers on their own, for other option-like strings (QMP, HMP). */
bool opts_parse_bool_str(const char *name, const char *value, bool *ret, GError **error);
bool opts_parse_size_str(const char *name, const char *value, uint64_t *ret, GError **error);
bool opts_parse_number_str(const char *name, const char *value, uint64_t *ret, GError **error);
/* QEMU's identifier rule: a letter, then letters, digits, '-', '.', '_'. */
bool opts_id_wellformed(const char *id);

/* The parsed dictionary as compact JSON (tests and debugging); caller frees. */
char *opts_to_json(const Opts *opts);

/* A set of parsed options of every kind, for main(): rejects a duplicate id within a
 * kind ("Duplicate ID 'c0' for chardev") and keeps command-line order. */
typedef struct OptsStore OptsStore;
OptsStore *opts_store_new(void);
void opts_store_free(OptsStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OptsStore, opts_store_free)
/* Takes opts on success; on failure the caller still owns it. */
bool opts_store_add(OptsStore *store, Opts *opts, GError **error);
Opts *opts_store_find(OptsStore *store, const char *kind_name, const char *id);
/* The options of one kind in command-line order, NULL-terminated; the array is the
 * caller's (g_ptr_array_unref), the options stay the store's. */
GPtrArray *opts_store_list(OptsStore *store, const char *kind_name);
