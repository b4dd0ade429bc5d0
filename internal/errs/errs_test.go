package errs

import (
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
)

// TestCorruptf: the error is ErrCorrupt and names the file and offset.
func TestCorruptf(t *testing.T) {
	err := Corruptf("layer.lsmt", 512, "index entry %d out of order", 3)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("%v is not ErrCorrupt", err)
	}
	if want := "layer.lsmt: offset 512: corrupt data: index entry 3 out of order"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

// TestErrno: a wrapped errno survives, everything else is EIO, nil is 0.
func TestErrno(t *testing.T) {
	for _, c := range []struct {
		err  error
		want syscall.Errno
	}{
		{nil, 0},
		{fmt.Errorf("write: %w", syscall.EROFS), syscall.EROFS},
		{Corruptf("f", 4096, "bad magic"), syscall.EIO},
		{io.ErrUnexpectedEOF, syscall.EIO},
		{syscall.Errno(0), syscall.EIO},
	} {
		if got := Errno(c.err); got != c.want {
			t.Errorf("Errno(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
