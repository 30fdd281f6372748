/*
 * The option parser; see options.h for the syntax and the representation.
 *
 * Parsing is one pass over the argument: split elements on single commas (",," is a
 * literal comma inside a value), give the first element the implied key when it has no
 * "=", and store each value as a string. Kinds with a key table check names and value
 * syntax at once, so "-chardev socket,id=c0,sever=on" fails on the command line rather
 * than when the chardev is created. Errors follow QEMU's wording, which scripts and
 * users already know.
 */
#include "vm-core/options.h"

#include <errno.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#define ERR(error, ...) g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, __VA_ARGS__)

static const OptsDesc chardev_desc[] = {
    {"backend", OPTS_TYPE_STRING},
    {"id", OPTS_TYPE_STRING},
    {"path", OPTS_TYPE_STRING},
    {"host", OPTS_TYPE_STRING},
    {"port", OPTS_TYPE_STRING},
    {"fd", OPTS_TYPE_STRING},
    {"local", OPTS_TYPE_BOOL},
    {"localaddr", OPTS_TYPE_STRING},
    {"localport", OPTS_TYPE_STRING},
    {"to", OPTS_TYPE_NUMBER},
    {"ipv4", OPTS_TYPE_BOOL},
    {"ipv6", OPTS_TYPE_BOOL},
    {"wait", OPTS_TYPE_BOOL},
    {"server", OPTS_TYPE_BOOL},
    {"delay", OPTS_TYPE_BOOL},
    {"nodelay", OPTS_TYPE_BOOL},
    {"reconnect", OPTS_TYPE_NUMBER},
    {"reconnect-ms", OPTS_TYPE_NUMBER},
    {"telnet", OPTS_TYPE_BOOL},
    {"tn3270", OPTS_TYPE_BOOL},
    {"websocket", OPTS_TYPE_BOOL},
    {"tls-creds", OPTS_TYPE_STRING},
    {"tls-authz", OPTS_TYPE_STRING},
    {"mux", OPTS_TYPE_BOOL},
    {"signal", OPTS_TYPE_BOOL},
    {"name", OPTS_TYPE_STRING},
    {"size", OPTS_TYPE_SIZE},
    {"chardev", OPTS_TYPE_STRING},
    {"append", OPTS_TYPE_BOOL},
    {"logfile", OPTS_TYPE_STRING},
    {"logappend", OPTS_TYPE_BOOL},
    {"abstract", OPTS_TYPE_BOOL},
    {"tight", OPTS_TYPE_BOOL},
    {"input-path", OPTS_TYPE_STRING},
    {NULL, 0},
};

static const OptsDesc smp_desc[] = {
    {"cpus", OPTS_TYPE_NUMBER},
    {"drawers", OPTS_TYPE_NUMBER},
    {"books", OPTS_TYPE_NUMBER},
    {"sockets", OPTS_TYPE_NUMBER},
    {"dies", OPTS_TYPE_NUMBER},
    {"clusters", OPTS_TYPE_NUMBER},
    {"modules", OPTS_TYPE_NUMBER},
    {"cores", OPTS_TYPE_NUMBER},
    {"threads", OPTS_TYPE_NUMBER},
    {"maxcpus", OPTS_TYPE_NUMBER},
    {NULL, 0},
};

/* "size" is checked by opts_parse_memory(): a bare number means MiB there. */
static const OptsDesc memory_desc[] = {
    {"size", OPTS_TYPE_STRING},
    {"slots", OPTS_TYPE_NUMBER},
    {"maxmem", OPTS_TYPE_SIZE},
    {NULL, 0},
};

