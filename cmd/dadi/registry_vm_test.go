//go:build vm

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dadi-dev/dadi/fetch/fetchtest"
	"github.com/dadi-dev/dadi/internal/fixtures"
	"github.com/dadi-dev/dadi/internal/vmtest"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// distRegistry is the distribution registry (bin/registry, built by `make`) on 127.0.0.1 with
// htpasswd auth. Requests are counted on the server side, from its access log.
type distRegistry struct {
	host, user, pass string
	mu               sync.Mutex
	log              bytes.Buffer
}

func startDistribution(t *testing.T) *distRegistry {
	t.Helper()
	bin := filepath.Join(vmtest.RepoRoot(t), "bin", "registry")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s missing: `make bin/registry` builds it: %v", bin, err)
	}
	dir := t.TempDir()
	r := &distRegistry{user: "dadi", pass: "vm-Secret-77"}
	hash, err := bcrypt.GenerateFromPassword([]byte(r.pass), bcrypt.MinCost)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(r.user+":"+string(hash)+"\n"), 0o600))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r.host = ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s/data
http:
  addr: %s
auth:
  htpasswd:
    realm: dadi-vm-test
    path: %s/htpasswd
`, dir, r.host, dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644))
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &vmtest.LockedBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			r.mu.Lock()
			r.log.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
		}
	}()
	// A Go binary of 30 MB starting under TCG on a loaded host: minutes, polled.
	var status int
	var lastErr error
	up := func() bool {
		c := http.Client{Timeout: vmtest.Scale(10 * time.Second)}
		resp, err := c.Get("http://" + r.host + "/v2/")
		if err != nil {
			lastErr = err
			return false
		}
		resp.Body.Close()
		status = resp.StatusCode
		return true
	}
	if !vmtest.Poll(3*time.Minute, 100*time.Millisecond, up) {
		t.Fatalf("registry did not start in %s (%s scales it): %v\n%s", vmtest.Scale(3*time.Minute), vmtest.ScaleEnv, lastErr, stderr.String())
	}
	require.Equal(t, http.StatusUnauthorized, status, "registry without auth")
	return r
}

// blobGets counts the access-log lines of blob GETs of repo. A log line follows its response,
// later on a loaded host: the count is taken once it holds still for half a second.
func (r *distRegistry) blobGets(repo string) int {
	count := func() int {
		r.mu.Lock()
		defer r.mu.Unlock()
		return strings.Count(r.log.String(), `"GET /v2/`+repo+`/blobs/sha256:`)
	}
	n := count()
	for deadline := time.Now().Add(vmtest.Scale(time.Minute)); ; {
		time.Sleep(vmtest.Scale(500 * time.Millisecond))
		m := count()
		if m == n || time.Now().After(deadline) {
			return m
		}
		n = m
	}
}

func (r *distRegistry) push(t *testing.T, repo string, b []byte) string {
	t.Helper()
	d, err := fetchtest.PushBlob(context.Background(), r.host, repo, r.user, r.pass, b)
	require.NoError(t, err)
	return d
}

