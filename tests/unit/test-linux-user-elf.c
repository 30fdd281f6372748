/*
 * vmd-user's ELF loader and initial stack, without running guest code: ELF files are
 * written by the test itself (and the riscv64 busybox is loaded when the guest build
 * cache has it), then the guest address space is inspected.
 */
#include <elf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>

#include "linux-user/elfload.h"
#include "linux-user/user-abi.h"

#define SPACE (1ull << 32)

typedef struct Seg {
    uint64_t vaddr, filesz, memsz, offset;
    uint32_t flags;
} Seg;

typedef struct ElfSpec {
    uint16_t type, machine;
    uint8_t class;
    uint64_t entry;
    const Seg *segs;
    unsigned nsegs;
    const char *interp;
    bool gnu_stack_exec;
    size_t truncate_to; /* 0: whole file */
} ElfSpec;

/* Writes an ELF file: headers at 0, then each segment's bytes (byte i of the file is
 * i & 0xff so contents are checkable) up to the largest offset + filesz. */
static char *write_elf(const char *dir, const char *name, const ElfSpec *s)
{
    g_autofree uint8_t *buf = NULL;
    unsigned nph = s->nsegs + (s->interp ? 1 : 0) + 1;
    size_t size = 0x200, interp_off = 0x180;
    Elf64_Ehdr *eh;
    Elf64_Phdr *ph;
    char *path = g_build_filename(dir, name, NULL);

    for (unsigned i = 0; i < s->nsegs; i++) {
        size = MAX(size, s->segs[i].offset + s->segs[i].filesz);
    }
    buf = g_malloc0(size);
    for (size_t i = 0x200; i < size; i++) {
        buf[i] = (uint8_t)i;
    }
    eh = (Elf64_Ehdr *)buf;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = s->class ? s->class : ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = s->type;
    eh->e_machine = s->machine ? s->machine : EM_RISCV;
    eh->e_version = EV_CURRENT;
    eh->e_entry = s->entry;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = nph;
    ph = (Elf64_Phdr *)(buf + eh->e_phoff);
    if (s->interp) {
        ph->p_type = PT_INTERP;
        ph->p_offset = interp_off;
        ph->p_filesz = strlen(s->interp) + 1;
        strcpy((char *)buf + interp_off, s->interp);
        ph++;
    }
    ph->p_type = PT_GNU_STACK;
    ph->p_flags = PF_R | PF_W | (s->gnu_stack_exec ? PF_X : 0);
    ph++;
    for (unsigned i = 0; i < s->nsegs; i++, ph++) {
        ph->p_type = PT_LOAD;
        ph->p_flags = s->segs[i].flags;
        ph->p_offset = s->segs[i].offset;
        ph->p_vaddr = ph->p_paddr = s->segs[i].vaddr;
        ph->p_filesz = s->segs[i].filesz;
        ph->p_memsz = s->segs[i].memsz;
        ph->p_align = 4096;
    }
    g_assert_true(
        g_file_set_contents(path, (char *)buf, s->truncate_to ? s->truncate_to : size, NULL));
    return path;
}

/* A static program: text (with the headers) at 0x10000, data + bss at 0x12100. */
static const Seg static_segs[] = {
    {.vaddr = 0x10000, .offset = 0, .filesz = 0x1800, .memsz = 0x1800, .flags = PF_R | PF_X},
    {.vaddr = 0x12100, .offset = 0x2100, .filesz = 0x100, .memsz = 0x3000, .flags = PF_R | PF_W},
};

typedef struct Fixture {
    char *dir;
    UserMem mem;
    UserImage img;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    f->dir = g_dir_make_tmp("vmd-user-elf-XXXXXX", &error);
    g_assert_no_error(error);
    g_assert_true(user_mem_init(&f->mem, SPACE, 0, &error));
    f->mem.mmap_base = SPACE - (256ull << 20);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
    const char *n;

    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(f->dir, n, NULL);
        g_unlink(p);
    }
    g_rmdir(f->dir);
    g_free(f->dir);
    user_image_clear(&f->img);
    user_mem_destroy(&f->mem);
}

