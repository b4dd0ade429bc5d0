package fetchtest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Fault is what the fault transport does to one request.
type Fault int

const (
	Pass       Fault = iota
	Reset            // the connection is reset before a response
	Truncate         // the body stops half-way
	WrongBytes       // one byte of the body is flipped
	Status503        // the server answers 503
	Status429        // the server answers 429 Too Many Requests
	Hang             // the server never answers (until the request is cancelled)
	ShortRange       // a 206 whose Content-Range is not the range asked for
)

func (f Fault) String() string {
	return [...]string{"pass", "reset", "truncate", "wrong-bytes", "503", "429", "hang", "short-range"}[f]
}

// Faults is an http.RoundTripper between a fetch.Client and a registry that injects faults
// into blob requests (requests with a Range header); other requests (tokens) pass.
type Faults struct {
	Next http.RoundTripper
	// Latency is added to every blob request.
	Latency time.Duration
	// Plan picks the fault for the n-th blob request (from 0); nil passes everything.
	Plan func(n int64, req *http.Request) Fault

	n        atomic.Int64
	Injected sync.Map // Fault -> *atomic.Int64
}

// Count is how many times f was injected.
func (t *Faults) Count(f Fault) int64 {
	v, ok := t.Injected.Load(f)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

// FirstN injects f into the first n blob requests, then passes.
func FirstN(n int64, f Fault) func(int64, *http.Request) Fault {
	return func(i int64, _ *http.Request) Fault {
		if i < n {
			return f
		}
		return Pass
	}
}

// Always injects f into every blob request.
func Always(f Fault) func(int64, *http.Request) Fault {
	return func(int64, *http.Request) Fault { return f }
}

func (t *Faults) next() http.RoundTripper {
	if t.Next == nil {
		return http.DefaultTransport
	}
	return t.Next
}

func (t *Faults) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Range") == "" {
		return t.next().RoundTrip(req)
	}
	if t.Latency > 0 {
		select {
		case <-time.After(t.Latency):
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	f := Pass
	if t.Plan != nil {
		f = t.Plan(t.n.Add(1)-1, req)
	}
	if f != Pass {
		v, _ := t.Injected.LoadOrStore(f, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	switch f {
	case Reset:
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	case Status503, Status429:
		code := map[Fault]int{Status503: 503, Status429: 429}[f]
		return &http.Response{
			StatusCode: code, Status: http.StatusText(code), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Body: io.NopCloser(strings.NewReader("busy")), ContentLength: 4, Request: req,
		}, nil
	case Hang:
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	resp, err := t.next().RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusPartialContent {
		return resp, err
	}
	switch f {
	case Truncate:
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = &cutBody{r: bytes.NewReader(b[:len(b)/2])}
	case WrongBytes:
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(b) > 0 {
			b[len(b)/2] ^= 0x5a
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
	case ShortRange:
		resp.Header.Set("Content-Range", "bytes 0-0/1")
	}
	return resp, nil
}

// cutBody ends with the error a connection dropped mid-body gives.
type cutBody struct{ r io.Reader }

func (c *cutBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func (c *cutBody) Close() error { return nil }