static const OptsKind opts_kinds[] = {
    /* name, implied key, id key, nested, strict, json, keys */
    {"chardev", "backend", "id", false, false, false, chardev_desc},
    {"device", "driver", "id", false, false, true, NULL},
    {"drive", NULL, "id", false, false, false, NULL},
    {"netdev", "type", "id", false, false, true, NULL},
    {"object", "qom-type", "id", true, false, true, NULL},
    {"blockdev", "driver", "node-name", true, true, true, NULL},
    {"machine", "type", NULL, false, false, false, NULL},
    {"accel", "accel", NULL, false, false, false, NULL},
    {"smp", "cpus", NULL, false, false, false, smp_desc},
    {"m", "size", NULL, false, false, false, memory_desc},
};

const OptsKind *opts_kind_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(opts_kinds); i++) {
        if (strcmp(opts_kinds[i].name, name) == 0) {
            return &opts_kinds[i];
        }
    }
    return NULL;
}

static const OptsDesc *desc_find(const OptsKind *kind, const char *key)
{
    for (const OptsDesc *d = kind->desc; d && d->name; d++) {
        if (strcmp(d->name, key) == 0) {
            return d;
        }
    }
    return NULL;
}

bool opts_id_wellformed(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id + 1; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != '_') {
            return false;
        }
    }
    return true;
}

bool opts_parse_bool_str(const char *name, const char *value, bool *ret, GError **error)
{
    static const char *const yes[] = {"on", "yes", "true", "y"};
    static const char *const no[] = {"off", "no", "false", "n"};

    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (strcmp(value, yes[i]) == 0) {
            *ret = true;
            return true;
        }
        if (strcmp(value, no[i]) == 0) {
            *ret = false;
            return true;
        }
    }
    ERR(error, "Parameter '%s' expects 'on' or 'off'", name);
    return false;
}

bool opts_parse_number_str(const char *name, const char *value, uint64_t *ret, GError **error)
{
    char *end = NULL;
    unsigned long long v;

    errno = 0;
    if (!g_ascii_isdigit(value[0])) {
        goto fail;
    }
    v = strtoull(value, &end, 0);
    if (errno != 0 || end == value || *end != '\0') {
        goto fail;
    }
    *ret = v;
    return true;
fail:
    ERR(error, "Parameter '%s' expects a number", name);
    return false;
}

static uint64_t size_suffix_mul(char c)
{
    switch (g_ascii_toupper(c)) {
    case 'B':
        return 1;
    case 'K':
        return 1ULL << 10;
    case 'M':
        return 1ULL << 20;
    case 'G':
        return 1ULL << 30;
    case 'T':
        return 1ULL << 40;
    case 'P':
        return 1ULL << 50;
    case 'E':
        return 1ULL << 60;
    default:
        return 0;
    }
}

/*
 * QEMU's size syntax: a decimal (optionally with a fraction) or 0x-hex number and an
 * optional suffix B, K, M, G, T, P or E (either case). A fraction needs a suffix larger
 * than a byte. Values of 2^64 and up are refused.
 */
static bool size_parse(const char *value, uint64_t *ret)
{
    const char *p = value;
    char *end = NULL;
    unsigned long long whole;
    double fraction = 0;
    uint64_t mul = 1;
    bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');

    if (!g_ascii_isdigit(*p)) {
        return false;
    }
    errno = 0;
    whole = strtoull(p, &end, hex ? 16 : 10);
    if (errno != 0 || end == p) {
        return false;
    }
    p = end;
    if (*p == '.' && !hex) {
        const char *f = p;
        p++;
        if (!g_ascii_isdigit(*p)) {
            return false;
        }
        while (g_ascii_isdigit(*p)) {
            p++;
        }
        g_autofree char *digits = g_strndup(f, p - f);
        fraction = g_ascii_strtod(digits, NULL);
    }
    if (*p) {
        mul = size_suffix_mul(*p);
        if (mul == 0 || p[1] != '\0') {
            return false;
        }
    }
    if (fraction != 0 && mul == 1) {
        return false;
    }
    if (whole > UINT64_MAX / mul) {
        return false;
    }
    whole *= mul;
    if (fraction != 0) {
        double extra = fraction * (double)mul;
        if ((double)(UINT64_MAX - whole) < extra) {
            return false;
        }
        whole += (uint64_t)extra;
    }
    *ret = whole;
    return true;
}

