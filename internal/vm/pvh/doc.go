// Package pvh takes the uncompressed kernel out of a bzImage, so qemu can boot it through
// its PVH entry point: that skips the firmware's real-mode loader and the kernel's
// self-decompression, a second or more per boot under emulation. It reads the x86 boot
// protocol header to find the payload and the ELF notes to check for the PVH entry.
package pvh
