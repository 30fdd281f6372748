/*
 * The riscv64 ELF loader and the initial process stack (see elfload.h).
 *
 * Segments are read into anonymous guest memory with pread() rather than mapped from the
 * file: the loader then works for any segment alignment, bss is zero by construction,
 * and no host mapping depends on the file staying the same. Only the program and its
 * interpreter go through here; the interpreter maps shared libraries itself with mmap.
 */
#include "linux-user/elfload.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux-user/user-abi.h"

#define PAGE 4096ull

typedef struct ElfFile {
    const char *path; /* for messages */
    int fd;
    uint64_t size; /* file size */
    Elf64_Ehdr eh;
    Elf64_Phdr *ph; /* e_phnum validated headers */
} ElfFile;

static void elf_close(ElfFile *f)
{
    if (f->fd >= 0) {
        close(f->fd);
    }
    g_free(f->ph);
    f->fd = -1;
    f->ph = NULL;
}

bool user_elf_is_riscv64(const uint8_t *buf, size_t len)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;

    return len >= sizeof(Elf64_Ehdr) && memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
           eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_ident[EI_DATA] == ELFDATA2LSB &&
           eh->e_machine == EM_RISCV;
}

static bool read_exact(ElfFile *f, void *buf, uint64_t len, uint64_t off, GError **error)
{
    uint64_t done = 0;

    if (off > f->size || len > f->size - off) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: truncated ELF file (needs %" G_GUINT64_FORMAT
                    " bytes at offset %" G_GUINT64_FORMAT ", file has %" G_GUINT64_FORMAT ")",
                    f->path, len, off, f->size);
        return false;
    }
    while (done < len) {
        ssize_t n = pread(f->fd, (char *)buf + done, MIN(len - done, 1u << 30), off + done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: read error: %s", f->path,
                        n < 0 ? g_strerror(errno) : "unexpected end of file");
            return false;
        }
        done += n;
    }
    return true;
}

static bool elf_check_header(ElfFile *f, GError **error)
{
    const Elf64_Ehdr *eh = &f->eh;
    const char *why = NULL;

    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
        why = "not an ELF file";
    } else if (eh->e_ident[EI_CLASS] != ELFCLASS64) {
        why = "not a 64-bit ELF file (riscv64 needs ELFCLASS64)";
    } else if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
        why = "not a little-endian ELF file";
    } else if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT) {
        why = "unknown ELF version";
    } else if (eh->e_machine != EM_RISCV) {
        why = "not a RISC-V program (wrong e_machine)";
    } else if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
        why = "not an executable or shared object";
    } else if (eh->e_phentsize != sizeof(Elf64_Phdr)) {
        why = "bad program header size";
    } else if (eh->e_phnum == 0 || eh->e_phnum > USER_MAX_PHNUM) {
        why = "bad number of program headers";
    } else if (eh->e_flags & 0x8) {
        why = "RV32E/RV64E programs are not supported";
    }
    if (why) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", f->path, why);
        return false;
    }
    return true;
}

/* Checks every PT_LOAD against the file and the address space; they must be in
 * ascending address order and must not overlap. */
static bool elf_check_segments(ElfFile *f, uint64_t space, GError **error)
{
    uint64_t prev_end = 0;
    unsigned loads = 0;

    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &f->ph[i];
        const char *why = NULL;

        if (p->p_type == PT_INTERP &&
            (p->p_offset > f->size || p->p_filesz > f->size - p->p_offset || p->p_filesz < 2 ||
             p->p_filesz > PATH_MAX)) {
            why = "bad PT_INTERP";
        }
        if (p->p_type != PT_LOAD || why) {
            goto check;
        }
        if (p->p_filesz > p->p_memsz) {
            why = "segment file size larger than its memory size";
        } else if (p->p_offset > f->size || p->p_filesz > f->size - p->p_offset) {
            why = "segment extends past the end of the file (truncated?)";
        } else if (p->p_vaddr >= space || p->p_memsz > space - p->p_vaddr) {
            why = "segment does not fit the 39-bit guest address space";
        } else if (p->p_memsz && loads && p->p_vaddr < prev_end) {
            why = "overlapping or unsorted PT_LOAD segments";
        }
        if (p->p_memsz) {
            prev_end = p->p_vaddr + p->p_memsz;
            loads++;
        }
    check:
        if (why) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: program header %u: %s",
                        f->path, i, why);
            return false;
        }
    }
    if (!loads) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: no loadable segment", f->path);
        return false;
    }
    return true;
}

