/*
 * vmd-img: the disk image tool, like qemu-img. Everything lives in block/img-*.c.
 */
#include "block/img.h"

int main(int argc, char **argv)
{
    return img_main(argc, argv);
}
