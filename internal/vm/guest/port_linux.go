package guest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// portWait bounds the wait for the virtio-serial ports: the host names them asynchronously
// after the driver has probed.
const portWait = 20 * time.Second

// openPorts opens the named virtio-serial ports. Without udev there are no
// /dev/virtio-ports links, so the names are matched in sysfs against /dev/vportNpM.
func openPorts(names ...string) (map[string]*os.File, error) {
	ports := map[string]*os.File{}
	deadline := time.Now().Add(portWait)
	for len(ports) < len(names) {
		found, _ := filepath.Glob("/sys/class/virtio-ports/*/name")
		for _, nameFile := range found {
			b, err := os.ReadFile(nameFile)
			if err != nil {
				continue
			}
			name := strings.TrimSpace(string(b))
			if ports[name] != nil || !slices.Contains(names, name) {
				continue
			}
			dev := filepath.Join("/dev", filepath.Base(filepath.Dir(nameFile)))
			f, err := os.OpenFile(dev, os.O_RDWR, 0)
			if err != nil {
				continue // devtmpfs may not have the node yet
			}
			ports[name] = f
		}
		if len(ports) == len(names) {
			break
		}
		if time.Now().After(deadline) {
			for _, f := range ports {
				f.Close()
			}
			return nil, fmt.Errorf("virtio-serial ports %v did not all appear within %v (found %v)", names, portWait, found)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ports, nil
}