bool opts_parse_size_str(const char *name, const char *value, uint64_t *ret, GError **error)
{
    if (!size_parse(value, ret)) {
        ERR(error,
            "Parameter '%s' expects a non-negative number below 2^64\n"
            "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
            "and exabytes, respectively.",
            name);
        return false;
    }
    return true;
}

/* Copies a value up to a single ',' turning ",," into ','; returns the end. */
static const char *parse_value(const char *p, GString *out)
{
    g_string_truncate(out, 0);
    while (*p) {
        if (*p == ',') {
            if (p[1] != ',') {
                break;
            }
            p++;
        }
        g_string_append_c(out, *p);
        p++;
    }
    return p;
}

static bool check_value(const OptsKind *kind, const char *key, const char *value, GError **error)
{
    const OptsDesc *d;
    bool b;
    uint64_t n;

    if (!kind->desc) {
        return true;
    }
    d = desc_find(kind, key);
    if (!d) {
        ERR(error, "Invalid parameter '%s'", key);
        return false;
    }
    switch (d->type) {
    case OPTS_TYPE_BOOL:
        return opts_parse_bool_str(key, value, &b, error);
    case OPTS_TYPE_NUMBER:
        return opts_parse_number_str(key, value, &n, error);
    case OPTS_TYPE_SIZE:
        return opts_parse_size_str(key, value, &n, error);
    case OPTS_TYPE_STRING:
        return true;
    }
    return true;
}

/* Flat (QemuOpts) storage: a repeated key turns into an array of its values. */
static void store_flat(json_object *dict, const char *key, const char *value)
{
    json_object *old = NULL;

    if (!json_object_object_get_ex(dict, key, &old)) {
        json_object_object_add(dict, key, json_object_new_string(value));
        return;
    }
    if (json_object_is_type(old, json_type_array)) {
        json_object_array_add(old, json_object_new_string(value));
        return;
    }
    json_object *arr = json_object_new_array();
    json_object_array_add(arr, json_object_get(old));
    json_object_array_add(arr, json_object_new_string(value));
    json_object_object_add(dict, key, arr);
}

/* Nested (keyval) storage: "a.b.c=v" sets dict.a.b.c; the last of repeated keys wins. */
static bool store_nested(json_object *dict, const char *key, const char *value, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(key, ".", -1);
    json_object *node = dict;
    guint n = g_strv_length(parts);

    for (guint i = 0; i < n; i++) {
        json_object *child = NULL;
        if (parts[i][0] == '\0') {
            ERR(error, "Invalid parameter '%s'", key);
            return false;
        }
        if (i == n - 1) {
            if (json_object_object_get_ex(node, parts[i], &child) &&
                json_object_is_type(child, json_type_object)) {
                ERR(error, "Parameters '%s.*' used inconsistently", key);
                return false;
            }
            json_object_object_add(node, parts[i], json_object_new_string(value));
            return true;
        }
        if (!json_object_object_get_ex(node, parts[i], &child)) {
            child = json_object_new_object();
            json_object_object_add(node, parts[i], child);
        } else if (!json_object_is_type(child, json_type_object)) {
            char *saved = parts[i + 1];
            parts[i + 1] = NULL;
            g_autofree char *prefix = g_strjoinv(".", parts);
            parts[i + 1] = saved;
            ERR(error, "Parameters '%s.*' used inconsistently", prefix);
            return false;
        }
        node = child;
    }
    return true;
}

static bool parse_element(Opts *opts, const char *key, const char *value, GError **error)
{
    const OptsKind *kind = opts->kind;

    if (key[0] == '\0') {
        ERR(error, "Invalid parameter ''");
        return false;
    }
    if (!check_value(kind, key, value, error)) {
        return false;
    }
    if (kind->nested) {
        return store_nested(opts->dict, key, value, error);
    }
    store_flat(opts->dict, key, value);
    return true;
}

