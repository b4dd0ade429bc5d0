package fetch

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRepoBlobURLRepositories(t *testing.T) {
	for _, ok := range []string{"library/busybox", "a", "my-org/app_1.2", "a/b/c", "x__y"} {
		if _, err := parseRepoBlobURL("https://r.test/v2/" + ok + "/blobs"); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"../etc", "a/../b", "a//b", "A/b", "a/b?x=1", "a/-b", ".a", "a%2f..%2fb"} {
		if _, err := parseRepoBlobURL("https://r.test/v2/" + bad + "/blobs"); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: accepted (%v)", bad, err)
		}
	}
}

// FuzzParseRepoBlobURL: whatever a config says, parsing never panics, and what it accepts is
// an http(s) registry and a repository name that rebuilds the same location.
func FuzzParseRepoBlobURL(f *testing.F) {
	f.Add("https://registry.test/v2/library/busybox/blobs")
	f.Add("http://127.0.0.1:5000/v2/a/b/blobs/")
	f.Add("https://u:p@h/v2/x/blobs")
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := parseRepoBlobURL(s)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("%q: error %v is not ErrConfig", s, err)
			}
			return
		}
		if loc.scheme != "http" && loc.scheme != "https" || loc.host == "" {
			t.Fatalf("%q: accepted %+v", s, loc)
		}
		if strings.Contains(loc.repository, "..") || strings.ContainsAny(loc.repository, "?#%") {
			t.Fatalf("%q: repository %q", s, loc.repository)
		}
		again, err := parseRepoBlobURL(loc.scheme + "://" + loc.host + "/v2/" + loc.repository + "/blobs")
		if err != nil || again != loc {
			t.Fatalf("%q: %+v does not rebuild (%+v, %v)", s, loc, again, err)
		}
	})
}
