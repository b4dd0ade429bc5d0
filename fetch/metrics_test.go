package fetch

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dadi-dev/dadi/fetch/fetchtest"
)

func TestMetricsExporter(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{})
	p := pushRandom(t, reg, "dadi/test", 300000, 51)
	g := testConfig(t)
	g.ExporterConfig = ExporterConfig{Enable: true, URIPrefix: "/metrics", Address: "127.0.0.1:0"}
	c, _ := newTestClient(t, g, &fetchtest.Faults{Plan: fetchtest.FirstN(1, fetchtest.Status503)})
	ref := p.ref
	ref.Image = "/etc/images/app.json"
	b := openBlob(t, c, ref)
	checkRead(t, b, p.data, 0, len(p.data))
	b.Sync()
	checkRead(t, b, p.data, 0, 1000)
	resp, err := http.Get("http://" + c.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{
		`dadi_fetch_bytes_total{image="/etc/images/app.json"} 300000`,
		`dadi_fetch_requests_total{image="/etc/images/app.json"}`,
		`dadi_fetch_retries_total{image="/etc/images/app.json"} 1`,
		`dadi_cache_hits_total{image="/etc/images/app.json"} 1`,
		`dadi_cache_misses_total{image="/etc/images/app.json"} 5`,
		`dadi_fetch_latency_seconds_bucket{image="/etc/images/app.json"`,
		`dadi_cache_evictions_total 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}
