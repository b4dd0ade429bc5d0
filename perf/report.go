package perf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteReport writes results.csv, references.csv, the SVG plots and report.md into dir.
func WriteReport(dir string, rep *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "results.csv"), func(f *os.File) error { return WriteResultsCSV(f, rep.Results) }); err != nil {
		return err
	}
	if len(rep.Refs) > 0 {
		if err := writeFile(filepath.Join(dir, "references.csv"), func(f *os.File) error { return WriteRefsCSV(f, rep.Refs) }); err != nil {
			return err
		}
	}
	vary := rep.Matrix.Varying()
	plots := map[string][]string{} // group title -> plot files
	for _, g := range groupResults(rep.Results) {
		files, err := writePlots(dir, g, vary)
		if err != nil {
			return err
		}
		plots[g.Title()] = files
	}
	return writeFile(filepath.Join(dir, "report.md"), func(f *os.File) error { return writeMarkdown(f, rep, plots) })
}

// writePlots draws a group's plots and returns the files written. A heat map needs more
// than one queues × depth cell to say anything.
func writePlots(dir string, g group, vary map[string]bool) ([]string, error) {
	kinds := []plotKind{{"iops", plotIOPS}, {"latency", plotLatency}}
	if vary["queues"] || vary["depth"] {
		kinds = append(kinds, plotKind{"heatmap", plotHeatmap})
	}
	var files []string
	for _, k := range kinds {
		name := g.file(k.kind)
		err := k.draw(g, vary, filepath.Join(dir, name))
		if errors.Is(err, errNoData) {
			continue
		}
		if err != nil {
			return files, fmt.Errorf("plot %s: %w", name, err)
		}
		files = append(files, name)
	}
	return files, nil
}

type plotKind struct {
	kind string
	draw func(g group, vary map[string]bool, path string) error
}

func writeFile(path string, write func(*os.File) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	return write(f)
}
