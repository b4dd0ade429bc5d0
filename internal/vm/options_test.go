package vm

import (
	"slices"
	"strings"
	"testing"
)

func TestParseMem(t *testing.T) {
	for in, want := range map[string]int{
		"2G": 2048, "2g": 2048, "2GiB": 2048, "2048": 2048, "512M": 512, "512MB": 512,
		"1.5G": 1536, "1T": 1 << 20, "1048576K": 1024,
	} {
		if got, err := ParseMem(in); err != nil || got != want {
			t.Errorf("ParseMem(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	// 512X read as 512 MiB before sizes went through internal/units: a stray letter was dropped.
	for _, in := range []string{"", "G", "-1G", "lots", "100M", "2X", "512X", "2Q", "2P"} {
		if got, err := ParseMem(in); err == nil {
			t.Errorf("ParseMem(%q) = %d, want an error", in, got)
		}
	}
}

func TestQemuArgs(t *testing.T) {
	args := qemuArgs(machine{CPUs: 3, MemMiB: 1024, Kernel: "/k", Initrd: "/i", FSSock: "/s"})
	line := strings.Join(args, " ")
	for _, want := range []string{
		"-accel tcg,thread=multi -cpu max", "-smp 3", "-m 1024M",
		"memory-backend-memfd,id=mem,size=1024M,share=on", "-numa node,memdev=mem",
		"-kernel /k", "-initrd /i", "socket,id=vfs,path=/s", "vhost-user-fs-pci,chardev=vfs,tag=host",
		"-no-reboot", "-nodefaults", "name=" + portStdout, "name=" + portStderr, "name=" + portCtl,
	} {
		if !strings.Contains(line, want) {
			t.Errorf("qemu args lack %q:\n%s", want, line)
		}
	}
	i := slices.Index(args, "-append")
	if i < 0 || !strings.Contains(args[i+1], "console=ttyS0") || !strings.Contains(args[i+1], "quiet") {
		t.Errorf("kernel command line: %v", args)
	}
	kvm := strings.Join(qemuArgs(machine{CPUs: 1, MemMiB: 512, Accel: "kvm", Verbose: true, Append: "x=1"}), " ")
	if !strings.Contains(kvm, "-accel kvm -cpu host") || strings.Contains(kvm, "quiet") || !strings.Contains(kvm, "panic=-1 x=1") {
		t.Errorf("kvm/verbose args: %s", kvm)
	}
	if _, err := ParseAccel("xen"); err == nil {
		t.Error("unknown accelerator accepted")
	}
}

func TestVirtiofsdArgs(t *testing.T) {
	c := strings.Join(virtiofsdArgs([]byte("-o source=PATH  shared directory tree"), "/s"), " ")
	if c != "--socket-path=/s -o source=/ -o cache=auto -o sandbox=chroot -f" {
		t.Errorf("C virtiofsd: %s", c)
	}
	rust := strings.Join(virtiofsdArgs([]byte("--shared-dir <SHARED_DIR>"), "/s"), " ")
	if !strings.Contains(rust, "--shared-dir=/") || !strings.Contains(rust, "--sandbox=chroot") {
		t.Errorf("Rust virtiofsd: %s", rust)
	}
}
