// Package cpio writes the "newc" cpio archives the kernel unpacks as an initramfs:
// directories, regular files, symlinks and device nodes, owned by root with mtime 0 so the
// same input gives the same archive.
package cpio
