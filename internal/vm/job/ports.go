package job

// Names of the guest's virtio-serial ports: the host names them on qemu's command line, the
// guest finds them by these names in sysfs, since it has no udev to make
// /dev/virtio-ports links.
const (
	PortStdout = "vmrun.out" // the command's stdout
	PortStderr = "vmrun.err" // the command's stderr
	PortCtl    = "vmrun.ctl" // reports from the guest, the acknowledgement from the host
)
