package fetch

import (
	"fmt"
	"testing"
)

func TestParseContentRange(t *testing.T) {
	for _, tc := range []struct {
		in          string
		a, b, total int64
		ok          bool
	}{
		{"bytes 0-99/1000", 0, 99, 1000, true},
		{"bytes 5-5/6", 5, 5, 6, true},
		{"bytes 10-19/*", 10, 19, -1, true},
		{" bytes 0-0/1 ", 0, 0, 1, true},
		{"bytes 0-100/100", 0, 0, 0, false},
		{"bytes 9-8/100", 0, 0, 0, false},
		{"bytes -1-8/100", 0, 0, 0, false},
		{"bytes +1-8/100", 0, 0, 0, false},
		{"bytes 0-8", 0, 0, 0, false},
		{"items 0-8/9", 0, 0, 0, false},
		{"bytes */100", 0, 0, 0, false},
		{"bytes 0x1-8/100", 0, 0, 0, false},
		{"bytes 0-99999999999999999999/100", 0, 0, 0, false},
		{"", 0, 0, 0, false},
	} {
		a, b, total, err := ParseContentRange(tc.in)
		if (err == nil) != tc.ok || tc.ok && (a != tc.a || b != tc.b || total != tc.total) {
			t.Errorf("%q: %d %d %d %v", tc.in, a, b, total, err)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/1000", "bytes 10-19/*", "bytes 9-8/100", "bytes 1-2/3 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, b, total, err := ParseContentRange(s)
		if err != nil {
			return
		}
		if a < 0 || b < a || (total >= 0 && b >= total) || total < -1 {
			t.Fatalf("%q parsed to an impossible range %d-%d/%d", s, a, b, total)
		}
		// What parses is canonical once printed.
		canon := fmt.Sprintf("bytes %d-%d/%d", a, b, total)
		if total < 0 {
			canon = fmt.Sprintf("bytes %d-%d/*", a, b)
		}
		a2, b2, t2, err := ParseContentRange(canon)
		if err != nil || a2 != a || b2 != b || t2 != total {
			t.Fatalf("%q → %q does not round-trip", s, canon)
		}
	})
}
