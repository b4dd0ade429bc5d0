package fetch

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// newTransport is the node's HTTP transport: keep-alive connections enough for every request
// in flight, the configured proxy or the environment's, and the client certificate if any.
func newTransport(g *GlobalConfig) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	if p := g.P2PConfig.Proxy; p != "" {
		u, err := url.Parse(p)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%w: p2pConfig.proxy %q is not a URL", ErrConfig, p)
		}
		t.Proxy = http.ProxyURL(u)
	}
	t.MaxIdleConns = 4 * g.FetchConfig.MaxInflight
	t.MaxIdleConnsPerHost = 2 * g.FetchConfig.MaxInflight
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	if c := g.CertConfig; c.CertFile != "" || c.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: certConfig: %w", ErrConfig, err)
		}
		t.TLSClientConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	return t, nil
}

// accelHeader marks a blob data request for the URL-prefix accelerator. It is a header, not
// a context value, because the auth client builds its token requests with the blob request's
// context, and those go to the token service directly. The transport removes it.
const accelHeader = "X-Dadi-Accelerate"

// accelTransport sends marked requests for URL u to `<prefix>/<u>` with the same headers
// (Range, Authorization), as overlaybd's P2P accelerator expects. The response looks as if it
// came from u, so the auth client's origin checks see the registry.
type accelTransport struct {
	prefix string
	next   http.RoundTripper
}

func (t *accelTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get(accelHeader) == "" {
		return t.next.RoundTrip(req)
	}
	u, err := url.Parse(t.prefix + "/" + req.URL.String())
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.URL, r.Host = u, ""
	r.Header.Del(accelHeader)
	resp, err := t.next.RoundTrip(r)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// acceleratorReachable checks, like overlaybd does before using one, that something listens
// at the accelerator's address.
func acceleratorReachable(addr string) (string, bool) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return addr, false
	}
	host := u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			host += ":443"
		} else {
			host += ":80"
		}
	}
	c, err := net.DialTimeout("tcp", host, time.Second)
	if err != nil {
		return addr, false
	}
	c.Close()
	return strings.TrimRight(addr, "/"), true
}
