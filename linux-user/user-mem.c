/*
 * The guest address space: one host reservation, a sorted array of guest areas, and the
 * guest's mmap/munmap/mprotect/mremap/brk on top of them. See user-mem.h for the design.
 *
 * Every host operation inside the reservation uses MAP_FIXED on a range this module has
 * checked; "unmapping" a guest range means mapping fresh PROT_NONE reservation over it.
 */
#include "linux-user/user-mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE          4096ull
#define RESERVE_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

/* Guest MAP_* bits passed on to the host; the others are emulated or dropped. */
#define GUEST_MAP_TYPE            0x0f
#define GUEST_MAP_FIXED           0x10
#define GUEST_MAP_ANONYMOUS       0x20
#define GUEST_MAP_FIXED_NOREPLACE 0x100000
#define GUEST_MAP_PASS            (0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x40000 | 0x80000 | 0xfc000000u)
#define GUEST_MREMAP_MAYMOVE      1
#define GUEST_MREMAP_FIXED        2
#define GUEST_MREMAP_DONTUNMAP    4

static int host_prot(uint32_t prot)
{
    int p = prot & (PROT_READ | PROT_WRITE);

    /* Guest code is read by the translator; host code never runs from guest pages. */
    if (prot & PROT_EXEC) {
        p |= PROT_READ;
    }
    return p;
}

static UserVma *vma_at(UserMem *m, guint i)
{
    return &g_array_index(m->vmas, UserVma, i);
}

/* Index of the first area whose end is above addr (== len when there is none). */
static guint vma_search(UserMem *m, uint64_t addr)
{
    guint lo = 0, hi = m->vmas->len;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (vma_at(m, mid)->end <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static bool range_is_free(UserMem *m, uint64_t start, uint64_t end)
{
    guint i = vma_search(m, start);

    return i >= m->vmas->len || vma_at(m, i)->start >= end;
}

/* True when some executable area overlaps [start, end). */
static bool range_has_exec(UserMem *m, uint64_t start, uint64_t end)
{
    for (guint i = vma_search(m, start); i < m->vmas->len; i++) {
        UserVma *v = vma_at(m, i);
        if (v->start >= end) {
            break;
        }
        if (v->prot & PROT_EXEC) {
            return true;
        }
    }
    return false;
}

/* Notes executable memory in [start, end) for invalidation by unlock_and_invalidate():
 * the translator holds its lock while it asks whether code is readable (which takes
 * ours), so its invalidation must not be called with our lock held. */
static void invalidate_exec(UserMem *m, uint64_t start, uint64_t end)
{
    if (m->invalidate && range_has_exec(m, start, end)) {
        if (m->inval_end <= m->inval_start) {
            m->inval_start = start;
            m->inval_end = end;
        } else {
            m->inval_start = MIN(m->inval_start, start);
            m->inval_end = MAX(m->inval_end, end);
        }
    }
}

static void unlock_and_invalidate(UserMem *m)
{
    uint64_t start = m->inval_start, end = m->inval_end;

    m->inval_start = m->inval_end = 0;
    g_mutex_unlock(&m->lock);
    if (end > start) {
        m->invalidate(m->invalidate_opaque, start, end - start);
    }
}

/* Removes [start, end) from the area array, splitting areas that straddle it. */
static void vma_remove(UserMem *m, uint64_t start, uint64_t end)
{
    guint i = vma_search(m, start);

    while (i < m->vmas->len) {
        UserVma *v = vma_at(m, i);
        if (v->start >= end) {
            break;
        }
        if (v->start < start && v->end > end) {
            UserVma tail = *v;
            tail.offset += end - v->start;
            tail.start = end;
            v->end = start;
            g_array_insert_val(m->vmas, i + 1, tail);
            return;
        }
        if (v->start < start) {
            v->end = start;
            i++;
        } else if (v->end > end) {
            v->offset += end - v->start;
            v->start = end;
            return;
        } else {
            g_array_remove_index(m->vmas, i);
        }
    }
}

static bool vma_mergeable(const UserVma *a, const UserVma *b)
{
    return a->end == b->start && a->prot == b->prot && a->flags == b->flags && a->name == b->name &&
           (a->name == NULL || a->offset + (a->end - a->start) == b->offset);
}

/* Inserts an area into a range that vma_remove() has emptied, merging neighbours. */
static void vma_insert(UserMem *m, const UserVma *nv)
{
    guint i = vma_search(m, nv->start);

    g_array_insert_val(m->vmas, i, *nv);
    if (i + 1 < m->vmas->len && vma_mergeable(vma_at(m, i), vma_at(m, i + 1))) {
        vma_at(m, i)->end = vma_at(m, i + 1)->end;
        g_array_remove_index(m->vmas, i + 1);
    }
    if (i > 0 && vma_mergeable(vma_at(m, i - 1), vma_at(m, i))) {
        vma_at(m, i - 1)->end = vma_at(m, i)->end;
        g_array_remove_index(m->vmas, i);
    }
}

/* Turns [start, end) back into PROT_NONE reservation on the host. */
static int host_reserve(UserMem *m, uint64_t start, uint64_t end)
{
    void *p =
        mmap(user_mem_g2h(m, start), end - start, PROT_NONE, RESERVE_FLAGS | MAP_FIXED, -1, 0);
    return p == MAP_FAILED ? -errno : 0;
}

/* Host space kept PROT_NONE below and above the guest space, when the host picks the
 * place: wild guest addresses a little outside the space then fault instead of reaching
 * host memory. */
#define USER_MEM_GUARD (1ull << 40)

bool user_mem_init(UserMem *m, uint64_t size, uintptr_t fixed_base, GError **error)
{
    uint64_t guard = fixed_base ? 0 : USER_MEM_GUARD;
    int flags = RESERVE_FLAGS | (fixed_base ? MAP_FIXED_NOREPLACE : 0);
    void *p;

    memset(m, 0, sizeof(*m));
    if (size < (64ull << 20) || size > (1ull << 46) || (size & (PAGE - 1))) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "guest address space size %#" G_GINT64_MODIFIER "x is not between 64 MiB "
                    "and 64 TiB in whole pages",
                    size);
        return false;
    }
    if (fixed_base & (PAGE - 1)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "guest base %#" G_GINT64_MODIFIER "x is not page aligned",
                    (uint64_t)fixed_base);
        return false;
    }
    p = mmap((void *)fixed_base, size + 2 * guard, PROT_NONE, flags, -1, 0);
    if (p == MAP_FAILED && guard) {
        guard = 0;
        p = mmap(NULL, size, PROT_NONE, flags, -1, 0);
    }
    if (p == MAP_FAILED || (fixed_base && (uintptr_t)p != fixed_base)) {
        int err = p == MAP_FAILED ? errno : EEXIST;
        if (p != MAP_FAILED) {
            munmap(p, size);
        }
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
                    "cannot reserve %" G_GUINT64_FORMAT " MiB of address space for the guest: %s",
                    size >> 20, g_strerror(err));
        return false;
    }
    m->host_base = (uintptr_t)p + guard;
    m->guard = guard;
    m->size = size;
    m->mmap_base = size;
    g_mutex_init(&m->lock);
    m->vmas = g_array_new(FALSE, FALSE, sizeof(UserVma));
    return true;
}