static void test_static(Fixture *f, gconstpointer data)
{
    ElfSpec s = {.type = ET_EXEC, .entry = 0x10400, .segs = static_segs, .nsegs = 2};
    g_autofree char *path = write_elf(f->dir, "static", &s);
    g_autoptr(GError) error = NULL;
    const uint8_t *p;

    g_assert_true(user_elf_load(&f->mem, path, NULL, 0, &f->img, &error));
    g_assert_no_error(error);
    g_assert_cmphex(f->img.entry, ==, 0x10400);
    g_assert_cmphex(f->img.prog_entry, ==, 0x10400);
    g_assert_cmphex(f->img.load_bias, ==, 0);
    g_assert_cmphex(f->img.interp_base, ==, 0);
    g_assert_null(f->img.interp);
    g_assert_cmphex(f->img.phdr, ==, 0x10000 + sizeof(Elf64_Ehdr));
    g_assert_cmpuint(f->img.phnum, ==, 3);
    g_assert_false(f->img.exec_stack);
    /* brk: the page after the end of bss */
    g_assert_cmphex(f->img.brk, ==, 0x16000);
    g_assert_cmphex(f->mem.brk, ==, 0x16000);

    /* Text pages are r-x; the page shared by nothing is gone; data pages rw-. */
    g_assert_cmpint(user_mem_prot(&f->mem, 0x10000), ==, PROT_READ | PROT_EXEC);
    g_assert_cmpint(user_mem_prot(&f->mem, 0x11000), ==, PROT_READ | PROT_EXEC);
    g_assert_cmpint(user_mem_prot(&f->mem, 0x12000), ==, PROT_READ | PROT_WRITE);
    g_assert_cmpint(user_mem_prot(&f->mem, 0x15000), ==, PROT_READ | PROT_WRITE);
    g_assert_cmpint(user_mem_prot(&f->mem, 0x16000), ==, -1);
    g_assert_cmpint(user_mem_prot(&f->mem, 0xf000), ==, -1);

    /* File bytes where they belong, zero bss after them. */
    p = user_mem_g2h(&f->mem, 0x10000);
    g_assert_cmpmem(p, 4, ELFMAG, 4);
    p = user_mem_g2h(&f->mem, 0x12100);
    for (unsigned i = 0; i < 0x100; i++) {
        g_assert_cmpuint(p[i], ==, (uint8_t)(0x2100 + i));
    }
    for (unsigned i = 0x100; i < 0x3000; i++) {
        g_assert_cmpuint(p[i], ==, 0);
    }
    /* Before the data segment in its first page: zero, not file bytes. */
    g_assert_cmpuint(((uint8_t *)user_mem_g2h(&f->mem, 0x12000))[0], ==, 0);
}

static void test_pie(Fixture *f, gconstpointer data)
{
    const Seg segs[] = {
        {.vaddr = 0, .offset = 0, .filesz = 0x1000, .memsz = 0x1000, .flags = PF_R | PF_X},
        {.vaddr = 0x1000, .offset = 0x1000, .filesz = 0x10, .memsz = 0x10, .flags = PF_R | PF_W},
    };
    ElfSpec s = {.type = ET_DYN, .entry = 0x200, .segs = segs, .nsegs = 2, .gnu_stack_exec = true};
    g_autofree char *path = write_elf(f->dir, "pie", &s);
    g_autoptr(GError) error = NULL;

    g_assert_true(user_elf_load(&f->mem, path, NULL, 0x40000000, &f->img, &error));
    g_assert_cmphex(f->img.load_bias, ==, 0x40000000);
    g_assert_cmphex(f->img.entry, ==, 0x40000200);
    g_assert_cmphex(f->img.phdr, ==, 0x40000040);
    g_assert_true(f->img.exec_stack);
    g_assert_cmpint(user_mem_prot(&f->mem, 0x40001000), ==, PROT_READ | PROT_WRITE);
}

