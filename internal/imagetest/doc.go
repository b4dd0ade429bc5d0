// Package imagetest holds what the tests of images (engine) and of their prefetch (prefetch)
// both need to open an image whose layers are registry blobs: a fetch client for an
// in-process registry and a node config for a test. It is imported by tests only.
package imagetest
