package kmod

import (
	"bytes"
	"debug/elf"
	"fmt"
	"strings"
)

// Name normalises a module name the way the kernel does: "-" and "_" are the same.
func Name(s string) string { return strings.ReplaceAll(s, "-", "_") }

// Depends reads the "depends=" entry of a kernel module's .modinfo section, which is
// what modinfo -F depends prints. Reading the ELF here spares the host kmod.
func Depends(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading module %s: %w", path, err)
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("reading module %s: no .modinfo section", path)
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("reading module %s: .modinfo: %w", path, err)
	}
	return parseModinfoDepends(data), nil
}

// parseModinfoDepends extracts the dependency list from .modinfo's NUL-separated key=value
// strings.
func parseModinfoDepends(modinfo []byte) []string {
	var deps []string
	for _, kv := range bytes.Split(modinfo, []byte{0}) {
		v, ok := bytes.CutPrefix(kv, []byte("depends="))
		if !ok {
			continue
		}
		for _, d := range strings.Split(string(v), ",") {
			if d = strings.TrimSpace(d); d != "" {
				deps = append(deps, Name(d))
			}
		}
	}
	return deps
}