/* A dynamic program: the interpreter comes from the -L prefix, at a free address. */
static void test_interp(Fixture *f, gconstpointer data)
{
    const Seg ld_segs[] = {
        {.vaddr = 0, .offset = 0, .filesz = 0x1000, .memsz = 0x2000, .flags = PF_R | PF_X},
    };
    ElfSpec ld = {.type = ET_DYN, .entry = 0x100, .segs = ld_segs, .nsegs = 1};
    ElfSpec prog = {.type = ET_EXEC,
                    .entry = 0x10400,
                    .segs = static_segs,
                    .nsegs = 2,
                    .interp = "/lib/ld-test.so.1"};
    g_autofree char *libdir = g_build_filename(f->dir, "lib", NULL);
    g_autofree char *ldpath = NULL, *path = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(g_mkdir(libdir, 0755), ==, 0);
    ldpath = write_elf(libdir, "ld-test.so.1", &ld);
    path = write_elf(f->dir, "dyn", &prog);
    g_assert_true(user_elf_load(&f->mem, path, f->dir, 0, &f->img, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(f->img.interp, ==, "/lib/ld-test.so.1");
    g_assert_cmpstr(f->img.interp_path, ==, ldpath);
    g_assert_cmphex(f->img.interp_base, !=, 0);
    g_assert_cmphex(f->img.interp_base & 4095, ==, 0);
    g_assert_cmphex(f->img.entry, ==, f->img.interp_base + 0x100);
    g_assert_cmphex(f->img.prog_entry, ==, 0x10400);
    /* top-down below mmap_base */
    g_assert_cmphex(f->img.interp_base + 0x2000, <=, f->mem.mmap_base);
    g_unlink(ldpath);
    g_rmdir(libdir);
}

static void test_interp_missing(Fixture *f, gconstpointer data)
{
    ElfSpec prog = {.type = ET_EXEC,
                    .entry = 0x10400,
                    .segs = static_segs,
                    .nsegs = 2,
                    .interp = "/nonexistent/ld.so"};
    g_autofree char *path = write_elf(f->dir, "dyn", &prog);
    g_autoptr(GError) error = NULL;

    g_assert_false(user_elf_load(&f->mem, path, f->dir, 0, &f->img, &error));
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "/nonexistent/ld.so"));
}

typedef struct BadCase {
    const char *name;
    const char *expect; /* part of the message */
} BadCase;

static void load_bad(Fixture *f, const ElfSpec *s, const char *expect)
{
    g_autofree char *path = write_elf(f->dir, "bad", s);
    g_autoptr(GError) error = NULL;

    g_assert_false(user_elf_load(&f->mem, path, NULL, 0, &f->img, &error));
    g_assert_nonnull(error);
    if (g_test_verbose()) {
        g_test_message("%s", error->message);
    }
    g_assert_nonnull(strstr(error->message, expect));
    /* Nothing of the bad program stays mapped below the stack area. */
    g_assert_cmpint(user_mem_prot(&f->mem, 0x10000), ==, -1);
}

static void test_bad(Fixture *f, gconstpointer data)
{
    ElfSpec s = {.type = ET_EXEC, .entry = 0x10400, .segs = static_segs, .nsegs = 2};
    Seg segs[2];

    s.truncate_to = 10;
    load_bad(f, &s, "truncated");
    s.truncate_to = 0x300; /* headers fine, segment data missing */
    load_bad(f, &s, "past the end of the file");
    s.truncate_to = 0;
    s.class = ELFCLASS32;
    load_bad(f, &s, "64-bit");
    s.class = 0;
    s.machine = EM_X86_64;
    load_bad(f, &s, "RISC-V");
    s.machine = 0;
    s.type = ET_REL;
    load_bad(f, &s, "not an executable");
    s.type = ET_EXEC;

    memcpy(segs, static_segs, sizeof(segs));
    s.segs = segs;
    segs[1].vaddr = 0x10800; /* inside the text segment */
    load_bad(f, &s, "overlapping");
    memcpy(segs, static_segs, sizeof(segs));
    segs[1].memsz = 1ull << 40;
    load_bad(f, &s, "does not fit");
    memcpy(segs, static_segs, sizeof(segs));
    segs[1].vaddr = UINT64_MAX - 0x1000;
    load_bad(f, &s, "does not fit");
    memcpy(segs, static_segs, sizeof(segs));
    segs[1].filesz = segs[1].memsz + 1;
    load_bad(f, &s, "file size larger");
    memcpy(segs, static_segs, sizeof(segs));
    segs[0].vaddr = 0;
    segs[0].filesz = segs[0].memsz = 0x100;
    load_bad(f, &s, "below the lowest");
    s.segs = static_segs;
    s.entry = 1ull << 50;
    load_bad(f, &s, "entry point");
}

static void test_not_elf(Fixture *f, gconstpointer data)
{
    g_autofree char *path = g_build_filename(f->dir, "script", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(path, "#!/bin/sh\necho hi\n", -1, NULL));
    g_assert_false(user_elf_load(&f->mem, path, NULL, 0, &f->img, &error));
    g_assert_nonnull(strstr(error->message, "not an ELF file"));
    g_clear_error(&error);
    g_assert_false(user_elf_load(&f->mem, f->dir, NULL, 0, &f->img, &error));
    g_assert_nonnull(strstr(error->message, "not a regular file"));
    g_clear_error(&error);
    g_assert_false(user_elf_load(&f->mem, "/nonexistent", NULL, 0, &f->img, &error));
    g_assert_nonnull(error);
}