/* A bare "key": key=on, or key=off for "noKEY" when KEY is a known boolean. */
static bool parse_bare_key(Opts *opts, const char *word, GError **error)
{
    const OptsDesc *d;

    if (opts->kind->strict) {
        ERR(error, "Expected '=' after parameter '%s'", word);
        return false;
    }
    if (g_str_has_prefix(word, "no") && !desc_find(opts->kind, word)) {
        d = desc_find(opts->kind, word + 2);
        if (d && d->type == OPTS_TYPE_BOOL) {
            return parse_element(opts, word + 2, "off", error);
        }
    }
    return parse_element(opts, word, "on", error);
}

static bool parse_keyvalue(Opts *opts, const char *arg, GError **error)
{
    g_autoptr(GString) value = g_string_new(NULL);
    const char *p = arg;
    bool first = true;

    while (*p) {
        size_t len = strcspn(p, "=,");
        g_autofree char *key = g_strndup(p, len);

        if (first && opts->kind->implied_key && p[len] != '=') {
            p = parse_value(p, value);
            if (!parse_element(opts, opts->kind->implied_key, value->str, error)) {
                return false;
            }
        } else if (p[len] != '=') {
            p += len;
            if (!parse_bare_key(opts, key, error)) {
                return false;
            }
        } else {
            p = parse_value(p + len + 1, value);
            if (!parse_element(opts, key, value->str, error)) {
                return false;
            }
        }
        first = false;
        if (*p == ',') {
            p++;
        }
    }
    return true;
}

static bool parse_json(Opts *opts, const char *arg, GError **error)
{
    enum json_tokener_error jerr = json_tokener_success;
    json_object *obj = json_tokener_parse_verbose(arg, &jerr);

    if (!obj) {
        ERR(error, "JSON parse error, %s",
            jerr == json_tokener_error_parse_eof ? "premature EOI" : json_tokener_error_desc(jerr));
        return false;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        ERR(error, "Invalid JSON: expected an object");
        return false;
    }
    json_object_put(opts->dict);
    opts->dict = obj;
    opts->from_json = true;
    return true;
}

static bool check_required(const Opts *opts, GError **error)
{
    const OptsKind *kind = opts->kind;
    const char *id_key = kind->id_key;
    json_object *v;

    /* -device, -netdev, -object and -blockdev name their driver; -chardev its backend. */
    if (kind->json || strcmp(kind->name, "chardev") == 0) {
        const char *need = kind->implied_key ? kind->implied_key : "driver";
        if (!opts_has(opts, need)) {
            ERR(error, "Parameter '%s' is missing", need);
            return false;
        }
    }
    if (!id_key || !json_object_object_get_ex(opts->dict, id_key, &v)) {
        if (strcmp(kind->name, "chardev") == 0) {
            ERR(error, "chardev: no id specified");
            return false;
        }
        if (id_key && strcmp(id_key, "id") == 0 && strcmp(kind->name, "device") != 0 &&
            strcmp(kind->name, "drive") != 0) {
            ERR(error, "Parameter 'id' is missing");
            return false;
        }
        return true;
    }
    if (!json_object_is_type(v, json_type_string)) {
        ERR(error, "Invalid parameter type for '%s', expected: string", id_key);
        return false;
    }
    if (strcmp(id_key, "id") == 0 && !opts_id_wellformed(json_object_get_string(v))) {
        ERR(error, "Parameter 'id' expects an identifier\n"
                   "Identifiers consist of letters, digits, '-', '.', '_', starting with a "
                   "letter.");
        return false;
    }
    return true;
}

Opts *opts_parse(const OptsKind *kind, const char *arg, GError **error)
{
    g_autoptr(Opts) opts = g_new0(Opts, 1);
    const char *p = arg;

    opts->kind = kind;
    opts->dict = json_object_new_object();
    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (kind->json && *p == '{') {
        if (!parse_json(opts, p, error)) {
            return NULL;
        }
    } else if (!parse_keyvalue(opts, arg, error)) {
        return NULL;
    }
    if (!check_required(opts, error)) {
        return NULL;
    }
    return g_steal_pointer(&opts);
}

