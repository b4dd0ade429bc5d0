package engine

// Session is one caller's handle for I/O on an Image in a loop, such as a ublk queue: it owns
// the scratch memory its reads and writes use, so once warm they allocate nothing (Image's own
// ReadAt and WriteAt take scratch from a pool instead, which the garbage collector empties).
// A Session is used by one goroutine at a time; the Image is shared.
type Session struct {
	img *Image
	sc  *scratch
}

// NewSession makes a session on img.
func (img *Image) NewSession() *Session { return &Session{img: img, sc: newScratch()} }

// ReadAt reads len(p) bytes at off (both multiples of 512): a demand read, which prefetch
// yields to and trace recording notes.
func (s *Session) ReadAt(p []byte, off int64) (int, error) {
	s.img.demandStart(off, uint32(len(p)))
	// Deferred, so the count stays right when the read panics and its caller recovers.
	defer s.img.demandDone()
	if err := s.img.read(p, off, s.sc); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteAt writes p at off (both multiples of 512) into the upper layer.
func (s *Session) WriteAt(p []byte, off int64) (int, error) {
	if err := s.img.write(p, off, s.sc); err != nil {
		return 0, err
	}
	return len(p), nil
}
