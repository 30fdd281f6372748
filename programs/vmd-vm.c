/*
 * vmd-vm: one virtual machine, with a QEMU-compatible command line.
 *
 * This first version builds the virt board with its serial console on stdio
 * (-nographic / -serial stdio / -serial mon:stdio): the terminal goes raw, Ctrl-A x
 * quits, Ctrl-A h lists the escapes, Ctrl-A Ctrl-A sends a Ctrl-A. The full option
 * set (-drive, -device, -netdev, -chardev, -qmp, ...) arrives with vm-core's option
 * parser and QMP; options not understood yet are refused, never silently ignored.
 */
#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hw/riscv/virt.h"
#include "net/net.h"
#include "vm-core/chardev.h"
#include "vm-core/main-loop.h"
#include "vm-core/options.h"
#include "vm-core/runstate.h"

/* The serial console: a chardev (stdio behind a mux by default) is the UART's back end.
 * Output goes out through chardev_write(), which never blocks; input arrives on the
 * main loop and waits in the chardev while the UART's FIFO is full. */
typedef struct Console {
    Chardev *chr;
    VirtMachine *m;
    /* The guest side: how much input fits now, and delivery. */
    size_t (*room)(VirtMachine *m);
    size_t (*input)(VirtMachine *m, const uint8_t *buf, size_t len);
} Console;

static Console console = {.room = virt_machine_console_room, .input = virt_machine_console_input};
/* The virtio-console, when -device virtconsole names a chardev. */
static Console vcon = {.room = virt_machine_vcon_room, .input = virt_machine_vcon_input};

/* Guest output (the machine's out callbacks; opaque is the Console). */
static void console_out(void *opaque, const uint8_t *buf, size_t len)
{
    Console *con = opaque;
    if (con->chr) {
        chardev_write(con->chr, buf, len); /* beyond the chardev's bound it drops */
    }
}

static size_t console_can_receive(void *opaque)
{
    Console *con = opaque;
    return con->m ? con->room(con->m) : 0;
}

static void console_receive(void *opaque, const uint8_t *buf, size_t len)
{
    Console *con = opaque;
    con->input(con->m, buf, len);
}

static const ChardevFrontendOps console_ops = {
    .can_receive = console_can_receive,
    .receive = console_receive,
};

/* The devices have no "input drained" signal: let held-back input in again periodically. */
static gboolean console_poll(gpointer opaque)
{
    Console *cons[] = {&console, &vcon};
    for (unsigned i = 0; i < G_N_ELEMENTS(cons); i++) {
        if (cons[i]->chr && console_can_receive(cons[i])) {
            chardev_accept_input(cons[i]->chr);
        }
    }
    return G_SOURCE_CONTINUE;
}

typedef struct MachineRun {
    VirtMachine *m;
    int status;
    bool done;
} MachineRun;

static void machine_done(void *opaque)
{
    main_loop_quit();
}

/* The machine runs on a thread of its own; the main thread runs the main loop. */
static gpointer machine_thread(gpointer opaque)
{
    MachineRun *run = opaque;
    run->status = virt_machine_run(run->m);
    __atomic_store_n(&run->done, true, __ATOMIC_RELEASE);
    main_loop_call_async(machine_done, NULL);
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vmd-vm [options]\n"
            "\n"
            "Standard options:\n"
            "-h or -help     display this help and exit\n"
            "-version        display version information and exit\n"
            "-machine virt   selects the machine (only 'virt'; -M is the same)\n"
            "-smp n          set the number of CPUs to 'n' [default=1]\n"
            "-m megs         set the RAM size (default 128M; suffixes k, M, G, T)\n"
            "-accel tcg[,tci=on|off]  the translator (tci=on: the portable interpreter)\n"
            "-name string    set the name of the guest\n"
            "-uuid %%08x-%%04x-%%04x-%%04x-%%012x  specify machine UUID\n"
            "-pidfile file   write PID to 'file'\n"
            "-nodefaults     don't create default devices (no serial port unless -serial)\n"
            "-no-user-config do not load user-provided config files\n"
            "\n"
            "Boot options:\n"
            "-bios file      set the firmware ('none' for none; default: Debian's OpenSBI\n"
            "                fw_dynamic.bin)\n"
            "-kernel bzImage use 'bzImage' as kernel image (Linux Image or ELF)\n"
            "-append cmdline use 'cmdline' as kernel command line\n"
            "-initrd file    use 'file' as initial ram disk\n"
            "-dtb file       use 'file' as device tree image\n"
            "-no-reboot      exit instead of rebooting\n"
            "\n"
            "Display and serial:\n"
            "-nographic      no graphical output; serial console on stdio, with Ctrl-A\n"
            "                escapes (C-a h for help, C-a x to exit)\n"
            "-display none   no display\n"
            "-serial dev     the serial port: stdio, mon:stdio, pty, null, file:PATH,\n"
            "                unix:PATH[,server=on,wait=off], tcp:HOST:PORT[,server=on],\n"
            "                chardev:ID\n"
            "-chardev backend,id=ID[,...]  a character device (stdio, pty, socket, file,\n"
            "                null, ringbuf, pipe; QEMU's options)\n"
            "\n"
            "Devices:\n"
            "-drive file=F[,format=raw|qcow2][,if=virtio|none][,id=ID][,readonly=on]\n"
            "      [,serial=S]  a disk image (probed without format=); if=virtio attaches\n"
            "                a virtio-blk disk\n"
            "-device virtio-blk-device,drive=ID   a virtio-blk disk for -drive if=none,id=ID\n"
            "-device virtio-rng-device            a virtio entropy source\n"
            "-device virtio-serial-device -device virtconsole,chardev=ID\n"
            "                a virtio console (hvc0) on a -chardev\n"
            "-netdev user,id=ID[,hostfwd=tcp:[haddr]:hport-[gaddr]:gport][,restrict=on]\n"
            "                user-mode networking (10.0.2.0/24, DHCP, DNS, host at 10.0.2.2)\n"
            "-device virtio-net-device,netdev=ID[,mac=52:54:00:12:34:56]  a network card\n"
            "\n"
            "Not implemented yet (refused): -blockdev, PCI devices, tap,\n"
            "-qmp, -monitor, -S, -incoming, -snapshot, -loadvm.\n");
}

