/*
 * vmd-user's command line (see user-options.h). Like qemu, an option may be written with
 * one or two dashes, and each has an environment variable read before the command line,
 * so the command line wins.
 */
#include "linux-user/user-options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux-user/user-mem.h"

#ifndef VMD_USER_VERSION
#define VMD_USER_VERSION "unknown"
#endif

typedef struct LogItem {
    const char *name;
    unsigned mask;
    const char *help;
} LogItem;

static const LogItem log_items[] = {
    {"unimp", USER_LOG_UNIMP, "log unimplemented system calls and ioctls"},
    {"in_asm", USER_LOG_IN_ASM, "show guest code as it is translated"},
    {"exec", USER_LOG_EXEC, "show each translation block as it runs"},
    {"op", USER_LOG_OP, "show the intermediate code of each block"},
    {"op_opt", USER_LOG_OP_OPT, "show the intermediate code after optimization"},
    {"strace", USER_LOG_STRACE, "log system calls (same as -strace)"},
    {"page", USER_LOG_PAGE, "show the guest memory map after loading"},
    {"guest_errors", USER_LOG_GUEST_ERRORS, "log invalid guest operations"},
    {"cpu", USER_LOG_CPU, "accepted for compatibility"},
    {"int", USER_LOG_INT, "log exceptions and signals delivered to the guest"},
    {"nochain", USER_LOG_NOCHAIN, "accepted for compatibility"},
};

static const char help_text[] =
    "usage: vmd-user [options] program [arguments...]\n"
    "Runs a riscv64 Linux program on this host (like qemu-riscv64).\n"
    "\n"
    "Options and their environment variables:\n"
    "-h, -help                 print this help and exit\n"
    "-L path       VMD_LD_PREFIX  look for the dynamic linker and guest libraries under\n"
    "                          path first (default " USER_DEFAULT_LD_PREFIX ")\n"
    "-s size       VMD_STACK_SIZE set the guest stack size in bytes (k/M/G suffixes;\n"
    "                          default 8M)\n"
    "-cpu model    VMD_CPU     select the CPU (rv64, any; -cpu help lists them)\n"
    "-E var=value  VMD_SET_ENV set a variable in the guest environment (repeatable;\n"
    "                          the variable takes a comma-separated list)\n"
    "-U var        VMD_UNSET_ENV remove a variable from the guest environment\n"
    "-0 argv0      VMD_ARGV0   pass argv0 as the program's argv[0]\n"
    "-B address    VMD_GUEST_BASE host address of guest address 0\n"
    "-R size       VMD_RESERVED_VA size of the guest address space (default 256G)\n"
    "-d item,...   VMD_LOG     enable logging of the given items (-d help lists them)\n"
    "-D logfile    VMD_LOG_FILENAME write the log to logfile instead of stderr\n"
    "-strace       VMD_STRACE  log system calls and their results\n"
    "-seed number  VMD_RAND_SEED seed the guest's random data (AT_RANDOM)\n"
    "-one-insn-per-tb VMD_ONE_INSN_PER_TB translate one instruction per block\n"
    "-accel tcg[,tci=on|off] VMD_ACCEL  tci=on runs the portable interpreter instead of\n"
    "                          the x86-64 code generator\n"
    "-version                  print the version and exit\n"
    "\n"
    "The program's exit status is vmd-user's; a program killed by a signal kills\n"
    "vmd-user with the same signal.\n";

const char *user_options_help(void)
{
    return help_text;
}

static bool parse_size(const char *s, uint64_t *ret)
{
    char *end;
    uint64_t v;

    errno = 0;
    v = g_ascii_strtoull(s, &end, 0);
    if (errno || end == s) {
        return false;
    }
    switch (*end) {
    case 'k':
    case 'K':
        v <<= 10, end++;
        break;
    case 'm':
    case 'M':
        v <<= 20, end++;
        break;
    case 'g':
    case 'G':
        v <<= 30, end++;
        break;
    default:
        break;
    }
    *ret = v;
    return *end == 0;
}