// writeRemoteConfig writes a config.v1.json whose lowers are the given blobs of repo.
func writeRemoteConfig(t *testing.T, host, dir, repo string, digests []string, sizes []int) string {
	var lowers []map[string]any
	for i, d := range digests {
		lowers = append(lowers, map[string]any{"dir": filepath.Join(dir, fmt.Sprintf("layer%d", i)), "digest": d, "size": sizes[i]})
	}
	b, _ := json.Marshal(map[string]any{"repoBlobUrl": "http://" + host + "/v2/" + repo + "/blobs", "lowers": lowers, "resultFile": filepath.Join(dir, "result")})
	p := filepath.Join(dir, "config.v1.json")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// writeGlobalConfig writes an overlaybd.json with the cache in dir and a credential file.
func writeGlobalConfig(t *testing.T, dir, host, user, pass string) string {
	cred := fetchtest.WriteCredentials(t, dir, host, user, pass)
	b, _ := json.Marshal(map[string]any{
		"cacheConfig":      map[string]any{"cacheType": "file", "cacheDir": filepath.Join(dir, "cache"), "cacheSizeGB": 1},
		"credentialConfig": map[string]any{"mode": "file", "path": cred},
		"fetchConfig":      fetchBounds(5*time.Second, 20*time.Second),
	})
	p := filepath.Join(dir, "overlaybd.json")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// fetchBounds is an overlaybd.json fetchConfig with per-request and per-read bounds, scaled.
func fetchBounds(attempt, total time.Duration) map[string]any {
	ms := func(d time.Duration) int64 { return vmtest.Scale(d).Milliseconds() }
	return map[string]any{"attemptTimeoutMs": ms(attempt), "timeoutMs": ms(total)}
}

func hashDevice(t *testing.T, dev string) string {
	f, err := os.Open(dev)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

func stopDaemon(t *testing.T, d *vmtest.Daemon) {
	require.NoError(t, d.Cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, d.Wait(time.Minute))
	requireGone(t, d.ID)
}

// An image whose layers exist only in a distribution registry with htpasswd auth: served,
// read whole with an empty cache (it matches overlaybd's expected digest), stopped, served
// again and read the same with zero registry requests.
func TestVMRegistryImage(t *testing.T) {
	vmtest.RequireUblk(t)
	m := fixtures.Load(t)
	var fx fixtures.Fixture
	for _, f := range m.Fixtures {
		if f.Name == "A-zfile-lz4-4k-crc" {
			fx = f
		}
	}
	reg := startDistribution(t)
	const repo = "fixtures/a-zfile"
	var digests []string
	var sizes []int
	for _, l := range fx.Layers {
		b, err := os.ReadFile(m.Path(l.File))
		require.NoError(t, err)
		digests = append(digests, reg.push(t, repo, b))
		sizes = append(sizes, len(b))
	}
	dir := t.TempDir()
	cfg := writeRemoteConfig(t, reg.host, dir, repo, digests, sizes)
	global := writeGlobalConfig(t, dir, reg.host, reg.user, reg.pass)

	d := vmtest.StartDaemon(t, "--config", cfg, "--global-config", global)
	require.Equal(t, fx.ExpectedSHA256, hashDevice(t, d.Device), "cold read through the registry")
	stopDaemon(t, d)
	cold := reg.blobGets(repo)
	require.Greater(t, cold, 0, "no registry requests counted")
	require.NotContains(t, d.Stderr(), reg.pass)

	d = vmtest.StartDaemon(t, "--config", cfg, "--global-config", global)
	require.Equal(t, fx.ExpectedSHA256, hashDevice(t, d.Device), "warm read")
	stopDaemon(t, d)
	require.Equal(t, cold, reg.blobGets(repo), "the warm read asked the registry")
	t.Logf("cold read: %d blob requests; warm read: 0", cold)
}

// Files: an ext4 image made with mkfs.ext4 -d, committed to a ZFile LSMT layer, pushed, then
// served from the registry and mounted; the files read back.
func TestVMRegistryExt4(t *testing.T) {
	vmtest.RequireUblk(t)
	reg := startDistribution(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	want := map[string][]byte{}
	for i := range 40 {
		b := bytes.Repeat([]byte(fmt.Sprintf("file %d of the registry image\n", i)), 100*(i+1))
		name := fmt.Sprintf("d%d/f%02d.txt", i%4, i)
		require.NoError(t, os.MkdirAll(filepath.Join(src, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(src, name), b, 0o644))
		want[name] = b
	}
	raw := filepath.Join(dir, "ext4.img")
	vmtest.Run(t, "mkfs.ext4", "-q", "-F", "-d", src, raw, "32M")
	layer := commitRaw(t, raw, filepath.Join(dir, "layer.zfile"))
	b, err := os.ReadFile(layer)
	require.NoError(t, err)
	const repo = "images/files"
	cfg := writeRemoteConfig(t, reg.host, filepath.Join(dir), repo, []string{reg.push(t, repo, b)}, []int{len(b)})
	global := writeGlobalConfig(t, dir, reg.host, reg.user, reg.pass)

	d := vmtest.StartDaemon(t, "--config", cfg, "--global-config", global)
	mnt := t.TempDir()
	vmtest.Run(t, "mount", "-o", "ro", d.Device, mnt)
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(mnt, name))
		require.NoError(t, err)
		require.Equal(t, content, got, name)
	}
	vmtest.Run(t, "umount", mnt)
	stopDaemon(t, d)
	require.Greater(t, reg.blobGets(repo), 0)
}

// commitRaw writes a raw disk image into a new writable layer and commits it to a ZFile LSMT
// layer, skipping all-zero chunks so the layer holds only what the file system wrote.
func commitRaw(t *testing.T, raw, out string) string {
	img, err := os.ReadFile(raw)
	require.NoError(t, err)
	dir := t.TempDir()
	data, idx := filepath.Join(dir, "data"), filepath.Join(dir, "index")
	require.NoError(t, lsmt.CreateRW(data, idx, lsmt.CreateOptions{VirtualSize: int64(len(img))}))
	u, err := lsmt.OpenRW(data, idx, true)
	require.NoError(t, err)
	defer u.Close()
	zero := make([]byte, 64<<10)
	for off := 0; off < len(img); off += len(zero) {
		chunk := img[off:min(off+len(zero), len(img))]
		if bytes.Equal(chunk, zero[:len(chunk)]) {
			continue
		}
		require.NoError(t, u.WriteAt(chunk, int64(off)))
	}
	require.NoError(t, u.Flush())
	_, err = lsmt.Commit(u, out, lsmt.CommitOptions{Compress: true})
	require.NoError(t, err)
	return out
}

// Wrong credentials: serve fails with one error naming the registry and the repository, and
// the password appears nowhere in what dadi prints.
func TestVMRegistryWrongCredentials(t *testing.T) {
	vmtest.RequireUblk(t)
	reg := startDistribution(t)
	const repo = "private/app"
	blob := bytes.Repeat([]byte{1}, 4096)
	dir := t.TempDir()
	cfg := writeRemoteConfig(t, reg.host, dir, repo, []string{reg.push(t, repo, blob)}, []int{len(blob)})
	const wrong = "Not-The-Pa55word"
	global := writeGlobalConfig(t, dir, reg.host, reg.user, wrong)
	start := time.Now()
	out, err := dadi(t, "serve", "--config", cfg, "--global-config", global)
	require.Error(t, err, out)
	require.Less(t, time.Since(start), vmtest.Scale(time.Minute), "wrong credentials were retried")
	require.Contains(t, out, reg.host, out)
	require.Contains(t, out, repo, out)
	require.Equal(t, 1, strings.Count(out, "authentication failed"), out)
	require.NotContains(t, out, wrong)
	require.NotContains(t, out, reg.pass)
	res, err := os.ReadFile(filepath.Join(dir, "result"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(res), "failed:"), string(res))
	require.NotContains(t, string(res), wrong)
}
