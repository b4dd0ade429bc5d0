package kmod

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

func TestFilesAndDecompress(t *testing.T) {
	tree := t.TempDir()
	dir := filepath.Join(tree, "usr/lib/modules/6.12.0-cloud-amd64/kernel/drivers/block")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ublk_drv.ko", "null-blk.ko.xz", "modules.dep"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := Files(tree, "6.12.0-cloud-amd64")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ublk_drv": filepath.Join(dir, "ublk_drv.ko"),
		"null_blk": filepath.Join(dir, "null-blk.ko.xz"),
	}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("Files = %v, want %v", files, want)
	}
	if _, err := Files(tree, "6.1.0-other"); err == nil {
		t.Error("a version without modules must be an error")
	}

	// An uncompressed module is moved; an unknown compression is refused.
	dst := filepath.Join(t.TempDir(), "ublk_drv.ko")
	if err := Decompress(files["ublk_drv"], dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "ublk_drv.ko" {
		t.Errorf("moved module holds %q, %v", b, err)
	}
	if err := Decompress(filepath.Join(dir, "x.ko.zst"), dst); err == nil {
		t.Error("a .ko.zst must be refused")
	}

	// A .ko.xz comes out as its contents, when the host has xz to make one.
	if _, err := exec.LookPath("xz"); err != nil {
		t.Log("xz not installed: .ko.xz decompression not checked")
		return
	}
	src := filepath.Join(t.TempDir(), "loop.ko")
	if err := os.WriteFile(src, []byte("module bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xz", src).CombinedOutput(); err != nil {
		t.Fatalf("xz: %v %s", err, out)
	}
	if err := Decompress(src+".xz", dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "module bytes" {
		t.Errorf("decompressed module holds %q, %v", b, err)
	}
}
