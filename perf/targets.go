package perf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// target is what `dadi serve` is given for d, and what to remove once it stopped.
func (r *runner) target(d Daemon) ([]string, func(), error) {
	if !d.Codec.Image() {
		return r.o.Source.serveTarget(), func() {}, nil
	}
	layer, err := r.layer(d.Image())
	if err != nil {
		return nil, nil, err
	}
	// Each daemon gets a fresh upper, so one configuration's writes do not change what the
	// next one reads.
	r.uppers++
	dir := filepath.Join(r.work, "upper"+strconv.Itoa(r.uppers))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, nil, err
	}
	cfg, err := r.o.Images.Config(layer, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("image config over %s: %w", layer, err)
	}
	return []string{"--config", cfg}, func() { os.RemoveAll(dir) }, nil
}

// baseData is the raw file images are built from: the source file, or data written once.
func (r *runner) baseData() (string, error) {
	if r.o.Source.File != "" {
		return r.o.Source.File, nil
	}
	if r.base == "" {
		p := filepath.Join(r.work, "base.img")
		r.prog.say("writing %s of base data for images", FormatSize(r.m.ImageSize))
		if err := writeBaseData(p, r.m.ImageSize); err != nil {
			return "", fmt.Errorf("base data: %w", err)
		}
		r.base = p
	}
	return r.base, nil
}

// layer builds the read-only layer of image im once.
func (r *runner) layer(im Image) (string, error) {
	if p, ok := r.layers[im]; ok {
		return p, nil
	}
	base, err := r.baseData()
	if err != nil {
		return "", err
	}
	p := filepath.Join(r.work, "layer-"+fileLabel(im.String())+".commit")
	t0 := time.Now()
	if err := r.o.Images.Layer(base, p, im); err != nil {
		return "", fmt.Errorf("building %s image: %w", im, err)
	}
	if st, err := os.Stat(p); err == nil {
		r.prog.say("built %s image in %s: %s", im, clock(time.Since(t0)), FormatSize(st.Size()))
	}
	r.layers[im] = p
	return p, nil
}

// refKey names the reference device d's jobs are compared with: "" if there is none.
func (r *runner) refKey(d Daemon) string {
	s := r.o.Source
	switch {
	case !r.m.Reference || s.Device != "":
		return ""
	case s.Null != 0 && !d.Codec.Image():
		return "null_blk"
	case s.Config != "":
		return "loop:flat"
	case s.File != "":
		return "loop:" + s.File
	default:
		return "loop:base"
	}
}

// refDevice opens the reference device for key once; nil if this machine has none.
func (r *runner) refDevice(key string) (*refDevice, error) {
	if dev, ok := r.refs[key]; ok {
		return dev, nil
	}
	var dev *refDevice
	var err error
	switch key {
	case "null_blk":
		dev, err = newNullBlk(r.o.Source.Null)
	case "loop:flat":
		p := filepath.Join(r.work, "flat.img")
		r.prog.say("flattening %s for the loop reference", r.o.Source.Config)
		if err = r.o.Images.Flatten(r.o.Source.Config, p); err == nil {
			dev, err = newLoop(p)
		}
	default:
		var base string
		if base, err = r.baseData(); err == nil {
			dev, err = newLoop(base)
		}
	}
	if errors.Is(err, errNoReference) {
		r.prog.say("no reference: %v", err)
		r.refs[key] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.refs[key] = dev
	return dev, nil
}

// runReference runs the jobs on d's reference device, unless they ran already.
func (r *runner) runReference(ctx context.Context, d Daemon, jobs []Job, rep *Report) error {
	key := r.refKey(d)
	if key == "" {
		return nil
	}
	if _, seen := r.refs[key]; seen {
		return nil
	}
	dev, err := r.refDevice(key)
	if err != nil {
		return err
	}
	if dev == nil {
		r.prog.total -= len(jobs)
		rep.Notes = append(rep.Notes, fmt.Sprintf("No %s reference on this machine, so some figures have no ratio.", key))
		return nil
	}
	size, err := deviceSize(dev.Device)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		name := fmt.Sprintf("ref-%s-%s", fileLabel(dev.Name), fileLabel(j.String()))
		end := r.prog.begin(fmt.Sprintf("%s %s | %s", dev.Name, dev.Device, j))
		rel, st, err := r.fio(ctx, name, dev.Device, size, j)
		if err != nil {
			return err
		}
		ref := &RefResult{Name: dev.Name, Device: dev.Device, Job: j, Stats: st, JSON: rel}
		r.refDone[key+"|"+j.String()] = ref
		rep.Refs = append(rep.Refs, *ref)
		end(summary(st, -1, nil))
	}
	return nil
}

// cleanup detaches the reference devices and removes the scratch directory.
func (r *runner) cleanup() error {
	var errs []error
	for _, dev := range r.refs {
		if dev != nil {
			errs = append(errs, dev.Close())
		}
	}
	if r.work != "" {
		errs = append(errs, os.RemoveAll(r.work))
	}
	return errors.Join(errs...)
}

// waitExists waits for udev or devtmpfs to make a device node.
func waitExists(path string) error {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return err
		}
	}
}
