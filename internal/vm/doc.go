// Package vm boots a throwaway Linux guest under qemu to run one host command against a real
// kernel with ublk, for machines whose own kernel has none (see ../../../shared/KERNEL.md).
//
// The same executable plays both sides. This package is the host's: Prepare installs the
// tools and caches a Debian kernel; Run writes an initramfs whose /init is the running
// executable itself plus a job description, starts virtiofsd and qemu, relays the guest's
// output and returns its exit status. In the guest, that executable runs as PID 1
// (guest.Main): it loads the ublk, loop and null_blk modules, mounts the host's root
// read-only through virtiofs, chroots into it and runs the command. The command's stdout,
// stderr and exit status come back over three virtio-serial ports; the serial console only
// carries the kernel's log, which the host shows when something went wrong.
//
// The parts with a job of their own are sub-packages:
//
//	job    the host-guest contract: Job, Report, port names, exit statuses
//	guest  PID 1 in the guest: mounts, modules, ports, running the command
//	apt    the machine's apt sources, a private apt for the kernel package, apt-get installs
//	kmod   module dependencies from .modinfo, load order, module files and decompression
//	pvh    the uncompressed kernel out of a bzImage, for qemu's PVH boot
//	cpio   the newc archive writer for the initramfs
package vm
