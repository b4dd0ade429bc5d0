package ublk

// For the tests of package ublk_test (the real-kernel ones, which use targets from
// targets/, and those import this package).
var NewPanicTarget = newPanicTarget

type SyncBuffer = syncBuffer

// NewHandoffTarget hands every read to workers that fill it with a pattern CheckPattern knows
// and wake the queue.
func NewHandoffTarget(pieces, workers int) Target {
	return &handoffTarget{Pieces: pieces, Workers: workers}
}

var CheckPattern = checkPattern
