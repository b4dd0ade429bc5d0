package engine

import (
	"github.com/dadi-dev/dadi/internal/errs"
	"github.com/dadi-dev/dadi/lsmt"
)

var (
	// ErrCorrupt marks an image whose config or layers break the format (errs.ErrCorrupt: a
	// corrupt LSMT layer, ZFile block or index is this kind).
	ErrCorrupt = errs.ErrCorrupt
	// ErrNotSupported marks a well-formed input that dadi does not handle yet.
	ErrNotSupported = errs.ErrNotSupported
	// ErrReadOnly is a write to an image without a writable upper layer.
	ErrReadOnly = lsmt.ErrReadOnly
)