static bool elf_open(ElfFile *f, const char *path, uint64_t space, GError **error)
{
    struct stat st;
    uint64_t phsize;

    f->path = path;
    f->ph = NULL;
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        int err = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s", path,
                    g_strerror(err));
        return false;
    }
    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_ACCES, "%s: not a regular file", path);
        goto fail;
    }
    f->size = st.st_size;
    memset(&f->eh, 0, sizeof(f->eh));
    if (!read_exact(f, &f->eh, MIN(f->size, SELFMAG), 0, error)) {
        goto fail;
    }
    if (f->size < SELFMAG || memcmp(f->eh.e_ident, ELFMAG, SELFMAG) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not an ELF file", path);
        goto fail;
    }
    if (!read_exact(f, &f->eh, sizeof(f->eh), 0, error) || !elf_check_header(f, error)) {
        goto fail;
    }
    phsize = (uint64_t)f->eh.e_phnum * sizeof(Elf64_Phdr);
    f->ph = g_new(Elf64_Phdr, f->eh.e_phnum);
    if (!read_exact(f, f->ph, phsize, f->eh.e_phoff, error) ||
        !elf_check_segments(f, space, error)) {
        goto fail;
    }
    return true;
fail:
    elf_close(f);
    return false;
}

static uint32_t seg_prot(const Elf64_Phdr *p)
{
    return (p->p_flags & PF_R ? PROT_READ : 0) | (p->p_flags & PF_W ? PROT_WRITE : 0) |
           (p->p_flags & PF_X ? PROT_EXEC : 0);
}

static void elf_span(const ElfFile *f, uint64_t *ret_lo, uint64_t *ret_hi)
{
    uint64_t lo = UINT64_MAX, hi = 0;

    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &f->ph[i];
        if (p->p_type == PT_LOAD && p->p_memsz) {
            lo = MIN(lo, p->p_vaddr & ~(PAGE - 1));
            hi = MAX(hi, user_page_align_up(p->p_vaddr + p->p_memsz));
        }
    }
    *ret_lo = lo;
    *ret_hi = hi;
}

/* Sets the final protection of each segment's pages: a page shared by two segments
 * gets both protections, and pages between segments are given back. */
static int elf_protect(UserMem *m, const ElfFile *f, uint64_t bias, uint64_t lo, uint64_t hi)
{
    uint64_t done = lo; /* pages below this have their final protection */
    uint32_t last_prot = 0;
    int ret;

    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &f->ph[i];
        uint64_t s, e;
        if (p->p_type != PT_LOAD || !p->p_memsz) {
            continue;
        }
        s = (p->p_vaddr + bias) & ~(PAGE - 1);
        e = user_page_align_up(p->p_vaddr + bias + p->p_memsz);
        if (s < done) {
            /* first page shared with the previous segment */
            ret = user_mem_mprotect(m, s, PAGE, last_prot | seg_prot(p));
            s += PAGE;
        } else if (s > done) {
            ret = user_mem_munmap(m, done, s - done);
        } else {
            ret = 0;
        }
        if (ret == 0 && e > s) {
            ret = user_mem_mprotect(m, s, e - s, seg_prot(p));
        }
        if (ret != 0) {
            return ret;
        }
        done = MAX(done, e);
        last_prot = seg_prot(p);
    }
    return done < hi ? user_mem_munmap(m, done, hi - done) : 0;
}

/* Maps f at load bias (chosen here for ET_DYN) and reads its segments. */
static bool elf_map(UserMem *m, ElfFile *f, uint64_t want_base, uint64_t *ret_bias, GError **error)
{
    uint64_t lo, hi, bias = 0;
    int ret;

    elf_span(f, &lo, &hi);
    if (f->eh.e_type == ET_DYN) {
        uint64_t base = want_base;
        if (!base || !user_mem_range_ok(m, base, hi - lo) ||
            user_mem_map_fixed_anon(m, base, hi - lo, PROT_READ | PROT_WRITE, 0) != 0) {
            base = user_mem_find_free(m, hi - lo);
            if (!base) {
                goto nomem;
            }
            if (user_mem_map_fixed_anon(m, base, hi - lo, PROT_READ | PROT_WRITE, 0) != 0) {
                goto nomem;
            }
        }
        bias = base - lo;
    } else {
        if (lo < USER_MEM_MIN_ADDR) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: segment at %#" G_GINT64_MODIFIER "x is below the lowest mappable "
                        "address %#llx",
                        f->path, lo, USER_MEM_MIN_ADDR);
            return false;
        }
        ret = user_mem_map_fixed_anon(m, lo, hi - lo, PROT_READ | PROT_WRITE, 0);
        if (ret != 0) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: cannot map segments at %#" G_GINT64_MODIFIER "x-%#" G_GINT64_MODIFIER
                        "x: %s",
                        f->path, lo, hi, g_strerror(-ret));
            return false;
        }
    }
    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &f->ph[i];
        if (p->p_type == PT_LOAD && p->p_filesz &&
            !read_exact(f, user_mem_g2h(m, p->p_vaddr + bias), p->p_filesz, p->p_offset, error)) {
            return false;
        }
    }
    ret = elf_protect(m, f, bias, lo + bias, hi + bias);
    if (ret != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot protect segments: %s",
                    f->path, g_strerror(-ret));
        return false;
    }
    user_mem_set_name(m, lo + bias, hi + bias, f->path, 0);
    *ret_bias = bias;
    return true;