static uint64_t get64(UserMem *m, uint64_t a)
{
    uint64_t v;

    memcpy(&v, user_mem_g2h(m, a), 8);
    return v;
}

static uint64_t auxv_get(UserMem *m, const UserStackLayout *l, uint64_t type, bool *found)
{
    for (uint64_t a = l->auxv; a < l->auxv + l->auxv_len; a += 16) {
        if (get64(m, a) == type) {
            *found = true;
            return get64(m, a + 8);
        }
    }
    *found = false;
    return 0;
}

static void test_stack(Fixture *f, gconstpointer data)
{
    ElfSpec s = {.type = ET_EXEC, .entry = 0x10400, .segs = static_segs, .nsegs = 2};
    g_autofree char *path = write_elf(f->dir, "static", &s);
    char *argv[] = {"prog", "a", "bc", NULL};
    char *envp[] = {"X=1", "LONGER=value", NULL};
    UserStackParams params = {
        .uid = 1, .euid = 2, .gid = 3, .egid = 4, .hwcap = TARGET_HWCAP_RV64GC};
    uint64_t top = SPACE, low = SPACE - (1 << 20), p;
    UserStackLayout l;
    g_autoptr(GError) error = NULL;
    bool found;

    for (int i = 0; i < 16; i++) {
        params.random[i] = 0xa0 + i;
    }
    g_assert_true(user_elf_load(&f->mem, path, NULL, 0, &f->img, &error));
    g_assert_cmpint(
        user_mem_map_fixed_anon(&f->mem, low, top - low, PROT_READ | PROT_WRITE, USER_VMA_STACK),
        ==, 0);
    g_assert_true(user_stack_build(&f->mem, low, top, argv, envp, "/path/prog", &f->img, &params,
                                   &l, &error));
    g_assert_no_error(error);
    g_assert_cmphex(l.sp & 15, ==, 0);
    g_assert_cmpuint(get64(&f->mem, l.sp), ==, 3);
    g_assert_cmphex(l.argv, ==, l.sp + 8);
    for (int i = 0; i < 3; i++) {
        g_assert_cmpstr(user_mem_g2h(&f->mem, get64(&f->mem, l.argv + 8 * i)), ==, argv[i]);
    }
    g_assert_cmpuint(get64(&f->mem, l.argv + 24), ==, 0);
    g_assert_cmphex(l.envp, ==, l.argv + 32);
    g_assert_cmpstr(user_mem_g2h(&f->mem, get64(&f->mem, l.envp)), ==, "X=1");
    g_assert_cmpstr(user_mem_g2h(&f->mem, get64(&f->mem, l.envp + 8)), ==, "LONGER=value");
    g_assert_cmpuint(get64(&f->mem, l.envp + 16), ==, 0);
    g_assert_cmphex(l.auxv, ==, l.envp + 24);
    /* Strings sit at the top in the kernel's order: argv, envp, then execfn. */
    p = get64(&f->mem, l.argv);
    g_assert_cmphex(p, <, get64(&f->mem, l.envp));
    g_assert_cmphex(get64(&f->mem, l.envp + 8), <, l.execfn);
    g_assert_cmphex(l.execfn + strlen("/path/prog") + 1, ==, top - 8);

    g_assert_cmpuint(auxv_get(&f->mem, &l, TARGET_AT_PAGESZ, &found), ==, 4096);
    g_assert_cmphex(auxv_get(&f->mem, &l, TARGET_AT_PHDR, &found), ==, f->img.phdr);
    g_assert_cmpuint(auxv_get(&f->mem, &l, TARGET_AT_PHENT, &found), ==, sizeof(Elf64_Phdr));
    g_assert_cmpuint(auxv_get(&f->mem, &l, TARGET_AT_PHNUM, &found), ==, 3);
    g_assert_cmphex(auxv_get(&f->mem, &l, TARGET_AT_ENTRY, &found), ==, 0x10400);
    g_assert_cmphex(auxv_get(&f->mem, &l, TARGET_AT_BASE, &found), ==, 0);
    g_assert_true(found);
    g_assert_cmpuint(auxv_get(&f->mem, &l, TARGET_AT_UID, &found), ==, 1);
    g_assert_cmpuint(auxv_get(&f->mem, &l, TARGET_AT_EUID, &found), ==, 2);
    g_assert_cmpuint(auxv_get(&f->mem, &l, TARGET_AT_GID, &found), ==, 3);
    g_assert_cmpuint(auxv_get(&f->mem, &l, TARGET_AT_EGID, &found), ==, 4);
    g_assert_cmpuint(auxv_get(&f->mem, &l, TARGET_AT_SECURE, &found), ==, 0);
    g_assert_cmpuint(auxv_get(&f->mem, &l, TARGET_AT_CLKTCK, &found), ==, 100);
    /* rv64imafdc: bits a=0 c=2 d=3 f=5 i=8 m=12 */
    g_assert_cmphex(auxv_get(&f->mem, &l, TARGET_AT_HWCAP, &found), ==, 0x112d);
    g_assert_cmpstr(user_mem_g2h(&f->mem, auxv_get(&f->mem, &l, TARGET_AT_EXECFN, &found)), ==,
                    "/path/prog");
    p = auxv_get(&f->mem, &l, TARGET_AT_RANDOM, &found);
    g_assert_cmpmem(user_mem_g2h(&f->mem, p), 16, params.random, 16);
    /* Linux riscv passes no AT_PLATFORM; there is no vDSO here either. */
    auxv_get(&f->mem, &l, TARGET_AT_PLATFORM, &found);
    g_assert_false(found);
    auxv_get(&f->mem, &l, TARGET_AT_SYSINFO_EHDR, &found);
    g_assert_false(found);
    g_assert_cmpuint(get64(&f->mem, l.auxv + l.auxv_len - 16), ==, TARGET_AT_NULL);
}

