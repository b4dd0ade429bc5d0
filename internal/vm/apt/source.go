package apt

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Source is one "deb" entry of the machine's apt configuration.
type Source struct {
	URIs   []string
	Suites []string
}

// MirrorURI picks, from the machine's own apt sources, the archive to fetch the test kernel
// from: the first one that serves a plain release suite ("bookworm", "stable"), since
// security and updates archives are separate trees without the trixie main suite. Reusing the
// machine's mirror keeps CI inside whatever network and proxy it is allowed to use.
func MirrorURI(sources []Source) (string, error) {
	var fallback string
	for _, s := range sources {
		for _, u := range s.URIs {
			if !usableURI(u) {
				continue
			}
			if fallback == "" {
				fallback = u
			}
			for _, suite := range s.Suites {
				if !strings.Contains(suite, "-") && !strings.Contains(suite, "/") {
					return strings.TrimRight(u, "/"), nil
				}
			}
		}
	}
	if fallback == "" {
		return "", fmt.Errorf("no usable deb source in the machine's apt configuration (set DADI_VM_MIRROR to a Debian mirror URI)")
	}
	return strings.TrimRight(fallback, "/"), nil
}

// usableURI rejects sources apt cannot fetch a foreign suite from.
func usableURI(u string) bool {
	return u != "" && !strings.HasPrefix(u, "cdrom:")
}

// ReadSources reads the deb822 files in /etc/apt/sources.list.d and the one-line lists,
// in the order apt itself would (sources.list first, then the directory, sorted).
func ReadSources(etcApt string) ([]Source, error) {
	var all []Source
	read := func(path string, parse func(io.Reader) ([]Source, error)) error {
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		defer f.Close()
		s, err := parse(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		all = append(all, s...)
		return nil
	}
	if err := read(filepath.Join(etcApt, "sources.list"), parseOneLineSources); err != nil {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(etcApt, "sources.list.d", "*"))
	if err != nil {
		return nil, err
	}
	for _, p := range paths { // Glob sorts.
		switch {
		case strings.HasSuffix(p, ".sources"):
			err = read(p, parseDeb822Sources)
		case strings.HasSuffix(p, ".list"):
			err = read(p, parseOneLineSources)
		}
		if err != nil {
			return nil, err
		}
	}
	return all, nil
}

// parseOneLineSources reads the classic format: "deb [options] URI suite [component...]".
func parseOneLineSources(r io.Reader) ([]Source, error) {
	var out []Source
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if len(f) > 0 && strings.HasPrefix(f[0], "[") {
			// Options may contain spaces: skip to the word that closes them.
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) > 0 {
				f = f[1:]
			}
		}
		if len(f) < 2 {
			continue
		}
		out = append(out, Source{URIs: []string{f[0]}, Suites: []string{f[1]}})
	}
	return out, sc.Err()
}

// parseDeb822Sources reads the deb822 format: stanzas of "Field: value" separated by blank
// lines, values possibly continued on indented lines.
func parseDeb822Sources(r io.Reader) ([]Source, error) {
	var out []Source
	fields := map[string]string{}
	last := ""
	flush := func() {
		enabled := !strings.EqualFold(strings.TrimSpace(fields["enabled"]), "no")
		if enabled && slices.Contains(strings.Fields(fields["types"]), "deb") && fields["uris"] != "" {
			out = append(out, Source{URIs: strings.Fields(fields["uris"]), Suites: strings.Fields(fields["suites"])})
		}
		fields = map[string]string{}
		last = ""
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "#"):
		case line[0] == ' ' || line[0] == '\t':
			if last != "" {
				fields[last] += " " + strings.TrimSpace(line)
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			last = strings.ToLower(strings.TrimSpace(k))
			fields[last] = strings.TrimSpace(v)
		}
	}
	flush()
	return out, sc.Err()
}
