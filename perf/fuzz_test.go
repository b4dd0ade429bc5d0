package perf

import "testing"

// FuzzParseMatrix: any input either fails with an error or gives a matrix whose entries can
// be listed, within the entry limit, each with valid knobs.
func FuzzParseMatrix(f *testing.F) {
	for _, s := range []string{
		"rw: randread\nbs: 4k\n",
		"queues: 1 2\ndepth: 32 128\npin: on off 0-1\n",
		"codec: raw lz4 zstd\nzfile_bs: 4k 64k\n# c\nruntime: 3s\n",
		"rw: mixed # x\nimage_size: 1G\nreference: off",
		"bs:4k 8k\n\n\niodepth:1",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMatrix(b, "fuzz", "fuzz")
		if err != nil {
			return
		}
		n := m.Count()
		if n < 1 || n > maxEntries {
			t.Fatalf("count %d", n)
		}
		es := m.Entries()
		if len(es) != n {
			t.Fatalf("%d entries, count %d", len(es), n)
		}
		for _, e := range es {
			j, d := e.Job, e.Daemon
			if j.BS < 512 || j.BS%512 != 0 || j.IODepth < 1 || j.NumJobs < 1 || d.Queues < 1 || d.Depth < 1 {
				t.Fatalf("bad entry %+v", e)
			}
			if d.Codec.ZFile() != (d.ZFileBS != 0) {
				t.Fatalf("zfile_bs %d with codec %s", d.ZFileBS, d.Codec)
			}
		}
	})
}
