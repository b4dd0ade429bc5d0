// Package vm boots a throwaway Linux guest under qemu to run one host command against a real
// kernel with ublk, for machines whose own kernel has none (see ../../../shared/KERNEL.md).
//
// The same executable plays both sides. On the host, Run prepares the tools and a cached
// Debian kernel, writes an initramfs whose /init is the running executable itself plus a job
// description, and starts virtiofsd and qemu. In the guest, that executable runs as PID 1
// (GuestMain): it loads the ublk, loop and null_blk modules, mounts the host's root read-only
// through virtiofs, chroots into it and runs the command. The command's stdout, stderr and exit
// status come back over three virtio-serial ports; the serial console only carries the
// kernel's log, which the host shows when something went wrong.
package vm
