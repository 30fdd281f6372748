/*
 * Tests of the option parser with command lines people and libvirt really write: each
 * case gives the option, the argument and the JSON dictionary it must become; then
 * typed getters, -m and -smp, and the error messages, which must name the bad key or
 * value the way QEMU does.
 */
#include <glib.h>
#include <string.h>

#include "vm-core/options.h"

typedef struct ParseCase {
    const char *kind; /* option without the dash */
    const char *arg;  /* its argument */
    const char *json; /* the dictionary it must parse to */
} ParseCase;

static const ParseCase parse_cases[] = {
    /* libvirt's monitor and consoles */
    {"chardev", "socket,id=charmonitor,fd=23,server=on,wait=off",
     "{\"backend\":\"socket\",\"id\":\"charmonitor\",\"fd\":\"23\",\"server\":\"on\","
     "\"wait\":\"off\"}"},
    {"chardev", "pty,id=charserial0", "{\"backend\":\"pty\",\"id\":\"charserial0\"}"},
    {"chardev",
     "socket,id=charchannel0,path=/var/lib/libvirt/qemu/channel/target/domain-1-vm/"
     "org.qemu.guest_agent.0,server=on,wait=off",
     "{\"backend\":\"socket\",\"id\":\"charchannel0\",\"path\":\"/var/lib/libvirt/qemu/"
     "channel/target/domain-1-vm/org.qemu.guest_agent.0\",\"server\":\"on\",\"wait\":\"off\"}"},
    {"chardev", "stdio,id=c,mux=on,signal=off",
     "{\"backend\":\"stdio\",\"id\":\"c\",\"mux\":\"on\",\"signal\":\"off\"}"},
    {"chardev", "ringbuf,id=rb,size=1M", "{\"backend\":\"ringbuf\",\"id\":\"rb\",\"size\":\"1M\"}"},
    /* ",," is a comma inside a value; a bare key is "on"; "nowait" is wait=off */
    {"chardev", "file,id=f,path=/tmp/a,,b.log,append",
     "{\"backend\":\"file\",\"id\":\"f\",\"path\":\"/tmp/a,b.log\",\"append\":\"on\"}"},
    {"chardev", "socket,id=s,host=127.0.0.1,port=4444,server,nowait",
     "{\"backend\":\"socket\",\"id\":\"s\",\"host\":\"127.0.0.1\",\"port\":\"4444\","
     "\"server\":\"on\",\"wait\":\"off\"}"},
    /* a trailing comma is harmless, as in QEMU */
    {"chardev", "null,id=n,", "{\"backend\":\"null\",\"id\":\"n\"}"},
    /* -device, key=value and JSON */
    {"device", "virtio-blk-device,drive=hd0,id=vd0",
     "{\"driver\":\"virtio-blk-device\",\"drive\":\"hd0\",\"id\":\"vd0\"}"},
    {"device",
     "{\"driver\":\"virtio-net-pci\",\"netdev\":\"hostnet0\",\"id\":\"net0\","
     "\"mac\":\"52:54:00:aa:bb:cc\",\"bus\":\"pci.1\",\"addr\":\"0x0\"}",
     "{\"driver\":\"virtio-net-pci\",\"netdev\":\"hostnet0\",\"id\":\"net0\","
     "\"mac\":\"52:54:00:aa:bb:cc\",\"bus\":\"pci.1\",\"addr\":\"0x0\"}"},
    {"device", "  {\"driver\":\"virtio-blk-device\",\"id\":\"d0\"}",
     "{\"driver\":\"virtio-blk-device\",\"id\":\"d0\"}"},
    {"device",
     "{\"driver\":\"pcie-root-port\",\"port\":16,\"chassis\":1,\"id\":\"pci.1\",\"bus\":"
     "\"pcie.0\",\"multifunction\":true,\"addr\":\"0x2\"}",
     "{\"driver\":\"pcie-root-port\",\"port\":16,\"chassis\":1,\"id\":\"pci.1\",\"bus\":"
     "\"pcie.0\",\"multifunction\":true,\"addr\":\"0x2\"}"},
    /* -blockdev: JSON as libvirt writes it, and dotted keys nest */
    {"blockdev",
     "{\"driver\":\"file\",\"filename\":\"/var/lib/libvirt/images/a.qcow2\",\"node-name\":"
     "\"libvirt-1-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}",
     "{\"driver\":\"file\",\"filename\":\"/var/lib/libvirt/images/a.qcow2\",\"node-name\":"
     "\"libvirt-1-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}"},
    {"blockdev", "driver=qcow2,node-name=disk0,file.driver=file,file.filename=/x.qcow2",
     "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":{\"driver\":\"file\","
     "\"filename\":\"/x.qcow2\"}}"},
    /* -drive keeps dotted keys flat, as QemuOpts does */
    /* -blockdev takes the driver as its implied key; -object takes bare keys */
    {"blockdev", "null-co,node-name=n0", "{\"driver\":\"null-co\",\"node-name\":\"n0\"}"},
    {"object", "secret,id=s,data=x,,y,debug",
     "{\"qom-type\":\"secret\",\"id\":\"s\",\"data\":\"x,y\",\"debug\":\"on\"}"},
    {"drive", "file=/img/a.raw,format=raw,if=none,id=hd0,cache.direct=on",
     "{\"file\":\"/img/a.raw\",\"format\":\"raw\",\"if\":\"none\",\"id\":\"hd0\","
     "\"cache.direct\":\"on\"}"},
    /* -netdev: a repeated key keeps every value */
    {"netdev", "user,id=n0,hostfwd=tcp::2222-:22,hostfwd=tcp::8080-:80",
     "{\"type\":\"user\",\"id\":\"n0\",\"hostfwd\":[\"tcp::2222-:22\",\"tcp::8080-:80\"]}"},
    {"netdev",
     "{\"type\":\"tap\",\"fd\":\"27\",\"vhost\":true,\"vhostfd\":\"29\",\"id\":"
     "\"hostnet0\"}",
     "{\"type\":\"tap\",\"fd\":\"27\",\"vhost\":true,\"vhostfd\":\"29\",\"id\":\"hostnet0\"}"},
    /* -object */
    {"object", "{\"qom-type\":\"secret\",\"id\":\"s0\",\"file\":\"/p\"}",
     "{\"qom-type\":\"secret\",\"id\":\"s0\",\"file\":\"/p\"}"},
    {"object",
     "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":"
     "\"/var/lib/libvirt/qemu/domain-1-vm/master-key.aes\"}",
     "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":"
     "\"/var/lib/libvirt/qemu/domain-1-vm/master-key.aes\"}"},
    {"object", "memory-backend-memfd,id=mem0,size=1G,share=on",
     "{\"qom-type\":\"memory-backend-memfd\",\"id\":\"mem0\",\"size\":\"1G\",\"share\":\"on\"}"},
    /* -machine, -accel, -smp, -m */
    {"machine", "virt,usb=off,dump-guest-core=off,memory-backend=mem0",
     "{\"type\":\"virt\",\"usb\":\"off\",\"dump-guest-core\":\"off\",\"memory-backend\":"
     "\"mem0\"}"},
    {"machine", "type=virt,accel=tcg", "{\"type\":\"virt\",\"accel\":\"tcg\"}"},
    {"accel", "tcg,thread=multi,tb-size=512",
     "{\"accel\":\"tcg\",\"thread\":\"multi\",\"tb-size\":\"512\"}"},
    {"smp", "2", "{\"cpus\":\"2\"}"},
    {"smp", "4,sockets=4,dies=1,cores=1,threads=1",
     "{\"cpus\":\"4\",\"sockets\":\"4\",\"dies\":\"1\",\"cores\":\"1\",\"threads\":\"1\"}"},
    {"m", "256M", "{\"size\":\"256M\"}"},
    {"m", "size=1G,slots=2,maxmem=4G", "{\"size\":\"1G\",\"slots\":\"2\",\"maxmem\":\"4G\"}"},
};

static void test_parse_cases(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
        const ParseCase *c = &parse_cases[i];
        g_autoptr(GError) err = NULL;
        g_autoptr(Opts) opts = opts_parse_kind(c->kind, c->arg, &err);
        if (!opts) {
            g_error("-%s %s: %s", c->kind, c->arg, err->message);
        }
        g_autofree char *json = opts_to_json(opts);
        if (strcmp(json, c->json) != 0) {
            g_error("-%s %s:\n got  %s\n want %s", c->kind, c->arg, json, c->json);
        }
    }
}

