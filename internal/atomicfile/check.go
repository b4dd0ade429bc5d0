package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrOutputIsInput marks an output that is the same file as one of the inputs: writing it
// would destroy the input.
var ErrOutputIsInput = errors.New("an output may not be one of the inputs")

// ErrOutputsCollide marks two outputs of one command that are the same file.
var ErrOutputsCollide = errors.New("the outputs must be different files")

// ErrNotRegular marks an existing destination that is not a regular file (a device, a
// directory, a FIFO): replacing it by a rename would remove it.
var ErrNotRegular = errors.New("an existing output must be a regular file")

// Check refuses any output that is the same file as an input, or as another output. Files are
// compared with os.SameFile, so symlinks and hard links count; a path that does not exist
// (yet) is compared by its cleaned absolute name. Empty names are skipped.
func Check(outputs, inputs []string) error {
	ins := make([]fileID, 0, len(inputs))
	for _, in := range inputs {
		if in == "" {
			continue
		}
		id, err := identify(in)
		if err != nil {
			return err
		}
		ins = append(ins, id)
	}
	outs := make([]fileID, 0, len(outputs))
	for _, out := range outputs {
		if out == "" {
			continue
		}
		id, err := identify(out)
		if err != nil {
			return err
		}
		for _, in := range ins {
			if id.same(in) {
				return fmt.Errorf("refusing to write %s: it is the same file as the input %s: %w", out, in.name, ErrOutputIsInput)
			}
		}
		for _, o := range outs {
			if id.same(o) {
				return fmt.Errorf("refusing to write %s and %s: they are the same file: %w", o.name, out, ErrOutputsCollide)
			}
		}
		outs = append(outs, id)
	}
	return nil
}

// fileID is what Check compares: the file's identity when it exists, else its absolute name.
type fileID struct {
	name string
	abs  string
	st   os.FileInfo // nil when the path does not exist
}

func identify(name string) (fileID, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return fileID{}, err
	}
	id := fileID{name: name, abs: abs}
	st, err := os.Stat(name)
	switch {
	case err == nil:
		id.st = st
	case !errors.Is(err, os.ErrNotExist):
		return fileID{}, err
	}
	return id, nil
}

func (a fileID) same(b fileID) bool {
	if a.st != nil && b.st != nil {
		return os.SameFile(a.st, b.st)
	}
	return a.abs == b.abs
}