void user_mem_destroy(UserMem *m)
{
    if (!m->vmas) {
        return;
    }
    munmap((void *)(m->host_base - m->guard), m->size + 2 * m->guard);
    g_array_free(m->vmas, TRUE);
    m->vmas = NULL;
    g_mutex_clear(&m->lock);
}

void user_mem_lock(UserMem *m)
{
    g_mutex_lock(&m->lock);
}

void user_mem_unlock(UserMem *m)
{
    g_mutex_unlock(&m->lock);
}

bool user_mem_access_ok(UserMem *m, uint64_t addr, uint64_t len, uint32_t prot)
{
    uint64_t end, pos = addr;
    bool ok = true;

    if (!user_mem_range_ok(m, addr, len)) {
        return false;
    }
    if (len == 0) {
        return true;
    }
    end = addr + len;
    g_mutex_lock(&m->lock);
    for (guint i = vma_search(m, addr); pos < end; i++) {
        UserVma *v;
        if (i >= m->vmas->len) {
            ok = false;
            break;
        }
        v = vma_at(m, i);
        if (v->start > pos || (v->prot & prot) != prot) {
            ok = false;
            break;
        }
        pos = v->end;
    }
    g_mutex_unlock(&m->lock);
    return ok;
}

bool user_mem_range_has_exec(UserMem *m, uint64_t addr, uint64_t len)
{
    bool r;

    if (!user_mem_range_ok(m, addr, len)) {
        return false;
    }
    g_mutex_lock(&m->lock);
    r = range_has_exec(m, addr, addr + len);
    g_mutex_unlock(&m->lock);
    return r;
}

