/* fork, exec, wait, pipes between processes, exit statuses. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    int p[2], status;
    char buf[64];
    pid_t pid;
    ssize_t n;

    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        printf("exec'd child: argc %d argv0 %s arg2 %s env %s\n", argc,
               strcmp(argv[0], "renamed") == 0 ? "renamed" : "self", argv[2],
               getenv("VMD_TEST_VAR") ? getenv("VMD_TEST_VAR") : "unset");
        return 7;
    }
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        dprintf(p[1], "from child, parent matches: %d", getppid() > 1);
        _exit(5);
    }
    close(p[1]);
    n = read(p[0], buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    waitpid(pid, &status, 0);
    printf("%s; exit %d\n", buf, WEXITSTATUS(status));

    printf("waitpid WNOHANG with no child: %d errno %s\n", waitpid(-1, &status, WNOHANG),
           errno == ECHILD ? "ECHILD" : "?");

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char *args[] = { "renamed", "child", "second", NULL };
        setenv("VMD_TEST_VAR", "passed", 1);
        execve("/proc/self/exe", args, environ);
        printf("execve failed: %s\n", strerror(errno));
        _exit(99);
    }
    waitpid(pid, &status, 0);
    printf("exec child exit %d\n", WEXITSTATUS(status));

    char *sargs[] = { argv[0], "child", "spawned", NULL };
    if (posix_spawn(&pid, argv[0], NULL, NULL, sargs, environ) == 0) {
        waitpid(pid, &status, 0);
        printf("posix_spawn child exit %d\n", WEXITSTATUS(status));
    }
    char *bad[] = { "/nonexistent/program", NULL };
    printf("execve missing: %d %s\n", execve(bad[0], bad, environ),
           errno == ENOENT ? "ENOENT" : "?");
    fflush(stdout);
    status = system("exit 3");
    printf("system: exit %d\n", WEXITSTATUS(status));
    return 0;
}