/* The hint QEMU prints after a bad size or identifier, part of our messages too. */
#define SIZE_HINT                                                                                  \
    "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"                 \
    "and exabytes, respectively."
#define ID_HINT "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter."

typedef struct ErrorCase {
    const char *kind;
    const char *arg;
    const char *message; /* exactly */
} ErrorCase;

static const ErrorCase error_cases[] = {
    {"chardev", "socket,id=c0,path=/s,foo=1", "Invalid parameter 'foo'"},
    {"chardev", "socket,id=c0,path=/s,server=maybe", "Parameter 'server' expects 'on' or 'off'"},
    {"chardev", "ringbuf,id=r,size=12Q",
     "Parameter 'size' expects a non-negative number below 2^64\n" SIZE_HINT},
    {"chardev", "socket,id=c0,reconnect=soon", "Parameter 'reconnect' expects a number"},
    {"chardev", "socket,path=/s", "chardev: no id specified"},
    {"chardev", "socket,id=0bad", "Parameter 'id' expects an identifier\n" ID_HINT},
    {"chardev", "socket,id=a b", "Parameter 'id' expects an identifier\n" ID_HINT},
    {"smp", "2,sockets=two", "Parameter 'sockets' expects a number"},
    {"smp", "2,socket=2", "Invalid parameter 'socket'"},
    {"m", "1G,maxmem=lots",
     "Parameter 'maxmem' expects a non-negative number below 2^64\n" SIZE_HINT},
    {"device", "{\"driver\":\"virtio-net-pci\",", "JSON parse error, premature EOI"},
    {"device", "{\"id\":\"x\"}", "Parameter 'driver' is missing"},
    {"device", "{\"driver\":\"x\",\"id\":5}", "Invalid parameter type for 'id', expected: string"},
    {"netdev", "user", "Parameter 'id' is missing"},
    {"blockdev", "driver=null-co,node-name=n0,read-only",
     "Expected '=' after parameter 'read-only'"},
    {"blockdev", "driver=qcow2,file=f,file.driver=file",
     "Parameters 'file.*' used "
     "inconsistently"},
    {"blockdev", "driver=raw,a..b=1", "Invalid parameter 'a..b'"},
    {"chardev", "socket,id=c,=x", "Invalid parameter ''"},
};