int user_mem_prot(UserMem *m, uint64_t addr)
{
    int prot = -1;
    guint i;

    g_mutex_lock(&m->lock);
    i = vma_search(m, addr);
    if (i < m->vmas->len && vma_at(m, i)->start <= addr) {
        prot = vma_at(m, i)->prot;
    }
    g_mutex_unlock(&m->lock);
    return prot;
}

int64_t user_mem_strnlen(UserMem *m, uint64_t addr, uint64_t max)
{
    uint64_t pos = addr;

    while (pos - addr < max) {
        uint64_t page_end = (pos | (PAGE - 1)) + 1;
        uint64_t n = MIN(page_end - pos, max - (pos - addr));
        const char *p, *nul;

        if (!user_mem_access_ok(m, pos, 1, PROT_READ)) {
            return -EFAULT;
        }
        p = user_mem_g2h(m, pos);
        nul = memchr(p, 0, n);
        if (nul) {
            return (int64_t)(pos - addr) + (nul - p);
        }
        pos += n;
    }
    return -ENAMETOOLONG;
}

/* Highest free range of len bytes within [lo, hi), or 0. */
static uint64_t find_topdown(UserMem *m, uint64_t len, uint64_t lo, uint64_t hi)
{
    /* Areas before index i end at or below top; each gap is [area i-1 end, top). */
    guint i = vma_search(m, hi);
    uint64_t top = hi;

    if (i < m->vmas->len && vma_at(m, i)->start < hi) {
        top = vma_at(m, i)->start;
    }
    for (;;) {
        uint64_t bottom = i > 0 ? MAX(vma_at(m, i - 1)->end, lo) : lo;
        if (top >= bottom && top - bottom >= len) {
            return top - len;
        }
        if (i == 0) {
            return 0;
        }
        top = vma_at(m, --i)->start;
        if (top < lo + len) {
            return 0;
        }
    }
}

/* Lowest free range of len bytes within [lo, hi), or 0. */
static uint64_t find_bottomup(UserMem *m, uint64_t len, uint64_t lo, uint64_t hi)
{
    for (guint i = vma_search(m, lo); lo + len <= hi; i++) {
        if (i >= m->vmas->len || vma_at(m, i)->start >= lo + len) {
            return lo;
        }
        lo = MAX(lo, vma_at(m, i)->end);
    }
    return 0;
}

static uint64_t find_free_locked(UserMem *m, uint64_t len)
{
    uint64_t a;

    if (len == 0 || len > m->size - USER_MEM_MIN_ADDR) {
        return 0;
    }
    a = find_topdown(m, len, USER_MEM_MIN_ADDR, MIN(m->mmap_base, m->size));
    if (!a) {
        a = find_bottomup(m, len, USER_MEM_MIN_ADDR, m->size);
    }
    return a;
}

uint64_t user_mem_find_free(UserMem *m, uint64_t len)
{
    uint64_t a;

    g_mutex_lock(&m->lock);
    a = find_free_locked(m, user_page_align_up(len));
    g_mutex_unlock(&m->lock);
    return a;
}

static const char *fd_path(int fd)
{
    char link[64], buf[4096];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, buf, sizeof(buf) - 1);
    if (n <= 0) {
        return NULL;
    }
    buf[n] = 0;
    return g_intern_string(buf);
}

/* Picks the guest range for a mapping; 0 or a negative errno in *ret_err. */
static uint64_t mmap_place(UserMem *m, uint64_t addr, uint64_t len, uint32_t flags, int *ret_err)
{
    *ret_err = 0;
    if (flags & (GUEST_MAP_FIXED | GUEST_MAP_FIXED_NOREPLACE)) {
        if (addr & (PAGE - 1)) {
            *ret_err = -EINVAL;
        } else if (!user_mem_range_ok(m, addr, len) || addr < PAGE) {
            *ret_err = addr < PAGE ? -EPERM : -ENOMEM;
        } else if (!(flags & GUEST_MAP_FIXED) && !range_is_free(m, addr, addr + len)) {
            *ret_err = -EEXIST;
        }
        return addr;
    }
    addr &= ~(PAGE - 1);
    if (addr >= USER_MEM_MIN_ADDR && user_mem_range_ok(m, addr, len) &&
        range_is_free(m, addr, addr + len)) {
        return addr;
    }
    addr = find_free_locked(m, len);
    if (!addr) {
        *ret_err = -ENOMEM;
    }
    return addr;
}