Opts *opts_parse_kind(const char *kind_name, const char *arg, GError **error)
{
    const OptsKind *kind = opts_kind_find(kind_name);

    if (!kind) {
        ERR(error, "There is no option group '%s'", kind_name);
        return NULL;
    }
    return opts_parse(kind, arg, error);
}

void opts_free(Opts *opts)
{
    if (!opts) {
        return;
    }
    json_object_put(opts->dict);
    g_free(opts);
}

const char *opts_id(const Opts *opts)
{
    json_object *v = NULL;

    if (!opts->kind->id_key || !json_object_object_get_ex(opts->dict, opts->kind->id_key, &v) ||
        !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    return json_object_get_string(v);
}

json_object *opts_get(const Opts *opts, const char *key)
{
    json_object *v = NULL;

    /* Flat kinds keep dotted keys whole; nested ones walk the path. */
    if (json_object_object_get_ex(opts->dict, key, &v)) {
        return v;
    }
    if (!opts->kind->nested || !strchr(key, '.')) {
        return NULL;
    }
    g_auto(GStrv) parts = g_strsplit(key, ".", -1);
    json_object *node = opts->dict;
    for (guint i = 0; parts[i]; i++) {
        if (!json_object_is_type(node, json_type_object) ||
            !json_object_object_get_ex(node, parts[i], &node)) {
            return NULL;
        }
    }
    return node;
}

bool opts_has(const Opts *opts, const char *key)
{
    return opts_get(opts, key) != NULL;
}

/* The last string of a key=value element, or NULL for a JSON-typed value. */
static const char *last_string(json_object *v)
{
    if (json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        v = n ? json_object_array_get_idx(v, n - 1) : NULL;
    }
    if (v && json_object_is_type(v, json_type_string)) {
        return json_object_get_string(v);
    }
    return NULL;
}

bool opts_get_str(const Opts *opts, const char *key, const char *def, const char **ret,
                  GError **error)
{
    json_object *v = opts_get(opts, key);
    const char *s;

    if (!v) {
        *ret = def;
        return true;
    }
    s = last_string(v);
    if (!s) {
        ERR(error, "Invalid parameter type for '%s', expected: string", key);
        return false;
    }
    *ret = s;
    return true;
}

bool opts_get_bool(const Opts *opts, const char *key, bool def, bool *ret, GError **error)
{
    json_object *v = opts_get(opts, key);

    if (!v) {
        *ret = def;
        return true;
    }
    if (opts->from_json) {
        if (!json_object_is_type(v, json_type_boolean)) {
            ERR(error, "Invalid parameter type for '%s', expected: boolean", key);
            return false;
        }
        *ret = json_object_get_boolean(v);
        return true;
    }
    const char *s = last_string(v);
    if (!s) {
        ERR(error, "Parameter '%s' expects 'on' or 'off'", key);
        return false;
    }
    return opts_parse_bool_str(key, s, ret, error);
}

static bool get_integer(const Opts *opts, const char *key, uint64_t def, uint64_t *ret, bool size,
                        GError **error)
{
    json_object *v = opts_get(opts, key);
    const char *s;

    if (!v) {
        *ret = def;
        return true;
    }
    if (opts->from_json) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
            ERR(error, "Invalid parameter type for '%s', expected: %s", key,
                size ? "size" : "integer");
            return false;
        }
        *ret = json_object_get_uint64(v);
        return true;
    }
    s = last_string(v);
    if (!s) {
        s = "";
    }
    return size ? opts_parse_size_str(key, s, ret, error)
                : opts_parse_number_str(key, s, ret, error);
}

bool opts_get_number(const Opts *opts, const char *key, uint64_t def, uint64_t *ret, GError **error)
{
    return get_integer(opts, key, def, ret, false, error);
}

