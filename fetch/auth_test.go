package fetch

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dadi-dev/dadi/fetch/fetchtest"
)

func TestAuth(t *testing.T) {
	for _, mode := range []fetchtest.Auth{fetchtest.Basic, fetchtest.Token} {
		name := map[fetchtest.Auth]string{fetchtest.Basic: "basic", fetchtest.Token: "token"}[mode]
		t.Run(name, func(t *testing.T) {
			reg := fetchtest.New(t, fetchtest.Options{Auth: mode})
			p := pushRandom(t, reg, "team/app", 200000, 11)

			// Right credentials, from overlaybd's credential file.
			g := testConfig(t)
			g.CredentialConfig.Path = reg.WriteCredentials(t.TempDir(), reg.User(), reg.Password())
			c, _ := newTestClient(t, g, nil)
			checkRead(t, openBlob(t, c, p.ref), p.data, 1000, 150000)

			// Wrong credentials: one error naming registry and repository, and the secret
			// appears neither in it nor in the logs.
			const wrong = "Wr0ng-Pa55word"
			g = testConfig(t)
			g.CredentialConfig.Path = reg.WriteCredentials(t.TempDir(), reg.User(), wrong)
			c, logs := newTestClient(t, g, nil)
			_, err := openBlob(t, c, p.ref).ReadAt(make([]byte, 100), 0)
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("wrong password: %v, want ErrUnauthorized", err)
			}
			msg := err.Error()
			for _, want := range []string{reg.Host, "team/app", g.CredentialConfig.Path} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not name %q", msg, want)
				}
			}
			for _, secret := range []string{wrong, reg.Password(), base64.StdEncoding.EncodeToString([]byte(reg.User() + ":" + wrong))} {
				if strings.Contains(msg, secret) || strings.Contains(logs.String(), secret) {
					t.Errorf("a secret leaked: error %q, logs %q", msg, logs.String())
				}
			}
			if n := strings.Count(msg, "authentication failed"); n != 1 {
				t.Errorf("error says it %d times: %q", n, msg)
			}

			// No credentials at all.
			c, _ = newTestClient(t, testConfig(t), nil)
			_, err = openBlob(t, c, p.ref).ReadAt(make([]byte, 100), 0)
			if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "no credentials") {
				t.Fatalf("no credentials: %v", err)
			}
		})
	}
}

// The user's docker config is the fallback, with the base64 "auth" form docker writes.
func TestAuthDockerConfig(t *testing.T) {
	reg := fetchtest.New(t, fetchtest.Options{Auth: fetchtest.Token})
	p := pushRandom(t, reg, "team/app", 5000, 12)
	g := testConfig(t)
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{
		"http://" + reg.Host + "/v2/": map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(reg.User() + ":" + reg.Password()))},
	}})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := newTestClient(t, g, nil)
	checkRead(t, openBlob(t, c, p.ref), p.data, 0, 5000)
}
