package vm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// virtiofsdArgs are the flags for serving the host's root on sock: the Rust virtiofsd
// (trixie and later) has its own spelling, the C one in bookworm's qemu takes -o options.
// chroot sandboxing works without user namespaces, which containers often lack.
func virtiofsdArgs(help []byte, sock string) []string {
	if bytes.Contains(help, []byte("--shared-dir")) {
		return []string{"--socket-path=" + sock, "--shared-dir=/", "--cache=auto", "--sandbox=chroot"}
	}
	return []string{"--socket-path=" + sock, "-o", "source=/", "-o", "cache=auto", "-o", "sandbox=chroot", "-f"}
}

// startVirtiofsd starts a virtiofsd for one boot, logging to logPath, and returns once its
// socket exists. It exits by itself when qemu disconnects; the caller still stops it.
func startVirtiofsd(sock, logPath string) (*proc, error) {
	bin, ok := findTool(virtiofsdPaths...)
	if !ok {
		return nil, fmt.Errorf("virtiofsd not found at %v", virtiofsdPaths)
	}
	help, _ := exec.Command(bin, "--help").CombinedOutput()
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("virtiofsd log: %w", err)
	}
	defer logf.Close() // The child has its own copy.
	cmd := exec.Command(bin, virtiofsdArgs(help, sock)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := startProc(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting virtiofsd: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			return p, nil
		}
		if p.exited() {
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("virtiofsd exited before creating its socket: %v\n%s", p.err, tail(log, 20))
		}
		if time.Now().After(deadline) {
			p.stop(time.Second)
			return nil, fmt.Errorf("virtiofsd did not create %s within 10s", sock)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
