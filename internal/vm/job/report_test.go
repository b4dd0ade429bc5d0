package job

import "testing"

func TestReportRoundTrip(t *testing.T) {
	for _, r := range []Report{
		{Status: 7, Stdout: 12, Stderr: 0},
		{Status: 143},
		{Status: 127, Error: "running /x: no such file"},
		{Started: true, Uptime: 2.5},
	} {
		line := EncodeReport(r)
		if line[len(line)-1] != '\n' || len(line) < 2 {
			t.Errorf("%+v: not one line: %q", r, line)
		}
		got, err := DecodeReport(line[:len(line)-1])
		if err != nil || got != r {
			t.Errorf("round trip of %+v: %+v, %v", r, got, err)
		}
	}
}
