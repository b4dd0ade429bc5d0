package zfile

import "testing"

// TestFlagNames: a header and a trailer as overlaybd writes them are named bit by bit.
func TestFlagNames(t *testing.T) {
	for _, c := range []struct {
		f    uint64
		want string
	}{
		{flagHeader | flagDataFile | flagDigest, "header, data, digest"},
		{flagDataFile | flagSealed | flagDigest, "trailer, data, sealed, digest"},
		{flagHeader | flagHeaderOverwrite | flagIndexCompressed, "header, header rewritten, index compressed"},
	} {
		if got := FlagNames(c.f); got != c.want {
			t.Errorf("FlagNames(%#x) = %q, want %q", c.f, got, c.want)
		}
	}
}