static void test_errors(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(error_cases); i++) {
        const ErrorCase *c = &error_cases[i];
        g_autoptr(GError) err = NULL;
        g_autoptr(Opts) opts = opts_parse_kind(c->kind, c->arg, &err);
        if (opts) {
            g_error("-%s %s: parsed, expected \"%s\"", c->kind, c->arg, c->message);
        }
        if (strcmp(err->message, c->message) != 0) {
            g_error("-%s %s:\n got  %s\n want %s", c->kind, c->arg, err->message, c->message);
        }
    }
}

static void test_sizes(void)
{
    static const struct {
        const char *in;
        uint64_t out;
    } good[] = {
        {"0", 0},
        {"512", 512},
        {"1k", 1024},
        {"1K", 1024},
        {"256M", 256ULL << 20},
        {"2G", 2ULL << 30},
        {"1T", 1ULL << 40},
        {"1.5G", 3ULL << 29},
        {"0x1000", 4096},
        {"0x10M", 16ULL << 20},
        {"16E", 0}, /* overflow: checked below as an error */
    };
    static const char *const bad[] = {
        "",    "-1", "1Q", "1.5", "1.5B", "G", "1GG", "1 G", "18446744073709551616",
        "16E", "0x", "1.G"};

    for (size_t i = 0; i < G_N_ELEMENTS(good) - 1; i++) {
        uint64_t v = 1234;
        g_assert_true(opts_parse_size_str("size", good[i].in, &v, NULL));
        g_assert_cmpuint(v, ==, good[i].out);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        uint64_t v;
        g_autoptr(GError) err = NULL;
        if (opts_parse_size_str("size", bad[i], &v, &err)) {
            g_error("size '%s' accepted as %" G_GUINT64_FORMAT, bad[i], v);
        }
        g_assert_cmpstr(err->message, ==,
                        "Parameter 'size' expects a non-negative number below 2^64\n" SIZE_HINT);
    }
}

