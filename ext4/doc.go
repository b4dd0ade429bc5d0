// Package ext4 reads just enough of an ext4 file system to find where a file's bytes are on
// the disk: the superblock, group descriptors (32- and 64-bit), inodes, extent trees, linear
// and htree directories (an htree reads as linear blocks), symlinks and path lookup. It is
// read-only and never trusts the disk: every number read is checked before it is used, and a
// file system that breaks the format is an ErrCorrupt error.
//
// prefetch uses it for overlaybd's file-list prefetch; the conversion of OCI images will grow
// it into a writer.
package ext4
