/*
 * vmd-user's entry point: programs/vmd-user.c is main() calling this.
 */
#ifndef VMD_LINUX_USER_MAIN_H
#define VMD_LINUX_USER_MAIN_H

/* Runs the riscv64 program named on the command line; returns only on errors (the exit
 * status to use) or for -h/-version. */
int user_main(int argc, char **argv, char **env);

#endif
