package fetch

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dadi-dev/dadi/fetch/fetchtest"
)

// forward sends req on to url with the same method and headers, and copies the answer back.
func forward(w http.ResponseWriter, req *http.Request, url string) {
	out, err := http.NewRequestWithContext(req.Context(), req.Method, url, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out.Header = req.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// overlaybd's accelerator: GET <address>/<original URL> with the same Range and auth headers.
func TestP2PAccelerator(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{Auth: fetchtest.Token})
	p := pushRandom(t, reg, "team/app", 500000, 41)
	var seen, withRange, withAuth atomic.Int64
	accel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		orig, ok := strings.CutPrefix(req.URL.Path, "/accelerator/")
		if !ok {
			http.NotFound(w, req)
			return
		}
		orig = strings.Replace(orig, "http:/", "http://", 1) // the mux cleaned the double slash
		if !strings.HasPrefix(orig, "http://") || strings.HasPrefix(orig, "http:///") {
			orig = strings.Replace(orig, "http:///", "http://", 1)
		}
		seen.Add(1)
		if req.Header.Get("Range") != "" {
			withRange.Add(1)
		}
		if req.Header.Get("Authorization") != "" {
			withAuth.Add(1)
		}
		forward(w, req, orig)
	}))
	t.Cleanup(accel.Close)
	g := testConfig(t)
	g.CredentialConfig.Path = reg.WriteCredentials(t.TempDir(), reg.User(), reg.Password())
	g.P2PConfig = P2PConfig{Enable: true, Address: accel.URL + "/accelerator"}
	c, _ := newTestClient(t, g, http.DefaultTransport)
	checkRead(t, openBlob(t, c, p.ref), p.data, 0, len(p.data))
	if seen.Load() == 0 || withRange.Load() != seen.Load() || withAuth.Load() == 0 {
		t.Fatalf("accelerator saw %d requests, %d with Range, %d with Authorization", seen.Load(), withRange.Load(), withAuth.Load())
	}
	// Every authorized blob request that reached the registry came through the accelerator.
	if reg.BlobGets.Load() != withAuth.Load() {
		t.Fatalf("registry served %d blob requests, the accelerator passed %d authorized ones: some bypassed it", reg.BlobGets.Load(), withAuth.Load())
	}
}

// An accelerator that is not there is not used: reads go to the registry.
func TestP2PAcceleratorUnreachable(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "team/app", 5000, 42)
	g := testConfig(t)
	g.P2PConfig = P2PConfig{Enable: true, Address: "http://127.0.0.1:1/accelerator"}
	c, logs := newTestClient(t, g, nil)
	checkRead(t, openBlob(t, c, p.ref), p.data, 0, len(p.data))
	if !strings.Contains(logs.String(), "not reachable") {
		t.Fatalf("no warning: %s", logs.String())
	}
}

// A plain HTTP proxy (Dragonfly's daemon is used this way) from the config.
func TestHTTPProxy(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{Auth: fetchtest.Basic})
	p := pushRandom(t, reg, "team/app", 300000, 43)
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !req.URL.IsAbs() {
			http.Error(w, "not a proxy request", 400)
			return
		}
		proxied.Add(1)
		forward(w, req, req.URL.String())
	}))
	t.Cleanup(proxy.Close)
	g := testConfig(t)
	g.CredentialConfig.Path = reg.WriteCredentials(t.TempDir(), reg.User(), reg.Password())
	g.P2PConfig.Proxy = proxy.URL
	c, _ := newTestClient(t, g, nil)
	checkRead(t, openBlob(t, c, p.ref), p.data, 0, len(p.data))
	if proxied.Load() < reg.BlobGets.Load() || reg.BlobGets.Load() == 0 {
		t.Fatalf("proxy carried %d requests, registry saw %d blob GETs", proxied.Load(), reg.BlobGets.Load())
	}
}