int64_t user_mem_mmap(UserMem *m, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags,
                      int fd, uint64_t offset)
{
    uint32_t type = flags & GUEST_MAP_TYPE;
    bool anon = flags & GUEST_MAP_ANONYMOUS;
    int hflags, err;
    bool was_free;
    void *p;
    UserVma v;

    if (len == 0 || (offset & (PAGE - 1)) || type < 1 || type > 3 ||
        (prot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC))) {
        return -EINVAL;
    }
    if (len > m->size) {
        return -ENOMEM;
    }
    len = user_page_align_up(len);
    hflags = type | MAP_FIXED | (anon ? MAP_ANONYMOUS : 0) | (flags & GUEST_MAP_PASS);

    g_mutex_lock(&m->lock);
    addr = mmap_place(m, addr, len, flags, &err);
    if (err) {
        unlock_and_invalidate(m);
        return err;
    }
    was_free = range_is_free(m, addr, addr + len);
    invalidate_exec(m, addr, addr + len);
    p = mmap(user_mem_g2h(m, addr), len, host_prot(prot), hflags, anon ? -1 : fd,
             anon ? 0 : (off_t)offset);
    if (p == MAP_FAILED) {
        err = -errno;
        if (!was_free) {
            /* Linux drops the old mapping of a failed MAP_FIXED too. */
            host_reserve(m, addr, addr + len);
            vma_remove(m, addr, addr + len);
        }
        unlock_and_invalidate(m);
        return err;
    }
    v = (UserVma){
        .start = addr,
        .end = addr + len,
        .prot = prot,
        .flags = (anon ? USER_VMA_ANON : 0) | (type != 2 ? USER_VMA_SHARED : 0),
        .offset = anon ? 0 : offset,
        .name = anon ? NULL : fd_path(fd),
    };
    vma_remove(m, addr, addr + len);
    vma_insert(m, &v);
    unlock_and_invalidate(m);
    return (int64_t)addr;
}

int user_mem_map_fixed_anon(UserMem *m, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags)
{
    UserVma v = {.start = addr, .end = addr + len, .prot = prot, .flags = flags | USER_VMA_ANON};
    void *p;
    int ret = 0;

    if ((addr | len) & (PAGE - 1) || len == 0 || !user_mem_range_ok(m, addr, len)) {
        return -EINVAL;
    }
    g_mutex_lock(&m->lock);
    if (!range_is_free(m, addr, addr + len)) {
        ret = -EEXIST;
    } else {
        p = mmap(user_mem_g2h(m, addr), len, host_prot(prot),
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p == MAP_FAILED) {
            ret = -errno;
        } else {
            vma_insert(m, &v);
        }
    }
    g_mutex_unlock(&m->lock);
    return ret;
}

void user_mem_set_name(UserMem *m, uint64_t start, uint64_t end, const char *name, uint64_t offset)
{
    g_mutex_lock(&m->lock);
    for (guint i = vma_search(m, start); i < m->vmas->len; i++) {
        UserVma *v = vma_at(m, i);
        if (v->start >= end) {
            break;
        }
        v->name = name ? g_intern_string(name) : NULL;
        v->offset = offset + (v->start - start);
    }
    g_mutex_unlock(&m->lock);
}

int user_mem_munmap(UserMem *m, uint64_t addr, uint64_t len)
{
    int ret;

    if ((addr & (PAGE - 1)) || len == 0 || !user_mem_range_ok(m, addr, len)) {
        return -EINVAL;
    }
    len = user_page_align_up(len);
    if (!user_mem_range_ok(m, addr, len)) {
        return -EINVAL;
    }
    g_mutex_lock(&m->lock);
    invalidate_exec(m, addr, addr + len);
    ret = host_reserve(m, addr, addr + len);
    if (ret == 0) {
        vma_remove(m, addr, addr + len);
    }
    unlock_and_invalidate(m);
    return ret;
}

