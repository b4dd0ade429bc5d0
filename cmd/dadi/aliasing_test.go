package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/ebpf"
	"github.com/dadi-dev/dadi/internal/atomicfile"
	"github.com/dadi-dev/dadi/internal/fixtures"
)

// TestMain lets a test run the dadi command itself in a child process (runMain): exit status
// and stderr as a user sees them, and optionally a file size limit (RLIMIT_FSIZE) that makes
// every write past it fail with EFBIG, a real failing write with no mock.
func TestMain(m *testing.M) {
	if a, ok := os.LookupEnv("DADI_TEST_AS_MAIN"); ok {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			panic(err)
		}
		if s := os.Getenv("DADI_TEST_FSIZE"); s != "" {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				panic(err)
			}
			// Go ignores SIGXFSZ, so a write past the limit returns EFBIG.
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
				panic(err)
			}
		}
		os.Args = append([]string{"dadi"}, args...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runMain runs `dadi args...` as its own process (see TestMain) with writes limited to fsize
// bytes per file (0: no limit) and returns its exit status and stderr.
func runMain(t *testing.T, fsize int64, args ...string) (int, string) {
	t.Helper()
	a, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DADI_TEST_AS_MAIN="+string(a))
	if fsize > 0 {
		cmd.Env = append(cmd.Env, "DADI_TEST_FSIZE="+strconv.FormatInt(fsize, 10))
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stderr.String()
	}
	t.Fatalf("dadi %s: %v", strings.Join(args, " "), err)
	return 0, ""
}

// dirState is every entry of a directory: a file's sha256, a symlink's target. Equal states
// before and after a command mean it changed no byte of any file there and left no temporary.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := map[string]string{}
	for _, e := range es {
		p := filepath.Join(dir, e.Name())
		if e.Type()&os.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				t.Fatal(err)
			}
			s[e.Name()] = "-> " + target
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		s[e.Name()] = hex.EncodeToString(sum[:])
	}
	return s
}

func sameState(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for name, h := range before {
		if after[name] != h {
			t.Errorf("%s: %s changed (sha256 %s -> %q)", what, name, h, after[name])
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s: left %s behind", what, name)
		}
	}
}