nomem:
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                "%s: no room for %" G_GUINT64_FORMAT " bytes of segments in the guest address "
                "space",
                f->path, hi - lo);
    return false;
}

/* AT_PHDR: the program headers' address, from PT_PHDR or the segment holding them. */
static uint64_t elf_phdr_addr(const ElfFile *f, uint64_t bias)
{
    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        if (f->ph[i].p_type == PT_PHDR) {
            return f->ph[i].p_vaddr + bias;
        }
    }
    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &f->ph[i];
        if (p->p_type == PT_LOAD && f->eh.e_phoff >= p->p_offset &&
            f->eh.e_phoff - p->p_offset < p->p_filesz) {
            return p->p_vaddr + (f->eh.e_phoff - p->p_offset) + bias;
        }
    }
    return 0;
}

static char *elf_read_interp(ElfFile *f, GError **error)
{
    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &f->ph[i];
        g_autofree char *s = NULL;
        if (p->p_type != PT_INTERP) {
            continue;
        }
        s = g_malloc(p->p_filesz);
        if (!read_exact(f, s, p->p_filesz, p->p_offset, error)) {
            return NULL;
        }
        if (s[p->p_filesz - 1] != 0 || strlen(s) != p->p_filesz - 1) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: PT_INTERP is not a NUL-terminated path", f->path);
            return NULL;
        }
        return g_steal_pointer(&s);
    }
    return NULL;
}

char *user_prefixed_path(const char *prefix, const char *path)
{
    g_autofree char *p = NULL;
    struct stat st;

    if (!prefix || !*prefix || path[0] != '/' || strcmp(prefix, "/") == 0) {
        return g_strdup(path);
    }
    p = g_build_filename(prefix, path, NULL);
    if (lstat(p, &st) == 0) {
        return g_steal_pointer(&p);
    }
    return g_strdup(path);
}

static bool load_interp(UserMem *m, UserImage *img, const char *ld_prefix, GError **error)
{
    ElfFile f = {.fd = -1};
    uint64_t bias;
    bool ok;

    img->interp_path = user_prefixed_path(ld_prefix, img->interp);
    if (!elf_open(&f, img->interp_path, m->size, error)) {
        g_prefix_error(error, "cannot load the program's interpreter %s: ", img->interp);
        return false;
    }
    ok = elf_map(m, &f, /* want_base= */ 0, &bias, error);
    if (ok) {
        img->interp_base = bias;
        img->entry = f.eh.e_entry + bias;
    }
    elf_close(&f);
    return ok;
}

static void image_note_segments(UserImage *img, const ElfFile *f, uint64_t bias)
{
    uint64_t hi = 0;

    img->start_code = UINT64_MAX;
    img->end_code = 0;
    img->exec_stack = true; /* no PT_GNU_STACK: old toolchains, executable stack */
    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &f->ph[i];
        if (p->p_type == PT_GNU_STACK) {
            img->exec_stack = p->p_flags & PF_X;
        }
        if (p->p_type != PT_LOAD || !p->p_memsz) {
            continue;
        }
        img->start_code = MIN(img->start_code, p->p_vaddr + bias);
        if (p->p_flags & PF_X) {
            img->end_code = MAX(img->end_code, p->p_vaddr + bias + p->p_filesz);
        }
        hi = MAX(hi, p->p_vaddr + bias + p->p_memsz);
    }
    img->brk = user_page_align_up(hi);
}

bool user_elf_load(UserMem *m, const char *path, const char *ld_prefix, uint64_t pie_base,
                   UserImage *img, GError **error)
{
    ElfFile f = {.fd = -1};
    GError *local_err = NULL;
    uint64_t bias;
    bool ok = false;

    memset(img, 0, sizeof(*img));
    if (!elf_open(&f, path, m->size, error)) {
        return false;
    }
    img->interp = elf_read_interp(&f, &local_err);
    if (local_err) {
        g_propagate_error(error, local_err);
        goto out;
    }
    if (f.eh.e_entry >= m->size) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: entry point outside the guest address space", path);
        goto out;
    }
    if (!elf_map(m, &f, pie_base ? pie_base : USER_PIE_BASE, &bias, error)) {
        goto out;
    }
    img->load_bias = bias;
    img->prog_entry = f.eh.e_entry + bias;
    img->entry = img->prog_entry;
    img->phdr = elf_phdr_addr(&f, bias);
    img->phnum = f.eh.e_phnum;
    image_note_segments(img, &f, bias);
    m->brk_start = m->brk = img->brk;
    ok = !img->interp || load_interp(m, img, ld_prefix, error);
