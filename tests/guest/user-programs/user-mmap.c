/* mmap, munmap, mprotect, mremap, brk and faults on protected pages. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    fault_code = si->si_code;
    siglongjmp(jb, 1);
}

int main(void)
{
    struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
    char path[] = "/tmp/vmd-user-mmap-XXXXXX", buf[16];
    size_t pg = sysconf(_SC_PAGESIZE);
    char *p, *q;
    int fd;

    sigaction(SIGSEGV, &sa, NULL);
    printf("page size %zu\n", pg);
    p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("anon zeroed %d\n", p != MAP_FAILED && p[0] == 0 && p[4 * pg - 1] == 0);
    memset(p, 'a', 4 * pg);
    mprotect(p + pg, pg, PROT_READ);
    if (sigsetjmp(jb, 1) == 0) {
        p[pg] = 'b';
        printf("write to read-only page did not fault\n");
    } else {
        printf("write to read-only page: SIGSEGV %s\n", fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "?");
    }
    munmap(p + 2 * pg, pg);
    if (sigsetjmp(jb, 1) == 0) {
        printf("read of unmapped page: %d\n", p[2 * pg]);
    } else {
        printf("read of unmapped page: SIGSEGV %s\n", fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "?");
    }
    q = mmap(p + 2 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("fixed_noreplace into hole: %d\n", q == p + 2 * pg);
    q = mmap(p, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("fixed_noreplace over mapping: %s\n", q == MAP_FAILED && errno == EEXIST ? "EEXIST" : "?");

    q = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(q, "keep");
    q = mremap(q, pg, 64 * pg, MREMAP_MAYMOVE);
    printf("mremap kept '%s', tail zero %d\n", q, q[64 * pg - 1] == 0);

    fd = mkstemp(path);
    write(fd, "file contents!", 14);
    p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("file map '%.14s'\n", p);
    memcpy(p, "FILE", 4);
    msync(p, pg, MS_SYNC);
    pread(fd, buf, 14, 0);
    printf("after shared write '%.14s'\n", buf);
    unlink(path);

    char *b0 = sbrk(0);
    char *b1 = sbrk(3 * pg);
    b1[3 * pg - 1] = 1;
    printf("sbrk grew %d\n", sbrk(0) == b0 + 3 * pg && b1 == b0);
    printf("done\n");
    return 0;
}
