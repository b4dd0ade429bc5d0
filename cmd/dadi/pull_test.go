package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/fetch/fetchtest"
	"github.com/dadi-dev/dadi/internal/fixtures"
)

// pullSetup pushes a fixture stack to a test registry behind token auth and writes its
// config.v1.json and a global config (cache and credentials in temp dirs).
func pullSetup(t *testing.T, reg *fetchtest.Registry, password string) (cfg, global string, fx fixtures.Fixture) {
	m := fixtures.Load(t)
	for _, f := range m.Fixtures {
		if f.Name == "A-zfile-lz4-4k-crc" {
			fx = f
		}
	}
	dir := t.TempDir()
	var lowers []map[string]any
	for i, l := range fx.Layers {
		b, err := os.ReadFile(m.Path(l.File))
		if err != nil {
			t.Fatal(err)
		}
		lowers = append(lowers, map[string]any{"dir": filepath.Join(dir, "l", string(rune('0'+i))), "digest": reg.Push("team/app", b), "size": len(b)})
	}
	b, _ := json.Marshal(map[string]any{"repoBlobUrl": reg.RepoBlobURL("team/app"), "lowers": lowers})
	cfg = filepath.Join(dir, "config.v1.json")
	os.WriteFile(cfg, b, 0o644)
	cred := fetchtest.WriteCredentials(t, t.TempDir(), reg.Host, reg.User(), password)
	gb, _ := json.Marshal(map[string]any{
		"cacheConfig":      map[string]any{"cacheType": "file", "cacheDir": filepath.Join(dir, "cache"), "cacheSizeGB": 1},
		"credentialConfig": map[string]any{"mode": "file", "path": cred},
	})
	global = filepath.Join(dir, "overlaybd.json")
	os.WriteFile(global, gb, 0o644)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	return cfg, global, fx
}

func TestPull(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{Auth: fetchtest.Token})
	cfg, global, fx := pullSetup(t, reg, reg.Password())
	out, err := run(t, "pull", cfg, "--global-config", global)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "pulled 2 layers") {
		t.Fatalf("output: %s", out)
	}
	// Everything is cached: serving the image asks the registry nothing.
	g, err := loadGlobalConfig(global)
	if err != nil {
		t.Fatal(err)
	}
	before := reg.BlobGets.Load()
	img, err := engine.OpenImage(cfg, engine.OpenOptions{ReadOnly: true, Global: g})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	buf := make([]byte, 1<<20)
	for off := int64(0); off < img.Size(); off += int64(len(buf)) {
		if _, err := img.ReadAt(buf, off); err != nil {
			t.Fatal(err)
		}
	}
	if n := reg.BlobGets.Load() - before; n != 0 {
		t.Fatalf("%d registry requests after pull", n)
	}
	_ = fx
	// A second pull finds everything cached.
	out, err = run(t, "pull", cfg, "--global-config", global)
	if err != nil || !strings.Contains(out, "0 bytes fetched") {
		t.Fatalf("second pull: %v\n%s", err, out)
	}
}

func TestPullWrongCredentials(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{Auth: fetchtest.Token})
	cfg, global, _ := pullSetup(t, reg, "not-the-password")
	out, err := run(t, "pull", cfg, "--global-config", global)
	if err == nil {
		t.Fatalf("pull with wrong credentials succeeded: %s", out)
	}
	msg := err.Error() + out
	if !strings.Contains(msg, reg.Host) || !strings.Contains(msg, "team/app") || strings.Contains(msg, "not-the-password") {
		t.Fatalf("error: %s", msg)
	}
}
