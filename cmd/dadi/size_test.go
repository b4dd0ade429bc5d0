package main

import "testing"

func TestParseByteSize(t *testing.T) {
	good := map[string]int64{"0": 0, "512": 512, "4K": 4096, "64KiB": 65536, "1G": 1 << 30, "2m": 2 << 20, "1T": 1 << 40, "8KB": 8192}
	for in, want := range good {
		got, err := parseByteSize(in)
		if err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1X", "K", "1.5G", "99999999999T"} {
		if v, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q) = %d, want an error", in, v)
		}
	}
	if s := formatByteSize(3 << 30); s != "3G" {
		t.Errorf("formatByteSize(3G) = %q", s)
	}
	if s := formatByteSize(1000); s != "1000" {
		t.Errorf("formatByteSize(1000) = %q", s)
	}
}
