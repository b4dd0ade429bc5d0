// Package index is the extent index of LSMT layers: which sectors of a virtual disk live where.
//
// Three shapes, one per kind of user:
//   - Static: the immutable sorted segment array of one read-only layer, or the merged view of
//     a whole stack of them (Merge: the top layer wins). Built once, then looked up without
//     locks through a cache-line-sized static search tree (search.go). LookupBatch (batch.go)
//     walks many searches down the tree together, for callers with many ranges at once.
//   - Mutable: the index of a writable layer. Inserts split and override older segments in
//     a copy-on-write B+tree (O(log n) each); readers never take a lock and see one whole
//     version, published atomically; replaced nodes are reused once no reader can hold them.
//   - Segment: the 16-byte packed entry, the same layout as overlaybd's on-disk index entry.
//
// Offsets and lengths are in 512-byte sectors, as on disk.
package index
