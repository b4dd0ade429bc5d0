package vm

import "github.com/dadi-dev/dadi/internal/vm/job"

// Exit statuses of vmrun's own failures, as timeout(1) and the shell use them, so they stay
// apart from the ordinary statuses of a command. Package job defines them, since the guest
// reports three of them.
const (
	StatusTimeout    = job.StatusTimeout
	StatusFailed     = job.StatusFailed
	StatusCannotExec = job.StatusCannotExec
	StatusNotFound   = job.StatusNotFound
)