static bool parse_log_items(UserOptions *o, const char *s, GError **error)
{
    g_auto(GStrv) items = g_strsplit(s, ",", -1);

    for (char **it = items; *it; it++) {
        bool found = false;
        for (size_t i = 0; i < G_N_ELEMENTS(log_items); i++) {
            if (strcmp(*it, log_items[i].name) == 0) {
                o->log_mask |= log_items[i].mask;
                found = true;
            }
        }
        if (!found && **it) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "-d: unknown log item '%s' (-d help lists them)", *it);
            return false;
        }
    }
    if (o->log_mask & USER_LOG_STRACE) {
        o->strace = true;
    }
    g_free(o->log_items);
    o->log_items = g_strdup(s);
    return true;
}

static void print_log_items(void)
{
    printf("Log items (comma separated):\n");
    for (size_t i = 0; i < G_N_ELEMENTS(log_items); i++) {
        printf("%-12s %s\n", log_items[i].name, log_items[i].help);
    }
}

static bool parse_cpu(UserOptions *o, const char *s, bool *ret_exit, GError **error)
{
    static const char *const models[] = {"any", "rv64", "max"};

    if (strcmp(s, "help") == 0 || strcmp(s, "?") == 0) {
        printf("Available CPUs:\n");
        for (size_t i = 0; i < G_N_ELEMENTS(models); i++) {
            printf("  %s\n", models[i]);
        }
        *ret_exit = true;
        return true;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(models); i++) {
        if (strcmp(s, models[i]) == 0) {
            g_free(o->cpu_model);
            o->cpu_model = g_strdup(s);
            return true;
        }
    }
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "-cpu: unknown CPU model '%s' (-cpu help lists them)", s);
    return false;
}

/* Applies one option with its argument (NULL for flags). */
static bool apply_option(UserOptions *o, const char *name, const char *arg, bool *ret_exit,
                         GError **error)
{
    uint64_t v;

    if (strcmp(name, "L") == 0) {
        g_free(o->ld_prefix);
        o->ld_prefix = g_strdup(arg);
    } else if (strcmp(name, "s") == 0) {
        if (!parse_size(arg, &v) || v < 64 * 1024 || v > (1ull << 34)) {
            goto bad_value;
        }
        o->stack_size = user_page_align_up(v);
    } else if (strcmp(name, "cpu") == 0) {
        return parse_cpu(o, arg, ret_exit, error);
    } else if (strcmp(name, "E") == 0) {
        g_auto(GStrv) list = g_strsplit(arg, ",", -1);
        for (char **it = list; *it; it++) {
            if (!strchr(*it, '=')) {
                goto bad_value;
            }
            g_ptr_array_add(o->env_set, g_strdup(*it));
        }
    } else if (strcmp(name, "U") == 0) {
        g_auto(GStrv) list = g_strsplit(arg, ",", -1);
        for (char **it = list; *it; it++) {
            g_ptr_array_add(o->env_unset, g_strdup(*it));
        }
    } else if (strcmp(name, "0") == 0) {
        g_free(o->argv0);
        o->argv0 = g_strdup(arg);
    } else if (strcmp(name, "B") == 0) {
        if (!parse_size(arg, &v) || (v & 4095)) {
            goto bad_value;
        }
        o->guest_base = v;
    } else if (strcmp(name, "R") == 0) {
        if (!parse_size(arg, &v)) {
            goto bad_value;
        }
        o->reserved_va = user_page_align_up(v);
    } else if (strcmp(name, "d") == 0) {
        if (strcmp(arg, "help") == 0) {
            print_log_items();
            *ret_exit = true;
            return true;
        }
        return parse_log_items(o, arg, error);
    } else if (strcmp(name, "D") == 0) {
        g_free(o->log_file);
        o->log_file = g_strdup(arg);
    } else if (strcmp(name, "seed") == 0) {
        if (!parse_size(arg, &o->seed)) {
            goto bad_value;
        }
        o->have_seed = true;
    } else if (strcmp(name, "strace") == 0) {
        o->strace = true;
    } else if (strcmp(name, "one-insn-per-tb") == 0 || strcmp(name, "singlestep") == 0) {
        o->one_insn_per_tb = true;
    } else if (strcmp(name, "accel") == 0) {
        /* -accel tcg[,tci=on|off]: the code generator, or the portable interpreter. */
        if (strcmp(arg, "tcg") == 0 || strcmp(arg, "tcg,tci=off") == 0) {
            o->tci = false;
        } else if (strcmp(arg, "tcg,tci=on") == 0) {
            o->tci = true;
        } else {
            goto bad_value;
        }
    } else if (strcmp(name, "exec-child") == 0) {
        o->log_append = true;
    } else {
        g_assert_not_reached();
    }
    return true;
bad_value:
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "-%s: invalid value '%s'", name,
                arg);
    return false;
}

