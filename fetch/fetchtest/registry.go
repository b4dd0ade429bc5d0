package fetchtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// Auth is how the test registry asks for credentials.
type Auth int

const (
	NoAuth Auth = iota
	Basic       // WWW-Authenticate: Basic
	Token       // WWW-Authenticate: Bearer, tokens from /token for the right user and password
)

// Options configure a test registry.
type Options struct {
	Auth     Auth
	User     string // default "dadi"
	Password string // default "s3cret-pw"
	// Redirect sends blob GETs to a separate storage server with a 307, like registries on
	// object storage do.
	Redirect bool
	// Latency is added before every blob response (registry and storage).
	Latency time.Duration
	// DirectBlobs serves blob GETs from the pushed bytes with http.ServeContent instead of
	// go-containerregistry's handler, which copies the whole blob for every range: for
	// benchmarks of large blobs.
	DirectBlobs bool
}

// Registry is an OCI registry in the test process.
type Registry struct {
	t       testing.TB
	opts    Options
	srv     *httptest.Server
	storage *httptest.Server
	Host    string // 127.0.0.1:port

	BlobGets    atomic.Int64 // GETs of /v2/<repo>/blobs/<digest> that reached the registry
	StorageGets atomic.Int64 // GETs that reached the storage server
	AuthHeaders atomic.Int64 // storage GETs that carried an Authorization header (must stay 0)
	inflight    atomic.Int64
	MaxInflight atomic.Int64 // most blob GETs served at once

	mu    sync.Mutex
	blobs map[string][]byte
	token string
}

// New starts a registry; it stops when the test ends.
func New(t testing.TB, o Options) *Registry {
	t.Helper()
	if o.User == "" {
		o.User = "dadi"
	}
	if o.Password == "" {
		o.Password = "s3cret-pw"
	}
	r := &Registry{t: t, opts: o, blobs: map[string][]byte{}, token: "tok-" + fmt.Sprint(time.Now().UnixNano())}
	inner := ggcr.New(ggcr.Logger(nullLogger()))
	r.storage = httptest.NewServer(http.HandlerFunc(r.serveStorage))
	r.srv = httptest.NewServer(r.handler(inner))
	r.Host = strings.TrimPrefix(r.srv.URL, "http://")
	t.Cleanup(func() {
		r.srv.CloseClientConnections()
		r.srv.Close()
		r.storage.CloseClientConnections()
		r.storage.Close()
	})
	return r
}

// URL is the registry's base URL.
func (r *Registry) URL() string { return r.srv.URL }

// RepoBlobURL is what a config's repoBlobUrl is for repo.
func (r *Registry) RepoBlobURL(repo string) string {
	return r.srv.URL + "/v2/" + repo + "/blobs"
}

// User and Password are the credentials the registry accepts.
func (r *Registry) User() string     { return r.opts.User }
func (r *Registry) Password() string { return r.opts.Password }

func (r *Registry) handler(inner http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/token" {
			r.serveToken(w, req)
			return
		}
		if !r.authorized(req) {
			switch r.opts.Auth {
			case Basic:
				w.Header().Set("WWW-Authenticate", `Basic realm="fetchtest"`)
			case Token:
				repo := repoOf(req.URL.Path)
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="fetchtest",scope="repository:%s:pull,push"`, r.srv.URL, repo))
			}
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		if req.Method == http.MethodGet && isBlobPath(req.URL.Path) {
			r.BlobGets.Add(1)
			defer r.track()()
			time.Sleep(r.opts.Latency)
			d := req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]
			if r.opts.Redirect {
				http.Redirect(w, req, r.storage.URL+"/store/"+d+"?sig=presigned", http.StatusTemporaryRedirect)
				return
			}
			r.mu.Lock()
			b, ok := r.blobs[d]
			r.mu.Unlock()
			if ok && r.opts.DirectBlobs {
				http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(b))
				return
			}
		}
		inner.ServeHTTP(w, req)
	})
}

func (r *Registry) track() func() {
	n := r.inflight.Add(1)
	for {
		m := r.MaxInflight.Load()
		if n <= m || r.MaxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	return func() { r.inflight.Add(-1) }
}

func isBlobPath(p string) bool {
	i := strings.LastIndex(p, "/blobs/")
	return strings.HasPrefix(p, "/v2/") && i > 0 && strings.HasPrefix(p[i+len("/blobs/"):], "sha256:")
}

func repoOf(p string) string {
	p = strings.TrimPrefix(p, "/v2/")
	if i := strings.Index(p, "/blobs/"); i >= 0 {
		return p[:i]
	}
	if i := strings.Index(p, "/manifests/"); i >= 0 {
		return p[:i]
	}
	return p
}

func (r *Registry) authorized(req *http.Request) bool {
	h := req.Header.Get("Authorization")
	switch r.opts.Auth {
	case Basic:
		u, p, ok := req.BasicAuth()
		return ok && u == r.opts.User && p == r.opts.Password
	case Token:
		return h == "Bearer "+r.token
	}
	return true
}

func (r *Registry) serveToken(w http.ResponseWriter, req *http.Request) {
	u, p, ok := req.BasicAuth()
	if !ok || u != r.opts.User || p != r.opts.Password {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`))
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"token": r.token})
}

func (r *Registry) serveStorage(w http.ResponseWriter, req *http.Request) {
	r.StorageGets.Add(1)
	if req.Header.Get("Authorization") != "" {
		r.AuthHeaders.Add(1)
	}
	defer r.track()()
	time.Sleep(r.opts.Latency)
	if req.URL.Query().Get("sig") != "presigned" {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	d := strings.TrimPrefix(req.URL.Path, "/store/")
	r.mu.Lock()
	b, ok := r.blobs[d]
	r.mu.Unlock()
	if !ok {
		http.NotFound(w, req)
		return
	}
	http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(b))
}

// Digest is the sha256 digest of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// Push uploads b as a blob of repo and returns its digest.
func (r *Registry) Push(repo string, b []byte) string {
	r.t.Helper()
	d, err := PushBlob(context.Background(), r.Host, repo, r.opts.User, r.opts.Password, b)
	if err != nil {
		r.t.Fatalf("push to %s/%s: %v", r.Host, repo, err)
	}
	r.mu.Lock()
	r.blobs[d] = b
	r.mu.Unlock()
	return d
}

// PushBlob uploads b as a blob of host/repo over plain HTTP with the given credentials.
func PushBlob(ctx context.Context, host, repo, user, password string, b []byte) (string, error) {
	rep, err := remote.NewRepository(host + "/" + repo)
	if err != nil {
		return "", err
	}
	rep.PlainHTTP = true
	rep.Client = &auth.Client{
		Credential:           auth.StaticCredential(host, auth.Credential{Username: user, Password: password}),
		Cache:                auth.NewCache(),
		BlockedRealmPrefixes: nil,
	}
	d := Digest(b)
	desc := ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digestOf(d), Size: int64(len(b))}
	if err := rep.Blobs().Push(ctx, desc, bytes.NewReader(b)); err != nil {
		return "", err
	}
	return d, nil
}

// WriteCredentials writes a docker-style auths file for the registry and returns its path.
func (r *Registry) WriteCredentials(dir, user, password string) string {
	r.t.Helper()
	return WriteCredentials(r.t, dir, r.Host, user, password)
}

// WriteCredentials writes {"auths": {key: {"username", "password"}}} into dir/cred.json.
func WriteCredentials(t testing.TB, dir, key, user, password string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{key: map[string]string{"username": user, "password": password}}})
	p := filepath.Join(dir, "cred.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
