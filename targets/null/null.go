package null

import "github.com/dadi-dev/dadi/ublk"

// Target is a null device.
type Target struct{ size int64 }

// New makes a null device of size bytes.
func New(size int64) *Target { return &Target{size: size} }

func (t *Target) Size() int64                                          { return t.size }
func (t *Target) Close() error                                         { return nil }
func (t *Target) NewQueue(ublk.QueueContext) (ublk.QueueTarget, error) { return queue{}, nil }

type queue struct{}

func (queue) Handle(_ uint16, req *ublk.Request) (int32, bool) {
	switch req.Op {
	case ublk.OpRead, ublk.OpWrite:
		return int32(req.Length), true
	}
	return 0, true
}

func (queue) Complete(uint16, *ublk.Request, int32) (int32, bool) { return 0, true }
func (queue) Close() error                                        { return nil }
