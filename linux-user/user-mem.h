/*
 * The guest address space of vmd-user.
 *
 * One large PROT_NONE host reservation holds all of guest memory: guest address a is
 * host address host_base + a. Nothing but this module ever maps or unmaps inside it, and
 * it never hands a range back to the host: a guest munmap turns the range back into
 * PROT_NONE reservation, so no host allocation can land between guest pages.
 *
 * A sorted array of areas (like the kernel's VMAs) records what the guest has mapped and
 * with which protection; it answers "may the guest touch this?" for the syscall layer,
 * picks free ranges for mmap without MAP_FIXED (top-down below the stack, like Linux)
 * and formats /proc/self/maps. Host page protections follow the guest's, so host system
 * calls given a guest buffer fail with EFAULT exactly where the guest's kernel would.
 *
 * Functions return a guest address or 0 on success, a negative errno on failure; all of
 * them are thread-safe (one mutex).
 */
#ifndef VMD_LINUX_USER_MEM_H
#define VMD_LINUX_USER_MEM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define USER_MEM_DEFAULT_SIZE (1ull << 38) /* Sv39 user half: 256 GiB */
#define USER_MEM_MIN_ADDR     0x10000ull   /* like vm.mmap_min_addr */

enum {
    USER_VMA_ANON = 1 << 0,   /* anonymous memory */
    USER_VMA_SHARED = 1 << 1, /* MAP_SHARED */
    USER_VMA_STACK = 1 << 2,  /* the initial stack */
    USER_VMA_HEAP = 1 << 3,   /* the brk area */
};

typedef struct UserVma {
    uint64_t start;   /* first guest address, page aligned */
    uint64_t end;     /* one past the last guest address, page aligned */
    uint32_t prot;    /* guest PROT_READ/WRITE/EXEC */
    uint32_t flags;   /* USER_VMA_* */
    uint64_t offset;  /* file offset of start, for file mappings */
    const char *name; /* interned file path, or NULL */
} UserVma;

/* Called with the range of executable guest memory that was unmapped or changed. */
typedef void (*UserMemInvalidateFn)(void *opaque, uint64_t start, uint64_t len);

typedef struct UserMem {
    uintptr_t host_base;            /* host address of guest address 0 */
    uint64_t size;                  /* guest addresses are [0, size) */
    uint64_t guard;                 /* PROT_NONE host space kept on each side of the guest space */
    uint64_t mmap_base;             /* top-down mmap searches start below this */
    uint64_t brk_start;             /* initial program break (end of the loaded program) */
    uint64_t brk;                   /* current program break */
    GMutex lock;                    /* protects everything below and the host mappings */
    GArray *vmas;                   /* UserVma, sorted by start, never overlapping */
    UserMemInvalidateFn invalidate; /* translated-code invalidation, or NULL */
    void *invalidate_opaque;
    uint64_t inval_start; /* code range to invalidate once the lock is dropped */
    uint64_t inval_end;   /* (the translator calls in here with its own lock held) */
} UserMem;

/*
 * Reserves size bytes of host address space (at host address fixed_base unless it is 0)
 * for the guest. Returns false with error set when the host refuses.
 */
bool user_mem_init(UserMem *m, uint64_t size, uintptr_t fixed_base, GError **error);
void user_mem_destroy(UserMem *m);

static inline void *user_mem_g2h(const UserMem *m, uint64_t addr)
{
    return (void *)(m->host_base + (uintptr_t)addr);
}

/*
 * True when a host fault address belongs to the guest: inside the guest space or the
 * guards around it (where guest addresses just outside [0, size), like small negative
 * offsets from a NULL pointer, land); *ret_addr is then the guest address.
 */
static inline bool user_mem_host_fault(const UserMem *m, uintptr_t host, uint64_t *ret_addr)
{
    if (host - (m->host_base - m->guard) >= m->size + 2 * m->guard) {
        return false;
    }
    *ret_addr = (uint64_t)(host - m->host_base);
    return true;
}

/* True when [addr, addr + len) lies inside the guest address space (no wrap-around). */
static inline bool user_mem_range_ok(const UserMem *m, uint64_t addr, uint64_t len)
{
    return addr <= m->size && len <= m->size - addr;
}

/* True when every page of [addr, addr + len) is mapped with at least prot. */
bool user_mem_access_ok(UserMem *m, uint64_t addr, uint64_t len, uint32_t prot);
/* True when some page of [addr, addr + len) is mapped executable. */
bool user_mem_range_has_exec(UserMem *m, uint64_t addr, uint64_t len);
/* The guest protection of the page holding addr, or -1 when it is unmapped. */
int user_mem_prot(UserMem *m, uint64_t addr);
/* Length of the NUL-terminated guest string at addr (< max), -EFAULT or -ENAMETOOLONG. */
int64_t user_mem_strnlen(UserMem *m, uint64_t addr, uint64_t max);

/* The guest system calls. flags/prot are the guest's (asm-generic) values. */
int64_t user_mem_mmap(UserMem *m, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
                      int fd, uint64_t offset);
int user_mem_munmap(UserMem *m, uint64_t addr, uint64_t len);
int user_mem_mprotect(UserMem *m, uint64_t addr, uint64_t len, uint32_t prot);
int64_t user_mem_mremap(UserMem *m, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                        uint32_t flags, uint64_t new_addr);
uint64_t user_mem_brk(UserMem *m, uint64_t new_brk);

/*
 * For the loader: maps anonymous memory at exactly [addr, addr + len) (which must be
 * free) with prot, recording flags. Returns 0 or a negative errno.
 */
int user_mem_map_fixed_anon(UserMem *m, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags);
/* Finds a free range of len bytes: top-down below mmap_base, then bottom-up. 0: none. */
uint64_t user_mem_find_free(UserMem *m, uint64_t len);
/* Names an existing area (for /proc/self/maps): "[stack]", "[heap]", a file path. */
void user_mem_set_name(UserMem *m, uint64_t start, uint64_t end, const char *name, uint64_t offset);

/* /proc/self/maps of the guest, in the kernel's format. */
char *user_mem_format_maps(UserMem *m);

/* Held across fork() so that the child does not inherit a locked mutex. */
void user_mem_lock(UserMem *m);
void user_mem_unlock(UserMem *m);

static inline uint64_t user_page_align_up(uint64_t v)
{
    return (v + 4095) & ~(uint64_t)4095;
}

#endif
