package apt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The shape of a Debian 12 container's sources, trimmed. The host names are placeholders:
// only their position matters.
const deb822Sample = `Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`

func TestParseDeb822(t *testing.T) {
	got, err := parseDeb822Sources(strings.NewReader(deb822Sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].URIs[0] != "http://mirror.example/debian-security" {
		t.Fatalf("got %+v", got)
	}
	uri, err := MirrorURI(got)
	if err != nil || uri != "http://mirror.example/debian" {
		t.Fatalf("mirrorURI = %q, %v", uri, err)
	}
}

func TestMirrorSkipsSecurityListedFirst(t *testing.T) {
	src := `Types: deb
URIs: http://sec.example/debian-security/
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm

Types: deb
URIs: http://off.example/debian
Suites: bookworm
Enabled: no

Types: deb deb-src
URIs:
 http://main.example/debian/
Suites: stable
`
	got, err := parseDeb822Sources(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	uri, err := MirrorURI(got)
	if err != nil || uri != "http://main.example/debian" {
		t.Fatalf("mirrorURI = %q, %v (sources %+v)", uri, err, got)
	}
}

func TestParseOneLine(t *testing.T) {
	src := `# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb [ arch=amd64 signed-by=/k.gpg ] http://sec.example/debian-security bookworm-security main
deb [arch=amd64] http://main.example/debian bookworm main contrib # trailing
deb cdrom:[Debian 12]/ bookworm main
`
	got, err := parseOneLineSources(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d sources, want 3: %+v", len(got), got)
	}
	if got[0].URIs[0] != "http://sec.example/debian-security" || got[0].Suites[0] != "bookworm-security" {
		t.Errorf("options not skipped: %+v", got[0])
	}
	uri, err := MirrorURI(got)
	if err != nil || uri != "http://main.example/debian" {
		t.Fatalf("mirrorURI = %q, %v", uri, err)
	}
}

func TestMirrorFallbackAndNone(t *testing.T) {
	uri, err := MirrorURI([]Source{{URIs: []string{"http://only.example/debian-security"}, Suites: []string{"bookworm-security"}}})
	if err != nil || uri != "http://only.example/debian-security" {
		t.Errorf("fallback = %q, %v", uri, err)
	}
	if _, err := MirrorURI([]Source{{URIs: []string{"cdrom:[x]/"}, Suites: []string{"bookworm"}}}); err == nil {
		t.Error("a cdrom-only configuration must be an error")
	}
}

func TestReadAptSourcesOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sources.list.d/debian.sources", deb822Sample)
	write("sources.list.d/other.list", "deb http://list.example/debian bookworm main\n")
	write("sources.list.d/ignored.save", "deb http://ignored.example/debian bookworm main\n")
	got, err := ReadSources(dir)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, s := range got {
		uris = append(uris, s.URIs...)
	}
	want := "http://mirror.example/debian http://mirror.example/debian-security http://list.example/debian"
	if strings.Join(uris, " ") != want {
		t.Errorf("got %v, want %s", uris, want)
	}
}