typedef struct OptionDef {
    const char *name;
    bool has_arg;
    const char *env; /* environment variable, or NULL */
} OptionDef;

static const OptionDef option_defs[] = {
    {"L", true, "VMD_LD_PREFIX"},
    {"s", true, "VMD_STACK_SIZE"},
    {"cpu", true, "VMD_CPU"},
    {"E", true, "VMD_SET_ENV"},
    {"U", true, "VMD_UNSET_ENV"},
    {"0", true, "VMD_ARGV0"},
    {"B", true, "VMD_GUEST_BASE"},
    {"R", true, "VMD_RESERVED_VA"},
    {"d", true, "VMD_LOG"},
    {"D", true, "VMD_LOG_FILENAME"},
    {"seed", true, "VMD_RAND_SEED"},
    {"strace", false, "VMD_STRACE"},
    {"one-insn-per-tb", false, "VMD_ONE_INSN_PER_TB"},
    {"accel", true, "VMD_ACCEL"},
    {"singlestep", false, NULL},
    {"exec-child", false, NULL},
};

static const OptionDef *find_option(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(option_defs); i++) {
        if (strcmp(option_defs[i].name, name) == 0) {
            return &option_defs[i];
        }
    }
    return NULL;
}

static void options_init(UserOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->ld_prefix = g_strdup(USER_DEFAULT_LD_PREFIX);
    o->stack_size = USER_DEFAULT_STACK_SIZE;
    o->env_set = g_ptr_array_new_with_free_func(g_free);
    o->env_unset = g_ptr_array_new_with_free_func(g_free);
}

static bool apply_environment(UserOptions *o, char **env, bool *ret_exit, GError **error)
{
    for (size_t i = 0; i < G_N_ELEMENTS(option_defs); i++) {
        const OptionDef *d = &option_defs[i];
        const char *v = d->env ? g_environ_getenv(env, d->env) : NULL;
        if (!v) {
            continue;
        }
        if (!d->has_arg && (*v == 0 || strcmp(v, "0") == 0)) {
            continue;
        }
        if (!apply_option(o, d->name, d->has_arg ? v : NULL, ret_exit, error)) {
            g_prefix_error(error, "%s: ", d->env);
            return false;
        }
    }
    return true;
}

