package fetch

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Credential is a username and password (or an identity token) for one registry.
type Credential struct {
	Username      string
	Password      string
	IdentityToken string
	// Source is the file the credential came from, for error messages.
	Source string
}

// Credentials are the entries of a docker-style `auths` file, keyed by a registry host,
// optionally followed by a namespace or repository path ("host", "host/ns", "host/ns/repo").
type Credentials struct {
	Source  string
	entries map[string]Credential
}

// authEntry is one value of `auths`: either "auth" (base64 of user:password) or separate
// username and password, as docker and overlaybd write them.
type authEntry struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
}

// ParseCredentials decodes a docker-style credential file ({"auths": {...}}). Entries that
// carry nothing usable are skipped; a malformed "auth" is an error naming its key (never its
// value).
func ParseCredentials(b []byte, source string) (*Credentials, error) {
	var doc struct {
		Auths map[string]authEntry `json:"auths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", source, ErrConfig, err)
	}
	c := &Credentials{Source: source, entries: make(map[string]Credential, len(doc.Auths))}
	for key, e := range doc.Auths {
		cred := Credential{Username: e.Username, Password: e.Password, IdentityToken: e.IdentityToken, Source: source}
		if e.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(e.Auth))
			if err != nil {
				return nil, fmt.Errorf("%s: %w: auths[%q].auth is not base64", source, ErrConfig, key)
			}
			user, pass, ok := strings.Cut(string(raw), ":")
			if !ok {
				return nil, fmt.Errorf("%s: %w: auths[%q].auth has no ':' between user and password", source, ErrConfig, key)
			}
			cred.Username, cred.Password = user, pass
		}
		if cred.Username == "" && cred.Password == "" && cred.IdentityToken == "" {
			continue
		}
		c.entries[normalizeAuthKey(key)] = cred
	}
	return c, nil
}

// normalizeAuthKey turns the key forms docker writes ("https://host/v1/", "host/") into
// "host[/path]".
func normalizeAuthKey(k string) string {
	k = strings.TrimSpace(k)
	if i := strings.Index(k, "://"); i >= 0 {
		k = k[i+3:]
	}
	k = strings.TrimRight(k, "/")
	for _, v := range []string{"/v1", "/v2"} {
		k = strings.TrimSuffix(k, v)
	}
	return strings.ToLower(k)
}

// Lookup finds the credential for a repository of a registry: the most specific key that is
// the host or the host followed by a leading part of the repository path, like overlaybd's
// matching of host, host/ns and host/ns/repo.
func (c *Credentials) Lookup(host, repository string) (Credential, bool) {
	if c == nil {
		return Credential{}, false
	}
	hosts := []string{strings.ToLower(host)}
	// Docker Hub's credentials are stored under its index name.
	if h := hosts[0]; h == "registry-1.docker.io" || h == "docker.io" {
		hosts = append(hosts, "index.docker.io")
	}
	for _, h := range hosts {
		segs := strings.Split(strings.ToLower(repository), "/")
		for n := len(segs); n >= 0; n-- {
			key := h
			if n > 0 {
				key = h + "/" + strings.Join(segs[:n], "/")
			}
			if cred, ok := c.entries[key]; ok {
				return cred, true
			}
		}
	}
	return Credential{}, false
}

// LoadCredentials reads a credential file; a missing file is no credentials, not an error.
func LoadCredentials(path string) (*Credentials, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseCredentials(b, path)
}

// DockerConfigPath is the user's docker config: $DOCKER_CONFIG/config.json, else
// ~/.docker/config.json.
func DockerConfigPath() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker", "config.json")
}
