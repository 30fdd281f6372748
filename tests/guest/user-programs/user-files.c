/* File and directory system calls; prints deterministic results. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define CHECK(x) do { if (!(x)) { printf("FAIL line %d: %s (errno %d)\n", __LINE__, #x, errno); exit(1); } } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(void)
{
    char tmpl[] = "/tmp/vmd-user-files-XXXXXX", buf[256], cwd[4096];
    char *names[16];
    int n = 0, fd, p[2];
    struct stat st;
    DIR *d;
    struct dirent *e;

    CHECK(mkdtemp(tmpl));
    CHECK(chdir(tmpl) == 0);
    CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, tmpl) == 0);
    fd = open("a.txt", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0640);
    CHECK(fd >= 0);
    CHECK(write(fd, "hello, world\n", 13) == 13);
    CHECK(fstat(fd, &st) == 0);
    printf("size %lld mode %o nlink %u regular %d\n", (long long)st.st_size, st.st_mode & 0777,
           (unsigned)st.st_nlink, S_ISREG(st.st_mode));
    CHECK(ftruncate(fd, 5) == 0);
    CHECK(close(fd) == 0);
    CHECK(stat("a.txt", &st) == 0 && st.st_size == 5);
    fd = open("a.txt", O_RDWR);
    CHECK(lseek(fd, 1, SEEK_SET) == 1);
    memset(buf, 0, sizeof(buf));
    CHECK(read(fd, buf, sizeof(buf)) == 4);
    printf("read '%s'\n", buf);
    CHECK(pwrite(fd, "J", 1, 0) == 1 && pread(fd, buf, 5, 0) == 5);
    printf("pread '%.5s'\n", buf);
    close(fd);
    CHECK(mkdir("sub", 0755) == 0);
    CHECK(mkdir("sub", 0755) == -1 && errno == EEXIST);
    CHECK(rename("a.txt", "sub/b.txt") == 0);
    CHECK(symlink("sub/b.txt", "link") == 0);
    n = readlink("link", buf, sizeof(buf));
    printf("readlink %.*s\n", n, buf);
    CHECK(lstat("link", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(link("sub/b.txt", "hard") == 0 && stat("hard", &st) == 0);
    printf("nlink after link %u\n", (unsigned)st.st_nlink);
    CHECK(access("hard", R_OK) == 0 && access("nonexistent", F_OK) == -1 && errno == ENOENT);
    CHECK(open("nonexistent", O_RDONLY) == -1 && errno == ENOENT);
    CHECK(chmod("hard", 0600) == 0 && stat("hard", &st) == 0 && (st.st_mode & 0777) == 0600);
    n = 0;
    CHECK((d = opendir(".")) != NULL);
    while ((e = readdir(d)) && n < 16) {
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp);
    printf("dir:");
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
    }
    printf("\n");
    CHECK(pipe(p) == 0 && write(p[1], "xyz", 3) == 3);
    CHECK(dup2(p[0], 10) == 10 && read(10, buf, 3) == 3);
    printf("pipe '%.3s'\n", buf);
    CHECK(fcntl(p[1], F_GETFL) == O_WRONLY);
    CHECK(unlink("link") == 0 && unlink("hard") == 0 && unlink("sub/b.txt") == 0);
    CHECK(rmdir("sub") == 0 && chdir("/") == 0 && rmdir(tmpl) == 0);
    printf("done\n");
    return 0;
}