UserOptionsResult user_options_parse(UserOptions *o, int argc, char **argv, char **env,
                                     GError **error)
{
    bool want_exit = false;
    int i;

    options_init(o);
    if (!apply_environment(o, env, &want_exit, error)) {
        return USER_OPTIONS_ERROR;
    }
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *name = argv[i] + 1;
        const OptionDef *d;

        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (*name == '-') {
            name++;
        }
        if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0) {
            fputs(help_text, stdout);
            return USER_OPTIONS_EXIT;
        }
        if (strcmp(name, "version") == 0) {
            printf("vmd-user version %s (riscv64 Linux user mode)\n", VMD_USER_VERSION);
            return USER_OPTIONS_EXIT;
        }
        d = find_option(name);
        if (!d) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                        "unknown option '%s' (-h lists the options)", argv[i]);
            return USER_OPTIONS_ERROR;
        }
        if (d->has_arg && i + 1 >= argc) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "option '%s' needs an argument", argv[i]);
            return USER_OPTIONS_ERROR;
        }
        if (!apply_option(o, d->name, d->has_arg ? argv[i + 1] : NULL, &want_exit, error)) {
            return USER_OPTIONS_ERROR;
        }
        if (want_exit) {
            return USER_OPTIONS_EXIT;
        }
        i += d->has_arg;
    }
    if (want_exit) {
        return USER_OPTIONS_EXIT;
    }
    if (i >= argc) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "no program given (usage: vmd-user [options] program [arguments...])");
        return USER_OPTIONS_ERROR;
    }
    o->program = g_strdup(argv[i]);
    o->guest_argv = g_new0(char *, argc - i + 1);
    for (int j = i; j < argc; j++) {
        o->guest_argv[j - i] = g_strdup(argv[j]);
    }
    if (o->argv0) {
        g_free(o->guest_argv[0]);
        o->guest_argv[0] = g_strdup(o->argv0);
    }
    return USER_OPTIONS_RUN;
}

void user_options_clear(UserOptions *o)
{
    g_free(o->ld_prefix);
    g_free(o->log_items);
    g_free(o->log_file);
    g_free(o->cpu_model);
    g_free(o->argv0);
    g_free(o->program);
    g_strfreev(o->guest_argv);
    if (o->env_set) {
        g_ptr_array_free(o->env_set, TRUE);
    }
    if (o->env_unset) {
        g_ptr_array_free(o->env_unset, TRUE);
    }
    memset(o, 0, sizeof(*o));
}

char **user_options_guest_env(const UserOptions *o, char **env)
{
    char **out = g_strdupv(env);

    for (guint i = 0; i < o->env_unset->len; i++) {
        out = g_environ_unsetenv(out, g_ptr_array_index(o->env_unset, i));
    }
    for (guint i = 0; i < o->env_set->len; i++) {
        const char *kv = g_ptr_array_index(o->env_set, i);
        const char *eq = strchr(kv, '=');
        g_autofree char *k = g_strndup(kv, eq - kv);
        out = g_environ_setenv(out, k, eq + 1, TRUE);
    }
    return out;
}

GPtrArray *user_options_exec_argv(const UserOptions *o)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

    g_ptr_array_add(a, g_strdup("-L"));
    g_ptr_array_add(a, g_strdup(o->ld_prefix ? o->ld_prefix : ""));
    if (o->stack_size != USER_DEFAULT_STACK_SIZE) {
        g_ptr_array_add(a, g_strdup("-s"));
        g_ptr_array_add(a, g_strdup_printf("%" G_GUINT64_FORMAT, o->stack_size));
    }
    if (o->cpu_model) {
        g_ptr_array_add(a, g_strdup("-cpu"));
        g_ptr_array_add(a, g_strdup(o->cpu_model));
    }
    if (o->reserved_va) {
        g_ptr_array_add(a, g_strdup("-R"));
        g_ptr_array_add(a, g_strdup_printf("%" G_GUINT64_FORMAT, o->reserved_va));
    }
    if (o->log_items) {
        g_ptr_array_add(a, g_strdup("-d"));
        g_ptr_array_add(a, g_strdup(o->log_items));
    }
    if (o->log_file) {
        g_ptr_array_add(a, g_strdup("-D"));
        g_ptr_array_add(a, g_strdup(o->log_file));
    }
    if (o->have_seed) {
        g_ptr_array_add(a, g_strdup("-seed"));
        g_ptr_array_add(a, g_strdup_printf("%" G_GUINT64_FORMAT, o->seed));
    }
    if (o->strace) {
        g_ptr_array_add(a, g_strdup("-strace"));
    }
    if (o->one_insn_per_tb) {
        g_ptr_array_add(a, g_strdup("-one-insn-per-tb"));
    }
    if (o->tci) {
        g_ptr_array_add(a, g_strdup("-accel"));
        g_ptr_array_add(a, g_strdup("tcg,tci=on"));
    }
    g_ptr_array_add(a, g_strdup("-exec-child"));
    return a;
}
