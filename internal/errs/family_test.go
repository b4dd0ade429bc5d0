package errs_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/dadi-dev/dadi/ext4"
	"github.com/dadi-dev/dadi/index"
	"github.com/dadi-dev/dadi/internal/errs"
	"github.com/dadi-dev/dadi/lsmt"
	"github.com/dadi-dev/dadi/ublk"
	"github.com/dadi-dev/dadi/zfile"
)

// TestFamily: every package's corruption and not-supported errors are the family's, so one
// errors.Is answers for all of them, and an invalid index is a corrupt one.
func TestFamily(t *testing.T) {
	unsorted := []index.Segment{index.NewSegment(8, 8, 0, false, 0), index.NewSegment(0, 8, 8, false, 0)}
	_, ixErr := index.NewStatic(unsorted)
	corrupt := map[string]error{"zfile": zfile.ErrCorrupt, "lsmt": lsmt.ErrCorrupt, "ext4": ext4.ErrCorrupt,
		"index.ErrInvalid": index.ErrInvalid, "index.NewStatic(unsorted)": ixErr}
	for name, err := range corrupt {
		if !errors.Is(fmt.Errorf("layer.lsmt: %w", err), errs.ErrCorrupt) {
			t.Errorf("%s (%v) is not errs.ErrCorrupt", name, err)
		}
	}
	for name, err := range map[string]error{"zfile": zfile.ErrNotSupported, "lsmt": lsmt.ErrNotSupported,
		"ext4": ext4.ErrNotSupported, "ublk": ublk.ErrNotSupported} {
		if !errors.Is(err, errs.ErrNotSupported) || errors.Is(err, errs.ErrCorrupt) {
			t.Errorf("%s (%v) is not errs.ErrNotSupported alone", name, err)
		}
	}
}
