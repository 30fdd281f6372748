/*
 * vmd-user: runs a riscv64 Linux program on this host, like qemu-riscv64.
 * Everything lives in linux-user/; see linux-user/user-main.c.
 */
#include <unistd.h>

#include "linux-user/user-main.h"

extern char **environ;

int main(int argc, char **argv)
{
    return user_main(argc, argv, environ);
}
