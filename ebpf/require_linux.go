package ebpf

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/features"
)

// ErrUnsupported marks a machine that cannot run the capture; its message says what is missing.
var ErrUnsupported = errors.New("block tracing is not possible here")

// vmlinuxBTF is where the kernel publishes its own BTF (CONFIG_DEBUG_INFO_BTF).
const vmlinuxBTF = "/sys/kernel/btf/vmlinux"

// Check says, in one error, everything this machine lacks for a capture: root, kernel BTF,
// raw tracepoint programs, ring buffers. Probes are cilium/ebpf's cached feature probes.
func Check() error {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (loading BPF programs needs CAP_BPF and CAP_PERFMON)")
	}
	if _, err := os.Stat(vmlinuxBTF); err != nil {
		missing = append(missing, "kernel BTF ("+vmlinuxBTF+" is missing: a kernel built with CONFIG_DEBUG_INFO_BTF=y)")
	}
	if len(missing) == 0 {
		if err := features.HaveProgramType(ebpf.RawTracepoint); err != nil {
			missing = append(missing, "BPF raw tracepoint programs ("+probeReason(err)+")")
		}
		if err := features.HaveMapType(ebpf.RingBuf); err != nil {
			missing = append(missing, "BPF ring buffers, Linux 5.8+ ("+probeReason(err)+")")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: needs %s", ErrUnsupported, strings.Join(missing, "; "))
	}
	return nil
}

func probeReason(err error) string {
	if errors.Is(err, ebpf.ErrNotSupported) {
		return "not supported by this kernel"
	}
	return err.Error()
}