int user_mem_mprotect(UserMem *m, uint64_t addr, uint64_t len, uint32_t prot)
{
    /* PROT_GROWSDOWN/PROT_GROWSUP apply to the range as given here. */
    uint32_t gprot = prot & ~(uint32_t)(0x01000000 | 0x02000000);
    uint64_t end, pos;
    int ret = 0;

    if ((addr & (PAGE - 1)) || (gprot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC))) {
        return -EINVAL;
    }
    len = user_page_align_up(len);
    if (!user_mem_range_ok(m, addr, len)) {
        return -ENOMEM;
    }
    if (len == 0) {
        return 0;
    }
    end = addr + len;
    g_mutex_lock(&m->lock);
    pos = addr;
    for (guint i = vma_search(m, addr); pos < end; i++) {
        if (i >= m->vmas->len || vma_at(m, i)->start > pos) {
            ret = -ENOMEM;
            goto out;
        }
        pos = vma_at(m, i)->end;
    }
    if (mprotect(user_mem_g2h(m, addr), len, host_prot(gprot)) != 0) {
        ret = -errno;
        goto out;
    }
    invalidate_exec(m, addr, end);
    /* Split the areas at the range's ends, then rewrite the protection inside. */
    for (guint i = vma_search(m, addr); i < m->vmas->len; i++) {
        UserVma *v = vma_at(m, i), part;
        if (v->start >= end) {
            break;
        }
        if (v->prot == gprot) {
            continue;
        }
        part = *v;
        part.start = MAX(v->start, addr);
        part.end = MIN(v->end, end);
        part.offset += part.start - v->start;
        part.prot = gprot;
        vma_remove(m, part.start, part.end);
        vma_insert(m, &part);
        i = vma_search(m, part.end) - 1;
    }
out:
    unlock_and_invalidate(m);
    return ret;
}

/* The single area that covers [addr, addr + len), or NULL. */
static UserVma *vma_covering(UserMem *m, uint64_t addr, uint64_t len)
{
    guint i = vma_search(m, addr);

    if (i >= m->vmas->len) {
        return NULL;
    }
    if (vma_at(m, i)->start > addr || vma_at(m, i)->end < addr + len) {
        return NULL;
    }
    return vma_at(m, i);
}

/* Moves [old, old + old_len) to new_addr with new_len; the target range is free. */
static int64_t mremap_move(UserMem *m, UserVma *src, uint64_t old_addr, uint64_t old_len,
                           uint64_t new_len, uint64_t new_addr, bool dontunmap)
{
    UserVma v = *src;
    int hflags = MREMAP_MAYMOVE | MREMAP_FIXED | (dontunmap ? MREMAP_DONTUNMAP : 0);
    void *p;

    v.offset += old_addr - src->start;
    p = mremap(user_mem_g2h(m, old_addr), old_len, new_len, hflags, user_mem_g2h(m, new_addr));
    if (p == MAP_FAILED) {
        return -errno;
    }
    invalidate_exec(m, old_addr, old_addr + old_len);
    if (!dontunmap) {
        host_reserve(m, old_addr, old_addr + old_len);
        vma_remove(m, old_addr, old_addr + old_len);
    }
    v.start = new_addr;
    v.end = new_addr + new_len;
    vma_remove(m, v.start, v.end);
    vma_insert(m, &v);
    return (int64_t)new_addr;
}

/* Grows a mapping in place: the host must see free space after it, so the reservation
 * there is dropped for the moment of the call and restored if the host refuses. */
static int64_t mremap_grow(UserMem *m, UserVma *src, uint64_t old_addr, uint64_t old_len,
                           uint64_t new_len)
{
    uint64_t tail = old_addr + old_len, tail_len = new_len - old_len;
    UserVma v = *src;
    void *p;

    if (munmap(user_mem_g2h(m, tail), tail_len) != 0) {
        return -errno;
    }
    p = mremap(user_mem_g2h(m, old_addr), old_len, new_len, 0);
    if (p == MAP_FAILED) {
        int err = -errno;
        host_reserve(m, tail, tail + tail_len);
        return err;
    }
    v.offset += tail - src->start;
    v.start = tail;
    v.end = tail + tail_len;
    vma_insert(m, &v);
    return (int64_t)old_addr;
}

