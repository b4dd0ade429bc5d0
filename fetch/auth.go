package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// repoAuth is the authenticated client of one repository. Credentials can differ per
// repository (overlaybd matches host, host/ns and host/ns/repo), and oras's cache keeps one
// basic-auth token per host, so each repository gets its own auth client and cache.
type repoAuth struct {
	loc    repoLocation
	client *auth.Client

	mu     sync.Mutex
	source string // where the credential in use came from ("" = none found)
}

func (c *Client) repo(loc repoLocation) *repoAuth {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.repos[loc]; r != nil {
		return r
	}
	r := &repoAuth{loc: loc}
	r.client = &auth.Client{
		Client:     c.http,
		Cache:      auth.NewCache(),
		Credential: r.credential(c),
	}
	ua := c.g.UserAgent
	if ua == "" {
		ua = "dadi"
	}
	r.client.SetUserAgent(ua)
	c.repos[loc] = r
	return r
}

// credential looks the repository up in overlaybd's credential file, then in the user's
// docker config, re-reading them each time the registry asks (rare: tokens are cached), so a
// rotated credential is picked up without a restart.
func (r *repoAuth) credential(c *Client) auth.CredentialFunc {
	return func(ctx context.Context, hostport string) (auth.Credential, error) {
		for _, path := range []string{c.g.CredentialFile(), DockerConfigPath()} {
			creds, err := LoadCredentials(path)
			if err != nil {
				return auth.EmptyCredential, err
			}
			if cred, ok := creds.Lookup(r.loc.host, r.loc.repository); ok {
				r.setSource(cred.Source)
				return auth.Credential{Username: cred.Username, Password: cred.Password, RefreshToken: cred.IdentityToken}, nil
			}
		}
		r.setSource("")
		return auth.EmptyCredential, nil
	}
}

func (r *repoAuth) setSource(s string) {
	r.mu.Lock()
	r.source = s
	r.mu.Unlock()
}

// authError is the one error a refused credential gives: it names the registry and the
// repository and where the credential came from, and never the credential.
func (r *repoAuth) authError(status int) error {
	r.mu.Lock()
	src := r.source
	r.mu.Unlock()
	what := "no credentials were found for it (credential file, docker config)"
	if src != "" {
		what = "the credentials from " + src + " were refused"
	}
	return fmt.Errorf("registry %s, repository %s: %w (HTTP %d): %s", r.loc.host, r.loc.repository, ErrUnauthorized, status, what)
}

// do sends a registry request through the auth client, with the repository's pull scope
// hinted so a cached token is used on the first try.
func (r *repoAuth) do(req *http.Request) (*http.Response, error) {
	ctx := auth.WithScopesForHost(req.Context(), r.loc.host, auth.ScopeRepository(r.loc.repository, auth.ActionPull))
	resp, err := r.client.Do(req.WithContext(ctx))
	if err != nil {
		// A token service that refuses the credentials is an auth failure, not a network one.
		var er *errcode.ErrorResponse
		if errors.As(err, &er) && (er.StatusCode == http.StatusUnauthorized || er.StatusCode == http.StatusForbidden) {
			return nil, r.authError(er.StatusCode)
		}
		if errors.Is(err, auth.ErrBasicCredentialNotFound) {
			return nil, r.authError(http.StatusUnauthorized)
		}
	}
	return resp, err
}

// redact keeps an error's text but cuts any query string (a token service URL carries no
// secrets, a presigned storage URL does).
func redact(err error) string {
	s := err.Error()
	for {
		i := strings.Index(s, "?")
		if i < 0 {
			return s
		}
		j := strings.IndexAny(s[i:], "\" ")
		if j < 0 {
			return s[:i]
		}
		s = s[:i] + s[i+j:]
	}
}
