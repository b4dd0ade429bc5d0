package apt

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Archive is a Debian archive to fetch packages from.
type Archive struct {
	URI     string // the mirror, such as MirrorURI picks
	Suite   string // "trixie"
	Keyring string // the keyring that signs the suite's Release file
}

// Private runs apt with its own sources, lists and caches under a directory, so fetching a
// package from another release never touches the machine's apt state.
type Private struct {
	dir  string // where downloads land, and apt's working directory
	opts []string
}

// NewPrivate sets up an apt configuration in dir that knows only the main component of a.
func NewPrivate(dir string, a Archive) (*Private, error) {
	for _, d := range []string{"lists/partial", "cache/archives/partial", "debs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("private apt: %w", err)
		}
	}
	list := filepath.Join(dir, "sources.list")
	line := fmt.Sprintf("deb [signed-by=%s] %s %s main\n", a.Keyring, a.URI, a.Suite)
	if err := os.WriteFile(list, []byte(line), 0o644); err != nil {
		return nil, fmt.Errorf("private apt: %w", err)
	}
	p := &Private{dir: filepath.Join(dir, "debs")}
	set := func(k, v string) { p.opts = append(p.opts, "-o", k+"="+v) }
	set("Dir::Etc::SourceList", list)
	set("Dir::Etc::SourceParts", "/dev/null")
	set("Dir::Etc::Preferences", "/dev/null")
	set("Dir::Etc::PreferencesParts", "/dev/null")
	set("Dir::State::Lists", filepath.Join(dir, "lists"))
	set("Dir::Cache", filepath.Join(dir, "cache"))
	// Only package lists are needed: skip translations and AppStream metadata.
	set("Acquire::Languages", "none")
	set("Acquire::IndexTargets::deb::DEP-11::DefaultEnabled", "false")
	if os.Geteuid() == 0 {
		// apt drops to _apt for downloads, which cannot write into root's cache.
		set("APT::Sandbox::User", "root")
	}
	return p, nil
}

// Run runs an apt tool ("apt-get", "apt-cache") with the private configuration and returns
// its output, which it includes in the error if the tool fails.
func (p *Private) Run(tool string, args ...string) (string, error) {
	cmd := exec.Command(tool, append(append([]string{"-q"}, p.opts...), args...)...)
	cmd.Dir = p.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", tool, strings.Join(args, " "), err, lastLines(out.Bytes(), 40))
	}
	return out.String(), nil
}

// Download fetches the .deb of pkg (without its dependencies) and returns its path.
func (p *Private) Download(pkg string) (string, error) {
	if _, err := p.Run("apt-get", "download", pkg); err != nil {
		return "", err
	}
	debs, _ := filepath.Glob(filepath.Join(p.dir, "*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("apt-get download %s: expected one .deb, found %d", pkg, len(debs))
	}
	return debs[0], nil
}

// lastLines returns the last n lines of b: the end of a tool's output says why it failed.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
