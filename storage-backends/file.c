/*
 * The file protocol driver: pread/pwrite on a host file, fdatasync for flush, and
 * fallocate for discard (punch hole) and write-zeroes (zero range, or punch hole when
 * the caller allows unmapping). With O_DIRECT the kernel wants aligned buffers, offsets
 * and lengths; unaligned requests go through a bounce buffer (read-modify-write for the
 * edges of a write). The caller serialises requests to one FileProto (block/ holds a
 * lock per node), so the read-modify-write needs no lock of its own.
 */
#include "storage-backends/file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

int file_proto_open(const char *filename, int flags, FileProto **ret_file)
{
    int oflags = O_CLOEXEC | ((flags & FILE_PROTO_RDWR) ? O_RDWR : O_RDONLY);

    if (flags & FILE_PROTO_CREATE) {
        oflags |= O_CREAT;
    }
    if (flags & FILE_PROTO_TRUNC) {
        oflags |= O_TRUNC;
    }
    if (flags & FILE_PROTO_DIRECT) {
        oflags |= O_DIRECT;
    }
    int fd = open(filename, oflags, 0644);
    if (fd < 0) {
        return -errno;
    }
    FileProto *f = g_new0(FileProto, 1);
    f->fd = fd;
    f->read_only = !(flags & FILE_PROTO_RDWR);
    f->direct = flags & FILE_PROTO_DIRECT;
    f->align = 4096;
    *ret_file = f;
    return 0;
}

void file_proto_close(FileProto *f)
{
    if (!f) {
        return;
    }
    close(f->fd);
    g_free(f);
}