static const char *need_arg(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "vmd-vm: %s: requires an argument\n", argv[*i]);
        exit(1);
    }
    return argv[++*i];
}

static bool add_drive(VirtMachineConfig *c, const Opts *o, GError **error)
{
    static const char *const keys[] = {"file", "format", "if", "id", "readonly", "serial",
                                       "media", "cache", "index", NULL};
    const char *file, *format, *serial;
    bool ro;
    if (!opts_check_keys(o, keys, error) || !opts_get_str(o, "file", NULL, &file, error) ||
        !opts_get_str(o, "format", NULL, &format, error) ||
        !opts_get_str(o, "serial", NULL, &serial, error) ||
        !opts_get_bool(o, "readonly", false, &ro, error)) {
        return false;
    }
    if (!file) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "A block device must be specified for \"file\"");
        return false;
    }
    if (format && strcmp(format, "raw") != 0 && strcmp(format, "qcow2") != 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "'%s' invalid format (raw or qcow2)", format);
        return false;
    }
    if (c->n_drives == VIRT_MAX_DRIVES) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "too many disks");
        return false;
    }
    c->drives[c->n_drives++] = (VirtDriveConfig){.file = file, .format = format,
                                                 .read_only = ro, .serial = serial};
    return true;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        if (v[i] > 255) {
            return false;
        }
        mac[i] = (uint8_t)v[i];
    }
    return !(mac[0] & 1); /* not a multicast address */
}

static bool add_nic(VirtMachineConfig *c, OptsStore *store, const Opts *o, GError **error)
{
    const char *netdev_id, *mac_str;
    if (!opts_get_str(o, "netdev", NULL, &netdev_id, error) ||
        !opts_get_str(o, "mac", NULL, &mac_str, error)) {
        return false;
    }
    Opts *nd = netdev_id ? opts_store_find(store, "netdev", netdev_id) : NULL;
    if (!nd) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "Property 'virtio-net-device.netdev' can't find value '%s'",
                    netdev_id ? netdev_id : "");
        return false;
    }
    if (c->n_nics == G_N_ELEMENTS(c->nics)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "too many network cards");
        return false;
    }
    uint8_t *mac = c->nic_mac[c->n_nics];
    const uint8_t def[6] = {0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + c->n_nics)};
    memcpy(mac, def, 6);
    if (mac_str && !parse_mac(mac_str, mac)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "Property 'virtio-net-device.mac' doesn't take value '%s'", mac_str);
        return false;
    }
    const char *type;
    bool restricted;
    if (!opts_get_str(nd, "type", NULL, &type, error) ||
        !opts_get_bool(nd, "restrict", false, &restricted, error)) {
        return false;
    }
    if (!type || strcmp(type, "user") != 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "network backend '%s' is not available yet (only user)", type ? type : "");
        return false;
    }
    g_auto(GStrv) fwd = opts_get_strv(nd, "hostfwd");
    NetUserConfig nc = {.id = netdev_id, .hostfwd = fwd, .restricted = restricted};
    NetBackend *b = net_user_new(&nc, error);
    if (!b) {
        return false;
    }
    c->nics[c->n_nics++] = b;
    return true;
}

