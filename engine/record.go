package engine

import "sync"

// readRecorder keeps the demand reads of the disk in arrival order while an image records a
// trace: the same view a block trace of the device gives, taken inside the daemon so recording
// needs no privileges beyond serving.
type readRecorder struct {
	mu    sync.Mutex
	reads []DeviceRead
}

func (r *readRecorder) note(off, n int64) {
	r.mu.Lock()
	r.reads = append(r.reads, DeviceRead{Offset: off, Length: n})
	r.mu.Unlock()
}

// take returns the reads so far and stops keeping more.
func (r *readRecorder) take() []DeviceRead {
	r.mu.Lock()
	defer r.mu.Unlock()
	reads := r.reads
	r.reads = nil
	return reads
}

// StartRecording makes the image keep its demand reads until StopRecording.
func (img *Image) StartRecording() { img.trace.rec.Store(&readRecorder{}) }

// StopRecording returns the demand reads since StartRecording, in order, and stops recording.
func (img *Image) StopRecording() []DeviceRead {
	r := img.trace.rec.Swap(nil)
	if r == nil {
		return nil
	}
	return r.take()
}