static int pread_full(int fd, uint64_t offset, void *buf, size_t len)
{
    uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (n == 0) {
            memset(p, 0, len); /* past the end of the file reads as zeros */
            return 0;
        }
        p += n;
        offset += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

static int pwrite_full(int fd, uint64_t offset, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (n == 0) {
            return -EIO;
        }
        p += n;
        offset += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

static bool is_aligned(FileProto *f, uint64_t offset, const void *buf, size_t len)
{
    return offset % f->align == 0 && len % f->align == 0 && (uintptr_t)buf % f->align == 0;
}

/* The aligned window [*ret_start, *ret_start + *ret_len) that covers the request. */
static void *bounce_alloc(FileProto *f, uint64_t offset, size_t len, uint64_t *ret_start,
                          size_t *ret_len)
{
    uint64_t start = offset - offset % f->align;
    uint64_t end = offset + len;
    end = (end + f->align - 1) / f->align * f->align;
    void *p = NULL;
    if (posix_memalign(&p, f->align, end - start) != 0) {
        return NULL;
    }
    *ret_start = start;
    *ret_len = end - start;
    return p;
}

int file_proto_pread(FileProto *f, uint64_t offset, void *buf, size_t len)
{
    if (offset > INT64_MAX || len > INT64_MAX - offset) {
        return -EINVAL;
    }
    if (!f->direct || is_aligned(f, offset, buf, len)) {
        return pread_full(f->fd, offset, buf, len);
    }
    uint64_t start;
    size_t blen;
    uint8_t *b = bounce_alloc(f, offset, len, &start, &blen);
    if (!b) {
        return -ENOMEM;
    }
    int ret = pread_full(f->fd, start, b, blen);
    if (ret == 0) {
        memcpy(buf, b + (offset - start), len);
    }
    free(b);
    return ret;
}

int file_proto_pwrite(FileProto *f, uint64_t offset, const void *buf, size_t len)
{
    if (f->read_only) {
        return -EBADF;
    }
    if (offset > INT64_MAX || len > INT64_MAX - offset) {
        return -EINVAL;
    }
    if (!f->direct || is_aligned(f, offset, buf, len)) {
        return pwrite_full(f->fd, offset, buf, len);
    }
    uint64_t start;
    size_t blen;
    uint8_t *b = bounce_alloc(f, offset, len, &start, &blen);
    if (!b) {
        return -ENOMEM;
    }
    int64_t old_len = file_proto_length(f);
    /* Read the whole window: only its edges need it, but it keeps this short. */
    int ret = old_len < 0 ? (int)old_len : pread_full(f->fd, start, b, blen);
    if (ret == 0) {
        memcpy(b + (offset - start), buf, len);
        ret = pwrite_full(f->fd, start, b, blen);
    }
    free(b);
    /* The aligned window may reach past the end: the file grows only to the request. */
    uint64_t want = MAX((uint64_t)MAX(old_len, 0), offset + len);
    if (ret == 0 && start + blen > want && ftruncate(f->fd, (off_t)want) < 0) {
        ret = -errno;
    }
    return ret;
}

int file_proto_flush(FileProto *f)
{
    if (f->read_only) {
        return 0;
    }
    return fdatasync(f->fd) < 0 ? -errno : 0;
}

static int try_fallocate(FileProto *f, int mode, uint64_t offset, uint64_t len, bool *disabled)
{
    if (*disabled) {
        return -ENOTSUP;
    }
    if (fallocate(f->fd, mode, (off_t)offset, (off_t)len) == 0) {
        return 0;
    }
    int ret = -errno;
    if (ret == -EOPNOTSUPP || ret == -ENOSYS) {
        *disabled = true;
        return -ENOTSUP;
    }
    return ret;
}

int file_proto_discard(FileProto *f, uint64_t offset, uint64_t len)
{
    if (f->read_only) {
        return -EBADF;
    }
    return try_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len,
                         &f->no_punch_hole);
}

static int write_zero_buffer(FileProto *f, uint64_t offset, uint64_t len)
{
    const size_t chunk = 1 << 20;
    void *zero = NULL;

    if (posix_memalign(&zero, 4096, chunk) != 0) {
        return -ENOMEM;
    }
    memset(zero, 0, chunk);
    int ret = 0;
    while (len > 0 && ret == 0) {
        size_t n = len < chunk ? (size_t)len : chunk;
        ret = file_proto_pwrite(f, offset, zero, n);
        offset += n;
        len -= n;
    }
    free(zero);
    return ret;
}

int file_proto_write_zeroes(FileProto *f, uint64_t offset, uint64_t len, bool may_unmap)
{
    if (f->read_only) {
        return -EBADF;
    }
    int64_t size = file_proto_length(f);
    if (size < 0) {
        return (int)size;
    }
    /* Punching a hole past the end would not extend the file: only inside it. */
    if (may_unmap && offset + len <= (uint64_t)size) {
        if (file_proto_discard(f, offset, len) == 0) {
            return 0;
        }
    }
    int ret = try_fallocate(f, FALLOC_FL_ZERO_RANGE, offset, len, &f->no_zero_range);
    if (ret != -ENOTSUP) {
        return ret;
    }
    return write_zero_buffer(f, offset, len);
}

int64_t file_proto_length(FileProto *f)
{
    struct stat st;

    if (fstat(f->fd, &st) < 0) {
        return -errno;
    }
    if (S_ISBLK(st.st_mode)) {
        uint64_t bytes = 0;
        if (ioctl(f->fd, BLKGETSIZE64, &bytes) < 0) {
            return -errno;
        }
        return (int64_t)bytes;
    }
    return st.st_size;
}

int64_t file_proto_allocated(FileProto *f)
{
    struct stat st;

    if (fstat(f->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

int file_proto_truncate(FileProto *f, uint64_t size)
{
    if (f->read_only) {
        return -EBADF;
    }
    if (size > INT64_MAX) {
        return -EFBIG;
    }
    return ftruncate(f->fd, (off_t)size) < 0 ? -errno : 0;
}

int file_proto_data_status(FileProto *f, uint64_t offset, uint64_t len, bool *ret_data,
                           uint64_t *ret_pnum)
{
    off_t data = lseek(f->fd, (off_t)offset, SEEK_DATA);

    if (data < 0) {
        if (errno == ENXIO) { /* a hole up to the end of the file */
            *ret_data = false;
            *ret_pnum = len;
            return 0;
        }
        *ret_data = true; /* no SEEK_DATA support: everything is data */
        *ret_pnum = len;
        return 0;
    }
    if ((uint64_t)data > offset) {
        *ret_data = false;
        *ret_pnum = MIN(len, (uint64_t)data - offset);
        return 0;
    }
    off_t hole = lseek(f->fd, (off_t)offset, SEEK_HOLE);
    *ret_data = true;
    *ret_pnum = (hole < 0 || (uint64_t)hole <= offset) ? len : MIN(len, (uint64_t)hole - offset);
    return 0;
}
