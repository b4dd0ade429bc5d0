package vmtest

import (
	"bytes"
	"sync"
)

// LockedBuffer collects a child's output, which exec copies from its own goroutine while the
// test reads it: a plain bytes.Buffer there is a data race.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
