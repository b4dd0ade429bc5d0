package apt

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Get runs the machine's own apt-get non-interactively, showing its output only if it
// fails. It waits for dpkg's lock rather than failing while another install runs.
func Get(args ...string) error {
	cmd := exec.Command("apt-get", append([]string{"-q", "-o", "DPkg::Lock::Timeout=300"}, args...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("apt-get %s: %w\n%s", strings.Join(args, " "), err, lastLines(out.Bytes(), 40))
	}
	return nil
}