static void test_bools_numbers(void)
{
    static const char *const yes[] = {"on", "yes", "true", "y"};
    static const char *const no[] = {"off", "no", "false", "n"};
    uint64_t n;
    bool b;

    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        g_assert_true(opts_parse_bool_str("x", yes[i], &b, NULL) && b);
        g_assert_true(opts_parse_bool_str("x", no[i], &b, NULL) && !b);
    }
    g_assert_false(opts_parse_bool_str("x", "On", &b, NULL));
    g_assert_true(opts_parse_number_str("x", "0x10", &n, NULL));
    g_assert_cmpuint(n, ==, 16);
    g_assert_false(opts_parse_number_str("x", "-1", &n, NULL));
    g_assert_false(opts_parse_number_str("x", "12abc", &n, NULL));
    g_assert_false(opts_parse_number_str("x", "99999999999999999999999", &n, NULL));
}

static void test_getters(void)
{
    g_autoptr(Opts) kv =
        opts_parse_kind("chardev", "socket,id=c0,path=/tmp/s,server=on,wait=off,reconnect=5", NULL);
    g_autoptr(Opts) js = opts_parse_kind(
        "blockdev",
        "{\"driver\":\"file\",\"filename\":\"/a\",\"node-name\":\"n0\",\"auto-read-only\":true,"
        "\"read-only\":\"yes\",\"size\":1024,\"file\":{\"driver\":\"host_device\"}}",
        NULL);
    g_autoptr(GError) err = NULL;
    const char *s;
    uint64_t n;
    bool b;

    g_assert_nonnull(kv);
    g_assert_cmpstr(opts_id(kv), ==, "c0");
    g_assert_true(opts_get_str(kv, "path", NULL, &s, NULL));
    g_assert_cmpstr(s, ==, "/tmp/s");
    g_assert_true(opts_get_bool(kv, "server", false, &b, NULL) && b);
    g_assert_true(opts_get_bool(kv, "wait", true, &b, NULL) && !b);
    g_assert_true(opts_get_bool(kv, "telnet", true, &b, NULL) && b); /* default */
    g_assert_true(opts_get_number(kv, "reconnect", 0, &n, NULL));
    g_assert_cmpuint(n, ==, 5);
    g_assert_false(opts_get_size(kv, "path", 0, &n, &err));
    g_assert_cmpstr(err->message, ==,
                    "Parameter 'path' expects a non-negative number below 2^64\n" SIZE_HINT);
    g_clear_error(&err);

    g_assert_nonnull(js);
    g_assert_true(js->from_json);
    g_assert_cmpstr(opts_id(js), ==, "n0");
    g_assert_true(opts_get_bool(js, "auto-read-only", false, &b, NULL) && b);
    /* JSON values are typed: a string is not a boolean there. */
    g_assert_false(opts_get_bool(js, "read-only", false, &b, &err));
    g_assert_cmpstr(err->message, ==, "Invalid parameter type for 'read-only', expected: boolean");
    g_clear_error(&err);
    g_assert_true(opts_get_size(js, "size", 0, &n, NULL));
    g_assert_cmpuint(n, ==, 1024);
    g_assert_false(opts_get_str(js, "size", NULL, &s, &err));
    g_assert_cmpstr(err->message, ==, "Invalid parameter type for 'size', expected: string");
    g_assert_true(opts_get_str(js, "file.driver", NULL, &s, NULL));
    g_assert_cmpstr(s, ==, "host_device");

    const char *const allowed[] = {"backend", "id", "path", "server", "wait", NULL};
    g_clear_error(&err);
    g_assert_false(opts_check_keys(kv, allowed, &err));
    g_assert_cmpstr(err->message, ==, "Invalid parameter 'reconnect'");
}

