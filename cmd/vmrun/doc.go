// Command vmrun runs a command as root inside a fresh VM booted from a kernel with ublk, for
// machines whose own kernel lacks it:
//
//	vmrun [--cpus N] [--mem SIZE] [--timeout D] [--verbose] -- COMMAND [ARGS...]
//	vmrun --prepare
//
// The guest sees the host's root file system read-only at the same paths, with a fresh
// writable /tmp, and /dev, /proc and /sys of its own; ublk_drv, loop and null_blk are loaded.
// COMMAND runs with the host's working directory and environment; its stdout and stderr
// arrive on vmrun's, and vmrun exits with its status. So
//
//	go test -exec 'bin/vmrun --' ./ublk/...
//
// runs each test binary in a VM. The first run installs qemu and friends with apt-get and
// downloads Debian's cloud kernel into ~/.cache/dadi/kernel; --prepare does only that.
//
// Environment: DADI_VM_VERBOSE=1 is --verbose (guest console shown live); DADI_VM_ACCEL=kvm
// uses KVM instead of TCG emulation; DADI_VM_KERNEL_DIR names a directory with vmlinuz and
// *.ko to boot instead of the download; DADI_VM_MIRROR overrides the Debian mirror, which is
// otherwise read from the machine's apt sources; DADI_VM_APPEND adds to the guest kernel's
// command line.
//
// COMMAND's stdin is /dev/null. The host's /tmp is hidden by the guest's, except that COMMAND
// itself is copied in when it lives there (go test -exec builds test binaries there); files
// COMMAND writes to /tmp or anywhere else vanish with the VM.
//
// Exit status: COMMAND's (128+N if signal N killed it); 124 on --timeout; 125 if the VM
// could not run it; 126 if COMMAND is not executable, 127 if it is not found; 2 on a usage
// error.
//
// vmrun is also the guest's init: run as PID 1 with a job in its initramfs, it sets the
// guest up and runs the job instead (see internal/vm/guest).
package main