bool opts_get_size(const Opts *opts, const char *key, uint64_t def, uint64_t *ret, GError **error)
{
    return get_integer(opts, key, def, ret, true, error);
}

char **opts_get_strv(const Opts *opts, const char *key)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new();
    json_object *v = opts_get(opts, key);

    if (v && json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            json_object *e = json_object_array_get_idx(v, i);
            g_ptr_array_add(out, g_strdup(json_object_get_string(e)));
        }
    } else if (v) {
        g_ptr_array_add(out, g_strdup(json_object_get_string(v)));
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_steal(out, NULL);
}

bool opts_check_keys(const Opts *opts, const char *const *allowed, GError **error)
{
    json_object_object_foreach(opts->dict, key, val)
    {
        (void)val;
        if (!g_strv_contains(allowed, key)) {
            ERR(error, "Invalid parameter '%s'", key);
            return false;
        }
    }
    return true;
}

bool opts_parse_memory(const Opts *opts, uint64_t *ret_size, uint64_t *ret_maxmem,
                       uint64_t *ret_slots, GError **error)
{
    const char *s = NULL;
    uint64_t size = 0;

    if (!opts_get_str(opts, "size", NULL, &s, error)) {
        return false;
    }
    if (s) {
        if (!*s) {
            ERR(error, "missing 'size' option value");
            return false;
        }
        if (!opts_parse_size_str("size", s, &size, error)) {
            return false;
        }
        /* A bare number counts in MiB, as it always has with -m. */
        if (g_ascii_isdigit(s[strlen(s) - 1])) {
            if (size > (UINT64_MAX >> 20)) {
                ERR(error, "too large 'size' option value");
                return false;
            }
            size <<= 20;
        }
    }
    *ret_size = size;
    if (!opts_get_size(opts, "maxmem", 0, ret_maxmem, error) ||
        !opts_get_number(opts, "slots", 0, ret_slots, error)) {
        return false;
    }
    if (*ret_maxmem && size && *ret_maxmem < size) {
        ERR(error,
            "invalid value of maxmem: maximum memory size (0x%" G_GINT64_MODIFIER
            "x) must be at least the initial memory size (0x%" G_GINT64_MODIFIER "x)",
            *ret_maxmem, size);
        return false;
    }
    return true;
}

char *opts_to_json(const Opts *opts)
{
    return g_strdup(json_object_to_json_string_ext(opts->dict, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
}

struct OptsStore {
    GPtrArray *all; /* every Opts, command-line order; owned */
};

OptsStore *opts_store_new(void)
{
    OptsStore *store = g_new0(OptsStore, 1);

    store->all = g_ptr_array_new_with_free_func((GDestroyNotify)opts_free);
    return store;
}

void opts_store_free(OptsStore *store)
{
    if (!store) {
        return;
    }
    g_ptr_array_unref(store->all);
    g_free(store);
}

Opts *opts_store_find(OptsStore *store, const char *kind_name, const char *id)
{
    for (guint i = 0; i < store->all->len; i++) {
        Opts *o = g_ptr_array_index(store->all, i);
        if (strcmp(o->kind->name, kind_name) == 0 && g_strcmp0(opts_id(o), id) == 0) {
            return o;
        }
    }
    return NULL;
}

bool opts_store_add(OptsStore *store, Opts *opts, GError **error)
{
    const char *id = opts_id(opts);

    if (id && opts_store_find(store, opts->kind->name, id)) {
        ERR(error, "Duplicate ID '%s' for %s", id, opts->kind->name);
        return false;
    }
    g_ptr_array_add(store->all, opts);
    return true;
}

GPtrArray *opts_store_list(OptsStore *store, const char *kind_name)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < store->all->len; i++) {
        Opts *o = g_ptr_array_index(store->all, i);
        if (strcmp(o->kind->name, kind_name) == 0) {
            g_ptr_array_add(out, o);
        }
    }
    g_ptr_array_add(out, NULL);
    return out;
}
