package vm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// privateApt runs apt with its own sources, lists and caches under dir, so fetching a package
// from another release never touches the machine's apt state.
type privateApt struct {
	dir  string
	opts []string
}

func newPrivateApt(dir, mirror string) (*privateApt, error) {
	for _, d := range []string{"lists/partial", "cache/archives/partial", "debs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("private apt: %w", err)
		}
	}
	list := filepath.Join(dir, "sources.list")
	line := fmt.Sprintf("deb [signed-by=%s] %s %s main\n", archiveKeyring, mirror, kernelSuite)
	if err := os.WriteFile(list, []byte(line), 0o644); err != nil {
		return nil, fmt.Errorf("private apt: %w", err)
	}
	a := &privateApt{dir: filepath.Join(dir, "debs")}
	set := func(k, v string) { a.opts = append(a.opts, "-o", k+"="+v) }
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
	return a, nil
}

// run runs an apt tool in the download directory and returns its output, which it includes
// in the error if the tool fails.
func (a *privateApt) run(tool string, args ...string) (string, error) {
	cmd := exec.Command(tool, append(append([]string{"-q"}, a.opts...), args...)...)
	cmd.Dir = a.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", tool, strings.Join(args, " "), err, tail(out.Bytes(), 40))
	}
	return out.String(), nil
}
