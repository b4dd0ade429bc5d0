package atomicfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// entries lists dir, to see that no temporary file is left behind.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestCheckAliases: the same path, a symlink to an input, a hard link of an input and an
// unclean spelling of a path that does not exist are all refused with ErrOutputIsInput; a
// different file and a new path are fine.
func TestCheckAliases(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	write(t, in, "input")
	sym, hard := filepath.Join(dir, "sym"), filepath.Join(dir, "hard")
	if err := os.Symlink(in, sym); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	other, unrelated := filepath.Join(dir, "other"), filepath.Join(dir, "unrelated")
	write(t, other, "other")
	write(t, unrelated, "unrelated")
	missing := filepath.Join(dir, "missing")
	for _, c := range []struct {
		out, in string
		bad     bool
	}{
		{in, in, true},
		{sym, in, true},
		{in, sym, true},
		{hard, in, true},
		{filepath.Join(dir, ".", "in"), in, true},
		{filepath.Join(dir, "x", "..", "missing"), missing, true},
		{other, in, false},
		{missing, in, false},
		{filepath.Join(dir, "new"), missing, false},
	} {
		err := Check([]string{c.out}, []string{unrelated, c.in})
		if c.bad != errors.Is(err, ErrOutputIsInput) {
			t.Errorf("Check(%s, %s) = %v, want refused %v", c.out, c.in, err, c.bad)
		}
		if c.bad && err != nil && !(bytes.Contains([]byte(err.Error()), []byte(c.out)) && bytes.Contains([]byte(err.Error()), []byte(c.in))) {
			t.Errorf("error %q does not name both %s and %s", err, c.out, c.in)
		}
	}
	if err := Check([]string{in, hard}, nil); !errors.Is(err, ErrOutputsCollide) {
		t.Errorf("two outputs, one file: %v", err)
	}
	if err := Check([]string{missing, filepath.Join(dir, "missing")}, nil); !errors.Is(err, ErrOutputsCollide) {
		t.Errorf("two outputs, one new path: %v", err)
	}
	if err := Check([]string{missing, other}, []string{""}); err != nil {
		t.Errorf("distinct outputs: %v", err)
	}
}

// TestCreateRefusesInput: Create refuses an output aliasing an input before creating
// anything, and the input keeps its bytes.
func TestCreateRefusesInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	write(t, in, "input")
	sym := filepath.Join(dir, "sym")
	os.Symlink(in, sym)
	for _, out := range []string{in, sym} {
		f, err := Create(out, 0o644, in)
		if !errors.Is(err, ErrOutputIsInput) {
			if f != nil {
				f.Abort()
			}
			t.Fatalf("Create(%s): %v", out, err)
		}
	}
	if got := mustRead(t, in); got != "input" {
		t.Errorf("input now %q", got)
	}
	if got := entries(t, dir); len(got) != 2 {
		t.Errorf("directory holds %v", got)
	}
}

// TestCommitReplaces: the destination keeps its old bytes until Commit, then has the new
// ones and its old mode; nothing else is left in the directory.
func TestCommitReplaces(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	write(t, out, "old")
	if err := os.Chmod(out, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Create(out, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("new!"), 0); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, out); got != "old" {
		t.Errorf("before Commit the destination reads %q", got)
	}
	if len(entries(t, dir)) != 2 {
		t.Errorf("no temporary beside the destination: %v", entries(t, dir))
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: nothing
	if got := mustRead(t, out); got != "new!" {
		t.Errorf("after Commit: %q", got)
	}
	st, _ := os.Stat(out)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the old 0600", st.Mode())
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("directory holds %v", got)
	}
	if err := f.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
}

// TestAbortLeavesDestination: Abort removes only the temporary; an existing destination keeps
// its bytes and a new one is never created.
func TestAbortLeavesDestination(t *testing.T) {
	dir := t.TempDir()
	out, fresh := filepath.Join(dir, "out"), filepath.Join(dir, "fresh")
	write(t, out, "old")
	for _, p := range []string{out, fresh} {
		f, err := Create(p, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("partial"))
		f.Abort()
		f.Abort()
	}
	if got := mustRead(t, out); got != "old" {
		t.Errorf("after Abort: %q", got)
	}
	if got := entries(t, dir); len(got) != 1 || got[0] != "out" {
		t.Errorf("directory holds %v", got)
	}
}

// TestCreateFollowsSymlink: an output that is a symlink to another file replaces that file
// and keeps the link.
func TestCreateFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	target, link := filepath.Join(sub, "target"), filepath.Join(dir, "link")
	write(t, target, "old")
	os.Symlink(target, link)
	if err := WriteFile(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, target); got != "new" {
		t.Errorf("target reads %q", got)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link replaced: %v %v", st, err)
	}
}

// TestCreateRefusesNonRegular: a device, a FIFO or a directory at the destination is refused,
// since renaming over it would remove it.
func TestCreateRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{os.DevNull, fifo, dir} {
		if f, err := Create(p, 0o644); !errors.Is(err, ErrNotRegular) {
			if f != nil {
				f.Abort()
			}
			t.Errorf("Create(%s): %v", p, err)
		}
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("directory holds %v", got)
	}
}

// TestCreateNewFileMode: a new output gets perm less the umask, as os.Create's files do.
func TestCreateNewFileMode(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	if err := WriteFile(out, []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(out)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
}