static void test_stack_too_small(Fixture *f, gconstpointer data)
{
    g_autofree char *big = g_strnfill(100000, 'x');
    char *argv[] = {"prog", big, NULL};
    char *envp[] = {NULL};
    UserStackParams params = {0};
    UserImage img = {0};
    uint64_t top = SPACE, low = SPACE - 65536;
    UserStackLayout l;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(user_mem_map_fixed_anon(&f->mem, low, top - low, PROT_READ | PROT_WRITE, 0), ==,
                    0);
    g_assert_false(
        user_stack_build(&f->mem, low, top, argv, envp, "prog", &img, &params, &l, &error));
    g_assert_nonnull(strstr(error->message, "too long"));
}

/* The riscv64 busybox that tests/guest/build.sh builds, when it is in the cache. */
static char *find_busybox(void)
{
    const char *env = g_getenv("VMD_GUEST_BUSYBOX");
    g_autofree char *cache = g_build_filename(g_get_user_cache_dir(), "vmd", NULL);
    g_autoptr(GDir) d = NULL;
    const char *n;

    if (env) {
        return g_strdup(env);
    }
    d = g_dir_open(cache, 0, NULL);
    while (d && (n = g_dir_read_name(d))) {
        if (g_str_has_prefix(n, "busybox-")) {
            char *p = g_build_filename(cache, n, "busybox", NULL);
            if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
                return p;
            }
            g_free(p);
        }
    }
    return NULL;
}

static void test_busybox(Fixture *f, gconstpointer data)
{
    g_autofree char *bb = find_busybox();
    g_autoptr(GError) error = NULL;

    if (!bb) {
        g_test_skip("no riscv64 busybox (tests/guest/build.sh busybox, or VMD_GUEST_BUSYBOX)");
        return;
    }
    g_assert_true(user_elf_load(&f->mem, bb, NULL, 0, &f->img, &error));
    g_assert_no_error(error);
    g_assert_null(f->img.interp); /* the recipe links it statically */
    g_assert_cmphex(f->img.entry, >=, f->img.start_code);
    g_assert_cmphex(f->img.entry, <, f->img.end_code);
    g_assert_cmpint(user_mem_prot(&f->mem, f->img.entry & ~4095ull) & PROT_EXEC, ==, PROT_EXEC);
    g_assert_cmphex(f->img.brk, >, f->img.end_code);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn)                                                                              \
    g_test_add("/linux-user/elf/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("static", test_static);
    ADD("pie", test_pie);
    ADD("interp", test_interp);
    ADD("interp-missing", test_interp_missing);
    ADD("bad", test_bad);
    ADD("not-elf", test_not_elf);
    ADD("stack", test_stack);
    ADD("stack-too-small", test_stack_too_small);
    ADD("busybox", test_busybox);
#undef ADD
    return g_test_run();
}
