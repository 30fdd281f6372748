/* Terminal ioctls on a pseudo-terminal: TIOCGPTN/TIOCSPTLCK (posix_openpt), TCGETS and
 * TCSETS (termios), TIOCSWINSZ/TIOCGWINSZ, FIONREAD, and raw-mode I/O through it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int main(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY), s, n = -1;
    struct termios t;
    struct winsize ws = { .ws_row = 33, .ws_col = 77 }, ws2 = { 0 };
    char buf[32] = { 0 };

    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) {
        printf("no pseudo-terminals here\n");
        return 0;
    }
    s = open(ptsname(m), O_RDWR | O_NOCTTY);
    printf("slave open %d isatty %d\n", s >= 0, isatty(s));
    printf("tcgetattr %d icanon %d echo %d\n", tcgetattr(s, &t), !!(t.c_lflag & ICANON),
           !!(t.c_lflag & ECHO));
    cfmakeraw(&t);
    cfsetspeed(&t, B9600);
    printf("tcsetattr raw %d\n", tcsetattr(s, TCSANOW, &t));
    memset(&t, 0, sizeof(t));
    tcgetattr(s, &t);
    printf("now icanon %d echo %d speed 9600 %d\n", !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO),
           cfgetospeed(&t) == B9600);
    printf("TIOCSWINSZ %d ", ioctl(m, TIOCSWINSZ, &ws));
    printf("TIOCGWINSZ %d rows %d cols %d\n", ioctl(s, TIOCGWINSZ, &ws2), ws2.ws_row, ws2.ws_col);
    write(m, "typed", 5);
    usleep(50000);
    printf("FIONREAD %d bytes %d\n", ioctl(s, FIONREAD, &n), n);
    printf("read '%.*s'\n", (int)read(s, buf, sizeof(buf)), buf);
    printf("unknown ioctl on a pipe: %d\n", ioctl(0, 0x12345678, 0) == -1);
    return 0;
}
