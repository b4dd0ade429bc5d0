package vm

import (
	"fmt"
	"strings"

	"github.com/dadi-dev/dadi/internal/vm/job"
)

// The guest's virtio-serial ports, as package job names them for both sides.
const (
	portStdout = job.PortStdout
	portStderr = job.PortStderr
	portCtl    = job.PortCtl
)

// qemuFDs are the file descriptor numbers, in qemu, of the socket ends vmrun hands it
// (exec.Cmd.ExtraFiles start at 3). Passing connected sockets instead of paths spares a
// listen-accept dance and a race with qemu's startup.
const (
	fdConsole = 3 + iota
	fdStdout
	fdStderr
	fdCtl
)

// machine is the shape of one boot.
type machine struct {
	CPUs    int
	MemMiB  int
	Accel   string // "tcg" (default) or "kvm"
	Verbose bool
	Kernel  string // vmlinuz
	Initrd  string
	FSSock  string // virtiofsd's vhost-user socket
	Append  string // extra kernel command line
}

// qemuArgs is the qemu-system-x86_64 command line for m.
func qemuArgs(m machine) []string {
	accel, cpu := "tcg,thread=multi", "max"
	if m.Accel == "kvm" {
		accel, cpu = "kvm", "host"
	}
	mem := fmt.Sprintf("%dM", m.MemMiB)
	args := []string{
		"-accel", accel, "-cpu", cpu,
		"-smp", fmt.Sprint(m.CPUs), "-m", mem,
		// No default devices (NIC, VGA, monitor, floppy): the guest needs none, and a
		// monitor on stdio would read vmrun's stdin.
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-kernel", m.Kernel, "-initrd", m.Initrd, "-append", kernelCmdline(m.Verbose, m.Append),
		"-chardev", fmt.Sprintf("socket,id=con,fd=%d", fdConsole), "-serial", "chardev:con",
		// virtio-fs needs guest memory that virtiofsd can map, hence memfd shared.
		"-object", fmt.Sprintf("memory-backend-memfd,id=mem,size=%s,share=on", mem),
		"-numa", "node,memdev=mem",
		"-chardev", "socket,id=vfs,path=" + m.FSSock,
		"-device", "vhost-user-fs-pci,chardev=vfs,tag=host",
		"-device", "virtio-serial-pci,id=vser",
		// Guest code may want entropy early; under TCG the jitter source is slow.
		"-device", "virtio-rng-pci",
	}
	for _, p := range []struct {
		name string
		fd   int
	}{{portStdout, fdStdout}, {portStderr, fdStderr}, {portCtl, fdCtl}} {
		id := strings.TrimPrefix(p.name, "vmrun.")
		args = append(args,
			"-chardev", fmt.Sprintf("socket,id=%s,fd=%d", id, p.fd),
			"-device", fmt.Sprintf("virtserialport,bus=vser.0,chardev=%s,name=%s", id, p.name))
	}
	return args
}

// kernelCmdline keeps the console quiet unless asked, and turns a panic into an immediate
// reboot, which -no-reboot turns into qemu exiting.
func kernelCmdline(verbose bool, extra string) string {
	s := "console=ttyS0 panic=-1"
	if !verbose {
		s += " quiet"
	}
	if extra != "" {
		s += " " + extra
	}
	return s
}