out:
    elf_close(&f);
    if (!ok) {
        user_image_clear(img);
    }
    return ok;
}

void user_image_clear(UserImage *img)
{
    g_clear_pointer(&img->interp, g_free);
    g_clear_pointer(&img->interp_path, g_free);
}

/* Copies a string onto the stack below *p; false when it would go below low. */
static bool push_string(UserMem *m, uint64_t *p, uint64_t low, const char *s, uint64_t *ret)
{
    size_t n = strlen(s) + 1;

    if (*p - low < n) {
        return false;
    }
    *p -= n;
    memcpy(user_mem_g2h(m, *p), s, n);
    *ret = *p;
    return true;
}

static void put_u64(UserMem *m, uint64_t addr, uint64_t v)
{
    memcpy(user_mem_g2h(m, addr), &v, sizeof(v));
}

bool user_stack_build(UserMem *m, uint64_t stack_low, uint64_t stack_top, char **argv, char **envp,
                      const char *execfn, const UserImage *img, const UserStackParams *params,
                      UserStackLayout *ret, GError **error)
{
    guint argc = argv ? g_strv_length(argv) : 0, envc = envp ? g_strv_length(envp) : 0;
    g_autofree uint64_t *argv_a = g_new(uint64_t, argc + 1);
    g_autofree uint64_t *envp_a = g_new(uint64_t, envc + 1);
    uint64_t p = stack_top - 8, execfn_a, random_a, sp, words;
    uint64_t aux[2 * 24];
    unsigned n = 0;

    if (!push_string(m, &p, stack_low, execfn, &execfn_a)) {
        goto toobig;
    }
    for (guint i = envc; i-- > 0;) {
        if (!push_string(m, &p, stack_low, envp[i], &envp_a[i])) {
            goto toobig;
        }
    }
    for (guint i = argc; i-- > 0;) {
        if (!push_string(m, &p, stack_low, argv[i], &argv_a[i])) {
            goto toobig;
        }
    }
    p &= ~15ull;
    if (p - stack_low < 16 + 4096) {
        goto toobig;
    }
    p -= 16;
    random_a = p;
    memcpy(user_mem_g2h(m, random_a), params->random, 16);

#define AUX(type, val)                                                                             \
    do {                                                                                           \
        aux[n++] = (type);                                                                         \
        aux[n++] = (val);                                                                          \
    } while (0)
    /* Linux's order: ARCH_DLINFO first (riscv: no vDSO here), then the generic ones. */
    AUX(TARGET_AT_MINSIGSTKSZ, sizeof(TargetRtSigframe));
    AUX(TARGET_AT_HWCAP, params->hwcap);
    AUX(TARGET_AT_PAGESZ, TARGET_PAGE_SIZE);
    AUX(TARGET_AT_CLKTCK, 100);
    AUX(TARGET_AT_PHDR, img->phdr);
    AUX(TARGET_AT_PHENT, sizeof(Elf64_Phdr));
    AUX(TARGET_AT_PHNUM, img->phnum);
    AUX(TARGET_AT_BASE, img->interp_base);
    AUX(TARGET_AT_FLAGS, 0);
    AUX(TARGET_AT_ENTRY, img->prog_entry);
    AUX(TARGET_AT_UID, params->uid);
    AUX(TARGET_AT_EUID, params->euid);
    AUX(TARGET_AT_GID, params->gid);
    AUX(TARGET_AT_EGID, params->egid);
    AUX(TARGET_AT_SECURE, 0);
    AUX(TARGET_AT_RANDOM, random_a);
    AUX(TARGET_AT_EXECFN, execfn_a);
    AUX(TARGET_AT_NULL, 0);
#undef AUX

    words = 1 + (argc + 1) + (envc + 1) + n;
    if ((p - stack_low) / 8 < words + 2) {
        goto toobig;
    }
    sp = (p - words * 8) & ~15ull;
    ret->sp = sp;
    put_u64(m, sp, argc);
    ret->argv = sp + 8;
    argv_a[argc] = 0;
    envp_a[envc] = 0;
    memcpy(user_mem_g2h(m, ret->argv), argv_a, (argc + 1) * 8);
    ret->envp = ret->argv + (argc + 1) * 8;
    memcpy(user_mem_g2h(m, ret->envp), envp_a, (envc + 1) * 8);
    ret->auxv = ret->envp + (envc + 1) * 8;
    ret->auxv_len = n * 8;
    memcpy(user_mem_g2h(m, ret->auxv), aux, n * 8);
    ret->execfn = execfn_a;
    return true;
toobig:
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                "argument list too long for the %" G_GUINT64_FORMAT " KiB guest stack",
                (stack_top - stack_low) >> 10);
    return false;
}