/* -drive and -device, after all options are known (a -device names a -drive by id). */
static bool add_devices(VirtMachineConfig *c, OptsStore *store, GError **error)
{
    g_autoptr(GPtrArray) drives = opts_store_list(store, "drive");
    for (guint i = 0; g_ptr_array_index(drives, i); i++) { /* NULL-terminated */
        const Opts *o = g_ptr_array_index(drives, i);
        const char *iface;
        if (!opts_get_str(o, "if", "virtio", &iface, error)) {
            return false;
        }
        if (strcmp(iface, "virtio") == 0 && !add_drive(c, o, error)) {
            return false;
        } else if (strcmp(iface, "virtio") != 0 && strcmp(iface, "none") != 0) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "unsupported interface '%s' (virtio or none)", iface);
            return false;
        }
    }
    g_autoptr(GPtrArray) devices = opts_store_list(store, "device");
    for (guint i = 0; g_ptr_array_index(devices, i); i++) {
        const Opts *o = g_ptr_array_index(devices, i);
        const char *driver, *drive_id;
        if (!opts_get_str(o, "driver", NULL, &driver, error) ||
            !opts_get_str(o, "drive", NULL, &drive_id, error)) {
            return false;
        }
        if (driver && strcmp(driver, "virtio-rng-device") == 0) {
            c->rng = true;
        } else if (driver && strcmp(driver, "virtio-serial-device") == 0) {
            /* the bus of virtconsole ports: the console device below is the port */
        } else if (driver && strcmp(driver, "virtconsole") == 0) {
            const char *chr_id;
            if (!opts_get_str(o, "chardev", NULL, &chr_id, error)) {
                return false;
            }
            vcon.chr = chr_id ? chardev_find(chr_id) : NULL;
            if (!vcon.chr) {
                g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "Property 'virtconsole.chardev' can't find value '%s'",
                            chr_id ? chr_id : "");
                return false;
            }
            c->virtio_console = true;
            c->vcon_out = console_out;
            c->vcon_opaque = &vcon;
        } else if (driver && strcmp(driver, "virtio-net-device") == 0) {
            if (!add_nic(c, store, o, error)) {
                return false;
            }
        } else if (driver && strcmp(driver, "virtio-blk-device") == 0) {
            Opts *d = drive_id ? opts_store_find(store, "drive", drive_id) : NULL;
            if (!d) {
                g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "Property 'virtio-blk-device.drive' can't find value '%s'",
                            drive_id ? drive_id : "");
                return false;
            }
            if (!add_drive(c, d, error)) {
                return false;
            }
        } else {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "'%s' is not a valid device model name (available: "
                        "virtio-blk-device, virtio-net-device, virtio-rng-device, "
                        "virtio-serial-device, virtconsole)",
                        driver ? driver : "");
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    VirtMachineConfig c = {.harts = 1, .ram_size = 128ull << 20, .console_out = console_out,
                           .console_opaque = &console};
    const char *serial = NULL, *pidfile = NULL;
    bool nodefaults = false;
    main_loop_init();
    g_autoptr(OptsStore) store = opts_store_new();
    g_autoptr(GError) error = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (o[0] == '-' && o[1] == '-') {
            o++; /* QEMU accepts --option as -option */
        }
        if (!strcmp(o, "-h") || !strcmp(o, "-help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(o, "-version")) {
            printf("vmd-vm version " VMD_VERSION "\n");
            return 0;
        } else if (!strcmp(o, "-M") || !strcmp(o, "-machine")) {
            const char *v = need_arg(argc, argv, &i);
            if (strcmp(v, "virt") && strncmp(v, "virt,", 5) && strncmp(v, "type=virt", 9)) {
                fprintf(stderr, "vmd-vm: -machine %s: unsupported machine type\n", v);
                return 1;
            }
        } else if (!strcmp(o, "-smp")) {
            const char *v = need_arg(argc, argv, &i);
            g_autoptr(Opts) smp = opts_parse_kind("smp", v, &error);
            uint64_t cpus;
            if (!smp || !opts_get_number(smp, "cpus", 1, &cpus, &error)) {
                fprintf(stderr, "vmd-vm: -smp %s: %s\n", v, error->message);
                return 1;
            }
            c.harts = (unsigned)MIN(cpus, (uint64_t)UINT_MAX);
        } else if (!strcmp(o, "-m")) {
            const char *v = need_arg(argc, argv, &i);
            g_autoptr(Opts) mem = opts_parse_kind("m", v, &error);
            uint64_t maxmem, slots;
            if (!mem || !opts_parse_memory(mem, &c.ram_size, &maxmem, &slots, &error)) {
                fprintf(stderr, "vmd-vm: -m %s: %s\n", v, error->message);
                return 1;
            }
        } else if (!strcmp(o, "-accel")) {
            const char *v = need_arg(argc, argv, &i);
            if (strncmp(v, "tcg", 3)) {
                fprintf(stderr, "vmd-vm: -accel %s: accelerator not available here\n", v);
                return 1;
            }
            c.tci = strstr(v, "tci=on") != NULL;
        } else if (!strcmp(o, "-bios")) {
            c.bios = need_arg(argc, argv, &i);
            if (!strcmp(c.bios, "default")) {
                c.bios = NULL;
            }
        } else if (!strcmp(o, "-kernel")) {
            c.kernel = need_arg(argc, argv, &i);
        } else if (!strcmp(o, "-initrd")) {
            c.initrd = need_arg(argc, argv, &i);
        } else if (!strcmp(o, "-append")) {
            c.append = need_arg(argc, argv, &i);
        } else if (!strcmp(o, "-dtb")) {
            c.dtb = need_arg(argc, argv, &i);
        } else if (!strcmp(o, "-no-reboot")) {
            c.no_reboot = true;
        } else if (!strcmp(o, "-nographic")) {
            /* the serial console is on stdio already */
        } else if (!strcmp(o, "-display") || !strcmp(o, "-name")) {
            need_arg(argc, argv, &i);
        } else if (!strcmp(o, "-uuid")) {
            const char *v = need_arg(argc, argv, &i);
            if (!g_uuid_string_is_valid(v)) {
                fprintf(stderr, "vmd-vm: -uuid %s: Fail to parse UUID string\n", v);
                return 1;
            }
        } else if (!strcmp(o, "-pidfile")) {
            pidfile = need_arg(argc, argv, &i);
        } else if (!strcmp(o, "-nodefaults")) {
            nodefaults = true; /* no serial port unless one is given */
        } else if (!strcmp(o, "-no-user-config")) {
            /* there are no user configuration files to skip */
        } else if (!strcmp(o, "-drive") || !strcmp(o, "-device") || !strcmp(o, "-netdev")) {
            const char *v = need_arg(argc, argv, &i);
            Opts *opts = opts_parse_kind(o + 1, v, &error);
            if (!opts || !opts_store_add(store, opts, &error)) {
                fprintf(stderr, "vmd-vm: %s %s: %s\n", o, v, error->message);
                return 1;
            }
        } else if (!strcmp(o, "-serial")) {
            serial = need_arg(argc, argv, &i);
        } else if (!strcmp(o, "-chardev")) {
            const char *v = need_arg(argc, argv, &i);
            if (!chardev_new_from_string(v, &error)) {
                fprintf(stderr, "vmd-vm: -chardev %s: %s\n", v, error->message);
                return 1;
            }
        } else {
            fprintf(stderr, "vmd-vm: %s: invalid option\n", argv[i]);
            return 1;
        }
    }
    if (!add_devices(&c, store, &error)) {
        fprintf(stderr, "vmd-vm: %s\n", error->message);
        return 1;
    }
    if (pidfile) {
        g_autofree char *pid = g_strdup_printf("%d\n", (int)getpid());
        if (!g_file_set_contents(pidfile, pid, -1, &error)) {
            fprintf(stderr, "vmd-vm: cannot create PID file: %s\n", error->message);
            return 1;
        }
    }
    if (!serial) {
        serial = nodefaults ? "null" : "mon:stdio";
    }
    console.chr = chardev_new_legacy("serial0", serial, &error);
    if (!console.chr) {
        fprintf(stderr, "vmd-vm: -serial %s: %s\n", serial, error->message);
        return 1;
    }
    VirtMachine *m = virt_machine_new(&c, &error);
    if (!m) {
        fprintf(stderr, "vmd-vm: %s\n", error->message);
        return 1;
    }
    console.m = m;
    vcon.m = m;
    if (!chardev_fe_attach(console.chr, &console_ops, &console, &error) ||
        (vcon.chr && !chardev_fe_attach(vcon.chr, &console_ops, &vcon, &error))) {
        fprintf(stderr, "vmd-vm: %s\n", error->message);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    runstate_install_signal_handlers();
    g_timeout_add(10, console_poll, NULL);
    MachineRun run = {.m = m};
    GThread *t = g_thread_new("machine", machine_thread, &run);
    main_loop_run(); /* holds the big lock except while it polls */
    /* Ctrl-A x or a signal ended the main loop first: stop the machine. */
    if (!__atomic_load_n(&run.done, __ATOMIC_ACQUIRE)) {
        virt_machine_quit(m, 0);
    }
    g_thread_join(t);
    /* Let the console drain what the guest wrote last. */
    for (int i = 0; i < 100 && chardev_out_pending(console.chr); i++) {
        main_loop_iterate(false);
        g_usleep(1000);
    }
    chardev_stdio_restore_terminal();
    if (pidfile) {
        unlink(pidfile);
    }
    fflush(stdout);
    _exit(run.status);
}
