package fetch

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// BlobRef names one blob: `<RepoBlobURL>/<Digest>`, Size bytes long (0: ask the registry).
type BlobRef struct {
	// RepoBlobURL is the config's repoBlobUrl, "https://host/v2/<repository>/blobs".
	RepoBlobURL string
	Digest      string
	Size        int64
	// Image labels the blob's metrics (the config file, say).
	Image string
}

// repoLocation is what a repoBlobUrl says: where the registry is and which repository.
type repoLocation struct {
	scheme, host, repository string
}

// parseRepoBlobURL splits "scheme://host/v2/<repository>/blobs".
func parseRepoBlobURL(s string) (repoLocation, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil {
		return repoLocation{}, fmt.Errorf("%w: repoBlobUrl %q: %w", ErrConfig, s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return repoLocation{}, fmt.Errorf("%w: repoBlobUrl %q: want http(s)://host/v2/<repository>/blobs", ErrConfig, s)
	}
	if u.User != nil {
		return repoLocation{}, fmt.Errorf("%w: repoBlobUrl for %s carries credentials: put them in the credential file", ErrConfig, u.Host)
	}
	p := strings.Trim(u.Path, "/")
	repo, ok := strings.CutPrefix(p, "v2/")
	if ok {
		repo, ok = strings.CutSuffix(repo, "/blobs")
	}
	if !ok || repo == "" {
		return repoLocation{}, fmt.Errorf("%w: repoBlobUrl %q: want http(s)://host/v2/<repository>/blobs", ErrConfig, s)
	}
	if !repositoryName.MatchString(repo) {
		return repoLocation{}, fmt.Errorf("%w: repoBlobUrl %q: repository %q is not a valid OCI repository name", ErrConfig, s, repo)
	}
	return repoLocation{scheme: u.Scheme, host: u.Host, repository: repo}, nil
}

// repositoryName is the OCI distribution spec's grammar for a repository name: lowercase
// components separated by '/', each of alphanumerics joined by '.', '_', '__' or '-'s. It keeps
// "..", empty components and query or fragment characters out of the URLs built from it.
var repositoryName = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)

// checkDigest accepts "sha256:<64 lowercase hex>", the only digest overlaybd images use.
func checkDigest(d string) error {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 {
		return fmt.Errorf("%w: digest %q: want sha256:<64 hex digits>", ErrConfig, d)
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("%w: digest %q: want sha256:<64 hex digits>", ErrConfig, d)
		}
	}
	return nil
}
