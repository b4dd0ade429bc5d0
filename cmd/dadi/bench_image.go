package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dadi-dev/dadi/engine"
	"github.com/dadi-dev/dadi/internal/atomicfile"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/perf"
	"github.com/dadi-dev/dadi/zfile"
)

// benchImages builds the images `dadi bench` serves through the layer engine, the same code
// `dadi create` and `dadi commit` run.
type benchImages struct{}

var _ perf.Images = benchImages{}

// Layer writes base into a scratch writable layer and commits that, as `dadi create` then
// `dadi commit [-z --algorithm A --bs B]` would. All-zero chunks are left unwritten, as a
// converted image leaves holes holes.
func (benchImages) Layer(base, layer string, im perf.Image) (err error) {
	if err := atomicfile.Check([]string{layer}, []string{base}); err != nil {
		return err
	}
	f, err := os.Open(base)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := (st.Size() + lsmt.SectorSize - 1) / lsmt.SectorSize * lsmt.SectorSize
	tmp := layer + ".build"
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	data, index := filepath.Join(tmp, "data"), filepath.Join(tmp, "index")
	if err := lsmt.CreateRW(data, index, lsmt.CreateOptions{VirtualSize: size}); err != nil {
		return err
	}
	up, err := lsmt.OpenUpper(data, index, true)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := up.Close(); err == nil {
			err = cerr
		}
	}()
	buf, zero := make([]byte, 1<<20), make([]byte, 1<<20)
	for off := int64(0); ; {
		n, rerr := io.ReadFull(f, buf)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			// The last chunk of a file whose size is not a sector multiple is padded.
			m := (n + lsmt.SectorSize - 1) / lsmt.SectorSize * lsmt.SectorSize
			clear(buf[n:m])
			if err := up.WriteAt(buf[:m], off); err != nil {
				return err
			}
		}
		off += int64(n)
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if err := up.Flush(); err != nil {
		return err
	}
	o := lsmt.CommitOptions{}
	if im.Codec.ZFile() {
		alg, err := zfile.ParseAlgorithm(string(im.Codec))
		if err != nil {
			return err
		}
		o.Compress, o.ZFile = true, zfile.Options{Algorithm: alg, BlockSize: int(im.ZFileBS)}
	}
	_, err = lsmt.Commit(up, layer, o)
	return err
}

// Config makes a fresh writable layer in dir over layer and the config.v1.json stacking them.
func (benchImages) Config(layer, dir string) (string, error) {
	l, err := lsmt.OpenLayerFile(layer)
	if err != nil {
		return "", err
	}
	size := l.VirtualSize()
	l.Close()
	data, index := filepath.Join(dir, "upper.data"), filepath.Join(dir, "upper.index")
	if err := lsmt.CreateRW(data, index, lsmt.CreateOptions{VirtualSize: size}); err != nil {
		return "", err
	}
	cfg := engine.Config{
		Lowers: []engine.LowerConfig{{File: layer}},
		Upper:  &engine.UpperConfig{Data: data, Index: index},
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "config.v1.json")
	return p, atomicfile.WriteFile(p, b, 0o644, layer, data, index)
}

// Flatten writes the whole image a config describes to a raw file, for the loop reference.
func (benchImages) Flatten(config, out string) (err error) {
	img, err := engine.OpenImage(config, engine.OpenOptions{ReadOnly: true})
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
