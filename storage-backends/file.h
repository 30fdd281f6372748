/*
 * The file protocol: a host file or block device seen as a flat array of bytes.
 *
 * This is the lowest layer of the block graph. It knows nothing of nodes or formats:
 * block/file-node.c wraps it into a protocol node. Every function returns 0 (or a
 * length) on success and a negative errno on failure. Reads past the end of the file
 * return zeros, which is what a format driver expects from a sparse host file.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    FILE_PROTO_RDWR = 1 << 0,   /* open for writing too */
    FILE_PROTO_DIRECT = 1 << 1, /* bypass the host page cache (O_DIRECT) */
    FILE_PROTO_CREATE = 1 << 2, /* create the file if it does not exist */
    FILE_PROTO_TRUNC = 1 << 3,  /* truncate to zero length on open */
};

typedef struct FileProto {
    int fd;             /* the open host file, close-on-exec */
    bool read_only;     /* opened without FILE_PROTO_RDWR */
    bool direct;        /* O_DIRECT: I/O goes through an aligned bounce buffer */
    bool no_zero_range; /* FALLOC_FL_ZERO_RANGE failed once with EOPNOTSUPP */
    bool no_punch_hole; /* FALLOC_FL_PUNCH_HOLE failed once with EOPNOTSUPP */
    size_t align;       /* request alignment when direct (logical block size) */
} FileProto;

int file_proto_open(const char *filename, int flags, FileProto **ret_file);
void file_proto_close(FileProto *f);
int file_proto_pread(FileProto *f, uint64_t offset, void *buf, size_t len);
int file_proto_pwrite(FileProto *f, uint64_t offset, const void *buf, size_t len);
int file_proto_flush(FileProto *f);
int file_proto_discard(FileProto *f, uint64_t offset, uint64_t len);
int file_proto_write_zeroes(FileProto *f, uint64_t offset, uint64_t len, bool may_unmap);
int64_t file_proto_length(FileProto *f);
int64_t file_proto_allocated(FileProto *f);
int file_proto_truncate(FileProto *f, uint64_t size);
/* Whether [offset, offset + *pnum) starts with data (true) or a hole (false); *pnum is
 * set to the length of that run, at most len. */
int file_proto_data_status(FileProto *f, uint64_t offset, uint64_t len, bool *ret_data,
                           uint64_t *ret_pnum);
