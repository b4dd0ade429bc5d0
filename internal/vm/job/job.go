package job

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Job is what the guest init is to do, written into the initramfs by the host.
type Job struct {
	// Argv is the command line exactly as the host received it; Argv[0] is not resolved.
	Argv []string `json:"argv"`
	// Path is the executable the host's PATH lookup found for Argv[0], absolute.
	Path string `json:"path"`
	// Dir is the host's working directory.
	Dir string `json:"dir"`
	// Env is the host's whole environment.
	Env []string `json:"env"`
	// CopyIn lists host files under /tmp to copy into the guest's fresh /tmp before running,
	// since the guest's /tmp is a tmpfs that hides the host's.
	CopyIn []string `json:"copy_in,omitempty"`
	// BindIn lists host directories under /tmp to show read-only at the same path in the
	// guest: the top directory under /tmp holding the working directory (a checkout cloned
	// into /tmp must stay visible, with what lies beside it) and $DADI_FIXTURES.
	BindIn []string `json:"bind_in,omitempty"`
	// MakeDirs lists directories under /tmp to create in the guest (the working directory
	// and TMPDIR, when they live there), so chdir and temp files work.
	MakeDirs []string `json:"make_dirs,omitempty"`
	// Modules are loaded in order, from ModuleDir in the initramfs.
	Modules []Module `json:"modules,omitempty"`
	// Verbose makes the guest narrate its setup on the console.
	Verbose bool `json:"verbose,omitempty"`
}

// Module is a kernel module for the guest to load.
type Module struct {
	Name   string `json:"name"`
	Params string `json:"params,omitempty"`
}

// Where the host puts things in the initramfs, and the guest finds them.
const (
	// FilePath holds the encoded job.
	FilePath = "/vmrun/job.json"
	// ModuleDir holds the modules to load, as <name>.ko, uncompressed.
	ModuleDir = "/vmrun/modules"
)

// Encode renders the job as the guest reads it.
func (j *Job) Encode() ([]byte, error) {
	b, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("encoding job: %w", err)
	}
	return b, nil
}

// Decode parses what Encode wrote and checks it is runnable.
func Decode(b []byte) (*Job, error) {
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("decoding job: %w", err)
	}
	if len(j.Argv) == 0 || !filepath.IsAbs(j.Path) || !filepath.IsAbs(j.Dir) {
		return nil, fmt.Errorf("decoding job: need argv, an absolute path and an absolute dir (got %q, %q, %q)", j.Argv, j.Path, j.Dir)
	}
	return &j, nil
}

// New describes running argv in the host's current directory and environment. It resolves
// argv[0] with the host's PATH, since the guest sees the same files at the same paths.
func New(argv []string, lookPath func(string) (string, error)) (*Job, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("no command")
	}
	dir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	path, err := lookPath(argv[0])
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	env := os.Environ()
	if os.Getenv("HOME") == "" {
		env = append(env, "HOME=/root")
	}
	j := &Job{Argv: argv, Path: path, Dir: dir, Env: env}
	for _, d := range []string{dir, os.Getenv("DADI_FIXTURES")} {
		if top := tmpTop(d); top != "" && !j.bound(top) {
			j.BindIn = append(j.BindIn, top)
		}
	}
	if underTmp(path) && !j.bound(path) {
		j.CopyIn = append(j.CopyIn, path)
	}
	for _, d := range []string{dir, os.Getenv("TMPDIR")} {
		if d != "" && underTmp(d) && !j.bound(d) {
			j.MakeDirs = append(j.MakeDirs, d)
		}
	}
	return j, nil
}

// tmpTop is the directory right under /tmp that holds p ("/tmp/ci" for "/tmp/ci/main/x"), or
// "" when p is not below /tmp.
func tmpTop(p string) string {
	if p == "" || !filepath.IsAbs(p) {
		return ""
	}
	rest, ok := strings.CutPrefix(filepath.Clean(p), "/tmp/")
	if !ok || rest == "" {
		return ""
	}
	first, _, _ := strings.Cut(rest, "/")
	return "/tmp/" + first
}

// bound says whether p lies in a directory the guest binds from the host.
func (j *Job) bound(p string) bool {
	p = filepath.Clean(p)
	for _, b := range j.BindIn {
		if p == b || strings.HasPrefix(p, b+"/") {
			return true
		}
	}
	return false
}

// underTmp says whether host path p is hidden in the guest by its /tmp tmpfs.
func underTmp(p string) bool {
	p = filepath.Clean(p)
	return p == "/tmp" || strings.HasPrefix(p, "/tmp/")
}