// aliasImage lays out, in a fresh directory, an image whose config names its files relatively
// (three lowers, one of them a ZFile, and an upper), and a device trace of reads on it.
func aliasImage(t *testing.T) string {
	t.Helper()
	m := fixtures.Load(t)
	dir := t.TempDir()
	for name, rel := range map[string]string{
		"L0.lsmt": "A/L0.lsmt", "L1.zfile": "A/L1.lz4-4k.zfile", "L2.lsmt": "A/L2.lsmt",
		"up.data": "A/L2.data", "up.index": "A/L2.index",
	} {
		b, err := os.ReadFile(m.Path(rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := `{"lowers":[{"file":"L0.lsmt"},{"file":"L1.zfile"},{"file":"L2.lsmt"}],"upper":{"data":"up.data","index":"up.index"}}`
	if err := os.WriteFile(filepath.Join(dir, "config.v1.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "dev.trace"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := ebpf.NewWriter(f, 0, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint64(4) {
		if err := w.Write(&ebpf.Event{Time: i, Sector: i * 64, Bytes: 8192, Op: ebpf.OpRead}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(0, 0); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writerCase is one file-writing command: its arguments for an output path, in the directory
// of aliasImage, and the inputs its output must never be.
type writerCase struct {
	name   string
	args   func(dir, out string) []string
	inputs []string
}

var writerCases = []writerCase{
	{"zfile compress", func(d, out string) []string { return []string{"zfile", "compress", filepath.Join(d, "L0.lsmt"), out} },
		[]string{"L0.lsmt"}},
	{"zfile decompress", func(d, out string) []string {
		return []string{"zfile", "decompress", filepath.Join(d, "L1.zfile"), out}
	}, []string{"L1.zfile"}},
	{"commit", func(d, out string) []string {
		return []string{"commit", filepath.Join(d, "up.data"), filepath.Join(d, "up.index"), out}
	}, []string{"up.data", "up.index"}},
	{"commit -z -t", func(d, out string) []string {
		return []string{"commit", "-z", "-t", filepath.Join(d, "up.data"), filepath.Join(d, "up.index"), out}
	}, []string{"up.data", "up.index"}},
	{"merge", func(d, out string) []string { return []string{"merge", filepath.Join(d, "config.v1.json"), out} },
		[]string{"config.v1.json", "L0.lsmt", "L1.zfile", "L2.lsmt", "up.data", "up.index"}},
	{"trace convert", func(d, out string) []string {
		return []string{"trace", "convert", "--config", filepath.Join(d, "config.v1.json"), filepath.Join(d, "dev.trace"), out}
	}, []string{"config.v1.json", "dev.trace", "L0.lsmt", "L1.zfile", "L2.lsmt", "up.data", "up.index"}},
	{"trace record", func(d, out string) []string {
		return []string{"trace", "record", "--dev", filepath.Join(d, "dev.trace"), "-o", out}
	}, []string{"dev.trace"}},
	{"serve --file --cpuprofile", func(d, out string) []string {
		return []string{"serve", "--file", filepath.Join(d, "L0.lsmt"), "--cpuprofile", out}
	}, []string{"L0.lsmt"}},
	{"serve --config --cpuprofile", func(d, out string) []string {
		return []string{"serve", "--config", filepath.Join(d, "config.v1.json"), "--cpuprofile", out}
	}, []string{"config.v1.json", "L1.zfile", "up.index"}},
}

// TestWritersRefuseInputs: for every command that writes a file, an output that is one of its
// inputs (the same path, a symlink to it, a hard link of it) is refused with
// ErrOutputIsInput, naming both paths, the process exits 1, and every file in the directory
// keeps its bytes (nothing is left behind either).
func TestWritersRefuseInputs(t *testing.T) {
	for _, c := range writerCases {
		t.Run(c.name, func(t *testing.T) {
			dir := aliasImage(t)
			for _, in := range c.inputs {
				target := filepath.Join(dir, in)
				for _, kind := range []string{"same path", "symlink", "hard link"} {
					out := target
					switch kind {
					case "symlink":
						out = filepath.Join(dir, "out.symlink")
						os.Remove(out)
						if err := os.Symlink(target, out); err != nil {
							t.Fatal(err)
						}
					case "hard link":
						out = filepath.Join(dir, "out.hardlink")
						os.Remove(out)
						if err := os.Link(target, out); err != nil {
							t.Fatal(err)
						}
					}
					what := c.name + ": OUT " + kind + " of " + in
					before := dirState(t, dir)
					_, err := run(t, c.args(dir, out)...)
					if !errors.Is(err, atomicfile.ErrOutputIsInput) {
						t.Errorf("%s: %v, want ErrOutputIsInput", what, err)
					} else if !strings.Contains(err.Error(), out) || !strings.Contains(err.Error(), target) {
						t.Errorf("%s: error %q does not name %s and %s", what, err, out, target)
					}
					code, stderr := runMain(t, 0, c.args(dir, out)...)
					if code != 1 || !strings.Contains(stderr, "refusing to write "+out) {
						t.Errorf("%s: exit %d, stderr %q", what, code, stderr)
					}
					sameState(t, what, before, dirState(t, dir))
				}
			}
		})
	}
}

// TestWritersFailedWriteKeepsOutput: a write that fails part way (the file size limit makes
// the kernel refuse it with EFBIG) fails the command, leaves an existing OUT byte for byte as
// it was and leaves no temporary file in its directory.
func TestWritersFailedWriteKeepsOutput(t *testing.T) {
	for _, c := range []struct {
		name  string
		fsize int64
	}{
		{"zfile compress", 64 << 10},
		{"zfile decompress", 64 << 10},
		{"commit", 32 << 10},
		{"commit -z -t", 16 << 10},
		{"merge", 64 << 10},
		{"trace convert", 16},
	} {
		t.Run(c.name, func(t *testing.T) {
			var wc writerCase
			for _, w := range writerCases {
				if w.name == c.name {
					wc = w
				}
			}
			dir := aliasImage(t)
			out := filepath.Join(dir, "out")
			if err := os.WriteFile(out, []byte("an older output the user still has\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			before := dirState(t, dir)
			code, stderr := runMain(t, c.fsize, wc.args(dir, out)...)
			if code == 0 || !strings.Contains(stderr, "file too large") {
				t.Errorf("exit %d, stderr %q: want the failed write reported", code, stderr)
			}
			sameState(t, c.name, before, dirState(t, dir))
			// Without the limit the same command succeeds over the old output.
			if code, stderr := runMain(t, 0, wc.args(dir, out)...); code != 0 {
				t.Fatalf("without a size limit: exit %d: %s", code, stderr)
			}
			after := dirState(t, dir)
			if after["out"] == before["out"] {
				t.Error("the successful run did not replace the old output")
			}
			delete(after, "out")
			delete(before, "out")
			sameState(t, c.name+" (successful run)", before, after)
		})
	}
}

// TestWritersBadInputKeepsOutput: input errors found after the output was started (a corrupt
// ZFile block, a source that cannot be read, a capture that cannot start) leave an existing
// OUT as it was and no temporary.
func TestWritersBadInputKeepsOutput(t *testing.T) {
	m := fixtures.Load(t)
	dir := t.TempDir()
	b, err := os.ReadFile(m.Path("A/L1.lz4-4k.zfile"))
	if err != nil {
		t.Fatal(err)
	}
	b[600] ^= 0x20 // inside block 0, after the 512-byte header
	bad := filepath.Join(dir, "bad.zfile")
	os.WriteFile(bad, b, 0o644)
	sub := t.TempDir() // a directory: opens, but every read fails
	out := filepath.Join(dir, "out")
	os.WriteFile(out, []byte("precious\n"), 0o644)
	cases := [][]string{
		{"zfile", "decompress", bad, out},
		{"zfile", "compress", sub, out},
	}
	// A real block device, so that trace record gets as far as creating its output; a ring
	// of 3 bytes then fails the capture (with or without BPF on this kernel).
	if es, err := os.ReadDir("/sys/dev/block"); err == nil && len(es) > 0 {
		cases = append(cases, []string{"trace", "record", "--dev", es[0].Name(), "--ring", "3", "-o", out})
	}
	for _, args := range cases {
		before := dirState(t, dir)
		if _, err := run(t, args...); err == nil {
			t.Errorf("dadi %v succeeded", args)
		}
		sameState(t, strings.Join(args[:2], " "), before, dirState(t, dir))
	}
}

// TestCreateOutputsDiffer: create refuses DATA and INDEX that are one file, and never
// touches an existing file, whatever name reaches it.
func TestCreateOutputsDiffer(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "layer")
	_, err := run(t, "create", p, p, "64M")
	if !errors.Is(err, atomicfile.ErrOutputsCollide) {
		t.Errorf("create DATA DATA: %v", err)
	}
	if _, err := os.Lstat(p); err == nil {
		t.Error("create DATA DATA left a file")
	}
	old := filepath.Join(dir, "old")
	os.WriteFile(old, []byte("precious\n"), 0o644)
	os.Symlink(old, filepath.Join(dir, "old.symlink"))
	os.Link(old, filepath.Join(dir, "old.hardlink"))
	for _, args := range [][]string{
		{filepath.Join(dir, "new.data"), old},
		{old, filepath.Join(dir, "new.index")},
		{filepath.Join(dir, "old.symlink"), filepath.Join(dir, "new.index")},
		{filepath.Join(dir, "new.data"), filepath.Join(dir, "old.hardlink")},
		{old, filepath.Join(dir, "old.hardlink")},
	} {
		before := dirState(t, dir)
		if _, err := run(t, append([]string{"create"}, args[0], args[1], "64M")...); err == nil {
			t.Errorf("create %v succeeded", args)
		}
		sameState(t, "create "+strings.Join(args, " "), before, dirState(t, dir))
	}
}
