// Package guest is vmrun's PID 1 inside the VM (Main): it mounts /proc, /sys and /dev, reads
// the job the host left in the initramfs, loads its kernel modules, opens the virtio-serial
// ports, mounts the host's root read-only through virtiofs with fresh /tmp, /run and kernel
// file systems on top, brings up loopback, chroots and runs the command, relaying its
// output and reporting its exit status before it powers the VM off.
package guest
