package ublk

// NullTarget is a device that completes every request at once without touching data, like
// the kernel's null_blk: reads return whatever the buffer held. It measures the cost of the
// ublk path itself.
type NullTarget struct{ size int64 }

// NewNullTarget makes a null device of size bytes.
func NewNullTarget(size int64) *NullTarget { return &NullTarget{size: size} }

func (t *NullTarget) Size() int64                                { return t.size }
func (t *NullTarget) Close() error                               { return nil }
func (t *NullTarget) NewQueue(QueueContext) (QueueTarget, error) { return nullQueue{}, nil }

type nullQueue struct{}

func (nullQueue) Handle(_ uint16, req *Request) (int32, bool) {
	switch req.Op {
	case OpRead, OpWrite:
		return int32(req.Length), true
	}
	return 0, true
}

func (nullQueue) Complete(uint16, *Request, int32) (int32, bool) { return 0, true }
func (nullQueue) Close() error                                   { return nil }