static void test_repeated(void)
{
    g_autoptr(Opts) o = opts_parse_kind("netdev", "user,id=n,hostfwd=a,hostfwd=b,hostfwd=c", NULL);
    g_auto(GStrv) all = opts_get_strv(o, "hostfwd");
    g_auto(GStrv) one = opts_get_strv(o, "id");
    const char *s;

    g_assert_cmpuint(g_strv_length(all), ==, 3);
    g_assert_cmpstr(all[2], ==, "c");
    g_assert_cmpuint(g_strv_length(one), ==, 1);
    g_assert_true(opts_get_str(o, "hostfwd", NULL, &s, NULL));
    g_assert_cmpstr(s, ==, "c"); /* the last one counts */
}

static void test_memory(void)
{
    static const struct {
        const char *arg;
        uint64_t size, maxmem, slots;
    } cases[] = {
        {"256", 256ULL << 20, 0, 0},   {"256M", 256ULL << 20, 0, 0},
        {"size=1G", 1ULL << 30, 0, 0}, {"2g", 2ULL << 30, 0, 0},
        {"1024k", 1ULL << 20, 0, 0},   {"size=1024,slots=4,maxmem=8G", 1ULL << 30, 8ULL << 30, 4},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(Opts) o = opts_parse_kind("m", cases[i].arg, &err);
        uint64_t size, maxmem, slots;
        g_assert_no_error(err);
        g_assert_true(opts_parse_memory(o, &size, &maxmem, &slots, &err));
        g_assert_cmpuint(size, ==, cases[i].size);
        g_assert_cmpuint(maxmem, ==, cases[i].maxmem);
        g_assert_cmpuint(slots, ==, cases[i].slots);
    }

    g_autoptr(GError) err = NULL;
    g_autoptr(Opts) o = opts_parse_kind("m", "1G,maxmem=512M", NULL);
    uint64_t size, maxmem, slots;
    g_assert_false(opts_parse_memory(o, &size, &maxmem, &slots, &err));
    g_assert_true(g_str_has_prefix(err->message, "invalid value of maxmem"));
    g_clear_error(&err);
    g_autoptr(Opts) big = opts_parse_kind("m", "17592186044416", NULL);
    g_assert_false(opts_parse_memory(big, &size, &maxmem, &slots, &err));
    g_assert_cmpstr(err->message, ==, "too large 'size' option value");
    g_clear_error(&err);
    g_autoptr(Opts) bad = opts_parse_kind("m", "lots", NULL);
    g_assert_false(opts_parse_memory(bad, &size, &maxmem, &slots, &err));
    g_assert_cmpstr(err->message, ==,
                    "Parameter 'size' expects a non-negative number below 2^64\n" SIZE_HINT);
}

static void test_store(void)
{
    g_autoptr(OptsStore) store = opts_store_new();
    g_autoptr(GError) err = NULL;
    Opts *a = opts_parse_kind("chardev", "pty,id=c0", NULL);
    Opts *b = opts_parse_kind("chardev", "null,id=c0", NULL);
    Opts *c = opts_parse_kind("device", "virtio-rng-device,id=c0", NULL);

    g_assert_true(opts_store_add(store, a, NULL));
    g_assert_false(opts_store_add(store, b, &err));
    g_assert_cmpstr(err->message, ==, "Duplicate ID 'c0' for chardev");
    opts_free(b);
    g_assert_true(opts_store_add(store, c, NULL)); /* ids are per kind */
    g_assert_true(opts_store_find(store, "chardev", "c0") == a);
    g_assert_true(opts_store_find(store, "device", "c0") == c);
    g_autoptr(GPtrArray) list = opts_store_list(store, "chardev");
    g_assert_cmpuint(list->len, ==, 2);
    g_assert_true(list->pdata[0] == a && list->pdata[1] == NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/options/parse", test_parse_cases);
    g_test_add_func("/options/errors", test_errors);
    g_test_add_func("/options/sizes", test_sizes);
    g_test_add_func("/options/bools-numbers", test_bools_numbers);
    g_test_add_func("/options/getters", test_getters);
    g_test_add_func("/options/repeated", test_repeated);
    g_test_add_func("/options/memory", test_memory);
    g_test_add_func("/options/store", test_store);
    return g_test_run();
}
