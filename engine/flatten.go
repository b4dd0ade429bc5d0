package engine

import (
	"fmt"
	"io"

	"github.com/dadi-dev/dadi/internal/atomicfile"
)

// Flatten writes the whole disk of the image config describes to the raw file out (never one
// of the image's files), as a reference copy of its bytes.
func Flatten(config, out string) (err error) {
	img, err := OpenImage(config, OpenOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer img.Close()
	f, err := atomicfile.Create(out, 0o644, append(img.Files(), config)...)
	if err != nil {
		return err
	}
	defer f.Abort()
	n, err := io.Copy(f, io.NewSectionReader(img, 0, img.Size()))
	if err == nil && n != img.Size() {
		err = fmt.Errorf("flatten %s: %d of %d bytes", config, n, img.Size())
	}
	if err != nil {
		return err
	}
	return f.Commit()
}
