package ublk

// For the tests of package ublk_test (the real-kernel ones, which use targets from
// targets/, and those import this package).
var NewPanicTarget = newPanicTarget

type SyncBuffer = syncBuffer