int64_t user_mem_mremap(UserMem *m, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                        uint32_t flags, uint64_t new_addr)
{
    bool fixed = flags & GUEST_MREMAP_FIXED, maymove = flags & GUEST_MREMAP_MAYMOVE;
    UserVma *src;
    int64_t ret;

    if ((old_addr & (PAGE - 1)) || (flags & ~7u) || (fixed && !maymove) || new_len == 0 ||
        ((flags & GUEST_MREMAP_DONTUNMAP) && (!maymove || old_len != new_len))) {
        return -EINVAL;
    }
    old_len = user_page_align_up(old_len);
    new_len = user_page_align_up(new_len);
    if (old_len == 0 || !user_mem_range_ok(m, old_addr, old_len) ||
        !user_mem_range_ok(m, 0, new_len)) {
        return old_len == 0 ? -EINVAL : -EFAULT;
    }
    if (fixed && ((new_addr & (PAGE - 1)) || !user_mem_range_ok(m, new_addr, new_len) ||
                  (new_addr < old_addr + old_len && old_addr < new_addr + new_len))) {
        return -EINVAL;
    }
    g_mutex_lock(&m->lock);
    src = vma_covering(m, old_addr, old_len);
    if (!src) {
        ret = -EFAULT;
    } else if (fixed) {
        invalidate_exec(m, new_addr, new_addr + new_len);
        ret = mremap_move(m, src, old_addr, old_len, new_len, new_addr,
                          flags & GUEST_MREMAP_DONTUNMAP);
    } else if (new_len < old_len) {
        invalidate_exec(m, old_addr + new_len, old_addr + old_len);
        ret = host_reserve(m, old_addr + new_len, old_addr + old_len);
        if (ret == 0) {
            vma_remove(m, old_addr + new_len, old_addr + old_len);
            ret = (int64_t)old_addr;
        }
    } else if (new_len == old_len && !(flags & GUEST_MREMAP_DONTUNMAP)) {
        ret = (int64_t)old_addr;
    } else if (new_len > old_len && user_mem_range_ok(m, old_addr, new_len) &&
               range_is_free(m, old_addr + old_len, old_addr + new_len) &&
               (ret = mremap_grow(m, src, old_addr, old_len, new_len)) >= 0) {
        /* grown in place */
    } else if (!maymove) {
        ret = -ENOMEM;
    } else {
        uint64_t dest = find_free_locked(m, new_len);
        ret = dest ? mremap_move(m, src, old_addr, old_len, new_len, dest,
                                 flags & GUEST_MREMAP_DONTUNMAP)
                   : -ENOMEM;
    }
    unlock_and_invalidate(m);
    return ret;
}

uint64_t user_mem_brk(UserMem *m, uint64_t new_brk)
{
    uint64_t old_end, new_end;
    UserVma v;

    g_mutex_lock(&m->lock);
    if (new_brk < m->brk_start || new_brk > m->mmap_base || new_brk > m->size) {
        goto out;
    }
    old_end = user_page_align_up(m->brk);
    new_end = user_page_align_up(new_brk);
    if (new_end > old_end) {
        if (!range_is_free(m, old_end, new_end)) {
            goto out;
        }
        if (mmap(user_mem_g2h(m, old_end), new_end - old_end, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
            goto out;
        }
        v = (UserVma){.start = old_end,
                      .end = new_end,
                      .prot = PROT_READ | PROT_WRITE,
                      .flags = USER_VMA_ANON | USER_VMA_HEAP,
                      .name = "[heap]"};
        vma_insert(m, &v);
    } else if (new_end < old_end) {
        if (host_reserve(m, new_end, old_end) != 0) {
            goto out;
        }
        vma_remove(m, new_end, old_end);
    }
    m->brk = new_brk;
out:
    new_brk = m->brk;
    g_mutex_unlock(&m->lock);
    return new_brk;
}

char *user_mem_format_maps(UserMem *m)
{
    GString *s = g_string_new(NULL);

    g_mutex_lock(&m->lock);
    for (guint i = 0; i < m->vmas->len; i++) {
        UserVma *v = vma_at(m, i);
        g_string_append_printf(s,
                               "%08" G_GINT64_MODIFIER "x-%08" G_GINT64_MODIFIER "x %c%c%c%c "
                               "%08" G_GINT64_MODIFIER "x 00:00 0",
                               v->start, v->end, v->prot & PROT_READ ? 'r' : '-',
                               v->prot & PROT_WRITE ? 'w' : '-', v->prot & PROT_EXEC ? 'x' : '-',
                               v->flags & USER_VMA_SHARED ? 's' : 'p', v->offset);
        if (v->name) {
            g_string_append_printf(s, "%*s%s", 10, "", v->name);
        }
        g_string_append_c(s, '\n');
    }
    g_mutex_unlock(&m->lock);
    return g_string_free(s, FALSE);
}
