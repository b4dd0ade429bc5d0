// Package kmod is the host's stand-in for kmod's tools, for the few modules the guest
// loads: it reads a module's dependencies from its .modinfo ELF section (modinfo -F
// depends), orders modules after their dependencies (modprobe's resolution), finds module
// files in an unpacked kernel package and decompresses them.
package kmod
