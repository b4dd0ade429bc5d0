package prefetch

import (
	"sync"

	"github.com/dadi-dev/dadi/engine"
)

// Recorder keeps the demand reads of an image's disk in arrival order: the same view a block
// trace of the device gives, taken inside the daemon so recording needs no privileges beyond
// serving.
type Recorder struct {
	img   *engine.Image
	mu    sync.Mutex
	reads []DeviceRead
}

func (r *Recorder) note(off, n int64) {
	r.mu.Lock()
	r.reads = append(r.reads, DeviceRead{Offset: off, Length: n})
	r.mu.Unlock()
}

// Stop stops recording and returns the demand reads since StartRecording, in order.
func (r *Recorder) Stop() []DeviceRead {
	r.img.ObserveReads(nil)
	r.mu.Lock()
	defer r.mu.Unlock()
	reads := r.reads
	r.reads = nil
	return reads
}

// StartRecording keeps the image's demand reads until the Recorder's Stop.
func StartRecording(img *engine.Image) *Recorder {
	r := &Recorder{img: img}
	img.ObserveReads(r.note)
	return r
}
