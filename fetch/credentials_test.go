package fetch

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestCredentialsLookup(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	c, err := ParseCredentials([]byte(`{"auths": {
		"reg.example:5000": {"auth": "`+b64("host:hp")+`"},
		"reg.example:5000/team": {"username": "team", "password": "tp"},
		"reg.example:5000/team/app": {"auth": "`+b64("app:a:p")+`"},
		"https://index.docker.io/v1/": {"auth": "`+b64("hub:hubpw")+`"},
		"empty.example": {}
	}}`), "cred.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ host, repo, user, pass string }{
		{"reg.example:5000", "other/x", "host", "hp"},
		{"reg.example:5000", "team/lib", "team", "tp"},
		{"reg.example:5000", "team/app", "app", "a:p"},
		{"REG.example:5000", "team/app/sub", "app", "a:p"},
		{"registry-1.docker.io", "library/busybox", "hub", "hubpw"},
		{"empty.example", "x", "", ""},
		{"reg.example", "team/app", "", ""}, // another port is another registry
	} {
		cred, ok := c.Lookup(tc.host, tc.repo)
		if ok != (tc.user != "") || cred.Username != tc.user || cred.Password != tc.pass {
			t.Errorf("%s %s: %+v %v, want %s:%s", tc.host, tc.repo, cred, ok, tc.user, tc.pass)
		}
		if ok && cred.Source != "cred.json" {
			t.Errorf("source %q", cred.Source)
		}
	}
}

func TestCredentialsErrorsHideSecrets(t *testing.T) {
	for _, bad := range []string{
		`{"auths": {"h": {"auth": "not base64 SECRET"}}}`,
		`{"auths": {"h": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("SECRETnocolon")) + `"}}}`,
		`{"auths": [`,
	} {
		_, err := ParseCredentials([]byte(bad), "cred.json")
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}

func FuzzParseCredentials(f *testing.F) {
	f.Add([]byte(`{"auths": {"h:1": {"auth": "dTpw"}, "h:1/ns": {"username": "u", "password": "p"}}}`), "h:1", "ns/repo")
	f.Add([]byte(`{"auths": {"https://index.docker.io/v1/": {"identitytoken": "t"}}}`), "docker.io", "library/x")
	f.Fuzz(func(t *testing.T, b []byte, host, repo string) {
		c, err := ParseCredentials(b, "fuzz")
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error without ErrConfig: %v", err)
			}
			return
		}
		cred, ok := c.Lookup(host, repo)
		if ok && cred.Username == "" && cred.Password == "" && cred.IdentityToken == "" {
			t.Fatal("an empty credential matched")
		}
	})
}
